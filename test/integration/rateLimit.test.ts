/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * HyperID's rate limit (HTTP 429 with Retry-After, the emulator's `rateLimitPerSecond`): a request
 * waiting to be resent gives its place among the requests in flight back and takes one again
 * before it is resent, ahead of new items; while one HyperID asked to slow down waits, nothing else
 * is sent. So resends follow the lowered limit and the wait for a place uses up no retry
 * (transport/inFlight.ts).
 */
import type { INodeParameters } from 'n8n-workflow';

import { apiRequests, credentialFor, run, sleep, stored, useEmulator } from './setup';
import type { Emulator } from './setup';

let emulator: Emulator;
useEmulator((started) => (emulator = started));

const PATH = '/user-data/by-user-id/set';
const setByUserId = (options: INodeParameters = {}): INodeParameters => ({
	resource: 'userDataByUserId',
	operation: 'set',
	key: '={{ $json.key }}',
	value: '={{ $json.value }}',
	options,
});

afterEach(async () => {
	// requests aborted on the node's side are still answered: let them land before the next test
	for (let i = 0; i < 200 && emulator.stats().inFlight > 0; i++) await sleep(10);
});

test('40 items at Concurrency 64 against 6 requests/s: every item stored with the default Retries, fewer 429s', async () => {
	// each test its own rate: the emulator keeps one bucket per rate
	emulator.setOptions({ rateLimitPerSecond: 6 });
	const items = Array.from({ length: 40 }, (_, i) => ({ key: `k${i}`, value: `v${i}` }));
	const r = await run(emulator, credentialFor(emulator), setByUserId({ concurrency: 64 }), items);
	// before: the requests already started retried in bursts every Retry-After, ran out of retries (29 of 40 stored, 87 429s)
	expect(r.error).toBeUndefined();
	expect(r.json.map((json) => json.key)).toEqual(items.map((item) => item.key));
	for (const item of items) expect(stored(emulator, 'user-id')[item.key].value_data).toBe(item.value);
	expect(apiRequests(r, PATH).filter((entry) => entry.result === 0)).toHaveLength(items.length);
	const refused = apiRequests(r, PATH).filter((entry) => entry.status === 429);
	// the first requests in flight meet a bucket of 6 (up to 32 refused); after that, at most the lowered limit per Retry-After
	expect(refused.length).toBeGreaterThan(0);
	expect(refused.length).toBeLessThan(items.length * 1.5);
});

test('writes to one key wait for each other without holding a place: a refused one gets its place back (no deadlock), order kept', async () => {
	emulator.setOptions({ rateLimitPerSecond: 4 });
	// 10 writes of one key, one after the other: the 5th meets an empty bucket while the 5 after it
	// wait for it, more than the limit it lowers (to the 4 accepted); waiting with their places, they would keep it out
	const items = Array.from({ length: 10 }, (_, i) => ({ key: 'same', value: `v${i}` }));
	const r = await run(emulator, credentialFor(emulator), setByUserId({ concurrency: 64 }), items);
	expect(r.error).toBeUndefined();
	expect(apiRequests(r, PATH).some((entry) => entry.status === 429)).toBe(true);
	expect(apiRequests(r, PATH).filter((entry) => entry.result === 0).map((entry) => (entry.body as { value_data: string }).value_data)).toEqual(
		items.map((item) => item.value),
	);
	expect(stored(emulator, 'user-id').same.value_data).toBe('v9');
});

test('cancelled while items wait out a Retry-After: the run ends at once, nothing is sent after the cancel', async () => {
	// every set answered 429 with a Retry-After the node honours (under its 30 s cap): without the
	// cancel ending the waits, the run would take 25 s per retry
	emulator.setFaults([{ path: PATH, status: 429, retryAfter: '25', times: -1 }]);
	let sentAtCancel = -1;
	const items = Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: `v${i}` }));
	const r = await run(emulator, credentialFor(emulator), setByUserId({ concurrency: 64 }), items, true, {
		onStarted: (cancel: () => void) => {
			const check = setInterval(() => {
				// once 20 refusals are answered, every item is in its wait, or queued behind them
				if (emulator.requests().filter((entry) => entry.path === PATH).length < items.length) return;
				clearInterval(check);
				sentAtCancel = emulator.requests().length;
				cancel();
			}, 2);
		},
	});
	expect(r.status).toBe('canceled');
	expect(sentAtCancel).toBeGreaterThan(0);
	expect(emulator.requests()).toHaveLength(sentAtCancel);
}, 20_000);

test('Get Many, two requests per item: an item refused between its requests waits its turn and completes (no deadlock)', async () => {
	emulator.setOptions({ rateLimitPerSecond: 3 });
	const getMany: INodeParameters = { resource: 'userDataByUserId', operation: 'getAll', returnAll: true, options: { concurrency: 64, getOutput: 'allValues' } };
	const alone = await run(emulator, credentialFor(emulator), getMany, [{}]);
	expect(alone.error).toBeUndefined();
	const r = await run(emulator, credentialFor(emulator), getMany, Array.from({ length: 6 }, () => ({})));
	expect(r.error).toBeUndefined();
	expect(apiRequests(r).some((entry) => entry.status === 429)).toBe(true);
	expect(r.json).toEqual(Array.from({ length: 6 }, () => alone.json[0]));
});
