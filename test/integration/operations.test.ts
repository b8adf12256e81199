/**
 * Every resource x operation through the real node and n8n-core, against the emulator over HTTP:
 * the exact request body on the wire and the output items (shapes from issue 3, fields from API.md).
 */
import type { IDataObject, INodeParameters } from 'n8n-workflow';

import {
	apiRequests,
	bodies,
	callApi,
	credentialFor,
	DEMO,
	otherClient,
	pairedItems,
	run,
	stored,
	useEmulator,
	wallet,
} from './setup';
import type { Emulator } from './setup';

let emulator: Emulator;
useEmulator((started) => (emulator = started));

/** Written from API.md's family table, not from the node. */
interface FamilyCase {
	resource: string;
	prefix: string;
	/** Node parameters selecting the storage target. */
	params: INodeParameters;
	/** The request fields that must go with every call for that target. */
	wire: IDataObject;
	/** Key of the emulator's store for that target. */
	store: string;
	all: boolean;
	accessScope: boolean;
	perKeyDelete: boolean;
}

const FAMILIES: FamilyCase[] = [
	{ resource: 'userData', prefix: '/user-data/', params: {}, wire: {}, store: 'plain', all: false, accessScope: false, perKeyDelete: false },
	{ resource: 'userDataByEmail', prefix: '/user-data/by-email/', params: {}, wire: {}, store: 'email', all: true, accessScope: true, perKeyDelete: false },
	{ resource: 'userDataByUserId', prefix: '/user-data/by-user-id/', params: {}, wire: {}, store: 'user-id', all: true, accessScope: true, perKeyDelete: true },
	{
		resource: 'userDataByIdp',
		prefix: '/user-data/by-idp/',
		params: { identityProvider: 'telegram' },
		wire: { identity_provider: 'telegram' },
		store: 'idp:telegram',
		all: true,
		accessScope: true,
		perKeyDelete: false,
	},
	{
		resource: 'userDataByWallet',
		prefix: '/user-data/by-wallet/',
		params: { walletAddress: wallet(DEMO.publicWallet) },
		wire: { wallet_address: DEMO.publicWallet },
		store: `wallet:${DEMO.publicWallet.toLowerCase()}`,
		all: true,
		accessScope: true,
		perKeyDelete: true,
	},
];
const FULL = FAMILIES.filter((family) => family.all);

async function seed(family: FamilyCase, values: Record<string, string>, scope: 0 | 1 = 1, credentials = credentialFor(emulator)) {
	for (const [key, value] of Object.entries(values)) {
		const body: IDataObject = { ...family.wire, value_key: key, value_data: value };
		if (family.accessScope) body.access_scope = scope;
		expect(await callApi(emulator, credentials, `${family.prefix}set`, body)).toMatchObject({ result: 0 });
	}
}

describe.each(FAMILIES)('$resource', (family) => {
	const p = (operation: string, extra: INodeParameters = {}): INodeParameters => ({
		resource: family.resource,
		operation,
		...family.params,
		...extra,
	});

	test('set: exact body, {key, success, result} with pairedItem, value stored', async () => {
		const r = await run(emulator, credentialFor(emulator), p('set', { key: 'color', value: 'blue ✓', options: {} }));
		expect(r.error).toBeUndefined();
		const expected: IDataObject = { ...family.wire, value_key: 'color', value_data: 'blue ✓' };
		if (family.accessScope) expected.access_scope = 1;
		expect(bodies(r)).toEqual([expected]);
		expect(apiRequests(r).map((entry) => entry.path)).toEqual([`${family.prefix}set`]);
		expect(r.json).toEqual([{ key: 'color', success: true, result: 0 }]);
		expect(pairedItems(r)).toEqual([{ item: 0 }]);
		expect(stored(emulator, family.store).color).toMatchObject({ value_data: 'blue ✓', client_id: DEMO.clientId });
	});

	if (family.accessScope) {
		test('set: accessScope private sends access_scope 0, public sends 1', async () => {
			const credentials = credentialFor(emulator);
			const priv = await run(emulator, credentials, p('set', { key: 'p', value: 'x', accessScope: 'private', options: {} }));
			const pub = await run(emulator, credentials, p('set', { key: 'q', value: 'y', accessScope: 'public', options: {} }));
			expect(bodies(priv)).toEqual([{ ...family.wire, value_key: 'p', value_data: 'x', access_scope: 0 }]);
			expect(bodies(pub)).toEqual([{ ...family.wire, value_key: 'q', value_data: 'y', access_scope: 1 }]);
			expect(stored(emulator, family.store).p.access_scope).toBe(0);
			expect(stored(emulator, family.store).q.access_scope).toBe(1);
		});
	} else {
		test('plain set never sends access_scope, even when the parameter is present', async () => {
			const r = await run(emulator, credentialFor(emulator), p('set', { key: 'k', value: 'v', accessScope: 'private', options: {} }));
			expect(r.error).toBeUndefined();
			expect(bodies(r)).toEqual([{ value_key: 'k', value_data: 'v' }]);
			expect(bodies(r)[0]).not.toHaveProperty('access_scope');
		});
	}

	test('set: simplify off returns HyperID raw response', async () => {
		const r = await run(emulator, credentialFor(emulator), p('set', { key: 'k', value: 'v', options: { simplify: false } }));
		expect(r.json).toEqual([{ result: 0 }]);
		expect(pairedItems(r)).toEqual([{ item: 0 }]);
	});

	test('get: one item per found value {key, value}, missing keys absent, exact body', async () => {
		await seed(family, { a: 'alpha', b: 'beta' });
		const r = await run(emulator, credentialFor(emulator), p('get', { keys: ['a', 'missing', 'b'], options: {} }));
		expect(r.error).toBeUndefined();
		expect(bodies(r)).toEqual([{ ...family.wire, value_keys: ['a', 'missing', 'b'] }]);
		expect(r.json).toEqual([
			{ key: 'a', value: 'alpha' },
			{ key: 'b', value: 'beta' },
		]);
		expect(pairedItems(r)).toEqual([{ item: 0 }, { item: 0 }]);
	});

	test('get: keys as comma-separated text and as an expression array give the same request', async () => {
		await seed(family, { a: '1', b: '2' });
		const credentials = credentialFor(emulator);
		const text = await run(emulator, credentials, p('get', { keys: 'a, b', options: {} }));
		const expr = await run(emulator, credentials, p('get', { keys: '={{ $json.list }}', options: {} }), [{ list: ['a', 'b'] }]);
		for (const r of [text, expr]) {
			expect(bodies(r)).toEqual([{ ...family.wire, value_keys: ['a', 'b'] }]);
			expect(r.json).toEqual([
				{ key: 'a', value: '1' },
				{ key: 'b', value: '2' },
			]);
		}
	});

	test('get: nothing found (result 1) is no error and no item; allValues gives {values, missingKeys, result}', async () => {
		await seed(family, { a: 'alpha' });
		const credentials = credentialFor(emulator);
		const none = await run(emulator, credentials, p('get', { keys: ['x'], options: {} }));
		expect(none.error).toBeUndefined();
		expect(apiRequests(none)[0].result).toBe(1);
		expect(none.json).toEqual([]);

		const all = await run(emulator, credentials, p('get', { keys: ['a', 'x'], options: { getOutput: 'allValues' } }));
		expect(all.json).toEqual([{ values: { a: 'alpha' }, missingKeys: ['x'], result: 0 }]);
		expect(pairedItems(all)).toEqual([{ item: 0 }]);

		const empty = await run(emulator, credentials, p('get', { keys: ['x', 'y'], options: { getOutput: 'allValues' } }));
		expect(empty.json).toEqual([{ values: {}, missingKeys: ['x', 'y'], result: 1 }]);
	});

	test('get: simplify off returns the raw response', async () => {
		await seed(family, { a: 'alpha' });
		const r = await run(emulator, credentialFor(emulator), p('get', { keys: ['a', 'x'], options: { simplify: false } }));
		expect(r.json).toEqual([{ result: 0, values: [{ value_key: 'a', value_data: 'alpha' }] }]);
		expect(pairedItems(r)).toEqual([{ item: 0 }]);
	});
});

describe.each(FULL)('$resource (list and delete operations)', (family) => {
	const p = (operation: string, extra: INodeParameters = {}): INodeParameters => ({
		resource: family.resource,
		operation,
		...family.params,
		...extra,
	});

	test('delete: exact body, {deleted, keys, result[, keyResults]}, keys gone', async () => {
		await seed(family, { a: '1', b: '2', c: '3' });
		const r = await run(emulator, credentialFor(emulator), p('delete', { keys: ['a', 'nope'], options: {} }));
		expect(r.error).toBeUndefined();
		expect(bodies(r)).toEqual([{ ...family.wire, value_keys: ['a', 'nope'] }]);
		const expected: IDataObject = { deleted: true, keys: ['a', 'nope'], result: 0 };
		if (family.perKeyDelete) {
			expected.keyResults = [
				{ key: 'a', deleted: true },
				{ key: 'nope', deleted: false },
			];
		}
		expect(r.json).toEqual([expected]);
		if (!family.perKeyDelete) expect(r.json[0]).not.toHaveProperty('keyResults');
		expect(pairedItems(r)).toEqual([{ item: 0 }]);
		expect(Object.keys(stored(emulator, family.store)).sort()).toEqual(['b', 'c']);
	});

	test('delete: nothing to delete (result 1) is not an error; simplify off is the raw response', async () => {
		const credentials = credentialFor(emulator);
		const r = await run(emulator, credentials, p('delete', { keys: 'x', options: {} }));
		expect(r.error).toBeUndefined();
		expect(r.json).toHaveLength(1);
		expect(r.json[0]).toMatchObject({ deleted: false, keys: ['x'], result: 1 });

		await seed(family, { y: '1' }, 1, credentials);
		const raw = await run(emulator, credentials, p('delete', { keys: ['y'], options: { simplify: false } }));
		const expected: IDataObject = { result: 0 };
		if (family.perKeyDelete) expected.keys_delete_results = [{ value_key: 'y', is_deleted: true }];
		expect(raw.json).toEqual([expected]);
	});

	test('listKeys: {privateKeys, publicKeys, result}, perKey items with scope, raw response', async () => {
		const mine = credentialFor(emulator);
		await seed(family, { p1: '1', p2: '2' }, 0, mine);
		await seed(family, { pub: '3' }, 1, mine);
		await seed(family, { theirs: '4' }, 1, otherClient(emulator));

		const r = await run(emulator, mine, p('listKeys', { options: {} }));
		expect(r.error).toBeUndefined();
		expect(bodies(r)).toEqual([{ ...family.wire }]);
		expect(r.json).toEqual([{ privateKeys: ['p1', 'p2'], publicKeys: ['pub'], result: 0 }]);
		expect(pairedItems(r)).toEqual([{ item: 0 }]);

		const perKey = await run(emulator, mine, p('listKeys', { options: { keysOutput: 'perKey' } }));
		expect(perKey.json).toEqual([
			{ key: 'p1', scope: 'private' },
			{ key: 'p2', scope: 'private' },
			{ key: 'pub', scope: 'public' },
		]);
		expect(pairedItems(perKey)).toEqual([{ item: 0 }, { item: 0 }, { item: 0 }]);

		const raw = await run(emulator, mine, p('listKeys', { options: { simplify: false } }));
		expect(raw.json).toEqual([{ result: 0, keys_private: ['p1', 'p2'], keys_public: ['pub'] }]);
	});

	test('listKeys: no keys (result 1) gives empty lists', async () => {
		const r = await run(emulator, credentialFor(emulator), p('listKeys', { options: {} }));
		expect(r.error).toBeUndefined();
		expect(r.json).toEqual([{ privateKeys: [], publicKeys: [], result: 1 }]);
	});

	test('listSharedKeys: one item per public key of other applications, exact first body', async () => {
		const mine = credentialFor(emulator);
		const other = otherClient(emulator);
		await seed(family, { s1: '1', s2: '2' }, 1, other);
		await seed(family, { hidden: '3' }, 0, other);
		await seed(family, { own: '4' }, 1, mine);

		const r = await run(emulator, mine, p('listSharedKeys', { returnAll: true, options: {} }));
		expect(r.error).toBeUndefined();
		const sent = bodies(r) as IDataObject[];
		expect(sent).toHaveLength(1);
		expect(sent[0]).toMatchObject(family.wire);
		expect(sent[0].search_id ?? '').toBe('');
		expect(r.json).toEqual([{ key: 's1' }, { key: 's2' }]);
		expect(pairedItems(r)).toEqual([{ item: 0 }, { item: 0 }]);

		const raw = await run(emulator, mine, p('listSharedKeys', { returnAll: true, options: { simplify: false } }));
		expect(raw.json).toEqual([{ result: 0, keys_shared: ['s1', 's2'], next_search_id: '' }]);

		const none = await run(emulator, other, p('listSharedKeys', { returnAll: false, limit: 10, options: {} }));
		expect(none.error).toBeUndefined();
		expect(none.json).toEqual([{ key: 'own' }]);
	});
});

describe('userDataByWallet target', () => {
	test('an empty wallet field sends no wallet_address and uses the token default wallet', async () => {
		const credentials = credentialFor(emulator);
		for (const walletAddress of [wallet('', 'list'), wallet('', 'address'), wallet('   ', 'address')]) {
			const r = await run(emulator, credentials, { resource: 'userDataByWallet', operation: 'set', walletAddress, key: 'k', value: 'v', options: {} });
			expect(r.error).toBeUndefined();
			expect(bodies(r)).toEqual([{ value_key: 'k', value_data: 'v', access_scope: 1 }]);
		}
		// the token's wallet claim is the demo private wallet (server.ts DEMO)
		expect(stored(emulator, `wallet:${DEMO.privateWallet.toLowerCase()}`).k.value_data).toBe('v');
	});

	test('the list mode value is sent as wallet_address', async () => {
		const r = await run(emulator, credentialFor(emulator), {
			resource: 'userDataByWallet',
			operation: 'get',
			walletAddress: wallet(DEMO.privateWallet, 'list'),
			keys: ['k'],
			options: {},
		});
		expect(r.error).toBeUndefined();
		expect(bodies(r)).toEqual([{ wallet_address: DEMO.privateWallet, value_keys: ['k'] }]);
	});
});

describe('wallet getAll', () => {
	test('one item per wallet with its scope; body {}; raw response when simplify is off', async () => {
		const credentials = credentialFor(emulator);
		const r = await run(emulator, credentials, { resource: 'wallet', operation: 'getAll', options: {} });
		expect(r.error).toBeUndefined();
		expect(apiRequests(r).map((entry) => [entry.path, entry.body])).toEqual([['/user-wallets/get', {}]]);
		expect(r.json).toEqual([
			{ address: DEMO.privateWallet, chain: '1', family: 0, label: 'Demo private wallet', tags: ['demo', 'private'], scope: 'private' },
			{ address: DEMO.publicWallet, chain: '137', family: 0, label: 'Demo public wallet', tags: ['demo', 'public'], scope: 'public' },
		]);
		expect(pairedItems(r)).toEqual([{ item: 0 }, { item: 0 }]);

		const raw = await run(emulator, credentials, { resource: 'wallet', operation: 'getAll', options: { simplify: false } });
		const answer = await callApi(emulator, credentials, '/user-wallets/get', {});
		expect(raw.json).toEqual([answer]);
		expect(raw.json[0]).toHaveProperty('wallets_private');
		expect(raw.json[0]).toHaveProperty('wallets_public');
	});

	test('one request per input item, each item paired', async () => {
		const r = await run(emulator, credentialFor(emulator), { resource: 'wallet', operation: 'getAll', options: {} }, [{}, {}]);
		expect(apiRequests(r)).toHaveLength(2);
		expect(pairedItems(r)).toEqual([{ item: 0 }, { item: 0 }, { item: 1 }, { item: 1 }]);
	});
});
