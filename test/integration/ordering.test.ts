/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * Items that change the same stored value keep their input order under concurrency and retries;
 * batched reads give every item its own error (index, wallet / provider named) and isolate an
 * "invalid parameters" answer; number and access-scope options are checked before sending.
 */
import type { IDataObject, INodeParameters } from 'n8n-workflow';

import { apiRequests, credentialFor, errorOf, N8N_GENERIC_MESSAGES, otherClient, callApi, run, stored, textOf, useEmulator, wallet } from './setup';
import type { Emulator } from './setup';

let emulator: Emulator;
useEmulator((started) => (emulator = started));

const SET_PATH = '/user-data/by-user-id/set';
const setParams = (options: IDataObject = {}) => ({
	resource: 'userDataByUserId',
	operation: 'set',
	key: '={{ $json.key }}',
	value: '={{ $json.value }}',
	options: { retryDelay: 1, ...options },
});

describe('writes to the same key keep input order', () => {
	test('a slow first write is not overtaken by a later item for the same key; other keys go ahead', async () => {
		emulator.setFaults([{ path: SET_PATH, delayMs: 150, times: 1 }]);
		const r = await run(emulator, credentialFor(emulator), setParams({ concurrency: 8 }), [
			{ key: 'plan', value: 'first' },
			{ key: 'other', value: 'x' },
			{ key: 'plan', value: 'second' },
			{ key: 'PLAN', value: 'third, other case' },
		]);
		expect(r.error).toBeUndefined();
		expect(stored(emulator, 'user-id').plan.value_data).toBe('second');
		const order = apiRequests(r, SET_PATH).map((entry) => (entry.body as IDataObject).value_data);
		// "other" did not wait for the slow write; the second "plan" did
		expect(order.indexOf('x')).toBeLessThan(order.indexOf('first'));
		expect(order.indexOf('first')).toBeLessThan(order.indexOf('second'));
		expect(order.indexOf('second')).toBeLessThan(order.indexOf('third, other case'));
		expect(emulator.stats().maxInFlight).toBeGreaterThanOrEqual(2);
	});

	test('a retried write is not overtaken: the last item wins even when the first needed a retry', async () => {
		emulator.setFaults([{ path: SET_PATH, result: -4, times: 1 }]);
		const r = await run(emulator, credentialFor(emulator), setParams({ concurrency: 8 }), [
			{ key: 'plan', value: 'first' },
			{ key: 'plan', value: 'second' },
		]);
		expect(r.error).toBeUndefined();
		expect(apiRequests(r, SET_PATH)).toHaveLength(3);
		expect(stored(emulator, 'user-id').plan.value_data).toBe('second');
	});

	test('deletes of a key wait for an earlier delete of the same key', async () => {
		await callApi(emulator, credentialFor(emulator), SET_PATH, { value_key: 'gone', value_data: 'v', access_scope: 1 });
		emulator.setFaults([{ path: '/user-data/by-user-id/delete', delayMs: 150, times: 1 }]);
		const r = await run(emulator, credentialFor(emulator), { resource: 'userDataByUserId', operation: 'delete', keys: '={{ $json.keys }}', options: { concurrency: 8 } }, [
			{ keys: 'gone' },
			{ keys: 'gone,never-there' },
		]);
		expect(r.error).toBeUndefined();
		// the first item deleted it; the second, sent after, found nothing
		expect(r.json.map((item) => item.deleted)).toEqual([true, false]);
	});
});

describe('batched reads: errors per item', () => {
	const getParams = (resource: string, extra: IDataObject, options: IDataObject = {}) => ({
		resource,
		operation: 'get',
		keys: '={{ $json.key }}',
		...extra,
		options: { batchReads: true, retries: 0, ...options },
	});

	test('a wallet that is not the user\'s is named in every item\'s error, each with its own index', async () => {
		const foreign = '0x00000000000000000000000000000000000000ff';
		const r = await run(emulator, credentialFor(emulator), getParams('userDataByWallet', { walletAddress: wallet(foreign) }), [{ key: 'a' }, { key: 'b' }], true);
		expect(apiRequests(r)).toHaveLength(1);
		expect(r.json).toHaveLength(2);
		for (const item of r.json) {
			expect(item.error).toContain(foreign);
			expect(item.code).toBe(-6);
		}
		expect(r.outputs?.[0].map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
	});

	test('an identity provider the user has not linked is named, not left empty', async () => {
		const r = await run(emulator, credentialFor(emulator), getParams('userDataByIdp', { identityProvider: 'discord' }), [{ key: 'a' }, { key: 'b' }], true);
		expect(r.json.map((item) => item.error)).toEqual([expect.stringContaining('"discord"'), expect.stringContaining('"discord"')]);
	});

	test('a transient failure of the shared request names each item\'s own index, in n8n\'s own words never', async () => {
		emulator.setFaults([{ path: '/user-data/by-email/get', reset: true, times: -1 }]);
		const r = await run(emulator, credentialFor(emulator), getParams('userDataByEmail', {}), [{ key: 'a' }, { key: 'b' }, { key: 'c' }], true);
		expect(apiRequests(r)).toHaveLength(1);
		r.json.forEach((item, index) => {
			expect(item.error).toContain(`(item ${index})`);
			expect(item.code).toBe('ECONNRESET');
			for (const generic of N8N_GENERIC_MESSAGES) expect(item.error).not.toBe(generic);
		});
	});

	test('without Continue on Fail the error is the first item\'s, with its index', async () => {
		emulator.setFaults([{ path: '/user-data/by-email/get', status: 503, times: -1 }]);
		const r = await run(emulator, credentialFor(emulator), getParams('userDataByEmail', {}), [{ key: 'a' }, { key: 'b' }]);
		const error = errorOf(r);
		expect(textOf(error)).toContain('503');
		expect(error.context.itemIndex).toBe(0);
	});

	test('"invalid parameters" on a batch: read item by item, so only an item at fault could fail', async () => {
		const writer = credentialFor(emulator);
		for (const key of ['a', 'b', 'c']) await callApi(emulator, writer, '/user-data/by-email/set', { value_key: key, value_data: `v-${key}`, access_scope: 1 });
		emulator.setFaults([{ path: '/user-data/by-email/get', result: -5, times: 1 }]);
		const r = await run(emulator, credentialFor(emulator), getParams('userDataByEmail', {}), [{ key: 'a' }, { key: 'b' }, { key: 'c' }], true);
		expect(r.json).toEqual([
			{ key: 'a', value: 'v-a' },
			{ key: 'b', value: 'v-b' },
			{ key: 'c', value: 'v-c' },
		]);
		const sent = apiRequests(r, '/user-data/by-email/get').map((entry) => (entry.body as IDataObject).value_keys);
		expect(sent).toEqual([['a', 'b', 'c'], ['a'], ['b'], ['c']]);
	});
});

describe('options checked before sending', () => {
	const listParams = (options: IDataObject) => ({ resource: 'userDataByUserId', operation: 'listSharedKeys', returnAll: true, options });
	test.each([
		['concurrency', 'Concurrency', setParams],
		['pageSize', 'Page Size', listParams],
		['retries', 'Retries', setParams],
		['timeout', 'Timeout (Ms)', setParams],
	])('%s given as text that is not a number fails the run, nothing sent', async (option, label, params) => {
		const r = await run(emulator, credentialFor(emulator), params({ [option]: 'lots' }) as INodeParameters, [{ key: 'k', value: 'v' }]);
		expect(textOf(errorOf(r))).toContain(`"${label}" must be a number`);
		expect(apiRequests(r)).toHaveLength(0);
	});

	test('a number given as text is accepted', async () => {
		const r = await run(emulator, credentialFor(emulator), setParams({ concurrency: ' 4 ' }), [{ key: 'k', value: 'v' }]);
		expect(r.error).toBeUndefined();
		expect(stored(emulator, 'user-id').k.value_data).toBe('v');
	});

	test('Access Scope from an expression: "Private" in any case is private; anything else is refused before sending', async () => {
		const params = { ...setParams(), accessScope: '={{ $json.scope }}' };
		const ok = await run(emulator, credentialFor(emulator), params, [
			{ key: 'p', value: 'v', scope: ' Private' },
			{ key: 'q', value: 'v', scope: 'PUBLIC' },
		]);
		expect(ok.error).toBeUndefined();
		const list = await callApi(emulator, credentialFor(emulator), '/user-data/by-user-id/list-get', {});
		expect(list.keys_private).toEqual(['p']);
		expect(list.keys_public).toEqual(['q']);
		const other = await callApi(emulator, otherClient(emulator), '/user-data/by-user-id/get', { value_keys: ['p', 'q'] });
		expect(other.values).toEqual([{ value_key: 'q', value_data: 'v' }]);

		const bad = await run(emulator, credentialFor(emulator), params, [
			{ key: 'r', value: 'v', scope: 'public' },
			{ key: 's', value: 'v', scope: 'secret' },
		]);
		const error = errorOf(bad);
		expect(textOf(error)).toContain('Access Scope must be "private" or "public", not "secret"');
		expect(apiRequests(bad)).toHaveLength(0);
	});
});

describe('answers with a result code on any HTTP status; Retry-After; token endpoint down', () => {
	const params = (options: IDataObject = {}) => setParams({ concurrency: 1, ...options });

	test('HTTP 429 with result -4 and Retry-After: retried no sooner than asked, then written', async () => {
		emulator.setFaults([{ path: SET_PATH, status: 429, result: -4, retryAfter: '1' }]);
		const started = Date.now();
		const r = await run(emulator, credentialFor(emulator), params({ retries: 2 }), [{ key: 'k', value: 'v' }]);
		expect(r.error).toBeUndefined();
		expect(Date.now() - started).toBeGreaterThanOrEqual(950);
		expect(apiRequests(r, SET_PATH)).toHaveLength(2);
		expect(stored(emulator, 'user-id').k.value_data).toBe('v');
	});

	test('a Retry-After longer than the node waits: no early retry, the error says how long HyperID asked for', async () => {
		emulator.setFaults([{ path: SET_PATH, status: 429, result: -4, retryAfter: '120', times: -1 }]);
		const r = await run(emulator, credentialFor(emulator), params({ retries: 3 }), [{ key: 'k', value: 'v' }]);
		expect(apiRequests(r, SET_PATH)).toHaveLength(1);
		expect(textOf(errorOf(r))).toContain('asked to wait 120 s');
	});

	test('HTTP 500 whose body says -5: the code decides (not retried, reported as invalid parameters)', async () => {
		emulator.setFaults([{ path: SET_PATH, status: 500, result: -5, times: -1 }]);
		const r = await run(emulator, credentialFor(emulator), params({ retries: 3 }), [{ key: 'k', value: 'v' }]);
		expect(apiRequests(r, SET_PATH)).toHaveLength(1);
		const error = errorOf(r);
		expect(error.context.resultCode).toBe(-5);
		expect(textOf(error)).toMatch(/parameters/i);
	});

	test('token endpoint down: retried a bounded number of times for the whole run, then every item fails with its own index', async () => {
		const TOKEN = '/auth/realms/HyperID/protocol/openid-connect/token';
		emulator.setFaults([{ path: TOKEN, status: 503, times: -1 }]);
		const items = Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: 'v' }));
		const r = await run(emulator, credentialFor(emulator, { expiresIn: 0 }), params({ concurrency: 1, retries: 2 }), items, true);
		const tokenCalls = r.requests.filter((entry) => entry.path === TOKEN);
		// one refresh, retried twice, for all 20 items (before: a new refresh for every item that came after)
		expect(tokenCalls.length).toBe(3);
		expect(r.json).toHaveLength(20);
		r.json.forEach((item, index) => {
			expect(item.error).toBe(`Could not reach HyperID to renew the sign-in (item ${index})`);
			expect(item.code).toBe('503');
		});
		expect(r.outputs?.[0].map((item) => (item.pairedItem as { item: number }).item)).toEqual(items.map((_, i) => i));
		// items that never got an answer were not sent again and again
		expect(apiRequests(r, SET_PATH).length).toBeLessThanOrEqual(20);
	});
});
