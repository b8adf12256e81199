/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * Campaign 4: slow server. A request that hangs past the node's "Timeout" option fails with a
 * timeout message naming the item, and is retried like any other transient fault.
 */
import type { INodeParameters } from 'n8n-workflow';

import { HyperIdUserData } from '../../nodes/HyperIdUserData/HyperIdUserData.node';
import { Campaign, DEMO, newEmulator, report, targetOf, userDataRequests } from './helpers';
import type { Emulator } from './helpers';

const TIMEOUT_MS = 300;
const HANG_MS = 1200;
const SET_PATH = '/user-data/by-email/set';

let emulator: Emulator;
let campaign: Campaign;

beforeAll(async () => {
	emulator = await newEmulator();
	campaign = new Campaign('slow server', emulator);
});
afterAll(async () => {
	await emulator?.close();
});

const figures = { operations: 0, faultsInjected: 0, retries: 0, failuresReported: 0, valuesVerifiedInStore: 0, lost: 0, duplicated: 0 };

function setParams(key: string, options: INodeParameters): INodeParameters {
	return { resource: 'userDataByEmail', operation: 'set', key, value: `value of ${key}`, options };
}

test('the Timeout option has a sane default', () => {
	const options = new HyperIdUserData().description.properties.find((property) => property.name === 'options');
	const timeout = (options?.options as Array<{ name: string; default: unknown }>).find((option) => option.name === 'timeout');
	expect(typeof timeout?.default).toBe('number');
	expect(timeout!.default as number).toBeGreaterThanOrEqual(5_000);
	expect(timeout!.default as number).toBeLessThanOrEqual(120_000);
});

test('one hang (delay rule, times 1): the request times out and the retry succeeds', async () => {
	const credentials = campaign.credential();
	emulator.setFaults([{ path: SET_PATH, delayMs: HANG_MS, times: 1 }]);
	emulator.clearStats();
	const started = Date.now();
	const result = await campaign.run('c4 hang once', credentials, setParams('c4-once', { timeout: TIMEOUT_MS, retryDelay: 2 }));
	const elapsed = Date.now() - started;
	const stats = emulator.stats();
	expect(result.error).toBeUndefined();
	expect(result.json).toEqual([{ key: 'c4-once', success: true, result: 0 }]);
	expect(stats.requestsByPath[SET_PATH]).toBe(2); // the hung one, then the retry
	expect(stats.faultsApplied).toBe(1);
	expect(elapsed).toBeLessThan(HANG_MS + 2_000);
	expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS - 10); // it did wait for the timeout
	expect(targetOf(emulator.store(), 'email')['c4-once']?.value_data).toBe('value of c4-once');
	figures.operations += 1;
	figures.faultsInjected += 1;
	figures.retries += userDataRequests(stats) - 1;
	figures.valuesVerifiedInStore += 1;
});

test('always slow, retries 0: each item fails with a timeout message naming it', async () => {
	const credentials = campaign.credential();
	emulator.setFaults([{ path: SET_PATH, delayMs: HANG_MS, times: -1 }]);
	emulator.clearStats();
	const items = [{ key: 'c4-slow-0' }, { key: 'c4-slow-1' }, { key: 'c4-slow-2' }];
	const result = await campaign.run(
		'c4 always slow',
		credentials,
		{ ...setParams('={{ $json.key }}', { timeout: TIMEOUT_MS, retries: 0, retryDelay: 2 }), value: 'v' },
		items,
		true,
	);
	emulator.clearFaults();
	const stats = emulator.stats();
	expect(result.error).toBeUndefined();
	expect(result.json).toHaveLength(3);
	result.outputs![0].forEach((entry, index) => {
		expect(entry.pairedItem).toEqual({ item: index });
		const message = String(entry.json.error);
		expect(message).toMatch(new RegExp(`did not answer within ${TIMEOUT_MS} ms`));
		expect(message).toMatch(new RegExp(`item ${index}\\b`));
		expect(String(entry.json.description)).toMatch(/Timeout|Retries/);
		expect(entry.json.code).toBeDefined();
	});
	// One attempt per item (retries 0). On a loaded machine an attempt can time out before the
	// emulator has read it, so the emulator may see fewer; never more.
	expect(stats.requestsByPath[SET_PATH]).toBeGreaterThanOrEqual(1);
	expect(stats.requestsByPath[SET_PATH]).toBeLessThanOrEqual(3);
	figures.operations += 3;
	figures.faultsInjected += stats.faultsApplied;
	figures.failuresReported += result.json.length;

	// Without continueOnFail the run stops on the first timeout, with the item in the error.
	emulator.setFaults([{ path: SET_PATH, delayMs: HANG_MS, times: -1 }]);
	emulator.clearStats();
	const stopped = await campaign.run('c4 always slow, stop', credentials, setParams('c4-slow-stop', { timeout: TIMEOUT_MS, retries: 0 }));
	emulator.clearFaults();
	expect(stopped.error?.message).toMatch(new RegExp(`did not answer within ${TIMEOUT_MS} ms.*\\(item 0\\)`));
	expect((stopped.error?.context as { itemIndex?: number }).itemIndex).toBe(0);
	figures.operations += 1;
	figures.faultsInjected += emulator.stats().faultsApplied;
	figures.failuresReported += 1;
});

test('always slow with default retries: the item is tried 1 + 3 times, then reported', async () => {
	const credentials = campaign.credential();
	emulator.setFaults([{ path: SET_PATH, delayMs: HANG_MS, times: -1 }]);
	emulator.clearStats();
	const result = await campaign.run('c4 slow retried', credentials, setParams('c4-slow-retried', { timeout: TIMEOUT_MS, retryDelay: 2 }));
	emulator.clearFaults();
	const stats = emulator.stats();
	expect(result.error?.message).toMatch(new RegExp(`did not answer within ${TIMEOUT_MS} ms.*\\(item 0\\)`));
	expect(String(result.error?.description)).toMatch(/4 attempt\(s\)/);
	// The node's own count is in the description; the emulator may miss an attempt that timed out
	// before it was read on a loaded machine, never see more.
	expect(stats.requestsByPath[SET_PATH]).toBeGreaterThanOrEqual(1);
	expect(stats.requestsByPath[SET_PATH]).toBeLessThanOrEqual(4);
	figures.operations += 1;
	figures.faultsInjected += stats.faultsApplied;
	figures.retries += 3;
	figures.failuresReported += 1;
});

test('figures and secrets', async () => {
	// The hung requests of the failed items are still answered by the emulator after the client gave
	// up: a timeout is an unknown outcome, not a proof that nothing was written (HyperID sets are
	// idempotent, so a retry is safe).
	await new Promise((resolve) => setTimeout(resolve, HANG_MS + 100));
	const email = targetOf(emulator.store(), 'email');
	figures.duplicated = 0;
	figures.lost = ['c4-once'].filter((key) => !email[key]).length;
	expect(email['c4-once']).toEqual({ value_data: 'value of c4-once', access_scope: 1, client_id: DEMO.clientId });
	report(`4 slow server (timeout ${TIMEOUT_MS} ms, server hangs ${HANG_MS} ms)`, { ...figures, lateWritesAfterTimeout: ['c4-slow-0', 'c4-slow-1', 'c4-slow-2', 'c4-slow-stop', 'c4-slow-retried'].filter((key) => email[key]).length });
	console.log(`[reliability] 4 slow server: secrets: ${campaign.secretsLine()}`);
	expect(campaign.leaks).toEqual([]);
});
