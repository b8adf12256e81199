import * as crypto from 'node:crypto';
import { startEmulator, type Emulator } from './server';
import { call, decodeJwt, tokenRequest } from './helpers';

const REALM = '/auth/realms/HyperID';
const AUTH = `${REALM}/protocol/openid-connect/auth`;
const CLIENT = { id: 'hyperid-demo-client', secret: 'demo-secret' };
const REDIRECT = 'http://localhost:5678/rest/oauth2-credential/callback';

function hs256(payload: Record<string, unknown>, secret: string): string {
	const h = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
	const p = Buffer.from(JSON.stringify(payload)).toString('base64url');
	const s = crypto.createHmac('sha256', secret).update(`${h}.${p}`).digest('base64url');
	return `${h}.${p}.${s}`;
}

describe('HyperID emulator: OpenID / OAuth2 and tokens', () => {
	let emu: Emulator;

	beforeAll(async () => {
		emu = await startEmulator();
	});
	beforeEach(() => emu.reset());
	afterAll(async () => {
		await emu.close();
	});

	async function authorize(params: Record<string, string>): Promise<Response> {
		const q = new URLSearchParams({ response_type: 'code', client_id: CLIENT.id, redirect_uri: REDIRECT, ...params });
		return fetch(`${emu.url}${AUTH}?${q}`, { redirect: 'manual' });
	}

	async function codeFor(params: Record<string, string> = {}): Promise<string> {
		const res = await authorize({ scope: 'openid email user-data-get user-data-set', state: 's', ...params });
		expect(res.status).toBe(302);
		return new URL(res.headers.get('location') as string).searchParams.get('code') as string;
	}

	test('discovery document', async () => {
		const res = await fetch(`${emu.url}${REALM}/.well-known/openid-configuration`);
		expect(res.status).toBe(200);
		const d = (await res.json()) as Record<string, unknown>;
		expect(d.issuer).toBe(`${emu.url}${REALM}`);
		expect(d.authorization_endpoint).toBe(`${emu.url}${AUTH}`);
		expect(d.token_endpoint).toBe(`${emu.url}${REALM}/protocol/openid-connect/token`);
		expect(d.userinfo_endpoint).toBe(`${emu.url}${REALM}/protocol/openid-connect/userinfo`);
		expect(d.rest_api_token_endpoint).toBe(emu.url);
		expect(d.rest_api_public_endpoint).toBe(emu.url);
		expect(d.identity_providers).toEqual(['google', 'telegram', 'twitter', 'apple', 'discord', 'microsoft']);
		expect(d.scopes_supported).toEqual(expect.arrayContaining(['openid', 'email', 'user-data-get', 'user-data-set']));
		expect(d.client_scopes_default).toBeDefined();
	});

	test('auth redirects with code and state; the code is single-use; tokens work on the REST API', async () => {
		const res = await authorize({ scope: 'openid email user-data-get user-data-set', state: 'xyz 123' });
		expect(res.status).toBe(302);
		const loc = new URL(res.headers.get('location') as string);
		expect(`${loc.origin}${loc.pathname}`).toBe(REDIRECT);
		expect(loc.searchParams.get('state')).toBe('xyz 123');
		const code = loc.searchParams.get('code') as string;
		expect(code).toBeTruthy();

		const tok = await tokenRequest(emu, {
			grant_type: 'authorization_code',
			code,
			redirect_uri: REDIRECT,
			client_id: CLIENT.id,
			client_secret: CLIENT.secret,
		});
		expect(tok.status).toBe(200);
		expect(tok.json).toMatchObject({ token_type: 'Bearer', expires_in: 3600, refresh_expires_in: 2592000, scope: 'openid email user-data-get user-data-set' });
		const claims = decodeJwt(tok.json.access_token as string);
		expect(claims).toMatchObject({
			sub: 'demo-user',
			azp: CLIENT.id,
			email: 'demo@example.com',
			scope: 'openid email user-data-get user-data-set',
			wallet_address: '0x5a0b54d5dc17e0aadc383d2db43b0a0d3e029c4c',
		});
		expect(typeof claims.exp).toBe('number');
		expect(typeof claims.jti).toBe('string');
		const set = await call(emu, '/user-data/set', { value_key: 'k', value_data: 'v' }, tok.json.access_token as string);
		expect(set.json.result).toBe(0);

		const reuse = await tokenRequest(emu, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: CLIENT.id, client_secret: CLIENT.secret });
		expect(reuse.status).toBe(400);
		expect(reuse.json.error).toBe('invalid_grant');
		expect(emu.stats().tokenGrants.authorization_code).toBe(1);
	});

	test('auth: unknown client is a 400 page; an unknown response_type redirects with an error', async () => {
		const res = await authorize({ client_id: 'nobody' });
		expect(res.status).toBe(400);
		expect(res.headers.get('content-type')).toMatch(/text\/html/);
		const bad = await authorize({ response_type: 'banana', state: 's' });
		expect(bad.status).toBe(302);
		expect(new URL(bad.headers.get('location') as string).searchParams.get('error')).toBe('unsupported_response_type');
	});

	test('token: redirect_uri required and must match; HTTP Basic client auth; JSON body; scope limits the token', async () => {
		const mismatch = await tokenRequest(emu, {
			grant_type: 'authorization_code',
			code: await codeFor(),
			redirect_uri: 'http://evil.example/cb',
			client_id: CLIENT.id,
			client_secret: CLIENT.secret,
		});
		expect([mismatch.status, mismatch.json.error]).toEqual([400, 'invalid_grant']);
		const missing = await tokenRequest(emu, { grant_type: 'authorization_code', code: await codeFor(), client_id: CLIENT.id, client_secret: CLIENT.secret });
		expect([missing.status, missing.json.error]).toEqual([400, 'invalid_grant']);

		const basic = await tokenRequest(
			emu,
			{ grant_type: 'authorization_code', code: await codeFor({ scope: 'openid user-data-get' }), redirect_uri: REDIRECT },
			{ Authorization: `Basic ${Buffer.from(`${CLIENT.id}:${CLIENT.secret}`).toString('base64')}` },
		);
		expect(basic.status).toBe(200);
		expect(basic.json.scope).toBe('openid user-data-get');
		const write = await call(emu, '/user-data/set', { value_key: 'k', value_data: 'v' }, basic.json.access_token as string);
		expect(write.json.result).toBe(-3);

		const json = await fetch(`${emu.url}${REALM}/protocol/openid-connect/token`, {
			method: 'POST',
			headers: { 'Content-Type': 'application/json' },
			body: JSON.stringify({
				grant_type: 'refresh_token',
				refresh_token: basic.json.refresh_token,
				client_id: CLIENT.id,
				client_secret: CLIENT.secret,
			}),
		});
		expect(json.status).toBe(200);
	});

	test('token: wrong or no secret -> 401 unauthorized_client, unknown client -> 401 invalid_client, no client -> 400 (ClientIdAndSecretAuthenticator)', async () => {
		const code = await codeFor();
		const attempts: Array<[Record<string, string>, number, string]> = [
			[{ client_id: CLIENT.id, client_secret: 'wrong' }, 401, 'unauthorized_client'],
			[{ client_id: CLIENT.id }, 401, 'unauthorized_client'],
			[{ client_id: 'nobody', client_secret: 'x' }, 401, 'invalid_client'],
			[{}, 400, 'invalid_client'],
		];
		for (const [creds, status, error] of attempts) {
			const r = await tokenRequest(emu, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, ...creds });
			expect([creds, r.status, r.json.error]).toEqual([creds, status, error]);
		}
		const basic = await tokenRequest(
			emu,
			{ grant_type: 'authorization_code', code, redirect_uri: REDIRECT },
			{ Authorization: `Basic ${Buffer.from(`${CLIENT.id}:nope`).toString('base64')}` },
		);
		expect([basic.status, basic.json.error]).toEqual([401, 'unauthorized_client']);
		// the failed attempts did not consume the code
		const ok = await tokenRequest(emu, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: CLIENT.id, client_secret: CLIENT.secret });
		expect(ok.status).toBe(200);
	});

	test('token: client_assertion (HS256 with the client secret)', async () => {
		const now = Math.floor(Date.now() / 1000);
		const assertion = hs256({ iss: CLIENT.id, sub: CLIENT.id, aud: `${emu.url}${REALM}`, exp: now + 60, jti: 'a' }, CLIENT.secret);
		const ok = await tokenRequest(emu, {
			grant_type: 'authorization_code',
			code: await codeFor(),
			redirect_uri: REDIRECT,
			client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
			client_assertion: assertion,
		});
		expect(ok.status).toBe(200);
		const bad = await tokenRequest(emu, {
			grant_type: 'authorization_code',
			code: await codeFor(),
			client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
			client_assertion: hs256({ iss: CLIENT.id, sub: CLIENT.id, aud: `${emu.url}${REALM}`, exp: now + 60, jti: 'b' }, 'wrong'),
		});
		expect([bad.status, bad.json.error]).toEqual([400, 'invalid_client']);
	});

	test('refresh tokens rotate; the new access token keeps user, client, scopes, wallet', async () => {
		emu.addUser({ userId: 'bob', email: 'bob@example.com', wallets: ['0x1111111111111111111111111111111111111111'] });
		const grant = emu.createToken({ userId: 'bob', scopes: ['user-data-get'], walletAddress: '0x1111111111111111111111111111111111111111' });
		const first = await tokenRequest(emu, {
			grant_type: 'refresh_token',
			refresh_token: grant.refresh_token,
			client_id: CLIENT.id,
			client_secret: CLIENT.secret,
		});
		expect(first.status).toBe(200);
		expect(first.json.refresh_token).not.toBe(grant.refresh_token);
		expect(first.json.access_token).not.toBe(grant.access_token);
		expect(first.json.scope).toBe('user-data-get');
		const claims = decodeJwt(first.json.access_token as string);
		expect(claims).toMatchObject({
			sub: 'bob',
			azp: CLIENT.id,
			scope: 'user-data-get',
			email: 'bob@example.com',
			wallet_address: '0x1111111111111111111111111111111111111111',
		});

		// the old one presented again ends the sign-in: reuse.test.ts
		const second = await tokenRequest(emu, {
			grant_type: 'refresh_token',
			refresh_token: first.json.refresh_token as string,
			client_id: CLIENT.id,
			client_secret: CLIENT.secret,
		});
		expect(second.status).toBe(200);
		expect(emu.stats().tokenGrants).toEqual({ authorization_code: 0, refresh_token: 2, control: 1 });

		// a refresh token belongs to its client
		emu.addClient({ clientId: 'c2', clientSecret: 's2' });
		const foreign = await tokenRequest(emu, {
			grant_type: 'refresh_token',
			refresh_token: second.json.refresh_token as string,
			client_id: 'c2',
			client_secret: 's2',
		});
		expect([foreign.status, foreign.json.error]).toEqual([400, 'invalid_grant']);
		const unsupported = await tokenRequest(emu, { grant_type: 'password', client_id: CLIENT.id, client_secret: CLIENT.secret });
		expect([unsupported.status, unsupported.json.error]).toEqual([400, 'unsupported_grant_type']);
	});

	test('access tokens: malformed, forged, unknown after reset -> -1; expired -> -2; missing header -> 401', async () => {
		const body = { value_keys: ['k'] };
		expect((await call(emu, '/user-data/get', body, 'garbage')).json.result).toBe(-1);
		expect((await call(emu, '/user-data/get', body, 'a.b.c')).json.result).toBe(-1);
		const real = emu.createToken().access_token;
		const forged = hs256(decodeJwt(real), 'not-the-emulator-secret');
		expect((await call(emu, '/user-data/get', body, forged)).json.result).toBe(-1);
		expect((await call(emu, '/user-data/get', body, real)).json.result).toBe(1);
		emu.reset();
		const after = await call(emu, '/user-data/get', body, real);
		expect([after.status, after.json.result]).toEqual([200, -1]);

		const expired = emu.createToken({ expiresIn: -10 });
		expect(expired.expires_in).toBe(-10);
		expect((await call(emu, '/user-data/get', body, expired.access_token)).json.result).toBe(-2);
		// the refresh token of an expired access token still works
		const refreshed = await tokenRequest(emu, {
			grant_type: 'refresh_token',
			refresh_token: expired.refresh_token,
			client_id: CLIENT.id,
			client_secret: CLIENT.secret,
		});
		expect((await call(emu, '/user-data/get', body, refreshed.json.access_token as string)).json.result).toBe(1);

		const short = emu.createToken({ expiresIn: 60 }).access_token;
		expect((await call(emu, '/user-data/get', body, short)).json.result).toBe(1);
		emu.advanceClock(61);
		expect((await call(emu, '/user-data/get', body, short)).json.result).toBe(-2);

		const missing = await call(emu, '/user-data/get', body, undefined, { auth: false });
		expect(missing.status).toBe(401);
		expect(missing.json).toEqual({ result: -1 });
	});

	test('scopes decide: reads need user-data-get, writes user-data-set, every endpoint email', async () => {
		const readOnly = emu.createToken({ scopes: ['openid', 'email', 'user-data-get'] }).access_token;
		const writeOnly = emu.createToken({ scopes: 'openid email user-data-set' }).access_token;
		const noEmail = emu.createToken({ scopes: 'openid user-data-get user-data-set' }).access_token;
		for (const [path, body] of [
			['/user-data/by-email/set', { value_key: 'k', value_data: 'v' }],
			['/user-data/by-email/get', { value_keys: ['k'] }],
			['/user-data/by-email/list-get', {}],
			['/user-data/by-email/shared-list-get', {}],
			['/user-data/by-email/delete', { value_keys: ['k'] }],
			['/user-wallets/get', {}],
		] as const) {
			expect([path, (await call(emu, path, body, noEmail)).json.result]).toEqual([path, -3]);
		}
		expect((await call(emu, '/user-data/by-email/set', { value_key: 'k', value_data: 'v' }, readOnly)).json.result).toBe(-3);
		expect((await call(emu, '/user-data/by-email/delete', { value_keys: ['k'] }, readOnly)).json.result).toBe(-3);
		expect((await call(emu, '/user-data/by-email/list-get', {}, readOnly)).json.result).toBe(1);
		expect((await call(emu, '/user-data/by-email/set', { value_key: 'k', value_data: 'v' }, writeOnly)).json.result).toBe(0);
		expect((await call(emu, '/user-data/by-email/delete', { value_keys: ['k'] }, writeOnly)).json.result).toBe(0);
		expect((await call(emu, '/user-data/by-email/get', { value_keys: ['k'] }, writeOnly)).json.result).toBe(-3);
		expect((await call(emu, '/user-data/by-email/shared-list-get', {}, writeOnly)).json.result).toBe(-3);
	});

	test('an authorization request without scope gets client_scopes_default, which reaches no user data', async () => {
		const doc = (await (await fetch(`${emu.url}${REALM}/.well-known/openid-configuration`)).json()) as { client_scopes_default: string[] };
		const res = await authorize({ state: 's' });
		expect(res.status).toBe(302);
		const code = new URL(res.headers.get('location') as string).searchParams.get('code') as string;
		const tok = await tokenRequest(emu, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: CLIENT.id, client_secret: CLIENT.secret });
		expect(tok.status).toBe(200);
		expect(String(tok.json.scope).split(' ')).toEqual(doc.client_scopes_default);
		expect(doc.client_scopes_default).not.toContain('user-data-get');
		const access = tok.json.access_token as string;
		expect((await call(emu, '/user-data/by-email/get', { value_keys: ['k'] }, access)).json.result).toBe(-3);
		expect((await call(emu, '/user-data/by-email/set', { value_key: 'k', value_data: 'v' }, access)).json.result).toBe(-3);
	});

	test('userinfo and login_hint', async () => {
		emu.addUser({ userId: 'carol', email: 'carol@example.com' });
		const code = await codeFor({ login_hint: 'carol@example.com' });
		const tok = await tokenRequest(emu, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: CLIENT.id, client_secret: CLIENT.secret });
		const res = await fetch(`${emu.url}${REALM}/protocol/openid-connect/userinfo`, {
			headers: { Authorization: `Bearer ${tok.json.access_token}` },
		});
		expect(res.status).toBe(200);
		expect(await res.json()).toMatchObject({ sub: 'carol', email: 'carol@example.com' });
		const anon = await fetch(`${emu.url}${REALM}/protocol/openid-connect/userinfo`);
		expect(anon.status).toBe(401);
	});
});
