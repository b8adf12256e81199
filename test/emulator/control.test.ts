/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
import { startEmulator, type Emulator } from './server';
import { call, control, tokenRequest } from './helpers';

const TOKEN_PATH = '/auth/realms/HyperID/protocol/openid-connect/token';
const CLIENT = { client_id: 'hyperid-demo-client', client_secret: 'demo-secret' };

describe('HyperID emulator: faults, log, reset, counters, options', () => {
	let emu: Emulator;
	let token: string;

	beforeAll(async () => {
		emu = await startEmulator();
	});
	beforeEach(() => {
		emu.reset();
		token = emu.createToken().access_token;
	});
	afterAll(async () => {
		await emu.close();
	});

	const set = (key: string, t = token) => call(emu, '/user-data/by-email/set', { value_key: key, value_data: 'v' }, t);

	describe('faults', () => {
		test('result fault answers the next `times` matching requests and does not write', async () => {
			const r = await control(emu, 'POST', 'faults', { rules: [{ path: '/user-data/by-email/set', result: -4, times: 2 }] });
			expect(r.status).toBe(200);
			expect((await call(emu, '/user-data/by-email/get', { value_keys: ['a'] }, token)).json.result).toBe(1); // other path
			const first = await call(emu, '/user-data/by-email/set', { value_key: 'a', value_data: 'v', request_id: 3 }, token);
			expect(first.json).toEqual({ request_id: 3, result: -4 });
			expect((await set('a')).json.result).toBe(-4);
			expect(emu.store().data).toEqual({});
			expect((await set('a')).json.result).toBe(0);
			expect(emu.faults()).toEqual([]);
			expect(emu.stats().faultsApplied).toBe(2);
		});

		test('a rule without path matches every user-data path (and /user-wallets/get) but not the token endpoint', async () => {
			emu.setFaults([{ result: -4, times: 3 }]);
			expect((await call(emu, '/user-wallets/get', {}, token)).json.result).toBe(-4);
			expect((await call(emu, '/user-data/get', { value_keys: ['k'] }, token)).json.result).toBe(-4);
			const grant = emu.createToken();
			const t = await tokenRequest(emu, { grant_type: 'refresh_token', refresh_token: grant.refresh_token, ...CLIENT });
			expect(t.status).toBe(200);
			expect((await call(emu, '/user-data/by-idp/list-get', { identity_provider: 'google' }, token)).json.result).toBe(-4);
			expect((await call(emu, '/user-data/by-idp/list-get', { identity_provider: 'google' }, token)).json.result).toBe(1);
		});

		test('status fault: that HTTP status with a small JSON error body, no write', async () => {
			emu.setFaults([{ path: '/user-data/by-email/set', status: 503 }]);
			const r = await set('a');
			expect(r.status).toBe(503);
			expect(r.json).toEqual({ error: 'service_unavailable' });
			expect(emu.store().data).toEqual({});
			emu.setFaults([{ status: 429 }]);
			const t = await set('a');
			expect([t.status, t.json.error]).toEqual([429, 'too_many_requests']);
		});

		test('status fault with a result code and Retry-After: both in the answer; retryAfter needs status', async () => {
			emu.setFaults([{ path: '/user-data/by-email/set', status: 429, result: -4, retryAfter: '7' }]);
			const res = await fetch(`${emu.url}/user-data/by-email/set`, {
				method: 'POST',
				headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
				body: JSON.stringify({ value_key: 'a', value_data: 'v' }),
			});
			expect(res.status).toBe(429);
			expect(res.headers.get('retry-after')).toBe('7');
			expect(await res.json()).toEqual({ error: 'too_many_requests', result: -4 });
			expect(emu.store().data).toEqual({});
			expect(() => emu.setFaults([{ result: -4, retryAfter: '7' }])).toThrow(/retryAfter/);
		});

		test('delay fault delays, then handles normally (the write happens)', async () => {
			emu.setFaults([{ path: '/user-data/by-email/set', delayMs: 250 }]);
			const t0 = Date.now();
			const r = await set('slow');
			expect(Date.now() - t0).toBeGreaterThanOrEqual(240);
			expect(r.json.result).toBe(0);
			expect(Object.keys(emu.store().data['demo-user'].email)).toEqual(['slow']);
			expect(emu.requests().at(-1)?.fault).toBe('delay');
		});

		test('answer-delay fault writes first, then answers late (a client that gave up finds the write made)', async () => {
			emu.setFaults([{ path: '/user-data/by-email/set', answerDelayMs: 1000 }]);
			const controller = new AbortController();
			const pending = fetch(`${emu.url}/user-data/by-email/set`, {
				method: 'POST',
				headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
				body: JSON.stringify({ value_key: 'late', value_data: 'v' }),
				signal: controller.signal,
			});
			for (let i = 0; i < 100 && !emu.store().data['demo-user']?.email?.late; i++) await new Promise((resolve) => setTimeout(resolve, 10));
			expect(Object.keys(emu.store().data['demo-user'].email)).toEqual(['late']);
			controller.abort();
			await expect(pending).rejects.toThrow();
			expect(() => emu.setFaults([{ answerDelayMs: -1 }])).toThrow(/answerDelayMs/);
		});

		test('reset fault drops the connection without an answer and does not write', async () => {
			emu.setFaults([{ path: '/user-data/by-email/set', reset: true }]);
			await expect(set('a')).rejects.toThrow();
			expect(emu.store().data).toEqual({});
			expect((await set('a')).json.result).toBe(0);
			const entry = emu.requests().find((e) => e.fault === 'reset');
			expect(entry).toMatchObject({ path: '/user-data/by-email/set', status: 0 });
		});

		test('token endpoint faults by its path', async () => {
			emu.setFaults([{ path: TOKEN_PATH, status: 500, times: 1 }]);
			const grant = emu.createToken();
			const failed = await tokenRequest(emu, { grant_type: 'refresh_token', refresh_token: grant.refresh_token, ...CLIENT });
			expect(failed.status).toBe(500);
			// the faulted refresh did not rotate the token
			const ok = await tokenRequest(emu, { grant_type: 'refresh_token', refresh_token: grant.refresh_token, ...CLIENT });
			expect(ok.status).toBe(200);
		});

		test('probability applies a rule to about that share, reproducibly with a seed', async () => {
			const run = async (): Promise<number[]> => {
				const r = await control(emu, 'POST', 'faults', { seed: 42, rules: [{ result: -4, times: -1, probability: 0.3 }] });
				expect(r.status).toBe(200);
				const out: number[] = [];
				for (let i = 0; i < 60; i++) out.push((await call(emu, '/user-data/get', { value_keys: ['k'] }, token)).json.result as number);
				return out;
			};
			const a = await run();
			const b = await run();
			expect(a).toEqual(b);
			const hits = a.filter((x) => x === -4).length;
			expect(hits).toBeGreaterThan(5);
			expect(hits).toBeLessThan(35);
			expect(a.every((x) => x === -4 || x === 1)).toBe(true);
			const cleared = await control(emu, 'DELETE', 'faults');
			expect(cleared.status).toBe(200);
			expect((await call(emu, '/user-data/get', { value_keys: ['k'] }, token)).json.result).toBe(1);
		});

		test('skip lets that many matching requests through first (they write), then the rule applies', async () => {
			emu.setFaults([{ path: '/user-data/by-email/set', skip: 2, result: -6 }]);
			expect((await call(emu, '/user-data/by-email/get', { value_keys: ['a'] }, token)).json.result).toBe(1); // other path: not counted
			expect((await set('a')).json.result).toBe(0);
			expect((await set('b')).json.result).toBe(0);
			expect((await set('c')).json.result).toBe(-6);
			expect((await set('c')).json.result).toBe(0);
			expect(Object.keys(emu.store().data['demo-user'].email).sort()).toEqual(['a', 'b', 'c']);
			expect(emu.faults()).toEqual([]);
			expect((await control(emu, 'POST', 'faults', { rules: [{ result: -4, skip: -1 }] })).status).toBe(400);
		});

		test('invalid fault rules are refused with 400', async () => {
			expect((await control(emu, 'POST', 'faults', { rules: [{ path: '/x' }] })).status).toBe(400);
			expect((await control(emu, 'POST', 'faults', { rules: [{ result: -4, probability: 2 }] })).status).toBe(400);
			expect((await control(emu, 'POST', 'faults', { rules: 'nope' })).status).toBe(400);
		});
	});

	describe('request log', () => {
		test('API calls only, secrets masked, never the bearer token', async () => {
			await set('a');
			await call(emu, '/user-data/get', { value_keys: ['a'] }, undefined, { auth: false });
			const grant = emu.createToken();
			await tokenRequest(emu, { grant_type: 'refresh_token', refresh_token: grant.refresh_token, ...CLIENT });
			await tokenRequest(emu, { grant_type: 'authorization_code', code: 'some-code', ...CLIENT });
			await control(emu, 'GET', 'stats');
			const r = await control(emu, 'GET', 'requests');
			const log = JSON.parse(r.text) as Array<Record<string, unknown>>;
			expect(log.map((e) => [e.method, e.path, e.status, e.result, e.hasBearer])).toEqual([
				['POST', '/user-data/by-email/set', 200, 0, true],
				['POST', '/user-data/get', 401, -1, false],
				['POST', TOKEN_PATH, 200, undefined, false],
				['POST', TOKEN_PATH, 400, undefined, false],
			]);
			expect(log[0].body).toEqual({ value_key: 'a', value_data: 'v' });
			expect(log[2].body).toEqual({ grant_type: 'refresh_token', refresh_token: '***', client_id: CLIENT.client_id, client_secret: '***' });
			expect(log[3].body).toMatchObject({ code: '***', client_secret: '***' });
			expect(typeof log[0].at).toBe('string');
			expect(r.text).not.toContain(token);
			expect(r.text).not.toContain(grant.refresh_token);
			expect(r.text).not.toContain('demo-secret');
			expect(r.text).not.toContain('some-code');
			expect((await control(emu, 'DELETE', 'requests')).status).toBe(200);
			expect(emu.requests()).toEqual([]);
		});

		test('log: false keeps no log but still counts', async () => {
			emu.options.log = false;
			try {
				await set('a');
				expect(emu.requests()).toEqual([]);
				expect(emu.stats().requestsByPath['/user-data/by-email/set']).toBe(1);
			} finally {
				emu.options.log = true;
			}
		});
	});

	test('reset restores the seeded state: data, users, clients, tokens, faults, log, counters', async () => {
		await set('a');
		emu.addUser({ userId: 'zed' });
		emu.addClient({ clientId: 'c2', clientSecret: 's2' });
		emu.setFaults([{ result: -4, times: 5 }]);
		const before = emu.store();
		expect(before.users.map((u) => u.userId)).toEqual(['demo-user', 'zed']);
		expect(before.clients).toEqual([{ clientId: 'hyperid-demo-client' }, { clientId: 'c2' }]);
		const r = await control(emu, 'POST', 'reset');
		expect(r.status).toBe(200);
		const after = emu.store();
		expect(after.data).toEqual({});
		expect(after.users.map((u) => u.userId)).toEqual(['demo-user']);
		expect(after.clients).toEqual([{ clientId: 'hyperid-demo-client' }]);
		expect(after.faults).toEqual([]);
		expect(after.tokens).toEqual({ access: 0, refresh: 0, codes: 0, searches: 0, sessions: 0 });
		expect(emu.requests()).toEqual([]);
		expect(emu.stats()).toMatchObject({ totalApiRequests: 0, userDataServed: 0, faultsApplied: 0, requestsByPath: {} });
		expect((await set('a')).json.result).toBe(-1);
	});

	test('reset also restores the options the emulator started with', async () => {
		const started = { ...emu.options };
		emu.setOptions({ latencyMs: 50, maxKeysPerGet: 3, expireTokensEveryRequests: 7 });
		expect(emu.options).toMatchObject({ latencyMs: 50, maxKeysPerGet: 3, expireTokensEveryRequests: 7 });
		await control(emu, 'POST', 'reset');
		expect(emu.options).toEqual(started);
	});

	test('expireTokensEveryRequests: tokens expire after N served requests; refreshed/fresh tokens work', async () => {
		emu.setOptions({ expireTokensEveryRequests: 5 });
		try {
			const grant = emu.createToken();
			const idle = emu.createToken().access_token; // issued at the same time, never used
			for (let i = 0; i < 5; i++) expect((await set(`k${i}`, grant.access_token)).json.result).toBe(0);
			expect((await set('k5', grant.access_token)).json.result).toBe(-2);
			expect((await set('k5', idle)).json.result).toBe(-2);
			const refreshed = await tokenRequest(emu, { grant_type: 'refresh_token', refresh_token: grant.refresh_token, ...CLIENT });
			const fresh = refreshed.json.access_token as string;
			for (let i = 0; i < 5; i++) expect((await set(`r${i}`, fresh)).json.result).toBe(0);
			expect((await set('r5', fresh)).json.result).toBe(-2);
			expect(emu.stats().userDataServed).toBe(10);
		} finally {
			emu.setOptions({ expireTokensEveryRequests: 0 });
		}
	});

	test('latencyMs delays every user-data request; maxInFlight counts concurrent requests', async () => {
		const r = await control(emu, 'POST', 'options', { latencyMs: 150 });
		expect(r.json.latencyMs).toBe(150);
		try {
			const t0 = Date.now();
			const results = await Promise.all([0, 1, 2, 3].map((i) => set(`k${i}`)));
			const elapsed = Date.now() - t0;
			expect(results.map((x) => x.json.result)).toEqual([0, 0, 0, 0]);
			expect(elapsed).toBeGreaterThanOrEqual(140);
			expect(elapsed).toBeLessThan(1000);
			expect(emu.stats().maxInFlight).toBe(4);
			expect(emu.stats().inFlight).toBe(0);
		} finally {
			emu.setOptions({ latencyMs: 0 });
		}
	});

	test('stats: per path counts, results, token grants', async () => {
		await set('a');
		await set('b');
		await call(emu, '/user-data/by-email/get', { value_keys: ['a'] }, token);
		await fetch(`${emu.url}/auth/realms/HyperID/.well-known/openid-configuration`);
		const s = (await control(emu, 'GET', 'stats')).json;
		expect(s.requestsByPath).toEqual({
			'/user-data/by-email/set': 2,
			'/user-data/by-email/get': 1,
			'/auth/realms/HyperID/.well-known/openid-configuration': 1,
		});
		expect(s.resultsByCode).toEqual({ '0': 3 });
		expect(s.tokenGrants).toEqual({ authorization_code: 0, refresh_token: 0, control: 1 });
		expect(s.totalApiRequests).toBe(4);
		emu.clearStats();
		expect(emu.stats().totalApiRequests).toBe(0);
	});

	test('control endpoints: tokens, users, clients, store', async () => {
		const unknownClient = await control(emu, 'POST', 'tokens', { clientId: 'nobody' });
		expect(unknownClient.status).toBe(400);
		expect((await control(emu, 'POST', 'clients', { clientId: 'c2', clientSecret: 's2' })).status).toBe(200);
		const u = await control(emu, 'POST', 'users', {
			userId: 'dora',
			email: 'dora@example.com',
			identityProviders: ['discord'],
			wallets: ['0xAbCdEf0000000000000000000000000000000001', '0x0000000000000000000000000000000000000002'],
		});
		expect(u.status).toBe(200);
		const t = await control(emu, 'POST', 'tokens', { userId: 'dora', clientId: 'c2', scopes: ['email', 'user-data-get', 'user-data-set'], expiresIn: 120 });
		expect(t.status).toBe(200);
		expect(t.json.expires_in).toBe(120);
		const dora = t.json.access_token as string;
		expect((await call(emu, '/user-data/by-idp/set', { identity_provider: 'discord', value_key: 'k', value_data: 'v' }, dora)).json.result).toBe(0);
		expect((await call(emu, '/user-data/by-wallet/set', { value_key: 'w', value_data: 'v', access_scope: 0 }, dora)).json.result).toBe(0);
		const wallets = await call(emu, '/user-wallets/get', {}, dora);
		expect((wallets.json.wallets_private as Array<{ address: string }>).map((w) => w.address)).toEqual([
			'0xAbCdEf0000000000000000000000000000000001',
		]);
		expect((wallets.json.wallets_public as unknown[]).length).toBe(1);
		const refresh = await tokenRequest(emu, {
			grant_type: 'refresh_token',
			refresh_token: t.json.refresh_token as string,
			client_id: 'c2',
			client_secret: 's2',
		});
		expect(refresh.status).toBe(200);

		const snap = (await control(emu, 'GET', 'store')).json as unknown as ReturnType<Emulator['store']>;
		expect(snap.data.dora).toEqual({
			'idp:discord': { k: { value_data: 'v', access_scope: 1, client_id: 'c2' } },
			'wallet:0xabcdef0000000000000000000000000000000001': { w: { value_data: 'v', access_scope: 0, client_id: 'c2' } },
		});
		expect(JSON.stringify(snap)).not.toContain('s2"');
		// a token for an unknown user creates the user
		const newbie = await control(emu, 'POST', 'tokens', { userId: 'newbie' });
		expect(newbie.status).toBe(200);
		expect(emu.store().users.some((x) => x.userId === 'newbie')).toBe(true);
		expect((await control(emu, 'GET', 'nothing')).status).toBe(404);
	});
});
