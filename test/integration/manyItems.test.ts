/**
 * Many input items, each with its own parameters through expressions: order and pairing of the
 * output, bounded concurrency, and batched reads (including a server keys cap below the batch).
 */
import type { IDataObject } from 'n8n-workflow';

import {
	apiRequests,
	credentialFor,
	DEMO,
	run,
	stored,
	useEmulator,
	wallet,
} from './setup';
import type { Emulator, Run } from './setup';

let emulator: Emulator;
useEmulator((started) => (emulator = started));

const N = 24;
const PROVIDERS = ['google', 'telegram'];
const WALLETS = [DEMO.privateWallet, DEMO.publicWallet, ''];

/** Item i: its own key, value, provider, wallet and scope. */
const ITEMS: IDataObject[] = Array.from({ length: N }, (_, i) => ({
	key: `key-${i}`,
	value: `value ${i} ✓`,
	idp: PROVIDERS[i % 2],
	wallet: WALLETS[i % 3],
	scope: i % 4 === 0 ? 'private' : 'public',
}));

const walletTarget = (address: string) => `wallet:${(address || DEMO.privateWallet).toLowerCase()}`;

function expectPaired(r: Run, perItem: number) {
	expect(r.outputs?.[0].map((item) => item.pairedItem)).toEqual(
		Array.from({ length: N * perItem }, (_, i) => ({ item: Math.floor(i / perItem) })),
	);
}

describe.each([1, 16])('concurrency %i', (concurrency) => {
	test('by identity provider: per-item keys, values, providers and scopes; output in input order', async () => {
		const credentials = credentialFor(emulator);
		const set = await run(
			emulator,
			credentials,
			{
				resource: 'userDataByIdp',
				operation: 'set',
				identityProvider: '={{ $json.idp }}',
				key: '={{ $json.key }}',
				value: '={{ $json.value }}',
				accessScope: '={{ $json.scope }}',
				options: { concurrency },
			},
			ITEMS,
		);
		expect(set.error).toBeUndefined();
		expect(set.json).toEqual(ITEMS.map((item) => ({ key: item.key, success: true, result: 0 })));
		expectPaired(set, 1);
		// one request per item, each carrying that item's own parameters
		const sent = apiRequests(set).map((entry) => entry.body as IDataObject);
		expect(sent).toHaveLength(N);
		expect([...sent].sort((a, b) => String(a.value_key).localeCompare(String(b.value_key)))).toEqual(
			[...ITEMS]
				.sort((a, b) => String(a.key).localeCompare(String(b.key)))
				.map((item) => ({
					identity_provider: item.idp,
					value_key: item.key,
					value_data: item.value,
					access_scope: item.scope === 'private' ? 0 : 1,
				})),
		);
		for (const item of ITEMS) {
			expect(stored(emulator, `idp:${item.idp}`)[String(item.key)]).toMatchObject({
				value_data: item.value,
				access_scope: item.scope === 'private' ? 0 : 1,
			});
		}
		if (concurrency === 1) expect(emulator.stats().maxInFlight).toBe(1);
		else expect(emulator.stats().maxInFlight).toBeLessThanOrEqual(concurrency);

		// read back: each item asks for its own key and the key of its neighbour in the other provider
		const get = await run(
			emulator,
			credentials,
			{ resource: 'userDataByIdp', operation: 'get', identityProvider: '={{ $json.idp }}', keys: '={{ [$json.key, "key-" + ($itemIndex ^ 1)] }}', options: { concurrency } },
			ITEMS,
		);
		expect(get.error).toBeUndefined();
		// the neighbour (i ^ 1) is stored under the other provider: only the own key is found
		expect(get.json).toEqual(ITEMS.map((item) => ({ key: item.key, value: item.value })));
		expectPaired(get, 1);
	});

	test('by wallet: per-item wallet (empty = token default) and delete per item', async () => {
		const credentials = credentialFor(emulator);
		const params = { resource: 'userDataByWallet', walletAddress: wallet('={{ $json.wallet }}'), options: { concurrency } };
		const set = await run(emulator, credentials, { ...params, operation: 'set', key: '={{ $json.key }}', value: '={{ $json.value }}' }, ITEMS);
		expect(set.error).toBeUndefined();
		for (const entry of apiRequests(set)) {
			const body = entry.body as IDataObject;
			const item = ITEMS.find((candidate) => candidate.key === body.value_key) as IDataObject;
			if (item.wallet) expect(body.wallet_address).toBe(item.wallet);
			else expect(body).not.toHaveProperty('wallet_address');
		}
		for (const item of ITEMS) expect(stored(emulator, walletTarget(String(item.wallet)))[String(item.key)].value_data).toBe(item.value);

		const del = await run(emulator, credentials, { ...params, operation: 'delete', keys: '={{ $json.key }}' }, ITEMS);
		expect(del.error).toBeUndefined();
		expect(del.json).toEqual(
			ITEMS.map((item) => ({ deleted: true, keys: [item.key], result: 0, keyResults: [{ key: item.key, deleted: true }] })),
		);
		expectPaired(del, 1);
		expect(emulator.store().data).toEqual({});
	});
});

describe('batchReads', () => {
	/** Seeds 3 keys per item (some items' keys missing) by email, each item then reads its own 3. */
	async function seedByEmail() {
		const credentials = credentialFor(emulator);
		const set = await run(
			emulator,
			credentials,
			{ resource: 'userDataByEmail', operation: 'set', key: '={{ $json.k }}', value: '={{ $json.v }}', options: { concurrency: 16 } },
			Array.from({ length: N * 3 }, (_, i) => ({ k: `b${Math.floor(i / 3)}-${i % 3}`, v: `v${i}` })).filter((_, i) => i % 7 !== 0),
		);
		expect(set.error).toBeUndefined();
		return credentials;
	}
	const readItems = Array.from({ length: N }, (_, i) => ({ keys: [`b${i}-0`, `b${i}-1`, `b${i}-2`] }));
	/** Expected output, computed from what was written (every 7th key missing). */
	const expected = readItems.flatMap((item, i) =>
		item.keys.flatMap((key, j) => ((i * 3 + j) % 7 === 0 ? [] : [{ json: { key, value: `v${i * 3 + j}` }, pairedItem: { item: i } }])),
	);

	test('fewer requests than items; each item gets only its own keys, in input order', async () => {
		const credentials = await seedByEmail();
		const plain = await run(emulator, credentials, { resource: 'userDataByEmail', operation: 'get', keys: '={{ $json.keys }}', options: { batchReads: false } }, readItems);
		const batched = await run(emulator, credentials, { resource: 'userDataByEmail', operation: 'get', keys: '={{ $json.keys }}', options: { batchReads: true } }, readItems);
		expect(plain.outputs?.[0]).toEqual(expected);
		expect(batched.outputs?.[0]).toEqual(expected);
		expect(apiRequests(plain)).toHaveLength(N);
		expect(apiRequests(batched).length).toBeLessThan(N);
		// the batch asked for exactly the union of the items' keys
		const asked = apiRequests(batched).flatMap((entry) => (entry.body as IDataObject).value_keys as string[]);
		expect([...asked].sort()).toEqual(readItems.flatMap((item) => item.keys).sort());
	});

	test('a server keys cap lower than the batch: split in halves, still correct', async () => {
		const credentials = await seedByEmail();
		emulator.setOptions({ maxKeysPerGet: 7 });
		const r = await run(emulator, credentials, { resource: 'userDataByEmail', operation: 'get', keys: '={{ $json.keys }}', options: { batchReads: true } }, readItems);
		expect(r.error).toBeUndefined();
		expect(r.outputs?.[0]).toEqual(expected);
		const requests = apiRequests(r);
		// API.md: by-email get answers -6 "keys size limit reached"
		expect(requests.some((entry) => entry.result === -6)).toBe(true);
		for (const entry of requests.filter((e) => e.result === 0 || e.result === 1)) {
			expect(((entry.body as IDataObject).value_keys as string[]).length).toBeLessThanOrEqual(7);
		}
		const served = requests.filter((e) => e.result === 0 || e.result === 1).flatMap((entry) => (entry.body as IDataObject).value_keys as string[]);
		expect([...served].sort()).toEqual(readItems.flatMap((item) => item.keys).sort());
	});

	test('items of different targets are never mixed: the same key name per provider', async () => {
		const credentials = credentialFor(emulator);
		const targets = Array.from({ length: 10 }, (_, i) => ({ idp: PROVIDERS[i % 2], key: 'same', value: `from ${PROVIDERS[i % 2]}` }));
		await run(
			emulator,
			credentials,
			{ resource: 'userDataByIdp', operation: 'set', identityProvider: '={{ $json.idp }}', key: '={{ $json.key }}', value: '={{ $json.value }}', options: {} },
			targets.slice(0, 2),
		);
		const r = await run(
			emulator,
			credentials,
			{ resource: 'userDataByIdp', operation: 'get', identityProvider: '={{ $json.idp }}', keys: '={{ $json.key }}', options: { batchReads: true, getOutput: 'allValues' } },
			targets,
		);
		expect(r.error).toBeUndefined();
		expect(r.json).toEqual(targets.map((item) => ({ values: { same: item.value }, missingKeys: [], result: 0 })));
		const requests = apiRequests(r);
		expect(requests).toHaveLength(2);
		expect(requests.map((entry) => (entry.body as IDataObject).identity_provider).sort()).toEqual(['google', 'telegram']);
	});

	test('a batch failure is reported on every item of the batch, with its own itemIndex (continueOnFail)', async () => {
		const credentials = credentialFor(emulator);
		emulator.setFaults([{ path: '/user-data/by-user-id/get', result: -3, times: -1 }]);
		const r = await run(
			emulator,
			credentials,
			{ resource: 'userDataByUserId', operation: 'get', keys: '={{ "k" + $itemIndex }}', options: { batchReads: true } },
			[{}, {}, {}],
			true,
		);
		expect(apiRequests(r)).toHaveLength(1);
		expect(r.outputs?.[0].map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		for (const item of r.json) {
			expect(item.code).toBe(-3);
			expect(String(item.error) + String(item.description)).toContain('user-data-get');
		}
	});
});
