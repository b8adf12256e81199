import * as crypto from 'node:crypto';
import { DEMO, startEmulator, type Emulator } from './server';
import { call, control, decodeJwt, oauthRequest, tokenRequest } from './helpers';

const REALM = '/auth/realms/HyperID';
const OIDC = `${REALM}/protocol/openid-connect`;
const AUTH = `${OIDC}/auth`;
const USERINFO = `${OIDC}/userinfo`;
const SERVICE = { client_id: 'my-service', client_secret: 'service-secret' };
const CALLBACK = 'https://service.example/webhook/hyperid-callback';
const SCOPE = 'openid email user-data-get user-data-set';

function pkcePair(): { verifier: string; challenge: string } {
	const verifier = crypto.randomBytes(32).toString('base64url');
	return { verifier, challenge: crypto.createHash('sha256').update(verifier).digest('base64url') };
}

describe('HyperID emulator: sign-in (authorization endpoint, PKCE, code exchange, userinfo, many users)', () => {
	let emu: Emulator;

	beforeAll(async () => {
		emu = await startEmulator();
	});
	beforeEach(() => {
		emu.reset();
		emu.addClient({ clientId: SERVICE.client_id, clientSecret: SERVICE.client_secret, redirectUris: [CALLBACK] });
	});
	afterAll(async () => {
		await emu.close();
	});

	/** The user's browser: GET the authorization URL, do not follow the redirect. */
	async function browse(params: Record<string, string>): Promise<Response> {
		const q = new URLSearchParams({ response_type: 'code', client_id: SERVICE.client_id, redirect_uri: CALLBACK, scope: SCOPE, ...params });
		for (const [k, v] of Object.entries(params)) if (v === '') q.delete(k);
		return fetch(`${emu.url}${AUTH}?${q}`, { redirect: 'manual' });
	}

	function redirected(res: Response): URLSearchParams {
		expect(res.status).toBe(302);
		const location = new URL(res.headers.get('location') as string);
		expect(`${location.origin}${location.pathname}`).toBe(CALLBACK);
		return location.searchParams;
	}

	async function codeFor(params: Record<string, string> = {}): Promise<string> {
		return redirected(await browse({ state: 's', ...params })).get('code') as string;
	}

	const exchange = (code: string, extra: Record<string, string> = {}) =>
		tokenRequest(emu, { grant_type: 'authorization_code', code, redirect_uri: CALLBACK, ...SERVICE, ...extra });

	test('discovery lists the sign-in endpoints, the PKCE methods and iss on the redirect', async () => {
		const d = (await (await fetch(`${emu.url}${REALM}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
		expect(d).toMatchObject({
			authorization_endpoint: `${emu.url}${AUTH}`,
			token_endpoint: `${emu.url}${OIDC}/token`,
			userinfo_endpoint: `${emu.url}${USERINFO}`,
			introspection_endpoint: `${emu.url}${OIDC}/token/introspect`,
			revocation_endpoint: `${emu.url}${OIDC}/revoke`,
			end_session_endpoint: `${emu.url}${OIDC}/logout`,
			code_challenge_methods_supported: ['plain', 'S256'],
			authorization_response_iss_parameter_supported: true,
		});
	});

	test('a whole sign-in with PKCE S256: redirect with code, state, session_state, iss; tokens for that user; data written is theirs', async () => {
		emu.addUser({ userId: 'alice', email: 'alice@example.com' });
		const { verifier, challenge } = pkcePair();
		const back = redirected(
			await browse({ state: 'st 1/2', nonce: 'n-42', code_challenge: challenge, code_challenge_method: 'S256', login_hint: 'alice@example.com' }),
		);
		expect(back.get('state')).toBe('st 1/2');
		expect(back.get('iss')).toBe(`${emu.url}${REALM}`);
		const sessionState = back.get('session_state') as string;
		expect(sessionState).toBeTruthy();

		const tok = await exchange(back.get('code') as string, { code_verifier: verifier });
		expect(tok.status).toBe(200);
		expect(tok.json).toMatchObject({
			token_type: 'Bearer',
			expires_in: 3600,
			refresh_expires_in: 30 * 24 * 3600,
			scope: SCOPE,
			session_state: sessionState,
		});
		expect(decodeJwt(tok.json.access_token as string)).toMatchObject({ sub: 'alice', email: 'alice@example.com', azp: SERVICE.client_id, sid: sessionState });
		expect(decodeJwt(tok.json.id_token as string)).toMatchObject({ sub: 'alice', email: 'alice@example.com', email_verified: true, azp: SERVICE.client_id, aud: SERVICE.client_id, nonce: 'n-42' });

		const set = await call(emu, '/user-data/by-user-id/set', { value_key: 'plan', value_data: 'gold' }, tok.json.access_token as string);
		expect(set.json.result).toBe(0);
		expect(emu.store().data.alice['user-id'].plan).toMatchObject({ value_data: 'gold', client_id: SERVICE.client_id });
		expect(emu.store().data[DEMO.userId]).toBeUndefined();
		expect(emu.stats().tokenGrants.authorization_code).toBe(1);
	});

	test('PKCE at the code exchange: a missing, malformed or wrong verifier is invalid_grant and spends the code', async () => {
		const { verifier, challenge } = pkcePair();
		const cases: Array<[Record<string, string>, string]> = [
			[{}, 'PKCE code verifier not specified'],
			[{ code_verifier: 'short' }, 'PKCE verification failed: Invalid code verifier'],
			[{ code_verifier: pkcePair().verifier }, 'PKCE verification failed: Code mismatch'],
			// the plain method's comparison: the challenge itself is not the verifier of an S256 code
			[{ code_verifier: challenge }, 'PKCE verification failed: Code mismatch'],
		];
		for (const [extra, description] of cases) {
			const code = await codeFor({ code_challenge: challenge, code_challenge_method: 'S256' });
			const bad = await exchange(code, extra);
			expect([bad.status, bad.json]).toEqual([400, { error: 'invalid_grant', error_description: description }]);
			const retry = await exchange(code, { code_verifier: verifier });
			expect([retry.status, retry.json.error_description]).toEqual([400, 'Code not valid']);
		}
		expect(emu.stats().tokenGrants.authorization_code).toBe(0);
	});

	test('PKCE plain (also the default method), and a verifier for a code without a challenge is refused', async () => {
		const { verifier } = pkcePair();
		const plain = await exchange(await codeFor({ code_challenge: verifier, code_challenge_method: 'plain' }), { code_verifier: verifier });
		expect(plain.status).toBe(200);
		const byDefault = await exchange(await codeFor({ code_challenge: verifier }), { code_verifier: verifier });
		expect(byDefault.status).toBe(200);
		const downgrade = await exchange(await codeFor(), { code_verifier: verifier });
		expect([downgrade.status, downgrade.json]).toEqual([
			400,
			{ error: 'invalid_grant', error_description: 'PKCE code verifier specified but challenge not present in authorization' },
		]);
		const none = await exchange(await codeFor());
		expect(none.status).toBe(200);
	});

	test('PKCE on the authorization request: a method without a challenge, an unknown method, a malformed challenge redirect with invalid_request', async () => {
		const { challenge } = pkcePair();
		const cases: Array<[Record<string, string>, string]> = [
			[{ code_challenge_method: 'S256' }, 'Missing parameter: code_challenge'],
			[{ code_challenge: challenge, code_challenge_method: 'S512' }, 'Invalid parameter: code_challenge_method'],
			[{ code_challenge: 'too-short', code_challenge_method: 'S256' }, 'Invalid parameter: code_challenge'],
			[{ code_challenge: `${challenge}!`, code_challenge_method: 'S256' }, 'Invalid parameter: code_challenge'],
		];
		for (const [params, description] of cases) {
			const back = redirected(await browse({ state: 'keep me', ...params }));
			expect(Object.fromEntries(back)).toEqual({ error: 'invalid_request', error_description: description, state: 'keep me', iss: `${emu.url}${REALM}` });
		}
		expect(emu.store().tokens.codes).toBe(0);
	});

	test('redirect URIs: a registered one passes; any other is a 400 page, never a redirect; a trailing * matches the rest', async () => {
		for (const bad of ['https://evil.example/cb', `${CALLBACK}/more`, `${CALLBACK}?x=1`, 'not a url']) {
			const res = await browse({ redirect_uri: bad, state: 's' });
			expect([bad, res.status, res.headers.get('location')]).toEqual([bad, 400, null]);
			expect(res.headers.get('content-type')).toMatch(/text\/html/);
			expect(await res.text()).toContain('Invalid parameter: redirect_uri');
		}
		emu.addClient({ clientId: 'wild', clientSecret: 'w', redirectUris: ['http://127.0.0.1:5678/webhook/*', 'https://one.example/cb'] });
		const q = (redirect: string) => new URLSearchParams({ response_type: 'code', client_id: 'wild', redirect_uri: redirect, scope: 'openid' });
		const ok = await fetch(`${emu.url}${AUTH}?${q('http://127.0.0.1:5678/webhook/abc/callback')}`, { redirect: 'manual' });
		expect(ok.status).toBe(302);
		const no = await fetch(`${emu.url}${AUTH}?${q('http://127.0.0.1:5678/other')}`, { redirect: 'manual' });
		expect(no.status).toBe(400);
		// without redirect_uri: only a client with exactly one registered URI gets it
		const two = await fetch(`${emu.url}${AUTH}?response_type=code&client_id=wild`, { redirect: 'manual' });
		expect(two.status).toBe(400);
		// the demo client registers http://localhost/* and http://127.0.0.1/*: Keycloak ignores a loopback URI's port (RedirectUtils), n8n's varies
		const demo = (uri: string) => fetch(`${emu.url}${AUTH}?response_type=code&client_id=${DEMO.clientId}&redirect_uri=${encodeURIComponent(uri)}`, { redirect: 'manual' });
		expect((await demo('http://localhost:5999/cb')).status).toBe(302);
		expect((await demo('http://127.0.0.1:40123/rest/oauth2-credential/callback')).status).toBe(302);
		expect((await demo('https://service.example/cb')).status).toBe(400);
		// a client with no registered redirect URI signs no one in (RedirectUtils: "No Redirect URIs supplied")
		emu.addClient({ clientId: 'none-registered', clientSecret: 'n' });
		const none = await fetch(`${emu.url}${AUTH}?response_type=code&client_id=none-registered&redirect_uri=${encodeURIComponent('http://localhost:5678/cb')}`, { redirect: 'manual' });
		expect([none.status, none.headers.get('location')]).toEqual([400, null]);
	});

	test('no redirect_uri with one registered: an OAuth2 request is sent there and the exchange needs none; OpenID Connect requires it (a 400 page)', async () => {
		const res = await fetch(`${emu.url}${AUTH}?response_type=code&client_id=${SERVICE.client_id}&scope=user-data-get`, { redirect: 'manual' });
		const code = redirected(res).get('code') as string;
		const tok = await tokenRequest(emu, { grant_type: 'authorization_code', code, ...SERVICE });
		expect(tok.status).toBe(200);
		// AuthorizationEndpointChecker.checkRedirectUri: redirect_uri is required per OpenID Connect
		const oidc = await fetch(`${emu.url}${AUTH}?response_type=code&client_id=${SERVICE.client_id}&scope=openid`, { redirect: 'manual' });
		expect([oidc.status, oidc.headers.get('location')]).toEqual([400, null]);
		expect(await oidc.text()).toContain('Invalid parameter: redirect_uri');
	});

	test('errors after the redirect URI is known redirect with error, state and iss: missing response_type, another response_type, an unknown scope', async () => {
		const missing = redirected(await browse({ response_type: '', state: 'a' }));
		expect(Object.fromEntries(missing)).toEqual({ error: 'invalid_request', error_description: 'Missing parameter: response_type', state: 'a', iss: `${emu.url}${REALM}` });
		const unknown = redirected(await browse({ response_type: 'banana', state: 'b' }));
		expect(Object.fromEntries(unknown)).toEqual({ error: 'unsupported_response_type', state: 'b', iss: `${emu.url}${REALM}` });
		const scope = redirected(await browse({ scope: 'openid admin', state: 'c' }));
		expect(Object.fromEntries(scope)).toEqual({ error: 'invalid_scope', error_description: 'Invalid scopes: openid admin', state: 'c', iss: `${emu.url}${REALM}` });
		const noClient = await fetch(`${emu.url}${AUTH}?response_type=code&redirect_uri=${encodeURIComponent(CALLBACK)}`, { redirect: 'manual' });
		expect([noClient.status, noClient.headers.get('location')]).toEqual([400, null]);
	});

	test('codes: short-lived (60 s), bound to the redirect URI and the client; a second use ends the session of the first', async () => {
		const late = await codeFor();
		emu.advanceClock(61);
		expect((await exchange(late)).json).toEqual({ error: 'invalid_grant', error_description: 'Code not valid' });

		const wrongUri = await tokenRequest(emu, { grant_type: 'authorization_code', code: await codeFor(), redirect_uri: 'https://service.example/other', ...SERVICE });
		expect([wrongUri.status, wrongUri.json.error_description]).toEqual([400, 'Incorrect redirect_uri']);
		const noUri = await tokenRequest(emu, { grant_type: 'authorization_code', code: await codeFor(), ...SERVICE });
		expect([noUri.status, noUri.json.error_description]).toEqual([400, 'Incorrect redirect_uri']);
		const otherClient = await tokenRequest(emu, {
			grant_type: 'authorization_code',
			code: await codeFor(),
			redirect_uri: CALLBACK,
			client_id: DEMO.clientId,
			client_secret: DEMO.clientSecret,
		});
		expect([otherClient.status, otherClient.json.error_description]).toEqual([400, 'Auth error: Found different client_id in clientSession']);

		const code = await codeFor();
		const first = await exchange(code);
		expect(first.status).toBe(200);
		const again = await exchange(code);
		expect([again.status, again.json.error_description]).toEqual([400, 'Code not valid']);
		const refresh = await tokenRequest(emu, { grant_type: 'refresh_token', refresh_token: first.json.refresh_token as string, ...SERVICE });
		expect([refresh.status, refresh.json.error]).toEqual([400, 'invalid_grant']);
		expect((await call(emu, '/user-data/get', { value_keys: ['k'] }, first.json.access_token as string)).json.result).toBe(-1);
	});

	test('revoking another sign-in between the redirect and the exchange leaves this one (TokenRevocationEndpoint.revokeClientSession)', async () => {
		const back = redirected(await browse({ state: 's' }));
		const other = emu.createToken({ clientId: SERVICE.client_id });
		const revoked = await oauthRequest(emu, `${OIDC}/revoke`, { token: other.refresh_token, ...SERVICE });
		expect(revoked.status).toBe(200);
		const tok = await exchange(back.get('code') as string);
		expect(tok.status).toBe(200);
	});

	test('who signs in: the queued user first, then login_hint (id or email), a new email signs up, else the demo user', async () => {
		emu.addUser({ userId: 'bob', email: 'bob@example.com' });
		const subOf = async (params: Record<string, string>) => {
			const tok = await exchange(await codeFor(params));
			return decodeJwt(tok.json.access_token as string);
		};
		expect((await subOf({})).sub).toBe(DEMO.userId);
		expect((await subOf({ login_hint: 'bob' })).sub).toBe('bob');
		expect((await subOf({ login_hint: 'bob@example.com' })).sub).toBe('bob');
		const fresh = await subOf({ login_hint: 'new.person@example.com' });
		expect(fresh.email).toBe('new.person@example.com');
		expect(fresh.sub).toMatch(/^[0-9a-f-]{36}$/);
		expect((await subOf({ login_hint: 'new.person@example.com' })).sub).toBe(fresh.sub);

		const queued = await control(emu, 'POST', 'sign-in', { email: 'carol@example.com' });
		expect(queued.status).toBe(200);
		emu.signInNext({ userId: 'bob' });
		expect((await subOf({ login_hint: 'bob' })).sub).toBe(queued.json.userId);
		expect((await subOf({})).sub).toBe('bob');
		expect((await subOf({})).sub).toBe(DEMO.userId);
		expect((await control(emu, 'POST', 'sign-in', {})).status).toBe(400);
	});

	test('a queued sign-in is kept for the next request when this one fails', async () => {
		emu.signInNext({ userId: 'dave' });
		expect((await browse({ redirect_uri: 'https://evil.example/' })).status).toBe(400);
		expect(redirected(await browse({ code_challenge_method: 'S256' })).get('error')).toBe('invalid_request');
		const tok = await exchange(await codeFor());
		expect(decodeJwt(tok.json.access_token as string).sub).toBe('dave');
	});

	test('signing in through an identity provider (flow_mode 9) links it, so by-idp data for it can be stored', async () => {
		emu.addUser({ userId: 'erin', email: 'erin@example.com' });
		const tok = await exchange(await codeFor({ login_hint: 'erin', flow_mode: '9', identity_provider: 'discord' }));
		const set = await call(emu, '/user-data/by-idp/set', { identity_provider: 'discord', value_key: 'k', value_data: 'v' }, tok.json.access_token as string);
		expect(set.json.result).toBe(0);
		expect(emu.store().users.find((u) => u.userId === 'erin')?.identityProviders).toEqual(['discord']);
		// a new user signing up through an identity provider has it too
		const fresh = await exchange(await codeFor({ login_hint: 'frank@example.com', flow_mode: '9', identity_provider: 'telegram' }));
		const sub = decodeJwt(fresh.json.access_token as string).sub;
		expect(emu.store().users.find((u) => u.userId === sub)?.identityProviders).toEqual(['telegram']);
		const log = emu.requests().find((e) => e.path === AUTH);
		expect(log?.query).toMatchObject({ flow_mode: '9', identity_provider: 'discord', login_hint: 'erin' });
	});

	test('userinfo: sub, email and wallet fields; the token by header or POST form; 401 for a dead token, 403 without openid', async () => {
		const tok = await exchange(await codeFor());
		const access = tok.json.access_token as string;
		const byHeader = await fetch(`${emu.url}${USERINFO}`, { headers: { Authorization: `Bearer ${access}` } });
		expect(byHeader.status).toBe(200);
		expect(await byHeader.json()).toEqual({
			sub: DEMO.userId,
			email: DEMO.email,
			email_verified: true,
			is_guest: false,
			wallet_address: DEMO.privateWallet,
			wallet_chain_id: '1',
			wallet_family: 0,
			wallet_source: 1,
			is_wallet_verified: true,
		});
		const byForm = await oauthRequest(emu, USERINFO, { access_token: access });
		expect([byForm.status, byForm.json.sub]).toEqual([200, DEMO.userId]);

		const noOpenid = emu.createToken({ scopes: 'email user-data-get' }).access_token;
		const forbidden = await fetch(`${emu.url}${USERINFO}`, { headers: { Authorization: `Bearer ${noOpenid}` } });
		expect([forbidden.status, await forbidden.text(), forbidden.headers.get('www-authenticate')]).toEqual([
			403,
			'',
			'Bearer realm="HyperID", error="insufficient_scope", error_description="Missing openid scope"',
		]);

		emu.advanceClock(3601);
		const expired = await fetch(`${emu.url}${USERINFO}`, { headers: { Authorization: `Bearer ${access}` } });
		expect(expired.status).toBe(401);
		expect(expired.headers.get('www-authenticate')).toContain('error="invalid_token"');
	});

	test('POST /__emulator/users {count}: 100 users signed in to one client, each token pair acting for its own user', async () => {
		const res = await control(emu, 'POST', 'users', { count: 100, clientId: SERVICE.client_id });
		expect(res.status).toBe(200);
		const list = JSON.parse(res.text) as Array<Record<string, unknown>>;
		expect(list).toHaveLength(100);
		expect(list[0]).toEqual({
			userId: 'user-1',
			email: 'user-1@example.com',
			accessToken: expect.any(String),
			refreshToken: expect.any(String),
			expiresIn: 3600,
			refreshExpiresIn: 30 * 24 * 3600,
		});
		expect(new Set(list.map((u) => u.userId)).size).toBe(100);
		for (const u of [list[0], list[57], list[99]]) {
			const set = await call(emu, '/user-data/by-user-id/set', { value_key: 'k', value_data: `for ${u.userId}` }, u.accessToken as string);
			expect(set.json.result).toBe(0);
			expect(emu.store().data[u.userId as string]['user-id'].k.value_data).toBe(`for ${u.userId}`);
			expect(decodeJwt(u.accessToken as string)).toMatchObject({ sub: u.userId, azp: SERVICE.client_id, scope: 'openid email user-data-get user-data-set' });
		}
		const refreshed = await tokenRequest(emu, { grant_type: 'refresh_token', refresh_token: list[3].refreshToken as string, ...SERVICE });
		expect([refreshed.status, decodeJwt(refreshed.json.access_token as string).sub]).toEqual([200, 'user-4']);
		// a second batch gets new ids; a prefix names them
		const more = emu.addUsers({ count: 2, clientId: SERVICE.client_id });
		expect(more.map((u) => u.userId)).toEqual(['user-101', 'user-102']);
		expect(emu.addUsers({ count: 1, prefix: 'acme-', scopes: ['user-data-get'] })[0]).toMatchObject({ userId: 'acme-1' });
		expect(emu.stats().tokenGrants.control).toBe(103);

		for (const bad of [{ count: 0 }, { count: 10001 }, { count: 1.5 }, { count: '3' }, { count: 1, clientId: 'nobody' }]) {
			expect([bad, (await control(emu, 'POST', 'users', bad)).status]).toEqual([bad, 400]);
		}
	});

	test('POST /__emulator/tokens/expire: live access tokens expire now (-2), refresh tokens still refresh', async () => {
		const [a, b] = emu.addUsers({ count: 2, clientId: SERVICE.client_id });
		const read = (token: string) => call(emu, '/user-data/get', { value_keys: ['k'] }, token);
		const one = await control(emu, 'POST', 'tokens/expire', { userId: a.userId });
		expect(one.json).toEqual({ expired: 1 });
		expect((await read(a.accessToken)).json.result).toBe(-2);
		expect((await read(b.accessToken)).json.result).toBe(1);
		expect((await control(emu, 'POST', 'tokens/expire', {})).json.expired).toBeGreaterThanOrEqual(1);
		expect((await read(b.accessToken)).json.result).toBe(-2);
		const refreshed = await tokenRequest(emu, { grant_type: 'refresh_token', refresh_token: b.refreshToken, ...SERVICE });
		expect((await read(refreshed.json.access_token as string)).json.result).toBe(1);
	});
});
