/**
 * Issue 13, records in and out: Set with several values per item (Define Below, Auto-Map Input
 * Fields), Get Many, Delete All, Values Output "Merge Into Input Item", and Batch Reads on by
 * default from node version 1.1. Against the emulator over HTTP: bodies on the wire, outputs,
 * pairedItem, errors per key and per item, Continue on Fail.
 */
import type { IDataObject, INodeParameters } from 'n8n-workflow';

import { apiRequests, bodies, callApi, credentialFor, DEMO, errorOf, newEmulator, otherClient, pairedItems, run, stored, textOf, useEmulator, wallet } from './setup';
import type { Emulator } from './setup';
import { runNode } from '../harness/harness';
import { HyperIdUserData } from '../../nodes/HyperIdUserData/HyperIdUserData.node';

let emulator: Emulator;
useEmulator((started) => (emulator = started));

/** The four families with list-get and delete, from API.md's table (not from the node). */
const FULL = [
	{ resource: 'userDataByEmail', prefix: '/user-data/by-email/', params: {}, wire: {}, store: 'email' },
	{ resource: 'userDataByUserId', prefix: '/user-data/by-user-id/', params: {}, wire: {}, store: 'user-id' },
	{ resource: 'userDataByIdp', prefix: '/user-data/by-idp/', params: { identityProvider: 'telegram' }, wire: { identity_provider: 'telegram' }, store: 'idp:telegram' },
	{
		resource: 'userDataByWallet',
		prefix: '/user-data/by-wallet/',
		params: { walletAddress: wallet(DEMO.publicWallet) },
		wire: { wallet_address: DEMO.publicWallet },
		store: `wallet:${DEMO.publicWallet.toLowerCase()}`,
	},
];
type Family = (typeof FULL)[number];
const BY_USER_ID = FULL[1];

async function seed(family: Family, values: Record<string, string>, scope: 0 | 1 = 1, credentials = credentialFor(emulator)) {
	for (const [key, value] of Object.entries(values)) {
		expect(await callApi(emulator, credentials, `${family.prefix}set`, { ...family.wire, value_key: key, value_data: value, access_scope: scope })).toMatchObject({ result: 0 });
	}
}

const params = (family: Family, operation: string, extra: INodeParameters = {}): INodeParameters => ({
	resource: family.resource,
	operation,
	...family.params,
	...extra,
});

describe('Set, several values per item', () => {
	test.each(FULL)('$resource: Define Below sends one request per key, one output item per input item', async (family) => {
		const r = await run(
			emulator,
			credentialFor(emulator),
			params(family, 'set', {
				dataMode: 'defineBelow',
				fields: { values: [{ key: 'plan', value: '={{ $json.plan }}' }, { key: 'color', value: 'blue' }] },
				accessScope: 'private',
				options: {},
			}),
			[{ plan: 'pro' }, { plan: 'free' }],
		);
		expect(r.error).toBeUndefined();
		expect(bodies(r)).toEqual(
			expect.arrayContaining([
				{ ...family.wire, value_key: 'plan', value_data: 'pro', access_scope: 0 },
				{ ...family.wire, value_key: 'color', value_data: 'blue', access_scope: 0 },
				{ ...family.wire, value_key: 'plan', value_data: 'free', access_scope: 0 },
			]),
		);
		expect(bodies(r)).toHaveLength(4);
		expect(r.json).toEqual([
			{ keys: ['plan', 'color'], success: true, results: [{ key: 'plan', result: 0 }, { key: 'color', result: 0 }] },
			{ keys: ['plan', 'color'], success: true, results: [{ key: 'plan', result: 0 }, { key: 'color', result: 0 }] },
		]);
		expect(pairedItems(r)).toEqual([{ item: 0 }, { item: 1 }]);
		// the later item's write of the same key stays
		expect(stored(emulator, family.store).plan).toMatchObject({ value_data: 'free', access_scope: 0 });
	});

	test('plain family: Define Below never sends access_scope', async () => {
		const r = await run(emulator, credentialFor(emulator), {
			resource: 'userData',
			operation: 'set',
			dataMode: 'defineBelow',
			fields: { values: [{ key: 'a', value: '1' }, { key: 'b', value: '2' }] },
			options: {},
		});
		expect(r.error).toBeUndefined();
		expect(bodies(r)).toEqual(expect.arrayContaining([{ value_key: 'a', value_data: '1' }, { value_key: 'b', value_data: '2' }]));
		expect(r.json).toEqual([{ keys: ['a', 'b'], success: true, results: [{ key: 'a', result: 0 }, { key: 'b', result: 0 }] }]);
	});

	test('Auto-Map Input Fields, JSON format: every top-level field but the skipped ones, stored as JSON', async () => {
		const r = await run(
			emulator,
			credentialFor(emulator),
			params(BY_USER_ID, 'set', { dataMode: 'autoMapInputData', options: { valueFormat: 'json', fieldsToSkip: 'internal, id' } }),
			[{ id: 7, name: 'Ada', age: 36, tags: ['a', 'b'], address: { city: 'Paris' }, vip: true, internal: 'x' }],
		);
		expect(r.error).toBeUndefined();
		const sent = Object.fromEntries(bodies(r).map((body) => [(body as IDataObject).value_key, (body as IDataObject).value_data]));
		expect(sent).toEqual({ name: '"Ada"', age: '36', tags: '["a","b"]', address: '{"city":"Paris"}', vip: 'true' });
		expect(r.json).toEqual([
			{
				keys: ['name', 'age', 'tags', 'address', 'vip'],
				success: true,
				results: ['name', 'age', 'tags', 'address', 'vip'].map((key) => ({ key, result: 0 })),
			},
		]);
		// read back in JSON format: the same types
		const back = await run(emulator, credentialFor(emulator), params(BY_USER_ID, 'getAll', { returnAll: true, options: { valueFormat: 'json', getOutput: 'allValues' } }));
		expect(back.json).toEqual([{ values: { name: 'Ada', age: 36, tags: ['a', 'b'], address: { city: 'Paris' }, vip: true }, result: 0 }]);
	});

	test('Auto-Map Input Fields, String format: numbers and booleans as text; an object is refused, naming the field and JSON, nothing sent', async () => {
		const ok = await run(emulator, credentialFor(emulator), params(BY_USER_ID, 'set', { dataMode: 'autoMapInputData', options: {} }), [{ name: 'Ada', age: 36, vip: false }]);
		expect(ok.error).toBeUndefined();
		expect(bodies(ok).map((body) => (body as IDataObject).value_data)).toEqual(expect.arrayContaining(['Ada', '36', 'false']));

		const bad = await run(emulator, credentialFor(emulator), params(BY_USER_ID, 'set', { dataMode: 'autoMapInputData', options: {} }), [
			{ name: 'Ada' },
			{ name: 'Bob', address: { city: 'Rome' } },
		]);
		const error = errorOf(bad);
		expect(error.message).toContain('"address"');
		expect(error.message).toContain('(item 1)');
		expect(textOf(error)).toMatch(/Value Format to JSON/);
		expect(apiRequests(bad)).toHaveLength(0);
	});

	test('Auto-Map Input Fields: an item with nothing left to store fails before sending', async () => {
		const r = await run(emulator, credentialFor(emulator), params(BY_USER_ID, 'set', { dataMode: 'autoMapInputData', options: { fieldsToSkip: 'a' } }), [{ a: 'x' }]);
		expect(errorOf(r).message).toBe('The input item has no fields to store (item 0)');
		expect(apiRequests(r)).toHaveLength(0);
	});

	test('Define Below: an empty key is refused before sending, naming the field and the item', async () => {
		const r = await run(
			emulator,
			credentialFor(emulator),
			params(BY_USER_ID, 'set', { dataMode: 'defineBelow', fields: { values: [{ key: 'a', value: 'x' }, { key: '={{ $json.k }}', value: 'y' }] }, options: {} }),
			[{ k: 'fine' }, { k: '' }],
		);
		expect(errorOf(r).message).toBe('The key at index 1 of Fields to Set is empty (item 1)');
		expect(apiRequests(r)).toHaveLength(0);
	});

	test('Define Below, String format: numbers and booleans mapped from the item are stored as text, as Auto-Map stores them', async () => {
		const r = await run(
			emulator,
			credentialFor(emulator),
			params(BY_USER_ID, 'set', { dataMode: 'defineBelow', fields: { values: [{ key: 'age', value: '={{ $json.age }}' }, { key: 'vip', value: '={{ $json.vip }}' }, { key: 'next', value: '={{ $json.age + 1 }}' }] }, options: {} }),
			[{ age: 36, vip: false }],
		);
		expect(r.error).toBeUndefined();
		expect(bodies(r)).toEqual(
			expect.arrayContaining([
				{ value_key: 'age', value_data: '36', access_scope: 1 },
				{ value_key: 'vip', value_data: 'false', access_scope: 1 },
				{ value_key: 'next', value_data: '37', access_scope: 1 },
			]),
		);
	});

	test('Define Below: a value mapped from a missing or null field is refused before anything is sent (String format), not stored as ""', async () => {
		await seed(BY_USER_ID, { email: 'ada@example.com' });
		const fields = { values: [{ key: 'name', value: '={{ $json.name }}' }, { key: 'email', value: '={{ $json.email }}' }] };
		for (const [index, item] of [[1, { name: 'Bob' }], [1, { name: 'Bob', email: null }]] as const) {
			const r = await run(emulator, credentialFor(emulator), params(BY_USER_ID, 'set', { dataMode: 'defineBelow', fields, options: {} }), [{ name: 'Ada', email: 'a@x' }, item]);
			expect(errorOf(r).message).toMatch(new RegExp(`^The value of key "email" must be text in String format, but it is (missing|null) \\(item ${index}\\)$`));
			expect(apiRequests(r)).toHaveLength(0);
		}
		expect(stored(emulator, 'user-id').email.value_data).toBe('ada@example.com');
		// JSON format stores null as JSON
		const json = await run(emulator, credentialFor(emulator), params(BY_USER_ID, 'set', { dataMode: 'defineBelow', fields: { values: [fields.values[1]] }, options: { valueFormat: 'json' } }), [{ email: null }]);
		expect(json.error).toBeUndefined();
		expect(bodies(json)).toEqual([{ value_key: 'email', value_data: 'null', access_scope: 1 }]);
	});

	test('Define Below: a key given twice is stored once, with its last value', async () => {
		const r = await run(
			emulator,
			credentialFor(emulator),
			params(BY_USER_ID, 'set', { dataMode: 'defineBelow', fields: { values: [{ key: 'plan', value: 'free' }, { key: 'color', value: 'blue' }, { key: 'plan', value: 'pro' }] }, options: {} }),
		);
		expect(r.error).toBeUndefined();
		expect(bodies(r)).toEqual([
			{ value_key: 'plan', value_data: 'pro', access_scope: 1 },
			{ value_key: 'color', value_data: 'blue', access_scope: 1 },
		]);
		expect(r.json).toEqual([{ keys: ['plan', 'color'], success: true, results: [{ key: 'plan', result: 0 }, { key: 'color', result: 0 }] }]);
	});

	test('a failing key fails its item, naming the key; Stop on Fail', async () => {
		await seed(BY_USER_ID, { owned: 'theirs' }, 1, otherClient(emulator));
		const r = await run(
			emulator,
			credentialFor(emulator),
			params(BY_USER_ID, 'set', { dataMode: 'defineBelow', fields: { values: [{ key: 'a', value: '1' }, { key: 'owned', value: '2' }] }, options: { concurrency: 1 } }),
		);
		const error = errorOf(r);
		expect(error.message).toMatch(/^Key "owned" was not stored \(item 0\): The key "owned" belongs to another application\. Stored: "a"; not stored: "owned"$/);
		expect(error.context.resultCode).toBe(-6);
		expect(error.description).toMatch(/Use another key name/);
	});

	test('Stop on Fail: after a failing key nothing more is sent; the error counts the keys not sent as not stored', async () => {
		await seed(BY_USER_ID, { owned: 'theirs' }, 1, otherClient(emulator));
		const r = await run(
			emulator,
			credentialFor(emulator),
			params(BY_USER_ID, 'set', { dataMode: 'defineBelow', fields: { values: [{ key: 'owned', value: '1' }, { key: 'b', value: '2' }, { key: 'c', value: '3' }] }, options: { concurrency: 1 } }),
			[{}, {}],
		);
		expect(errorOf(r).message).toMatch(/Stored: none; not stored: "owned", "b", "c"$/);
		expect(errorOf(r).context.itemIndex).toBe(0);
		expect(apiRequests(r)).toHaveLength(1);
		expect(stored(emulator, 'user-id').b).toBeUndefined();
	});

	test('Stop on Fail: a write held back behind the same key of an earlier item is not sent once that one failed', async () => {
		await seed(BY_USER_ID, { owned: 'theirs' }, 1, otherClient(emulator));
		const many = await run(
			emulator,
			credentialFor(emulator),
			params(BY_USER_ID, 'set', { dataMode: 'defineBelow', fields: { values: [{ key: 'owned', value: '1' }, { key: 'b', value: '2' }] }, options: { concurrency: 4 } }),
			[{}, {}],
		);
		expect(errorOf(many).message).toMatch(/^Key "owned" was not stored \(item 0\)/);
		expect(apiRequests(many).filter((entry) => (entry.body as IDataObject).value_key === 'owned')).toHaveLength(1);
		// Single Key: the same rule
		const single = await run(emulator, credentialFor(emulator), params(BY_USER_ID, 'set', { key: 'owned', value: '={{ $json.v }}', options: { concurrency: 4 } }), [{ v: '1' }, { v: '2' }, { v: '3' }]);
		expect(errorOf(single).context.itemIndex).toBe(0);
		expect(apiRequests(single)).toHaveLength(1);
	});

	test('Continue on Fail: the item\'s error says which keys were stored and which not; other items go on', async () => {
		await seed(BY_USER_ID, { owned: 'theirs' }, 1, otherClient(emulator));
		const r = await run(
			emulator,
			credentialFor(emulator),
			params(BY_USER_ID, 'set', { dataMode: 'defineBelow', fields: { values: [{ key: '={{ $json.k }}', value: '1' }, { key: 'b', value: '2' }, { key: 'c', value: '3' }] }, options: {} }),
			[{ k: 'a' }, { k: 'owned' }, { k: 'd' }],
			true,
		);
		expect(r.error).toBeUndefined();
		expect(r.json).toHaveLength(3);
		expect(r.json[0]).toMatchObject({ keys: ['a', 'b', 'c'], success: true });
		expect(r.json[1]).toMatchObject({
			error: 'Key "owned" was not stored (item 1): The key "owned" belongs to another application. Stored: "b", "c"; not stored: "owned"',
			code: -6,
			key: 'owned',
			storedKeys: ['b', 'c'],
			notStoredKeys: ['owned'],
		});
		expect(r.json[2]).toMatchObject({ keys: ['d', 'b', 'c'], success: true });
		expect(pairedItems(r)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		expect(stored(emulator, 'user-id').owned.value_data).toBe('theirs');
	});

	test('every key is its own request in the one pool: Concurrency bounds them; same key keeps input order', async () => {
		emulator.setFaults([{ path: '/user-data/by-user-id/set', delayMs: 60, times: -1 }]);
		const r = await run(
			emulator,
			credentialFor(emulator),
			params(BY_USER_ID, 'set', {
				dataMode: 'defineBelow',
				fields: { values: [{ key: 'shared', value: '={{ $json.v }}' }, { key: '={{ "own-" + $json.v }}', value: 'x' }] },
				options: { concurrency: 3 },
			}),
			[{ v: 'first' }, { v: 'second' }, { v: 'third' }],
		);
		expect(r.error).toBeUndefined();
		expect(emulator.stats().maxInFlight).toBeLessThanOrEqual(3);
		expect(emulator.stats().maxInFlight).toBeGreaterThanOrEqual(2);
		const shared = apiRequests(r).filter((entry) => (entry.body as IDataObject).value_key === 'shared').map((entry) => (entry.body as IDataObject).value_data);
		expect(shared).toEqual(['first', 'second', 'third']);
		expect(stored(emulator, 'user-id').shared.value_data).toBe('third');
	});

	test('many items of many fields: the pool stays within Concurrency; per key the last item wins; outputs in input order', async () => {
		emulator.setFaults([{ path: '/user-data/by-user-id/set', delayMs: 3, times: -1 }]);
		const items = Array.from({ length: 100 }, (_, n) => Object.fromEntries(Array.from({ length: 10 }, (_, f) => [`f${f}`, `v${n}`])));
		const r = await run(emulator, credentialFor(emulator), params(BY_USER_ID, 'set', { dataMode: 'autoMapInputData', options: { concurrency: 4 } }), items);
		expect(r.error).toBeUndefined();
		expect(apiRequests(r)).toHaveLength(1000);
		expect(emulator.stats().maxInFlight).toBeLessThanOrEqual(4);
		expect(r.json).toHaveLength(100);
		expect(pairedItems(r)).toEqual(items.map((_, item) => ({ item })));
		expect(Object.values(stored(emulator, 'user-id')).map((entry) => entry.value_data)).toEqual(Array(10).fill('v99'));
	});

	test('Single Key (the default) is unchanged: {key, success, result}', async () => {
		const r = await run(emulator, credentialFor(emulator), params(BY_USER_ID, 'set', { key: 'k', value: 'v', options: {} }));
		expect(r.json).toEqual([{ key: 'k', success: true, result: 0 }]);
	});
});

describe('Get Many', () => {
	test.each(FULL)('$resource: list-get, then one get of the listed keys; one item per key with its scope', async (family) => {
		await seed(family, { secret: 's' }, 0);
		await seed(family, { plan: 'pro', color: 'blue' }, 1);
		await seed(family, { foreign: 'f' }, 1, otherClient(emulator));
		const r = await run(emulator, credentialFor(emulator), params(family, 'getAll', { returnAll: true, options: {} }));
		expect(r.error).toBeUndefined();
		expect(apiRequests(r).map((entry) => entry.path)).toEqual([`${family.prefix}list-get`, `${family.prefix}get`]);
		expect(bodies(r)).toEqual([{ ...family.wire }, { ...family.wire, value_keys: ['secret', 'color', 'plan'] }]);
		expect(r.json).toEqual([
			{ key: 'secret', value: 's', scope: 'private' },
			{ key: 'color', value: 'blue', scope: 'public' },
			{ key: 'plan', value: 'pro', scope: 'public' },
		]);
		expect(pairedItems(r)).toEqual([{ item: 0 }, { item: 0 }, { item: 0 }]);
	});

	test('Limit reads only that many keys; One Item with All Values; empty target', async () => {
		await seed(BY_USER_ID, { a: '1', b: '2', c: '3' });
		const limited = await run(emulator, credentialFor(emulator), params(BY_USER_ID, 'getAll', { returnAll: false, limit: 2, options: { getOutput: 'allValues' } }));
		expect(bodies(limited)[1]).toEqual({ value_keys: ['a', 'b'] });
		expect(limited.json).toEqual([{ values: { a: '1', b: '2' }, result: 0 }]);

		const empty = await run(emulator, credentialFor(emulator), params(FULL[0], 'getAll', { returnAll: true, options: { getOutput: 'allValues' } }));
		expect(empty.json).toEqual([{ values: {}, result: 1 }]);
		expect(apiRequests(empty)).toHaveLength(1);
		const none = await run(emulator, credentialFor(emulator), params(FULL[0], 'getAll', { returnAll: true, options: {} }));
		expect(none.error).toBeUndefined();
		expect(none.json).toEqual([]);
	});

	test('many keys: gets of at most 100 keys, split again when HyperID answers "keys size limit reached"', async () => {
		const small = await newEmulator({ maxKeysPerGet: 40 });
		try {
			const credentials = credentialFor(small);
			const values: Record<string, string> = {};
			for (let n = 0; n < 130; n++) values[`k${String(n).padStart(3, '0')}`] = `v${n}`;
			for (const [key, value] of Object.entries(values)) {
				await callApi(small, credentials, '/user-data/by-user-id/set', { value_key: key, value_data: value, access_scope: 1 });
			}
			small.clearRequests();
			const r = await runNode({ nodeType: new HyperIdUserData(), parameters: params(BY_USER_ID, 'getAll', { returnAll: true, options: { getOutput: 'allValues' } }), inputItems: [{}], credentials });
			expect(r.error).toBeUndefined();
			const sizes = small
				.requests()
				.filter((entry) => entry.path === '/user-data/by-user-id/get')
				.map((entry) => ((entry.body as IDataObject).value_keys as string[]).length);
			// 100 (refused) -> 50 (refused) -> 25 + 25; then 30 (accepted)
			expect(sizes).toEqual([100, 50, 25, 25, 50, 25, 25, 30]);
			expect((r.outputs?.[0][0].json.values as IDataObject)).toEqual(values);
		} finally {
			await small.close();
		}
	});

	test('a Limit that is not a number is refused before sending', async () => {
		const r = await run(emulator, credentialFor(emulator), params(BY_USER_ID, 'getAll', { returnAll: false, limit: '={{ $json.n }}', options: {} }), [{ n: 'ten' }]);
		expect(errorOf(r).message).toBe('Limit must be a number of at least 1, not "ten" (item 0)');
		expect(apiRequests(r)).toHaveLength(0);
	});

	test('a stored value that is not JSON, in JSON format: the item fails naming the key', async () => {
		await seed(BY_USER_ID, { plain: 'not json' });
		const r = await run(emulator, credentialFor(emulator), params(BY_USER_ID, 'getAll', { returnAll: true, options: { valueFormat: 'json' } }), [{}], true);
		expect(r.json).toEqual([expect.objectContaining({ error: 'The stored value of key "plain" is not JSON (item 0)' })]);
	});

	test('Continue on Fail: a wallet that is not the user\'s fails its item only', async () => {
		const family = FULL[3];
		await seed(family, { a: '1' });
		const r = await run(
			emulator,
			credentialFor(emulator),
			{ resource: family.resource, operation: 'getAll', returnAll: true, walletAddress: '={{ $json.wallet }}', options: { retries: 0 } },
			[{ wallet: '0x00000000000000000000000000000000000000ff' }, { wallet: DEMO.publicWallet }],
			true,
		);
		expect(r.json[0]).toMatchObject({ error: 'Wallet 0x00000000000000000000000000000000000000ff does not belong to this user (item 0)', code: -6 });
		expect(r.json[1]).toEqual({ key: 'a', value: '1', scope: 'public' });
		expect(pairedItems(r)).toEqual([{ item: 0 }, { item: 1 }]);
	});
});

describe('Delete All', () => {
	test.each(FULL)('$resource: deletes every key of this application, not the other application\'s', async (family) => {
		await seed(family, { secret: 's' }, 0);
		await seed(family, { plan: 'pro' }, 1);
		await seed(family, { foreign: 'f' }, 1, otherClient(emulator));
		const r = await run(emulator, credentialFor(emulator), params(family, 'deleteAll', { options: {} }));
		expect(r.error).toBeUndefined();
		expect(apiRequests(r).map((entry) => entry.path)).toEqual([`${family.prefix}list-get`, `${family.prefix}delete`]);
		expect(bodies(r)).toEqual([{ ...family.wire }, { ...family.wire, value_keys: ['secret', 'plan'] }]);
		expect(r.json).toEqual([{ deleted: 2, keys: ['secret', 'plan'] }]);
		expect(pairedItems(r)).toEqual([{ item: 0 }]);
		expect(Object.keys(stored(emulator, family.store))).toEqual(['foreign']);
	});

	test('an empty target is a success with 0, and nothing is deleted', async () => {
		const r = await run(emulator, credentialFor(emulator), params(BY_USER_ID, 'deleteAll', { options: {} }));
		expect(r.error).toBeUndefined();
		expect(r.json).toEqual([{ deleted: 0, keys: [] }]);
		expect(apiRequests(r).map((entry) => entry.path)).toEqual(['/user-data/by-user-id/list-get']);
	});

	test('deletes in batches of 100 keys', async () => {
		const values: Record<string, string> = {};
		for (let n = 0; n < 150; n++) values[`k${String(n).padStart(3, '0')}`] = 'v';
		await seed(FULL[0], values);
		const r = await run(emulator, credentialFor(emulator), params(FULL[0], 'deleteAll', { options: {} }));
		expect(bodies(r, '/user-data/by-email/delete').map((body) => ((body as IDataObject).value_keys as string[]).length)).toEqual([100, 50]);
		expect(r.json[0].deleted).toBe(150);
		expect(stored(emulator, 'email')).toEqual({});
	});

	test('two items clearing the same target run one after the other: the second finds nothing', async () => {
		await seed(BY_USER_ID, { a: '1' });
		const r = await run(emulator, credentialFor(emulator), params(BY_USER_ID, 'deleteAll', { options: {} }), [{}, {}]);
		expect(r.json).toEqual([{ deleted: 1, keys: ['a'] }, { deleted: 0, keys: [] }]);
	});

	test('a failing delete fails its item with the result code; Continue on Fail keeps it an item', async () => {
		await seed(BY_USER_ID, { a: '1' });
		emulator.setFaults([{ path: '/user-data/by-user-id/delete', result: -3 }]);
		const r = await run(emulator, credentialFor(emulator), params(BY_USER_ID, 'deleteAll', { options: {} }), [{}], true);
		expect(r.json).toEqual([expect.objectContaining({ code: -3, error: 'HyperID denied access: this credential may not delete keys by user ID (item 0)' })]);
	});
});

describe('Delete All: what a failure part-way or a key not deleted leaves', () => {
	const seed150 = async () => {
		const values: Record<string, string> = {};
		for (let n = 0; n < 150; n++) values[`k${String(n).padStart(3, '0')}`] = 'v';
		await seed(BY_USER_ID, values);
		return Object.keys(values);
	};

	test('Continue on Fail: the second batch fails; the error item lists the keys already deleted and those not', async () => {
		const keys = await seed150();
		// the first delete goes through (a delay of 0 only uses up the rule), the second is refused
		emulator.setFaults([
			{ path: '/user-data/by-user-id/delete', delayMs: 0 },
			{ path: '/user-data/by-user-id/delete', result: -3 },
		]);
		const r = await run(emulator, credentialFor(emulator), params(BY_USER_ID, 'deleteAll', { options: {} }), [{}], true);
		expect(r.json).toHaveLength(1);
		const item = r.json[0];
		expect(item.code).toBe(-3);
		expect(item.deletedKeys).toEqual(keys.slice(0, 100));
		expect(item.notDeletedKeys).toEqual(keys.slice(100));
		expect(item.error).toMatch(/^HyperID denied access: this credential may not delete keys by user ID \(item 0\): Deleted before this failure: "k000", .*"k099"; not deleted: "k100", .*"k149"$/);
		expect(pairedItems(r)).toEqual([{ item: 0 }]);
		expect(Object.keys(stored(emulator, 'user-id'))).toEqual(keys.slice(100));
	});

	test('Stop on Fail: the error says what was deleted before the failure', async () => {
		await seed150();
		emulator.setFaults([
			{ path: '/user-data/by-user-id/delete', delayMs: 0 },
			{ path: '/user-data/by-user-id/delete', result: -3 },
		]);
		const r = await run(emulator, credentialFor(emulator), params(BY_USER_ID, 'deleteAll', { options: {} }));
		const error = errorOf(r);
		expect(error.message).toMatch(/Deleted before this failure: "k000", /);
		expect(error.context.errorDetails).toMatchObject({ deletedKeys: expect.arrayContaining(['k000', 'k099']) });
		expect(error.context.itemIndex).toBe(0);
	});

	test('a key listed but reported not deleted (deleted meanwhile by another execution) is named in notDeletedKeys', async () => {
		await seed(BY_USER_ID, { a: '1', b: '2' });
		// both executions list a and b before either deletes
		emulator.setFaults([{ path: '/user-data/by-user-id/delete', delayMs: 150, times: 2 }]);
		const first = run(emulator, credentialFor(emulator), params(BY_USER_ID, 'deleteAll', { options: {} }));
		const second = runNode({ nodeType: new HyperIdUserData(), parameters: params(BY_USER_ID, 'deleteAll', { options: {} }), inputItems: [{}], credentials: credentialFor(emulator) });
		const outputs = [(await first).json[0], (await second).outputs?.[0][0].json];
		expect(outputs).toEqual(
			expect.arrayContaining([
				{ deleted: 2, keys: ['a', 'b'] },
				{ deleted: 0, keys: [], notDeletedKeys: ['a', 'b'] },
			]),
		);
	});
});

describe('Values Output: Merge Into Input Item', () => {
	test('Get: the input item comes back with its values under "hyperid", one item per input item', async () => {
		await seed(BY_USER_ID, { plan: 'pro', color: 'blue' });
		const r = await run(
			emulator,
			credentialFor(emulator),
			params(BY_USER_ID, 'get', { keys: '={{ $json.want }}', options: { getOutput: 'mergeIntoInput' } }),
			[
				{ id: 1, want: 'plan,color' },
				{ id: 2, want: 'missing' },
			],
		);
		expect(r.error).toBeUndefined();
		expect(r.json).toEqual([
			{ id: 1, want: 'plan,color', hyperid: { plan: 'pro', color: 'blue' } },
			{ id: 2, want: 'missing', hyperid: {} },
		]);
		expect(pairedItems(r)).toEqual([{ item: 0 }, { item: 1 }]);
	});

	test('Get Many: under a chosen Output Field, JSON values parsed', async () => {
		await seed(BY_USER_ID, { profile: '{"tier":2}' });
		const r = await run(emulator, credentialFor(emulator), params(BY_USER_ID, 'getAll', { returnAll: true, options: { getOutput: 'mergeIntoInput', outputField: 'settings', valueFormat: 'json' } }), [
			{ id: 1 },
		]);
		expect(r.json).toEqual([{ id: 1, settings: { profile: { tier: 2 } } }]);
	});

	test('an empty Output Field is refused before sending', async () => {
		const r = await run(emulator, credentialFor(emulator), params(BY_USER_ID, 'get', { keys: 'a', options: { getOutput: 'mergeIntoInput', outputField: ' ' } }));
		expect(errorOf(r).message).toBe('Output Field must be a field name, not empty (item 0)');
		expect(apiRequests(r)).toHaveLength(0);
	});
});

describe('Batch Reads: on by default from node version 1.1', () => {
	const get = (options: INodeParameters) => params(BY_USER_ID, 'get', { keys: '={{ $json.key }}', options });
	const items = [{ key: 'a' }, { key: 'b' }, { key: 'c' }];
	const reads = async (typeVersion: number, options: INodeParameters) => {
		await seed(BY_USER_ID, { a: '1', b: '2', c: '3' });
		emulator.clearRequests();
		const r = await runNode({ nodeType: new HyperIdUserData(), typeVersion, parameters: get(options), inputItems: items, credentials: credentialFor(emulator) });
		expect(r.error).toBeUndefined();
		return emulator.requests().filter((entry) => entry.path === '/user-data/by-user-id/get').length;
	};

	test('version 1.1 without a choice: one combined read', async () => {
		expect(await reads(1.1, {})).toBe(1);
	});
	test('version 1.2 without a choice: one combined read', async () => {
		expect(await reads(1.2, {})).toBe(1);
	});
	test('version 1.1, turned off: one read per item', async () => {
		expect(await reads(1.1, { batchReads: false })).toBe(3);
	});
	test('version 1 without a choice: as before, one read per item', async () => {
		expect(await reads(1, {})).toBe(3);
	});
	test('version 1, turned on: one combined read', async () => {
		expect(await reads(1, { batchReads: true })).toBe(1);
	});
	test('the node offers versions 1, 1.1 and 1.2; new nodes get the last one, 1.2', () => {
		const { description } = new HyperIdUserData();
		expect(description.version).toEqual([1, 1.1, 1.2]);
		// the last version, named: n8n then also leaves out its Custom API Call (test/unit/editorText.test.ts)
		expect(description.defaultVersion).toBe(1.2);
	});
});
