/**
 * Executions that run at the same time and share one credential (issue 11): HyperID refresh
 * tokens rotate, so only one refresh from a stored token can succeed. Each run here is a whole
 * execution through n8n-core (its own context and session); they share one CredentialStore, as
 * executions share n8n's database. A second copy of the node's modules (jest.isolateModules)
 * stands for another n8n process (a queue-mode worker): same database, its own memory.
 */
import type { INodeParameters, INodeType } from 'n8n-workflow';

import { HyperIdUserData } from '../../nodes/HyperIdUserData/HyperIdUserData.node';
import { WAIT_FOR_SAVE_MS } from '../../nodes/HyperIdUserData/transport/crossProcess';
import { CredentialStore, runNode } from '../harness/harness';
import type { Emulator } from './setup';
import { credentialFor, DEMO, sleep, stored, textOf, TOKEN_PATH, useEmulator } from './setup';

let emulator: Emulator;
useEmulator((started) => (emulator = started));

const setByEmail = (key: string, value: string): INodeParameters => ({
	resource: 'userDataByEmail',
	operation: 'set',
	key,
	value,
	options: { retryDelay: 1 },
});

/** The node as a second n8n process has it: its own module instances (and refresh state). */
function nodeOfAnotherProcess(wait: (signal: AbortSignal) => Promise<boolean> = async (signal) => !signal.aborted): INodeType {
	let other: INodeType | undefined;
	jest.isolateModules(() => {
		// eslint-disable-next-line @typescript-eslint/no-require-imports
		const module = require('../../nodes/HyperIdUserData/HyperIdUserData.node') as { HyperIdUserData: new () => INodeType };
		// eslint-disable-next-line @typescript-eslint/no-require-imports
		(require('../../nodes/HyperIdUserData/transport/crossProcess') as typeof import('../../nodes/HyperIdUserData/transport/crossProcess')).spreading.wait = wait;
		other = new module.HyperIdUserData();
	});
	return other as INodeType;
}

async function execution(nodeType: INodeType, credentials: CredentialStore, index: number) {
	return await runNode({ nodeType, parameters: setByEmail(`k${index}`, `v${index}`), inputItems: [{}], credentials });
}

function tokenRequests() {
	return emulator.requests().filter((entry) => entry.path === TOKEN_PATH);
}

function expectStored(n: number) {
	const data = stored(emulator, 'email');
	for (let i = 0; i < n; i++) expect(data[`k${i}`]?.value_data).toBe(`v${i}`);
}

test('8 executions at once in one process, the token expired: one refresh serves them all', async () => {
	const credentials = credentialFor(emulator, { expiresIn: 0 });
	emulator.setFaults([{ path: TOKEN_PATH, delayMs: 200, times: -1 }]);
	emulator.clearRequests();
	const node = new HyperIdUserData();
	const runs = await Promise.all(Array.from({ length: 8 }, (_, i) => execution(node, credentials, i)));
	expect(runs.map((r) => r.error?.message)).toEqual(Array(8).fill(undefined));
	expectStored(8);
	// without the process-wide single flight, 7 of the 8 refreshes spend a used refresh token
	expect(tokenRequests()).toHaveLength(1);
	expect(credentials.saves).toBe(1);
});

test('two processes meet one expiry, the second acting once the first refreshed: it takes (or waits for) the first one\'s token; one refresh, nothing lost', async () => {
	const credentials = credentialFor(emulator, { expiresIn: 0 });
	const original = credentials.oauthTokenData!;
	emulator.setFaults([{ path: TOKEN_PATH, delayMs: 300, times: -1 }]);
	emulator.clearRequests();
	const here = new HyperIdUserData();
	// its random moment falls after the first process's refresh reached HyperID (crossProcess.ts, step 1)
	const there = nodeOfAnotherProcess(async (signal) => {
		while (!signal.aborted && tokenRequests().length === 0) await sleep(10);
		return !signal.aborted;
	});
	const started = Date.now();
	const runs = await Promise.all([
		...[0, 1, 2].map((i) => execution(here, credentials, i)),
		...[3, 4, 5].map((i) => execution(there, credentials, i)),
	]);
	const seconds = (Date.now() - started) / 1000;
	expect(runs.map((r) => r.error?.message)).toEqual(Array(6).fill(undefined));
	expectStored(6);
	// one refresh: the spent refresh token is never presented again (HyperID would end the session)
	const refreshes = tokenRequests();
	expect(refreshes.map((entry) => entry.status)).toEqual([200]);
	expect(credentials.saves).toBe(1);
	expect(credentials.oauthTokenData!.refresh_token).not.toBe(original.refresh_token);
	// the wait for the other process is bounded
	expect(seconds).toBeLessThan(WAIT_FOR_SAVE_MS / 1000 + 5);
	// and the stored credential still works: a later expiry refreshes with the saved refresh token
	emulator.advanceClock(7200);
	emulator.clearRequests();
	const later = await execution(here, credentials, 6);
	expect(later.error).toBeUndefined();
	expect(tokenRequests()).toHaveLength(1);
});

test('a newer token stored by another execution after the request was sent: resent with it, no refresh token spent', async () => {
	const credentials = credentialFor(emulator, { expiresIn: 0 });
	const newer = emulator.createToken();
	// The 1st read is the execution's start, the 2nd signs the request: then "another process" stores a new token.
	const getDecrypted = credentials.getDecrypted.bind(credentials);
	let reads = 0;
	credentials.getDecrypted = async (...args: Parameters<CredentialStore['getDecrypted']>) => {
		const data = await getDecrypted(...args);
		if (++reads === 2) {
			credentials.patchData({ oauthTokenData: { access_token: newer.access_token, refresh_token: newer.refresh_token, token_type: 'Bearer' } });
		}
		return data;
	};
	emulator.clearRequests();
	const r = await execution(new HyperIdUserData(), credentials, 0);
	expect(r.error).toBeUndefined();
	expect(emulator.requests().filter((entry) => entry.path.startsWith('/user-')).map((entry) => entry.result)).toEqual([-2, 0]);
	expect(tokenRequests()).toHaveLength(0);
	expect(credentials.saves).toBe(0);
	expectStored(1);
});

test('a dead credential under a burst: every execution says reconnect, the spent refresh token never presented again', async () => {
	// the refresh token was revoked: HyperID refuses it, and no other process will store a newer token
	const credentials = credentialFor(emulator, { expiresIn: 0 });
	const refreshToken = String(credentials.oauthTokenData!.refresh_token);
	const spend = await fetch(`${emulator.url}${TOKEN_PATH}`, {
		method: 'POST',
		headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
		body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: DEMO.clientId, client_secret: DEMO.clientSecret }).toString(),
	});
	expect(spend.status).toBe(200);
	emulator.clearRequests();
	const here = new HyperIdUserData();
	const there = nodeOfAnotherProcess();
	const started = Date.now();
	const runs = await Promise.all([
		...[0, 1, 2, 3].map((i) => execution(here, credentials, i)),
		...[4, 5, 6, 7].map((i) => execution(there, credentials, i)),
	]);
	const seconds = (Date.now() - started) / 1000;
	for (const r of runs) {
		expect(r.error).toBeDefined();
		expect(textOf(r.error as never)).toMatch(/could not be renewed[\s\S]*Reconnect/);
	}
	// HyperID says it is no longer active: presenting it would end the session (Keycloak's reuse detection)
	expect(tokenRequests()).toHaveLength(0);
	expect(Object.keys(stored(emulator, 'email'))).toHaveLength(0);
	expect(credentials.saves).toBe(0);
	expect(seconds).toBeLessThan(WAIT_FOR_SAVE_MS / 1000 + 5);
});
