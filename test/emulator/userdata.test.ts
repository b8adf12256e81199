import { startEmulator, type Emulator } from './server';
import { call } from './helpers';

/**
 * The per-endpoint result tables, written out literally from API.md / seeds (not imported from the
 * emulator): family-specific meaning -> code.
 */
type Meaning = 'targetNotFound' | 'keyAccessDenied' | 'keyInvalid' | 'keysSizeLimit';
const TABLE: Record<string, Partial<Record<Meaning, number>>> = {
	'/user-data/set': { keyAccessDenied: -6, keyInvalid: -7 },
	'/user-data/get': { keysSizeLimit: -6 },
	'/user-data/by-email/set': { keyAccessDenied: -6, keyInvalid: -7 },
	'/user-data/by-email/get': { keysSizeLimit: -6 },
	'/user-data/by-email/list-get': {},
	'/user-data/by-email/shared-list-get': {},
	'/user-data/by-email/delete': { keyAccessDenied: -6 },
	'/user-data/by-user-id/set': { keyAccessDenied: -6, keyInvalid: -7 },
	'/user-data/by-user-id/get': { keysSizeLimit: -6 },
	'/user-data/by-user-id/list-get': {},
	'/user-data/by-user-id/shared-list-get': {},
	'/user-data/by-user-id/delete': { keyAccessDenied: -6 },
	'/user-data/by-idp/set': { targetNotFound: -6, keyAccessDenied: -7, keyInvalid: -8 },
	'/user-data/by-idp/get': { targetNotFound: -6, keysSizeLimit: -7 },
	'/user-data/by-idp/list-get': { targetNotFound: -6 },
	'/user-data/by-idp/shared-list-get': { targetNotFound: -6 },
	'/user-data/by-idp/delete': { targetNotFound: -6, keyAccessDenied: -7 },
	'/user-data/by-wallet/set': { targetNotFound: -6, keyAccessDenied: -7, keyInvalid: -8 },
	'/user-data/by-wallet/get': { targetNotFound: -6, keysSizeLimit: -7 },
	'/user-data/by-wallet/list-get': { targetNotFound: -6 },
	'/user-data/by-wallet/shared-list-get': { targetNotFound: -6 },
	'/user-data/by-wallet/delete': { targetNotFound: -6, keyAccessDenied: -7 },
	'/user-wallets/get': {},
};

const PRIVATE_WALLET = '0x5a0b54d5dc17e0aadc383d2db43b0a0d3e029c4c';
const PUBLIC_WALLET = '0x2e1d3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e';
const OTHER_CLIENT = { clientId: 'other-client', clientSecret: 'other-secret' };

type TokenKind = 'main' | 'other' | 'noscope' | 'expired' | 'invalid';

interface Case {
	path: string;
	name: string;
	code: number;
	body: unknown;
	token?: TokenKind;
	/** requests made first, as [token, path, body] */
	setup?: Array<[TokenKind, string, Record<string, unknown>]>;
	fault?: number;
}

function familyOf(path: string): { prefix: string; extra: Record<string, unknown>; badTarget?: Record<string, unknown> } {
	if (path.startsWith('/user-data/by-idp/')) {
		return { prefix: '/user-data/by-idp/', extra: { identity_provider: 'google' }, badTarget: { identity_provider: 'twitter' } };
	}
	if (path.startsWith('/user-data/by-wallet/')) {
		return {
			prefix: '/user-data/by-wallet/',
			extra: { wallet_address: PRIVATE_WALLET },
			badTarget: { wallet_address: '0x0000000000000000000000000000000000000001' },
		};
	}
	if (path.startsWith('/user-data/by-email/')) return { prefix: '/user-data/by-email/', extra: {} };
	if (path.startsWith('/user-data/by-user-id/')) return { prefix: '/user-data/by-user-id/', extra: {} };
	return { prefix: '/user-data/', extra: {} };
}

function casesFor(path: string): Case[] {
	const codes = TABLE[path];
	const op = path.slice(path.lastIndexOf('/') + 1);
	const { prefix, extra, badTarget } = familyOf(path);
	const isPlain = prefix === '/user-data/';
	const setPath = `${prefix}set`;
	const own: [TokenKind, string, Record<string, unknown>] = ['main', setPath, { ...extra, value_key: 'k', value_data: 'v' }];
	const others: [TokenKind, string, Record<string, unknown>] = ['other', setPath, { ...extra, value_key: 'k', value_data: 'theirs' }];
	const base: Record<string, unknown> =
		path === '/user-wallets/get'
			? {}
			: op === 'set'
				? { ...extra, value_key: 'k', value_data: 'v' }
				: op === 'get' || op === 'delete'
					? { ...extra, value_keys: ['k'] }
					: { ...extra };
	const out: Case[] = [
		{ path, name: 'token invalid', code: -1, body: base, token: 'invalid' },
		{ path, name: 'token expired', code: -2, body: base, token: 'expired' },
		{ path, name: 'access denied (scope)', code: -3, body: base, token: 'noscope' },
		{ path, name: 'service temporarily unavailable (fault)', code: -4, body: base, fault: -4 },
		{ path, name: 'invalid parameters (not JSON)', code: -5, body: 'not json' },
		{ path, name: 'invalid parameters (array body)', code: -5, body: [] },
	];
	if (path === '/user-wallets/get') {
		out.push({ path, name: 'success', code: 0, body: {} });
		return out;
	}
	switch (op) {
		case 'set':
			out.push({ path, name: 'success', code: 0, body: base });
			out.push({ path, name: 'value_data not a string', code: -5, body: { ...base, value_data: 5 } });
			out.push({ path, name: 'value_key missing', code: -5, body: { ...extra, value_data: 'v' } });
			if (isPlain) out.push({ path, name: 'access_scope not accepted on plain set', code: -5, body: { ...base, access_scope: 1 } });
			else out.push({ path, name: 'access_scope 2', code: -5, body: { ...base, access_scope: 2 } });
			out.push({ path, name: 'key invalid (empty)', code: codes.keyInvalid as number, body: { ...base, value_key: '' } });
			out.push({ path, name: 'key invalid (too long)', code: codes.keyInvalid as number, body: { ...base, value_key: 'x'.repeat(257) } });
			out.push({ path, name: 'key access denied', code: codes.keyAccessDenied as number, body: base, setup: [others] });
			break;
		case 'get':
			out.push({ path, name: 'success', code: 0, body: base, setup: [own] });
			out.push({ path, name: 'success not found', code: 1, body: base });
			out.push({ path, name: 'empty value_keys', code: -5, body: { ...extra, value_keys: [] } });
			out.push({ path, name: 'value_keys not strings', code: -5, body: { ...extra, value_keys: [1] } });
			out.push({
				path,
				name: 'keys size limit reached',
				code: codes.keysSizeLimit as number,
				body: { ...extra, value_keys: Array.from({ length: 101 }, (_, i) => `k${i}`) },
			});
			break;
		case 'list-get':
			out.push({ path, name: 'success', code: 0, body: base, setup: [own] });
			out.push({ path, name: 'success not found', code: 1, body: base });
			break;
		case 'shared-list-get':
			out.push({ path, name: 'success', code: 0, body: base, setup: [others] });
			out.push({ path, name: 'success not found', code: 1, body: base, setup: [own] });
			out.push({ path, name: 'unknown search_id', code: -5, body: { ...base, search_id: 'nope' } });
			out.push({ path, name: 'page_size negative', code: -5, body: { ...base, page_size: -1 } });
			break;
		case 'delete':
			out.push({ path, name: 'success', code: 0, body: base, setup: [own] });
			out.push({ path, name: 'success not found', code: 1, body: base });
			out.push({ path, name: 'empty key', code: -5, body: { ...extra, value_keys: [''] } });
			out.push({ path, name: 'key access denied', code: codes.keyAccessDenied as number, body: base, setup: [others] });
			break;
	}
	if (badTarget) {
		out.push({ path, name: 'target not found', code: codes.targetNotFound as number, body: { ...base, ...badTarget } });
		if (prefix === '/user-data/by-idp/') {
			out.push({ path, name: 'identity provider not in discovery', code: codes.targetNotFound as number, body: { ...base, identity_provider: 'myspace' } });
			out.push({ path, name: 'identity_provider missing', code: -5, body: { ...base, identity_provider: undefined } });
		} else {
			out.push({ path, name: 'wallet_address not a string', code: -5, body: { ...base, wallet_address: 1 } });
		}
	}
	return out;
}

const ALL_CASES = Object.keys(TABLE).flatMap(casesFor);

describe('HyperID emulator: user data endpoints', () => {
	let emu: Emulator;
	const tokens: Record<TokenKind, string> = { main: '', other: '', noscope: '', expired: '', invalid: 'not-a-token' };
	const seen = new Map<string, Set<number>>();

	async function prepare(): Promise<void> {
		emu.reset();
		emu.addClient(OTHER_CLIENT);
		tokens.main = emu.createToken().access_token;
		tokens.other = emu.createToken({ clientId: OTHER_CLIENT.clientId }).access_token;
		tokens.noscope = emu.createToken({ scopes: ['openid', 'email'] }).access_token;
		tokens.expired = emu.createToken({ expiresIn: 0 }).access_token;
	}

	beforeAll(async () => {
		emu = await startEmulator();
	});
	afterAll(async () => {
		await emu.close();
	});

	test.each(ALL_CASES.map((c) => [c.path, c.name, c.code, c] as const))('%s: %s -> %i', async (_p, _n, code, c) => {
		await prepare();
		for (const [kind, path, body] of c.setup ?? []) {
			const r = await call(emu, path, body, tokens[kind]);
			expect(r.json.result).toBe(0);
		}
		if (c.fault !== undefined) emu.setFaults([{ path: c.path, result: c.fault }]);
		const r = await call(emu, c.path, c.body, tokens[c.token ?? 'main']);
		expect(r.status).toBe(200);
		expect(r.json.result).toBe(code);
		const s = seen.get(c.path) ?? new Set<number>();
		s.add(r.json.result as number);
		seen.set(c.path, s);
	});

	test('every result code of every endpoint table was produced', () => {
		for (const [path, family] of Object.entries(TABLE)) {
			const op = path.slice(path.lastIndexOf('/') + 1);
			const expected = new Set<number>([0, -1, -2, -3, -4, -5, ...Object.values(family).map((v) => v as number)]);
			if (path !== '/user-wallets/get' && op !== 'set') expected.add(1);
			expect([...(seen.get(path) ?? [])].sort()).toEqual([...expected].sort());
		}
		expect(Object.keys(TABLE)).toHaveLength(23);
	});

	describe('semantics', () => {
		beforeEach(prepare);

		test('plain set/get round trip and overwrite; plain keys are public to other clients', async () => {
			expect((await call(emu, '/user-data/set', { value_key: 'a', value_data: 'one' }, tokens.main)).json).toEqual({ result: 0 });
			expect((await call(emu, '/user-data/set', { value_key: 'a', value_data: 'two' }, tokens.main)).json.result).toBe(0);
			const own = await call(emu, '/user-data/get', { value_keys: ['a'] }, tokens.main);
			expect(own.json).toEqual({ result: 0, values: [{ value_key: 'a', value_data: 'two' }] });
			const other = await call(emu, '/user-data/get', { value_keys: ['a'] }, tokens.other);
			expect(other.json).toEqual({ result: 0, values: [{ value_key: 'a', value_data: 'two' }] });
			expect((await call(emu, '/user-data/set', { value_key: 'a', value_data: 'x' }, tokens.other)).json.result).toBe(-6);
			const none = await call(emu, '/user-data/get', { value_keys: ['zzz'] }, tokens.main);
			expect(none.json).toEqual({ result: 1, values: [] });
		});

		test('get: request order, duplicates once, partial hit is 0', async () => {
			for (const k of ['b', 'a', 'c']) {
				await call(emu, '/user-data/by-email/set', { value_key: k, value_data: `v-${k}` }, tokens.main);
			}
			const r = await call(emu, '/user-data/by-email/get', { value_keys: ['c', 'missing', 'a', 'c'] }, tokens.main);
			expect(r.json).toEqual({
				result: 0,
				values: [
					{ value_key: 'c', value_data: 'v-c' },
					{ value_key: 'a', value_data: 'v-a' },
				],
			});
		});

		test('private keys are visible only to the writing client, public keys to all; lists split them', async () => {
			const p = '/user-data/by-user-id/';
			await call(emu, `${p}set`, { value_key: 'priv', value_data: 'secret', access_scope: 0 }, tokens.main);
			await call(emu, `${p}set`, { value_key: 'pub', value_data: 'open', access_scope: 1 }, tokens.main);
			await call(emu, `${p}set`, { value_key: 'dflt', value_data: 'default is public' }, tokens.main);
			await call(emu, `${p}set`, { value_key: 'theirs', value_data: 'other', access_scope: 0 }, tokens.other);

			const mine = await call(emu, `${p}get`, { value_keys: ['priv', 'pub', 'theirs'] }, tokens.main);
			expect(mine.json.values).toEqual([
				{ value_key: 'priv', value_data: 'secret' },
				{ value_key: 'pub', value_data: 'open' },
			]);
			const theirs = await call(emu, `${p}get`, { value_keys: ['priv', 'pub', 'dflt'] }, tokens.other);
			expect(theirs.json.values).toEqual([
				{ value_key: 'pub', value_data: 'open' },
				{ value_key: 'dflt', value_data: 'default is public' },
			]);
			expect((await call(emu, `${p}get`, { value_keys: ['priv'] }, tokens.other)).json).toEqual({ result: 1, values: [] });

			expect((await call(emu, `${p}list-get`, {}, tokens.main)).json).toEqual({
				result: 0,
				keys_private: ['priv'],
				keys_public: ['dflt', 'pub'],
			});
			expect((await call(emu, `${p}list-get`, {}, tokens.other)).json).toEqual({ result: 0, keys_private: ['theirs'], keys_public: [] });
			expect((await call(emu, `${p}shared-list-get`, {}, tokens.other)).json).toEqual({
				result: 0,
				keys_shared: ['dflt', 'pub'],
				next_search_id: '',
			});
			expect((await call(emu, `${p}shared-list-get`, {}, tokens.main)).json).toEqual({ result: 1, keys_shared: [], next_search_id: '' });

			// overwrite own key changes access_scope
			await call(emu, `${p}set`, { value_key: 'pub', value_data: 'now private', access_scope: 0 }, tokens.main);
			expect((await call(emu, `${p}get`, { value_keys: ['pub'] }, tokens.other)).json.result).toBe(1);
			expect((await call(emu, `${p}list-get`, {}, tokens.main)).json.keys_private).toEqual(['priv', 'pub']);
			// another client cannot delete, even a private key
			expect((await call(emu, `${p}delete`, { value_keys: ['priv'] }, tokens.other)).json).toEqual({ result: -6 });
		});

		test('shared-list-get pages across three pages with search_id / next_search_id', async () => {
			const p = '/user-data/by-idp/';
			for (let i = 0; i < 7; i++) {
				await call(emu, `${p}set`, { identity_provider: 'telegram', value_key: `key-${i}`, value_data: 'x' }, tokens.other);
			}
			await call(emu, `${p}set`, { identity_provider: 'telegram', value_key: 'hidden', value_data: 'x', access_scope: 0 }, tokens.other);
			const pages: string[][] = [];
			let searchId = '';
			for (let guard = 0; guard < 10; guard++) {
				const r = await call(emu, `${p}shared-list-get`, { identity_provider: 'telegram', page_size: 3, search_id: searchId }, tokens.main);
				expect(r.json.result).toBe(0);
				pages.push(r.json.keys_shared as string[]);
				searchId = r.json.next_search_id as string;
				if (searchId === '') break;
			}
			// the server pages over every stored key ("hidden" sorts first) and shows only the
			// visible ones, so the first page is short although more follow
			expect(pages).toEqual([
				['key-0', 'key-1'],
				['key-2', 'key-3', 'key-4'],
				['key-5', 'key-6'],
			]);
			// another identity provider is another family
			const google = await call(emu, `${p}shared-list-get`, { identity_provider: 'google' }, tokens.main);
			expect(google.json).toEqual({ result: 1, keys_shared: [], next_search_id: '' });
		});

		test('shared-list-get: a page can be short or empty while next_search_id says more follow', async () => {
			const p = '/user-data/by-email/';
			for (const k of ['a0', 'a1', 'a2', 'c0']) await call(emu, `${p}set`, { value_key: k, value_data: 'x' }, tokens.other);
			for (const k of ['b0', 'b1']) await call(emu, `${p}set`, { value_key: k, value_data: 'mine' }, tokens.main);
			await call(emu, `${p}set`, { value_key: 'b2', value_data: 'x', access_scope: 0 }, tokens.other);
			const pages: Array<{ result: unknown; keys: string[]; more: boolean }> = [];
			let searchId = '';
			for (let guard = 0; guard < 10; guard++) {
				const r = await call(emu, `${p}shared-list-get`, { page_size: 3, search_id: searchId }, tokens.main);
				searchId = r.json.next_search_id as string;
				pages.push({ result: r.json.result, keys: r.json.keys_shared as string[], more: searchId !== '' });
				if (searchId === '') break;
			}
			expect(pages).toEqual([
				{ result: 0, keys: ['a0', 'a1', 'a2'], more: true },
				{ result: 0, keys: [], more: true }, // b0, b1 are the caller's own, b2 is private
				{ result: 0, keys: ['c0'], more: false },
			]);
		});

		test('page size defaults to defaultPageSize; exact multiple ends with empty next_search_id; search ids are re-readable', async () => {
			emu.options.defaultPageSize = 2;
			try {
				for (const k of ['a', 'b', 'c', 'd']) await call(emu, '/user-data/by-email/set', { value_key: k, value_data: k }, tokens.other);
				const p1 = await call(emu, '/user-data/by-email/shared-list-get', {}, tokens.main);
				expect(p1.json.keys_shared).toEqual(['a', 'b']);
				const sid = p1.json.next_search_id as string;
				expect(sid).not.toBe('');
				const p2 = await call(emu, '/user-data/by-email/shared-list-get', { search_id: sid }, tokens.main);
				expect(p2.json).toEqual({ result: 0, keys_shared: ['c', 'd'], next_search_id: '' });
				const again = await call(emu, '/user-data/by-email/shared-list-get', { search_id: sid }, tokens.main);
				expect(again.json.keys_shared).toEqual(['c', 'd']);
				// a search id belongs to its client and family
				expect((await call(emu, '/user-data/by-user-id/shared-list-get', { search_id: sid }, tokens.main)).json.result).toBe(-5);
				expect((await call(emu, '/user-data/by-email/shared-list-get', { search_id: sid }, tokens.other)).json.result).toBe(-5);
			} finally {
				emu.options.defaultPageSize = 100;
			}
		});

		test('delete: keys_delete_results only on by-user-id and by-wallet', async () => {
			await call(emu, '/user-data/by-user-id/set', { value_key: 'a', value_data: '1' }, tokens.main);
			const r = await call(emu, '/user-data/by-user-id/delete', { value_keys: ['a', 'b', 'a'] }, tokens.main);
			expect(r.json).toEqual({
				result: 0,
				keys_delete_results: [
					{ value_key: 'a', is_deleted: true },
					{ value_key: 'b', is_deleted: false },
				],
			});
			const again = await call(emu, '/user-data/by-user-id/delete', { value_keys: ['a'] }, tokens.main);
			expect(again.json).toEqual({ result: 1, keys_delete_results: [{ value_key: 'a', is_deleted: false }] });
			await call(emu, '/user-data/by-wallet/set', { value_key: 'w', value_data: '1' }, tokens.main);
			expect((await call(emu, '/user-data/by-wallet/delete', { value_keys: ['w'] }, tokens.main)).json).toEqual({
				result: 0,
				keys_delete_results: [{ value_key: 'w', is_deleted: true }],
			});
			await call(emu, '/user-data/by-email/set', { value_key: 'e', value_data: '1' }, tokens.main);
			expect((await call(emu, '/user-data/by-email/delete', { value_keys: ['e'] }, tokens.main)).json).toEqual({ result: 0 });
			await call(emu, '/user-data/by-idp/set', { identity_provider: 'google', value_key: 'i', value_data: '1' }, tokens.main);
			expect((await call(emu, '/user-data/by-idp/delete', { identity_provider: 'google', value_keys: ['i'] }, tokens.main)).json).toEqual({
				result: 0,
			});
			expect(emu.store().data).toEqual({});
		});

		test('wallets: omitted wallet_address uses the token claim, addresses compare case-insensitively, families are separate', async () => {
			const p = '/user-data/by-wallet/';
			expect((await call(emu, `${p}set`, { value_key: 'k', value_data: 'claim' }, tokens.main)).json.result).toBe(0);
			const upper = `0x${PRIVATE_WALLET.slice(2).toUpperCase()}`;
			expect((await call(emu, `${p}get`, { wallet_address: upper, value_keys: ['k'] }, tokens.main)).json.values).toEqual([
				{ value_key: 'k', value_data: 'claim' },
			]);
			expect((await call(emu, `${p}get`, { wallet_address: PUBLIC_WALLET, value_keys: ['k'] }, tokens.main)).json.result).toBe(1);
			expect((await call(emu, '/user-data/by-email/get', { value_keys: ['k'] }, tokens.main)).json.result).toBe(1);
			// a token whose user has no wallet: no claim -> -6
			const bare = emu.createToken({ userId: 'walletless' }).access_token;
			expect((await call(emu, `${p}set`, { value_key: 'k', value_data: 'x' }, bare)).json.result).toBe(-6);
			// a claim that is not one of the user's wallets -> -6
			const stray = emu.createToken({ walletAddress: '0x000000000000000000000000000000000000dead' }).access_token;
			expect((await call(emu, `${p}list-get`, {}, stray)).json.result).toBe(-6);
			expect((await call(emu, `${p}list-get`, { wallet_address: PUBLIC_WALLET }, stray)).json.result).toBe(1);
		});

		test('data is per user (token sub)', async () => {
			emu.addUser({ userId: 'alice', email: 'alice@example.com', identityProviders: ['google'] });
			const alice = emu.createToken({ userId: 'alice' }).access_token;
			await call(emu, '/user-data/by-idp/set', { identity_provider: 'google', value_key: 'k', value_data: 'alice' }, alice);
			expect((await call(emu, '/user-data/by-idp/get', { identity_provider: 'google', value_keys: ['k'] }, tokens.main)).json.result).toBe(1);
			// telegram is in discovery but not linked to alice
			expect((await call(emu, '/user-data/by-idp/list-get', { identity_provider: 'telegram' }, alice)).json.result).toBe(-6);
		});

		test('user-wallets/get returns private and public wallets', async () => {
			const r = await call(emu, '/user-wallets/get', { request_id: 7 }, tokens.main);
			expect(r.json).toEqual({
				request_id: 7,
				result: 0,
				wallets_private: [{ family: 0, chain: '1', address: PRIVATE_WALLET, label: 'Demo private wallet', tags: ['demo', 'private'] }],
				wallets_public: [{ family: 0, chain: '137', address: PUBLIC_WALLET, label: 'Demo public wallet', tags: ['demo', 'public'] }],
			});
			expect((await call(emu, '/user-wallets/get', {}, tokens.noscope)).json.result).toBe(-3);
		});

		test('request_id is echoed as the same JSON number, also on errors; a bad request_id is -5', async () => {
			const big = '9223372036854775807';
			const r = await call(emu, '/user-data/set', `{"value_key":"k","value_data":"v","request_id":${big}}`, tokens.main);
			expect(r.text).toBe(`{"request_id":${big},"result":0}`);
			const err = await call(emu, '/user-data/get', `{"request_id":-42,"value_keys":[]}`, tokens.main);
			expect(err.text).toBe('{"request_id":-42,"result":-5}');
			const expired = await call(emu, '/user-data/get', { request_id: 5, value_keys: ['k'] }, tokens.expired);
			expect(expired.json).toEqual({ request_id: 5, result: -2 });
			expect((await call(emu, '/user-data/get', { request_id: '5', value_keys: ['k'] }, tokens.main)).json).toEqual({ result: -5 });
			expect((await call(emu, '/user-data/get', { request_id: 1.5, value_keys: ['k'] }, tokens.main)).json).toEqual({ result: -5 });
			expect((await call(emu, '/user-data/get', `{"request_id":9223372036854775808,"value_keys":["k"]}`, tokens.main)).json).toEqual({
				result: -5,
			});
		});

		test('limits: key length in characters, value size in UTF-8 bytes, keys per get', async () => {
			const key256 = '€'.repeat(256);
			expect((await call(emu, '/user-data/by-email/set', { value_key: key256, value_data: 'v' }, tokens.main)).json.result).toBe(0);
			expect((await call(emu, '/user-data/by-email/set', { value_key: `${key256}x`, value_data: 'v' }, tokens.main)).json.result).toBe(-7);
			const maxValue = 'é'.repeat(32768); // 65536 bytes
			expect((await call(emu, '/user-data/by-email/set', { value_key: 'big', value_data: maxValue }, tokens.main)).json.result).toBe(0);
			expect((await call(emu, '/user-data/by-email/set', { value_key: 'big', value_data: `${maxValue}a` }, tokens.main)).json.result).toBe(-5);
			const keys100 = Array.from({ length: 100 }, (_, i) => `k${i}`);
			expect((await call(emu, '/user-data/by-email/get', { value_keys: keys100 }, tokens.main)).json.result).toBe(1);
			emu.setOptions({ maxKeysPerGet: 2, maxKeyLength: 3 });
			try {
				expect((await call(emu, '/user-data/by-email/get', { value_keys: ['a', 'b', 'c'] }, tokens.main)).json.result).toBe(-6);
				expect((await call(emu, '/user-data/by-email/set', { value_key: 'abcd', value_data: 'v' }, tokens.main)).json.result).toBe(-7);
			} finally {
				emu.setOptions({ maxKeysPerGet: 100, maxKeyLength: 256 });
			}
		});

		test('missing Authorization header: HTTP 401 with {result:-1}; wrong method or unknown path: HTTP 404 JSON', async () => {
			const r = await call(emu, '/user-data/by-email/get', { value_keys: ['k'], request_id: 1 }, undefined, { auth: false });
			expect(r.status).toBe(401);
			expect(r.json).toEqual({ request_id: 1, result: -1 });
			const basic = await call(emu, '/user-data/get', { value_keys: ['k'] }, undefined, { headers: { Authorization: 'Basic abc' } });
			expect([basic.status, basic.json.result]).toEqual([200, -1]);
			const get = await call(emu, '/user-data/get', undefined, tokens.main, { method: 'GET' });
			expect(get.status).toBe(404);
			expect(get.json.error).toBe('not_found');
			const unknown = await call(emu, '/user-data/by-phone/get', { value_keys: ['k'] }, tokens.main);
			expect(unknown.status).toBe(404);
			expect(unknown.headers.get('content-type')).toMatch(/application\/json/);
			const noList = await call(emu, '/user-data/list-get', {}, tokens.main);
			expect(noList.status).toBe(404);
		});

		test('wallet addresses: 0x… in any case is the same wallet; a base58 (Solana) address must match exactly', async () => {
			const solana = '7EcDhSYGxXyscszYEp35KHN8vvw3svAuLKTzXwCFLtV';
			emu.addUser({ userId: 'sol', email: 'sol@example.com', wallets: [solana, '0xAbCdEf0000000000000000000000000000000001'] });
			const t = emu.createToken({ userId: 'sol' }).access_token;
			const set = (wallet_address: string) => call(emu, '/user-data/by-wallet/set', { wallet_address, value_key: 'k', value_data: 'v' }, t);
			expect((await set(solana)).json.result).toBe(0);
			expect((await set(solana.toLowerCase())).json.result).toBe(-6);
			expect((await set('0xabcdef0000000000000000000000000000000001')).json.result).toBe(0);
			expect((await set('0xABCDEF0000000000000000000000000000000001')).json.result).toBe(0);
		});
	});
});
