/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * Two n8n processes (queue-mode workers) meet one expired Connected Account token. Each "process" is
 * its own copy of the node's modules (jest.isolateModules: its own single flight), both read and
 * write one credential store, as workers share n8n's database. HyperID (Keycloak) ends the session
 * when a spent refresh token is presented again, so the second process must not spend it.
 */
import type { INodeType } from 'n8n-workflow';

import { INTROSPECT_PATH } from '../emulator/server';
import { runNode, jsonOf } from '../harness/harness';
import { TOKEN_PATH, expiredCredentialFor, stored, useEmulator } from './setup';
import type { Emulator } from './setup';

let emulator: Emulator;
useEmulator((started) => (emulator = started));

interface Process {
	node: INodeType;
	crossProcess: typeof import('../../nodes/HyperIdUserData/transport/crossProcess');
}

function newProcess(): Process {
	let loaded: Process | undefined;
	jest.isolateModules(() => {
		const { HyperIdUserData } = require('../../nodes/HyperIdUserData/HyperIdUserData.node') as typeof import('../../nodes/HyperIdUserData/HyperIdUserData.node');
		const crossProcess = require('../../nodes/HyperIdUserData/transport/crossProcess') as Process['crossProcess'];
		crossProcess.spreading.wait = async (signal) => !signal.aborted;
		loaded = { node: new HyperIdUserData(), crossProcess };
	});
	return loaded as Process;
}

const setParameters = (key: string) => ({
	resource: 'userDataByEmail',
	operation: 'set',
	key,
	value: `value of ${key}`,
	options: { retryDelay: 1 },
});

async function until(condition: () => boolean, what: string): Promise<void> {
	for (let i = 0; i < 400 && !condition(); i++) await new Promise((r) => setTimeout(r, 25));
	if (!condition()) throw new Error(`timed out waiting for ${what}`);
}

describe('two processes, one expired Connected Account token (n8n without core refresh lock)', () => {
	it('the second process waits for the first one\'s renewed token instead of spending the same refresh token', async () => {
		const credentials = expiredCredentialFor(emulator);
		const [first, second] = [newProcess(), newProcess()];
		// HyperID has granted the first refresh (the refresh token is spent) while its answer is on the way
		emulator.setFaults([{ path: TOKEN_PATH, answerDelayMs: 1500, times: 1 }]);
		emulator.clearRequests();
		const firstRun = runNode({ nodeType: first.node, parameters: setParameters('first'), inputItems: [{}], credentials });
		await until(() => emulator.requests().some((r) => r.path === TOKEN_PATH) || (emulator.stats().requestsByPath[TOKEN_PATH] ?? 0) > 0, 'the first refresh');
		const secondRun = runNode({ nodeType: second.node, parameters: setParameters('second'), inputItems: [{}], credentials });
		const [a, b] = await Promise.all([firstRun, secondRun]);
		expect(a.error).toBeUndefined();
		expect(b.error).toBeUndefined();
		expect(jsonOf(a)).toHaveLength(1);
		expect(jsonOf(b)).toHaveLength(1);
		const log = emulator.requests();
		const tokenRequests = log.filter((r) => r.path === TOKEN_PATH);
		// one refresh, never the spent token again
		expect(tokenRequests.map((r) => r.status)).toEqual([200]);
		expect(log.filter((r) => r.path === INTROSPECT_PATH).length).toBeGreaterThanOrEqual(1);
		expect(stored(emulator, 'email')['first']?.value_data).toBe('value of first');
		expect(stored(emulator, 'email')['second']?.value_data).toBe('value of second');
	});

	it('executions numbered close together wait in different slots; an id that is not a number gets a slot too', () => {
		const { crossProcess } = newProcess();
		const slots = Array.from({ length: crossProcess.SLOTS }, (_, i) => crossProcess.slotOf(String(1000 + i)));
		expect(new Set(slots).size).toBe(crossProcess.SLOTS);
		for (const id of [undefined, 'abc-uuid', '']) {
			const slot = crossProcess.slotOf(id);
			expect(slot >= 0 && slot < crossProcess.SLOTS && Number.isInteger(slot)).toBe(true);
		}
	});

	it('on n8n whose request helpers have getSecureEgressFilter (2.30+, core refreshes under a lock) nothing is read or asked before the refresh', async () => {
		const { crossProcess } = newProcess();
		let read = 0;
		let requested = 0;
		const ctx = {
			helpers: { getSecureEgressFilter: () => undefined, httpRequest: async () => requested++ },
			getCredentials: async () => {
				read++;
				return {};
			},
		} as unknown as Parameters<typeof crossProcess.beforeSpending>[0];
		crossProcess.spreading.wait = async () => await new Promise<boolean>(() => undefined);
		await expect(crossProcess.beforeSpending(ctx, 'token', new AbortController().signal)).resolves.toBe('spend');
		expect([read, requested]).toEqual([0, 0]);
		expect(crossProcess.coreCoordinatesRefreshes({ helpers: {} } as unknown as Parameters<typeof crossProcess.beforeSpending>[0])).toBe(false);
	});
});
