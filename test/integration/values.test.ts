/**
 * JSON value format round trip, and shared-key paging across several pages with the exact
 * search_id chain on the wire (requests and responses, through a recording proxy).
 */
import type { IDataObject, IPairedItemData } from 'n8n-workflow';

import { CredentialStore, hyperIdCustomCredentials } from '../harness/harness';
import {
	bodies,
	callApi,
	credentialFor,
	DEMO,
	errorOf,
	otherClient,
	recordingProxy,
	run,
	stored,
	useEmulator,
} from './setup';
import type { Emulator, RecordingProxy } from './setup';

let emulator: Emulator;
useEmulator((started) => (emulator = started));

describe('JSON value format', () => {
	const VALUES: Array<[string, unknown]> = [
		['object', { plan: 'pro', seats: 3, nested: { ok: true, list: [1, 'two', null] } }],
		['array', [1, 2, { three: 3 }]],
		['number', 42.5],
		['negative integer', -7],
		['boolean', false],
		['unicode object', { name: 'Zoë 🚀 日本語', emoji: '✓' }],
		['empty object', {}],
	];

	test.each(VALUES)('%s: set stores JSON text, get parses it back equal', async (_name, value) => {
		const credentials = credentialFor(emulator);
		const set = await run(
			emulator,
			credentials,
			{ resource: 'userDataByUserId', operation: 'set', key: 'doc', value: '={{ $json.value }}', options: { valueFormat: 'json' } },
			[{ value: value as IDataObject }],
		);
		expect(set.error).toBeUndefined();
		expect(bodies(set)).toEqual([{ value_key: 'doc', value_data: JSON.stringify(value), access_scope: 1 }]);
		expect(JSON.parse(stored(emulator, 'user-id').doc.value_data)).toEqual(value);

		const get = await run(emulator, credentials, { resource: 'userDataByUserId', operation: 'get', keys: 'doc', options: { valueFormat: 'json' } });
		expect(get.json).toEqual([{ key: 'doc', value }]);

		const all = await run(emulator, credentials, {
			resource: 'userDataByUserId',
			operation: 'get',
			keys: 'doc',
			options: { valueFormat: 'json', getOutput: 'allValues' },
		});
		expect(all.json).toEqual([{ values: { doc: value }, missingKeys: [], result: 0 }]);
	});

	test('JSON text typed as a string is stored as given and parsed on read', async () => {
		const credentials = credentialFor(emulator);
		const text = '{"a": [1, 2], "b": "ü"}';
		const set = await run(emulator, credentials, { resource: 'userData', operation: 'set', key: 'j', value: text, options: { valueFormat: 'json' } });
		expect(bodies(set)).toEqual([{ value_key: 'j', value_data: text }]);
		const get = await run(emulator, credentials, { resource: 'userData', operation: 'get', keys: 'j', options: { valueFormat: 'json' } });
		expect(get.json).toEqual([{ key: 'j', value: { a: [1, 2], b: 'ü' } }]);
	});

	test('String format: a number or boolean mapped into Value is stored as text (as Define Below and Auto-Map store it)', async () => {
		const credentials = credentialFor(emulator);
		const set = await run(
			emulator,
			credentials,
			{ resource: 'userDataByEmail', operation: 'set', key: '={{ $json.key }}', value: '={{ $json.value }}', options: {} },
			[
				{ key: 'age', value: 42 },
				{ key: 'ratio', value: -0.5 },
				{ key: 'vip', value: false },
			],
		);
		expect(set.error).toBeUndefined();
		expect(bodies(set)).toEqual([
			{ value_key: 'age', value_data: '42', access_scope: 1 },
			{ value_key: 'ratio', value_data: '-0.5', access_scope: 1 },
			{ value_key: 'vip', value_data: 'false', access_scope: 1 },
		]);
		const get = await run(emulator, credentials, { resource: 'userDataByEmail', operation: 'get', keys: 'age, vip', options: {} });
		expect(get.json).toEqual([
			{ key: 'age', value: '42' },
			{ key: 'vip', value: 'false' },
		]);
	});

	test('String format reads JSON text back as text, unchanged', async () => {
		const credentials = credentialFor(emulator);
		await callApi(emulator, credentials, '/user-data/by-email/set', { value_key: 's', value_data: '{"x":1}', access_scope: 1 });
		const get = await run(emulator, credentials, { resource: 'userDataByEmail', operation: 'get', keys: 's', options: {} });
		expect(get.json).toEqual([{ key: 's', value: '{"x":1}' }]);
	});

	test('reading a stored value that is not JSON in JSON format: a clear error naming the key and item', async () => {
		const credentials = credentialFor(emulator);
		await callApi(emulator, credentials, '/user-data/by-email/set', { value_key: 'good', value_data: '[1]', access_scope: 1 });
		await callApi(emulator, credentials, '/user-data/by-email/set', { value_key: 'plain-text', value_data: 'hello world', access_scope: 1 });
		const r = await run(
			emulator,
			credentials,
			{ resource: 'userDataByEmail', operation: 'get', keys: '={{ $json.keys }}', options: { valueFormat: 'json', concurrency: 1 } },
			[{ keys: ['good'] }, { keys: ['good', 'plain-text'] }],
		);
		const error = errorOf(r);
		expect(error.message).toContain('"plain-text"');
		expect(error.message).toMatch(/JSON/);
		expect(error.context.itemIndex).toBe(1);
		expect(error.description).toMatch(/String/);

		const cont = await run(
			emulator,
			credentials,
			{ resource: 'userDataByEmail', operation: 'get', keys: '={{ $json.keys }}', options: { valueFormat: 'json' } },
			[{ keys: ['good'] }, { keys: ['plain-text'] }],
			true,
		);
		expect(cont.json[0]).toEqual({ key: 'good', value: [1] });
		expect(cont.json[1].error).toContain('plain-text');
	});
});

describe('listSharedKeys paging', () => {
	let proxy: RecordingProxy;
	beforeAll(async () => {
		proxy = await recordingProxy(emulator.url);
	});
	afterAll(async () => {
		await proxy.close();
	});
	beforeEach(() => {
		proxy.exchanges.length = 0;
	});

	/** The demo client, talking to the API through the proxy (tokens straight from the emulator). */
	function proxied(): CredentialStore {
		const grant = emulator.createToken();
		return new CredentialStore(
			hyperIdCustomCredentials(emulator.url, {
				apiUrl: proxy.url,
				clientId: DEMO.clientId,
				clientSecret: DEMO.clientSecret,
				oauthTokenData: { access_token: grant.access_token, refresh_token: grant.refresh_token, token_type: 'Bearer' },
			}),
		);
	}

	const SHARED = Array.from({ length: 8 }, (_, i) => `shared-${String.fromCharCode(97 + i)}`);

	async function shareFromAnotherApp(target: IDataObject, prefix: string) {
		const other = otherClient(emulator);
		for (const key of SHARED) {
			expect(await callApi(emulator, other, `${prefix}set`, { ...target, value_key: key, value_data: key, access_scope: 1 })).toMatchObject({ result: 0 });
		}
		// a private key of the other app and a public one of our own are never listed
		await callApi(emulator, other, `${prefix}set`, { ...target, value_key: 'other-private', value_data: 'x', access_scope: 0 });
		await callApi(emulator, credentialFor(emulator), `${prefix}set`, { ...target, value_key: 'own-public', value_data: 'x', access_scope: 1 });
	}

	function expectChain(path: string, target: IDataObject, pageSizes: number[]) {
		const pages = proxy.exchanges.filter((exchange) => exchange.path === path);
		expect(pages.map((page) => (page.request as IDataObject).page_size)).toEqual(pageSizes);
		const first = pages[0].request as IDataObject;
		expect(first).toMatchObject(target);
		expect(first.search_id ?? '').toBe('');
		for (let i = 1; i < pages.length; i++) {
			const previous = pages[i - 1].response as IDataObject;
			expect(typeof previous.next_search_id).toBe('string');
			expect(previous.next_search_id).not.toBe('');
			expect(pages[i].request).toEqual({ ...target, page_size: pageSizes[i], search_id: previous.next_search_id });
		}
		return pages.flatMap((page) => (page.response as IDataObject).keys_shared as string[]);
	}

	test.each([
		['userDataByEmail', '/user-data/by-email/', {}, {}],
		['userDataByIdp', '/user-data/by-idp/', { identityProvider: 'google' }, { identity_provider: 'google' }],
		['userDataByWallet', '/user-data/by-wallet/', { walletAddress: { __rl: true, mode: 'address', value: DEMO.publicWallet } }, { wallet_address: DEMO.publicWallet }],
	] as Array<[string, string, IDataObject, IDataObject]>)('%s returnAll: a short first page does not end the list; exact search_id chain', async (resource, prefix, params, target) => {
		await shareFromAnotherApp(target, prefix);
		const r = await run(emulator, proxied(), { resource, operation: 'listSharedKeys', ...params, returnAll: true, options: { pageSize: 3 } });
		expect(r.error).toBeUndefined();
		// 10 stored keys, sorted: other-private, own-public, shared-a … shared-h. The server pages
		// over all of them and shows only shared ones, so the first page has 1 key, then 3, 3, 1.
		const listed = expectChain(`${prefix}shared-list-get`, target, [3, 3, 3, 3]);
		const sizes = proxy.exchanges.map((exchange) => ((exchange.response as IDataObject).keys_shared as string[]).length);
		expect(sizes).toEqual([1, 3, 3, 1]);
		const last = proxy.exchanges[proxy.exchanges.length - 1].response as IDataObject;
		expect(last.next_search_id).toBe('');
		expect(listed).toHaveLength(8);
		expect([...listed].sort()).toEqual(SHARED);
		expect(r.json).toEqual(listed.map((key) => ({ key })));
		expect(r.outputs?.[0].every((item) => (item.pairedItem as IPairedItemData).item === 0)).toBe(true);
	});

	test('limit 5 with page size 2: an empty first page, then 2, 2, 1 and no request after the limit', async () => {
		await shareFromAnotherApp({}, '/user-data/by-user-id/');
		const r = await run(emulator, proxied(), { resource: 'userDataByUserId', operation: 'listSharedKeys', returnAll: false, limit: 5, options: { pageSize: 2 } });
		expect(r.error).toBeUndefined();
		const listed = expectChain('/user-data/by-user-id/shared-list-get', {}, [2, 2, 2, 1]);
		expect(proxy.exchanges.map((exchange) => ((exchange.response as IDataObject).keys_shared as string[]).length)).toEqual([0, 2, 2, 1]);
		expect(listed).toHaveLength(5);
		expect(r.json).toEqual(listed.map((key) => ({ key })));
		expect(new Set(listed).size).toBe(5);
		for (const key of listed) expect(SHARED).toContain(key);
	});

	test('two input items page independently, each with its own chain and pairedItem', async () => {
		await shareFromAnotherApp({ identity_provider: 'google' }, '/user-data/by-idp/');
		const r = await run(
			emulator,
			proxied(),
			{ resource: 'userDataByIdp', operation: 'listSharedKeys', identityProvider: '={{ $json.idp }}', returnAll: true, options: { pageSize: 3, concurrency: 1 } },
			[{ idp: 'google' }, { idp: 'telegram' }],
		);
		expect(r.error).toBeUndefined();
		const google = r.outputs?.[0].filter((item) => (item.pairedItem as IPairedItemData).item === 0) ?? [];
		const telegram = r.outputs?.[0].filter((item) => (item.pairedItem as IPairedItemData).item === 1) ?? [];
		expect(google.map((item) => item.json.key).sort()).toEqual(SHARED);
		expect(telegram).toEqual([]);
		expect(proxy.exchanges.filter((exchange) => exchange.path.endsWith('shared-list-get'))).toHaveLength(5); // google 4 pages, telegram 1
	});

	test('simplify off: one item with all keys across pages', async () => {
		await shareFromAnotherApp({}, '/user-data/by-email/');
		const r = await run(emulator, proxied(), { resource: 'userDataByEmail', operation: 'listSharedKeys', returnAll: true, options: { pageSize: 3, simplify: false } });
		expect(r.json).toHaveLength(1);
		expect([...(r.json[0].keys_shared as string[])].sort()).toEqual(SHARED);
		expect(r.json[0].result).toBe(0);
	});
});
