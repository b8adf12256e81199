/**
 * The emulator as HyperID's own SDKs see the real service (issue 12, API.md "What HyperID's own
 * SDKs show"): refresh tokens are Keycloak JWTs, an empty body is an empty request, the session
 * endpoints (logout, revocation, introspection) work, and signed client assertions authenticate.
 */
import * as crypto from 'node:crypto';
import {
	CLIENT_ASSERTION_TYPE,
	DEMO,
	INTROSPECT_PATH,
	LOGOUT_PATH,
	REVOKE_PATH,
	TOKEN_PATH,
	startEmulator,
	type Emulator,
} from './server';
import { call, control, decodeJwt, oauthRequest, tokenRequest } from './helpers';

const REALM = '/auth/realms/HyperID';
const CLIENT = { client_id: DEMO.clientId, client_secret: DEMO.clientSecret };
const REDIRECT = 'http://localhost:5678/rest/oauth2-credential/callback';
const GET_KEYS = { value_keys: ['k'] };
/** Keycloak's JWTClientAuthenticator: an assertion that fails verification (JWTClientAuthenticator.java) */
const SIGNED_JWT_FAILED = { status: 400, json: { error: 'invalid_client', error_description: expect.stringMatching(/^Client authentication with signed JWT failed: /) } };
/** ClientIdAndSecretAuthenticator.reportFailedAuth: a known client, a wrong secret */
const WRONG_SECRET = { status: 401, json: { error: 'unauthorized_client', error_description: 'Invalid client or Invalid client credentials' } };
/** ClientIdAndSecretAuthenticator: no client_id at all */
const NO_CLIENT = { status: 400, json: { error: 'invalid_client', error_description: 'Missing client_id parameter' } };
/** TokenIntrospectionEndpoint.authorizeClient: any failed client authentication */
const INTROSPECTION_REFUSED = { status: 401, json: { error: 'invalid_request', error_description: 'Authentication failed.' } };

function sign(alg: 'HS256' | 'RS256' | 'none', payload: Record<string, unknown>, key: string | crypto.KeyObject = ''): string {
	const h = Buffer.from(JSON.stringify({ alg, typ: 'JWT' })).toString('base64url');
	const p = Buffer.from(JSON.stringify(payload)).toString('base64url');
	const data = `${h}.${p}`;
	if (alg === 'none') return `${data}.`;
	const s =
		alg === 'HS256'
			? crypto.createHmac('sha256', key as string).update(data).digest('base64url')
			: crypto.sign('sha256', Buffer.from(data), key as crypto.KeyObject).toString('base64url');
	return `${data}.${s}`;
}

function headerOf(token: string): Record<string, unknown> {
	return JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8'));
}

describe('HyperID emulator, as HyperID’s own SDKs see it', () => {
	let emu: Emulator;
	let issuer: string;
	let tokenUrl: string;

	beforeAll(async () => {
		emu = await startEmulator();
		issuer = `${emu.url}${REALM}`;
		tokenUrl = `${emu.url}${TOKEN_PATH}`;
	});
	beforeEach(() => emu.reset());
	afterAll(async () => {
		await emu.close();
	});

	const emulatorNow = () => Math.floor(Date.now() / 1000) + emu.store().clock.offsetSeconds;
	const refresh = (refreshToken: string, creds: Record<string, string> = CLIENT) =>
		tokenRequest(emu, { grant_type: 'refresh_token', refresh_token: refreshToken, ...creds });
	const read = (accessToken: string) => call(emu, '/user-data/by-email/get', GET_KEYS, accessToken);

	async function signIn(): Promise<Record<string, unknown>> {
		const q = new URLSearchParams({ response_type: 'code', client_id: CLIENT.client_id, redirect_uri: REDIRECT, scope: 'openid email user-data-get user-data-set' });
		const res = await fetch(`${emu.url}${REALM}/protocol/openid-connect/auth?${q}`, { redirect: 'manual' });
		const code = new URL(res.headers.get('location') as string).searchParams.get('code') as string;
		const tok = await tokenRequest(emu, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, ...CLIENT });
		expect(tok.status).toBe(200);
		return tok.json;
	}

	describe('1. refresh tokens are JWTs (Keycloak)', () => {
		test('the refresh token carries the Keycloak claims, and refresh_expires_in agrees with its exp', async () => {
			const tok = await signIn();
			const rt = tok.refresh_token as string;
			expect(rt.split('.')).toHaveLength(3);
			expect(headerOf(rt)).toMatchObject({ alg: 'HS256', typ: 'JWT' });
			const claims = decodeJwt(rt);
			const access = decodeJwt(tok.access_token as string);
			expect(claims).toEqual({
				exp: expect.any(Number),
				iat: expect.any(Number),
				jti: expect.any(String),
				iss: issuer,
				aud: issuer,
				sub: 'demo-user',
				typ: 'Refresh',
				azp: DEMO.clientId,
				sid: access.sid,
				scope: 'openid email user-data-get user-data-set',
			});
			expect(claims.exp as number).toBe((claims.iat as number) + (tok.refresh_expires_in as number));
			expect(tok.refresh_expires_in).toBe(30 * 24 * 3600);
			expect(Math.abs((claims.iat as number) - emulatorNow())).toBeLessThanOrEqual(2);
			expect(access.typ).toBe('Bearer');
			expect(decodeJwt(tok.id_token as string).sid).toBe(access.sid);
		});

		test('tokens from the control API are JWTs too', async () => {
			const grant = (await control(emu, 'POST', 'tokens', {})).json;
			expect(decodeJwt(grant.refresh_token as string)).toMatchObject({ typ: 'Refresh', sub: DEMO.userId, azp: DEMO.clientId });
			expect(decodeJwt(grant.access_token as string).sid).toBe(decodeJwt(grant.refresh_token as string).sid);
		});

		test('exp follows the emulator clock (POST /__emulator/clock), for access and refresh tokens', async () => {
			const before = emu.createToken();
			expect((await control(emu, 'POST', 'clock', { advanceSeconds: 86400 })).status).toBe(200);
			const after = emu.createToken();
			const shift = (a: string, b: string, claim: string) => (decodeJwt(b)[claim] as number) - (decodeJwt(a)[claim] as number);
			expect(shift(before.refresh_token, after.refresh_token, 'iat')).toBeGreaterThanOrEqual(86400);
			expect(shift(before.refresh_token, after.refresh_token, 'iat')).toBeLessThanOrEqual(86402);
			expect(shift(before.refresh_token, after.refresh_token, 'exp')).toBe(shift(before.refresh_token, after.refresh_token, 'iat'));
			expect(shift(before.access_token, after.access_token, 'exp')).toBe(shift(before.access_token, after.access_token, 'iat'));
			const rotated = await refresh(after.refresh_token);
			const claims = decodeJwt(rotated.json.refresh_token as string);
			expect(claims.exp).toBe((claims.iat as number) + (rotated.json.refresh_expires_in as number));
			expect(Math.abs((claims.iat as number) - emulatorNow())).toBeLessThanOrEqual(2);
		});

		test('a refresh token expires with its exp on the emulator clock', async () => {
			emu.setOptions({ refreshTokenLifetime: 100 });
			const grant = emu.createToken();
			const claims = decodeJwt(grant.refresh_token);
			expect((claims.exp as number) - (claims.iat as number)).toBe(100);
			const rotated = await refresh(grant.refresh_token);
			expect(rotated.json.refresh_expires_in).toBe(100);
			emu.advanceClock(101);
			const late = await refresh(rotated.json.refresh_token as string);
			expect([late.status, late.json.error]).toEqual([400, 'invalid_grant']);
		});

		test('rotation: same session, new jti; forged or wrong-typed ones give invalid_grant (a used one: reuse.test.ts)', async () => {
			const grant = emu.createToken();
			const first = await refresh(grant.refresh_token);
			expect(first.status).toBe(200);
			const old = decodeJwt(grant.refresh_token);
			const next = decodeJwt(first.json.refresh_token as string);
			expect(next.sid).toBe(old.sid);
			expect(next.jti).not.toBe(old.jti);
			expect(decodeJwt(first.json.access_token as string).sid).toBe(old.sid);

			const forged = sign('HS256', next, 'not-the-emulator-key');
			expect((await refresh(forged)).json.error).toBe('invalid_grant');
			// an access token is no refresh token, and a refresh token is no access token
			expect((await refresh(first.json.access_token as string)).json.error).toBe('invalid_grant');
			expect((await read(first.json.refresh_token as string)).json.result).toBe(-1);
			expect((await refresh(first.json.refresh_token as string)).status).toBe(200);
		});
	});

	describe('2. no body means an empty request', () => {
		async function raw(path: string, body: string | undefined, token: string, contentType = true): Promise<Record<string, unknown>> {
			const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
			if (contentType) headers['Content-Type'] = 'application/json';
			const res = await fetch(`${emu.url}${path}`, { method: 'POST', headers, body });
			expect(res.status).toBe(200);
			return (await res.json()) as Record<string, unknown>;
		}

		test('Python/JS (no body) and PHP (empty string): list-get by email and by user id, /user-wallets/get', async () => {
			const token = emu.createToken().access_token;
			await call(emu, '/user-data/by-email/set', { value_key: 'e', value_data: 'v', access_scope: 0 }, token);
			await call(emu, '/user-data/by-user-id/set', { value_key: 'u', value_data: 'v' }, token);
			for (const body of [undefined, '']) {
				for (const contentType of [true, false]) {
					expect(await raw('/user-data/by-email/list-get', body, token, contentType)).toEqual({ result: 0, keys_private: ['e'], keys_public: [] });
					expect(await raw('/user-data/by-user-id/list-get', body, token, contentType)).toEqual({ result: 0, keys_private: [], keys_public: ['u'] });
					const wallets = await raw('/user-wallets/get', body, token, contentType);
					expect(wallets.result).toBe(0);
					expect(wallets.wallets_private).toEqual([expect.objectContaining({ address: DEMO.privateWallet })]);
				}
			}
			const bodiless = emu.requests().filter((e) => e.path.endsWith('list-get') || e.path === '/user-wallets/get');
			expect(bodiless).toHaveLength(12);
			expect(bodiless.every((e) => e.body === undefined && e.result === 0)).toBe(true);
		});

		test('an empty body is exactly {}: optional fields take their defaults, required ones are missing (-5)', async () => {
			const token = emu.createToken().access_token;
			expect(await raw('/user-data/by-email/shared-list-get', undefined, token)).toEqual({ result: 1, keys_shared: [], next_search_id: '' });
			// by-wallet: wallet_address is optional and defaults to the token's wallet
			expect(await raw('/user-data/by-wallet/list-get', undefined, token)).toEqual({ result: 1, keys_private: [], keys_public: [] });
			expect(await raw('/user-data/by-idp/list-get', undefined, token)).toEqual({ result: -5 });
			expect(await raw('/user-data/by-email/set', undefined, token)).toEqual({ result: -5 });
			expect(await raw('/user-data/get', '', token)).toEqual({ result: -5 });
			// the empty body is not a way around the checks that come first
			expect(await raw('/user-wallets/get', undefined, 'not-a-token')).toEqual({ result: -1 });
			const noScope = emu.createToken({ scopes: 'openid email' }).access_token;
			expect(await raw('/user-data/by-email/list-get', undefined, noScope)).toEqual({ result: -3 });
		});

		test('a body that is present and not a JSON object stays -5', async () => {
			const token = emu.createToken().access_token;
			for (const body of [' ', '\n', 'x', '{', 'null', '[]', '""', '0']) {
				expect([body, await raw('/user-data/by-email/list-get', body, token)]).toEqual([body, { result: -5 }]);
				expect([body, await raw('/user-wallets/get', body, token)]).toEqual([body, { result: -5 }]);
			}
			expect(await raw('/user-data/by-email/list-get', '{}', token)).toEqual({ result: 1, keys_private: [], keys_public: [] });
		});
	});

	describe('3. logout, revocation, introspection', () => {
		const logout = (refreshToken: string, creds: Record<string, string> = CLIENT) =>
			oauthRequest(emu, LOGOUT_PATH, { refresh_token: refreshToken, ...creds });
		const revoke = (token: string, creds: Record<string, string> = CLIENT, extra: Record<string, string> = {}) =>
			oauthRequest(emu, REVOKE_PATH, { token, ...creds, ...extra });
		const introspect = (token: string, creds: Record<string, string> = CLIENT) => oauthRequest(emu, INTROSPECT_PATH, { token, ...creds });
		const userinfo = async (accessToken: string) =>
			(await fetch(`${emu.url}${REALM}/protocol/openid-connect/userinfo`, { headers: { Authorization: `Bearer ${accessToken}` } })).status;

		test('discovery advertises the three endpoints, and they answer (no client: 400 Missing client_id parameter; introspection its own 401)', async () => {
			const d = emu.discovery();
			expect(d.end_session_endpoint).toBe(`${emu.url}${LOGOUT_PATH}`);
			expect(d.revocation_endpoint).toBe(`${emu.url}${REVOKE_PATH}`);
			expect(d.introspection_endpoint).toBe(`${emu.url}${INTROSPECT_PATH}`);
			expect(d.token_endpoint_auth_methods_supported).toEqual(expect.arrayContaining(['client_secret_post', 'client_secret_jwt', 'private_key_jwt']));
			const expected: Array<[string, number]> = [
				[d.end_session_endpoint as string, 400],
				[d.revocation_endpoint as string, 400],
				[d.introspection_endpoint as string, 401],
			];
			for (const [url, status] of expected) {
				const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: '' });
				expect([url, res.status]).toEqual([url, status]);
			}
		});

		test('logout ends the session: 204; its refresh token gives invalid_grant, its access tokens -1', async () => {
			const tok = await signIn();
			const other = emu.createToken(); // another session of the same user and client
			const rotated = await refresh(tok.refresh_token as string);
			const access = rotated.json.access_token as string;
			expect((await read(access)).json.result).toBe(1);

			const res = await logout(rotated.json.refresh_token as string);
			expect(res.status).toBe(204);
			expect(res.text).toBe('');
			const after = await refresh(rotated.json.refresh_token as string);
			expect([after.status, after.json.error]).toEqual([400, 'invalid_grant']);
			expect((await read(access)).json.result).toBe(-1);
			expect((await read(tok.access_token as string)).json.result).toBe(-1);
			expect(await userinfo(access)).toBe(401);
			expect((await introspect(access)).json).toEqual({ active: false });

			expect((await read(other.access_token)).json.result).toBe(1);
			expect((await refresh(other.refresh_token)).status).toBe(200);
			// the session is gone already: nothing to end, still 204 (as Keycloak)
			expect((await logout(rotated.json.refresh_token as string)).status).toBe(204);
		});

		test('logout with a refresh token of the session that was already rotated out still ends it (Keycloak checks signature, client, exp)', async () => {
			const grant = emu.createToken();
			const rotated = await refresh(grant.refresh_token);
			expect((await logout(grant.refresh_token)).status).toBe(204);
			expect((await refresh(rotated.json.refresh_token as string)).json.error).toBe('invalid_grant');
		});

		test('logout errors: client authentication, missing or foreign or dead refresh token', async () => {
			const grant = emu.createToken();
			emu.addClient({ clientId: 'c2', clientSecret: 's2' });
			expect(await logout(grant.refresh_token, { client_id: CLIENT.client_id, client_secret: 'wrong' })).toMatchObject(WRONG_SECRET);
			expect(await logout(grant.refresh_token, {})).toMatchObject(NO_CLIENT);
			expect(await oauthRequest(emu, LOGOUT_PATH, CLIENT)).toMatchObject({ status: 400, json: { error: 'invalid_request' } });
			expect(await logout(grant.refresh_token, { client_id: 'c2', client_secret: 's2' })).toMatchObject({ status: 400, json: { error: 'invalid_grant' } });
			expect(await logout('garbage')).toMatchObject({ status: 400, json: { error: 'invalid_grant' } });
			expect(await logout(grant.access_token)).toMatchObject({ status: 400, json: { error: 'invalid_grant' } });
			// none of that ended the session
			expect((await refresh(grant.refresh_token)).status).toBe(200);
		});

		test('logout with an expired refresh token still ends the session: 204 (LogoutEndpoint.logoutToken checks no expiry)', async () => {
			const grant = emu.createToken();
			const other = emu.createToken();
			emu.advanceClock(31 * 24 * 3600);
			expect((await logout(grant.refresh_token)).status).toBe(204);
			emu.advanceClock(-31 * 24 * 3600);
			expect(await refresh(grant.refresh_token)).toMatchObject({ status: 400, json: { error: 'invalid_grant', error_description: 'Session not active' } });
			expect((await refresh(other.refresh_token)).status).toBe(200);
		});

		test('revoking a refresh token ends the sign-in it belongs to, not the user’s others (TokenRevocationEndpoint.revokeClientSession)', async () => {
			emu.addClient({ clientId: 'c2', clientSecret: 's2' });
			const first = emu.createToken();
			const second = emu.createToken();
			const otherClient = emu.createToken({ clientId: 'c2' });
			const otherUser = emu.createToken({ userId: 'someone-else' });

			const res = await revoke(first.refresh_token, CLIENT, { token_type_hint: 'refresh_token' });
			expect(res.status).toBe(200);
			expect(res.text).toBe('');
			expect(await refresh(first.refresh_token)).toMatchObject({ status: 400, json: { error: 'invalid_grant', error_description: "Session doesn't have required client" } });
			expect((await read(first.access_token)).json.result).toBe(-1);
			expect((await read(second.access_token)).json.result).toBe(1);
			expect((await refresh(second.refresh_token)).status).toBe(200);
			expect((await read(otherClient.access_token)).json.result).toBe(1);
			expect((await refresh(otherClient.refresh_token, { client_id: 'c2', client_secret: 's2' })).status).toBe(200);
			expect((await read(otherUser.access_token)).json.result).toBe(1);
			expect((await refresh(otherUser.refresh_token)).status).toBe(200);
			// revoking again, or an unknown token: still 200 (RFC 7009 2.2), with Keycloak's invalid_token note
			expect(await revoke(first.refresh_token)).toMatchObject({ status: 200, json: { error: 'invalid_token' } });
			expect(await revoke('garbage')).toMatchObject({ status: 200, json: { error: 'invalid_token' } });
		});

		test('revoking an access token revokes that token alone; its refresh token still works', async () => {
			const grant = emu.createToken();
			const sibling = (await refresh(grant.refresh_token)).json;
			expect((await revoke(grant.access_token, CLIENT, { token_type_hint: 'access_token' })).status).toBe(200);
			expect((await read(grant.access_token)).json.result).toBe(-1);
			expect((await read(sibling.access_token as string)).json.result).toBe(1);
			const next = await refresh(sibling.refresh_token as string);
			expect(next.status).toBe(200);
			expect((await read(next.json.access_token as string)).json.result).toBe(1);
			expect((await revoke(grant.access_token)).status).toBe(200);
		});

		test('revocation errors: client authentication, no token, another client’s token, an id token', async () => {
			const tok = await signIn();
			emu.addClient({ clientId: 'c2', clientSecret: 's2' });
			expect(await revoke(tok.refresh_token as string, {})).toMatchObject(NO_CLIENT);
			expect(await revoke('garbage', { client_id: 'c2', client_secret: 'nope' })).toMatchObject(WRONG_SECRET);
			expect(await revoke('garbage', { client_id: 'nobody', client_secret: 'nope' })).toMatchObject({ status: 401, json: { error: 'invalid_client' } });
			expect(await oauthRequest(emu, REVOKE_PATH, CLIENT)).toMatchObject({ status: 400, json: { error: 'invalid_request' } });
			expect(await revoke(tok.refresh_token as string, { client_id: 'c2', client_secret: 's2' })).toMatchObject({ status: 400, json: { error: 'invalid_request' } });
			expect(await revoke(tok.id_token as string)).toMatchObject({ status: 400, json: { error: 'unsupported_token_type' } });
			expect((await refresh(tok.refresh_token as string)).status).toBe(200);
			// the request log does not keep the token
			const entry = emu
				.requests()
				.reverse()
				.find((e) => e.path === REVOKE_PATH);
			expect(entry?.body).toMatchObject({ token: '***', client_secret: '***' });
		});

		test('introspection: {active: true, ...claims, username} for a live token, {active: false} otherwise (AccessTokenIntrospectionProvider)', async () => {
			const grant = emu.createToken({ expiresIn: 60 });
			const access = await introspect(grant.access_token);
			expect(access.status).toBe(200);
			expect(access.json).toEqual({ ...decodeJwt(grant.access_token), active: true, client_id: DEMO.clientId, username: DEMO.email, token_type: 'Bearer' });
			expect(access.json).toMatchObject({ sub: DEMO.userId, scope: 'openid email user-data-get user-data-set' });
			const rt = await introspect(grant.refresh_token);
			expect(rt.json).toEqual({ ...decodeJwt(grant.refresh_token), active: true, client_id: DEMO.clientId, username: DEMO.email, token_type: 'Refresh' });
			// any authenticated client of the realm may ask
			emu.addClient({ clientId: 'c2', clientSecret: 's2' });
			expect((await introspect(grant.access_token, { client_id: 'c2', client_secret: 's2' })).json.active).toBe(true);

			for (const dead of ['garbage', 'a.b.c', sign('HS256', decodeJwt(grant.access_token), 'forged')]) {
				expect((await introspect(dead)).json).toEqual({ active: false });
			}
			const rotated = await refresh(grant.refresh_token);
			expect((await introspect(grant.refresh_token)).json).toEqual({ active: false }); // used
			expect((await introspect(rotated.json.refresh_token as string)).json.active).toBe(true);
			emu.advanceClock(61);
			expect((await introspect(grant.access_token)).json).toEqual({ active: false }); // expired
			expect((await introspect(rotated.json.access_token as string)).json.active).toBe(true);
		});

		test('introspection errors: any failed client authentication is 401 invalid_request "Authentication failed."; no token (TokenIntrospectionEndpoint)', async () => {
			const grant = emu.createToken();
			expect(await introspect(grant.access_token, {})).toMatchObject(INTROSPECTION_REFUSED);
			expect(await introspect(grant.access_token, { client_id: CLIENT.client_id, client_secret: 'x' })).toMatchObject(INTROSPECTION_REFUSED);
			expect(await introspect(grant.access_token, { client_id: 'nobody', client_secret: 'x' })).toMatchObject(INTROSPECTION_REFUSED);
			expect(await introspect(grant.access_token, { client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: 'a.b.c' })).toMatchObject(INTROSPECTION_REFUSED);
			expect(await oauthRequest(emu, INTROSPECT_PATH, CLIENT)).toMatchObject({ status: 400, json: { error: 'invalid_request', error_description: 'Token not provided.' } });
		});

		test('the README recipe: a revoked refresh token is a dead credential', async () => {
			const grant = emu.createToken();
			const res = await fetch(`${emu.url}${REVOKE_PATH}`, {
				method: 'POST',
				headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
				body: new URLSearchParams({ token: grant.refresh_token, client_id: DEMO.clientId, client_secret: DEMO.clientSecret }).toString(),
			});
			expect(res.status).toBe(200);
			expect((await read(grant.access_token)).json.result).toBe(-1);
			expect(await refresh(grant.refresh_token)).toMatchObject({ status: 400, json: { error: 'invalid_grant' } });
		});
	});

	describe('4. signed client assertions', () => {
		const keys = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
		const otherKeys = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
		const publicKeyPem = keys.publicKey.export({ type: 'spki', format: 'pem' }) as string;
		let jtiCounter = 0;

		const claims = (over: Record<string, unknown> = {}) => ({
			iss: DEMO.clientId,
			sub: DEMO.clientId,
			aud: tokenUrl,
			exp: emulatorNow() + 60,
			iat: emulatorNow(),
			jti: `jti-${++jtiCounter}`,
			...over,
		});
		const hs = (over: Record<string, unknown> = {}, secret: string = DEMO.clientSecret) => sign('HS256', claims(over), secret);
		const assertionForm = (assertion: string, extra: Record<string, string> = {}) => ({
			client_assertion_type: CLIENT_ASSERTION_TYPE,
			client_assertion: assertion,
			...extra,
		});
		const withAssertion = async (assertion: string, extra: Record<string, string> = {}) => {
			const grant = emu.createToken();
			return await refresh(grant.refresh_token, assertionForm(assertion, extra));
		};

		test('HS256 with the client secret: aud is the token endpoint URL or the realm issuer', async () => {
			expect((await withAssertion(hs())).status).toBe(200);
			expect((await withAssertion(hs({ aud: issuer }))).status).toBe(200);
			expect((await withAssertion(hs({ aud: ['https://elsewhere.example', issuer] }))).status).toBe(200);
			expect((await withAssertion(hs(), { client_id: DEMO.clientId })).status).toBe(200);
			for (const aud of [emu.url, `${emu.url}${LOGOUT_PATH}`, 'https://login.hypersecureid.com/auth/realms/HyperID', undefined]) {
				const r = await withAssertion(hs({ aud }));
				expect([aud, r.status, r.json.error]).toEqual([aud, 400, 'invalid_client']);
			}
		});

		test('RS256 with a public key registered through the control API', async () => {
			const reg = await control(emu, 'POST', 'clients', { clientId: 'rsa-client', publicKeyPem });
			expect(reg.status).toBe(200);
			const grant = emu.createToken({ clientId: 'rsa-client' });
			const rs = (over: Record<string, unknown> = {}, key = keys.privateKey) =>
				sign('RS256', claims({ iss: 'rsa-client', sub: 'rsa-client', ...over }), key);
			const ok = await refresh(grant.refresh_token, assertionForm(rs()));
			expect(ok.status).toBe(200);
			expect(decodeJwt(ok.json.access_token as string).azp).toBe('rsa-client');
			const next = ok.json.refresh_token as string;
			// another key, a key-less HS256, a secret the client does not have, alg none
			for (const bad of [rs({}, otherKeys.privateKey), sign('HS256', claims({ iss: 'rsa-client', sub: 'rsa-client' }), ''), sign('none', claims({ iss: 'rsa-client', sub: 'rsa-client' }))]) {
				expect(await refresh(next, assertionForm(bad))).toMatchObject(SIGNED_JWT_FAILED);
			}
			expect(await refresh(next, { client_id: 'rsa-client', client_secret: '' })).toMatchObject(WRONG_SECRET);
			expect((await refresh(next, assertionForm(rs({ aud: issuer })))).status).toBe(200);
		});

		test('a client may have both a secret and a key; the control API checks what it is given', async () => {
			emu.addClient({ clientId: 'both', clientSecret: 'both-secret', publicKeyPem });
			const grant = emu.createToken({ clientId: 'both' });
			const a = await refresh(grant.refresh_token, assertionForm(sign('RS256', claims({ iss: 'both', sub: 'both' }), keys.privateKey)));
			expect(a.status).toBe(200);
			const b = await refresh(a.json.refresh_token as string, assertionForm(hs({ iss: 'both', sub: 'both' }, 'both-secret')));
			expect(b.status).toBe(200);
			expect((await refresh(b.json.refresh_token as string, { client_id: 'both', client_secret: 'both-secret' })).status).toBe(200);

			expect((await control(emu, 'POST', 'clients', { clientId: 'nothing' })).status).toBe(400);
			expect((await control(emu, 'POST', 'clients', { clientId: 'bad-pem', publicKeyPem: 'not a key' })).status).toBe(400);
			const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' });
			expect((await control(emu, 'POST', 'clients', { clientId: 'ec', publicKeyPem: ec })).status).toBe(400);
			expect(emu.store().clients.map((c) => c.clientId)).toEqual([DEMO.clientId, 'both']);
		});

		test('client_assertion_type is required and exact (a bare 400 invalid_client)', async () => {
			const grant = emu.createToken();
			for (const type of [undefined, 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer', 'jwt-bearer']) {
				const form: Record<string, string> = { client_assertion: hs() };
				if (type !== undefined) form.client_assertion_type = type;
				expect(await refresh(grant.refresh_token, form)).toMatchObject({ status: 400, json: { error: 'invalid_client', error_description: expect.stringMatching(/^Parameter client_assertion_type /) } });
			}
			expect((await refresh(grant.refresh_token, assertionForm(hs()))).status).toBe(200);
		});

		test('exp is required and checked on the emulator clock; nbf too', async () => {
			const grant = emu.createToken();
			const rejected = [hs({ exp: undefined }), hs({ exp: emulatorNow() - 1 }), hs({ exp: String(emulatorNow() + 60) }), hs({ nbf: emulatorNow() + 30 })];
			for (const assertion of rejected) {
				expect(await refresh(grant.refresh_token, assertionForm(assertion))).toMatchObject(SIGNED_JWT_FAILED);
			}
			const soon = hs({ exp: emulatorNow() + 30 });
			emu.advanceClock(31);
			expect(await refresh(grant.refresh_token, assertionForm(soon))).toMatchObject(SIGNED_JWT_FAILED);
			expect((await refresh(grant.refresh_token, assertionForm(hs()))).status).toBe(200);
		});

		test('iss = sub = the client id (and client_id, when sent, the same)', async () => {
			emu.addClient({ clientId: 'c2', clientSecret: DEMO.clientSecret });
			const grant = emu.createToken();
			const rejected: Array<[Record<string, unknown>, Record<string, string>]> = [
				[{ iss: 'c2' }, {}],
				[{ sub: 'c2' }, {}],
				[{ iss: undefined }, {}],
				[{ sub: undefined }, {}],
				[{}, { client_id: 'c2' }],
			];
			for (const [over, extra] of rejected) {
				const r = await refresh(grant.refresh_token, assertionForm(hs(over), extra));
				expect([over, extra, r.status, r.json.error]).toEqual([over, extra, 400, 'invalid_client']);
			}
			// an unknown client is the usual 401 (AuthenticationProcessor: CLIENT_NOT_FOUND)
			expect(await refresh(grant.refresh_token, assertionForm(hs({ iss: 'nobody', sub: 'nobody' })))).toMatchObject({ status: 401, json: { error: 'invalid_client' } });
			expect((await refresh(grant.refresh_token, assertionForm(hs()))).status).toBe(200);
		});

		test('a jti is used once (Keycloak: "Token reuse detected"); one is required', async () => {
			const grant = emu.createToken();
			const assertion = hs();
			const first = await refresh(grant.refresh_token, assertionForm(assertion));
			expect(first.status).toBe(200);
			const again = await refresh(first.json.refresh_token as string, assertionForm(assertion));
			expect(again).toMatchObject({ status: 400, json: { error: 'invalid_client', error_description: 'Client authentication with signed JWT failed: Token reuse detected' } });
			expect(await refresh(first.json.refresh_token as string, assertionForm(hs({ jti: undefined })))).toMatchObject(SIGNED_JWT_FAILED);
			// a rejected assertion does not spend its jti
			const fresh = hs({ jti: 'kept' });
			const wrongClient = await refresh(first.json.refresh_token as string, assertionForm(fresh, { client_id: 'someone' }));
			expect(wrongClient.status).toBe(400);
			expect((await refresh(first.json.refresh_token as string, assertionForm(fresh))).status).toBe(200);
		});

		test('the same client authentication guards logout, revocation and introspection', async () => {
			const grant = emu.createToken();
			const inspected = await oauthRequest(emu, INTROSPECT_PATH, { token: grant.access_token, ...assertionForm(hs()) });
			expect(inspected.json.active).toBe(true);
			const reused = hs();
			expect((await oauthRequest(emu, INTROSPECT_PATH, { token: grant.access_token, ...assertionForm(reused) })).status).toBe(200);
			expect((await oauthRequest(emu, INTROSPECT_PATH, { token: grant.access_token, ...assertionForm(reused) })).status).toBe(401);
			expect((await oauthRequest(emu, REVOKE_PATH, { token: grant.access_token, ...assertionForm(hs({}, 'wrong')) })).status).toBe(400);
			expect((await oauthRequest(emu, REVOKE_PATH, { token: grant.access_token, ...assertionForm(hs()) })).status).toBe(200);
			const basic = { Authorization: `Basic ${Buffer.from(`${DEMO.clientId}:${DEMO.clientSecret}`).toString('base64')}` };
			expect((await oauthRequest(emu, LOGOUT_PATH, { refresh_token: grant.refresh_token }, basic)).status).toBe(204);
			expect((await refresh(grant.refresh_token)).json.error).toBe('invalid_grant');
		});
	});
});
