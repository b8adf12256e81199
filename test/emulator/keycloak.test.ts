/**
 * The login host answers as HyperID's Keycloak does (issue 22): one test per answer HyperID's own
 * SDKs found different, each citing the Keycloak file it follows (paths under
 * keycloak/keycloak services/src/main/java/org/keycloak/). Reuse detection: reuse.test.ts.
 */
import { AUTH_PATH, CLIENT_ASSERTION_TYPE, DEMO, INTROSPECT_PATH, LOGOUT_PATH, USERINFO_PATH, startEmulator, type Emulator } from './server';
import { oauthRequest, tokenRequest, type CallResult } from './helpers';

const CLIENT = { client_id: DEMO.clientId, client_secret: DEMO.clientSecret };
const REDIRECT = 'http://localhost:5678/rest/oauth2-credential/callback';
const answer = (r: CallResult) => [r.status, r.json.error, r.json.error_description];

describe('HyperID emulator: Keycloak’s answers', () => {
	let emu: Emulator;

	beforeAll(async () => {
		emu = await startEmulator();
	});
	beforeEach(() => emu.reset());
	afterAll(async () => {
		await emu.close();
	});

	const refresh = (token: string | undefined, creds: Record<string, string> = CLIENT) =>
		tokenRequest(emu, { grant_type: 'refresh_token', ...(token === undefined ? {} : { refresh_token: token }), ...creds });
	const authorize = (params: Record<string, string>) =>
		fetch(`${emu.url}${AUTH_PATH}?${new URLSearchParams({ response_type: 'code', client_id: DEMO.clientId, ...params })}`, { redirect: 'manual' });
	async function signInCode(): Promise<string> {
		const res = await authorize({ redirect_uri: REDIRECT, scope: 'openid user-data-get' });
		return new URL(res.headers.get('location') as string).searchParams.get('code') as string;
	}

	test('a wrong client secret is 401 unauthorized_client, an unknown client 401 invalid_client (authentication/authenticators/client/ClientIdAndSecretAuthenticator.java, AuthenticationProcessor)', async () => {
		const grant = emu.createToken();
		const bad = 'Invalid client or Invalid client credentials';
		expect(answer(await refresh(grant.refresh_token, { client_id: DEMO.clientId, client_secret: 'wrong' }))).toEqual([401, 'unauthorized_client', bad]);
		const code = await signInCode();
		expect(answer(await tokenRequest(emu, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: DEMO.clientId, client_secret: 'wrong' }))).toEqual([401, 'unauthorized_client', bad]);
		expect(answer(await refresh(grant.refresh_token, { client_id: 'nobody', client_secret: 'x' }))).toEqual([401, 'invalid_client', bad]);
	});

	test('introspection with failed client authentication: 401 invalid_request "Authentication failed." (protocol/oidc/endpoints/TokenIntrospectionEndpoint.java, authorizeClient)', async () => {
		const token = emu.createToken().access_token;
		const attempts: Array<Record<string, string>> = [{ client_id: DEMO.clientId, client_secret: 'wrong' }, { client_id: 'nobody', client_secret: 'x' }, {}];
		for (const creds of attempts) {
			expect([creds, ...answer(await oauthRequest(emu, INTROSPECT_PATH, { token, ...creds }))]).toEqual([creds, 401, 'invalid_request', 'Authentication failed.']);
		}
	});

	test('a signed-JWT client assertion that fails verification: 400 invalid_client "Client authentication with signed JWT failed: ..." (authentication/authenticators/client/JWTClientAuthenticator.java)', async () => {
		const grant = emu.createToken();
		const forged = `${Buffer.from('{"alg":"HS256"}').toString('base64url')}.${Buffer.from(JSON.stringify({ iss: DEMO.clientId, sub: DEMO.clientId })).toString('base64url')}.c2ln`;
		const r = await refresh(grant.refresh_token, { client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: forged });
		expect(answer(r)).toEqual([400, 'invalid_client', 'Client authentication with signed JWT failed: Signature on JWT token failed validation']);
	});

	test('grant_type is checked before the client: missing or unknown is 400 even with a wrong secret (protocol/oidc/endpoints/TokenEndpoint.java, checkGrantType before checkClient)', async () => {
		const wrong = { client_id: DEMO.clientId, client_secret: 'wrong' };
		expect(answer(await tokenRequest(emu, wrong))).toEqual([400, 'invalid_request', 'Missing form parameter: grant_type']);
		expect(answer(await tokenRequest(emu, { grant_type: 'banana', ...wrong }))).toEqual([400, 'unsupported_grant_type', 'Unsupported grant_type']);
		expect(answer(await tokenRequest(emu, { grant_type: 'banana' }))).toEqual([400, 'unsupported_grant_type', 'Unsupported grant_type']);
	});

	test('a refresh without refresh_token: 400 invalid_request "No refresh token" (protocol/oidc/grants/RefreshTokenGrantType.java)', async () => {
		expect(answer(await refresh(undefined))).toEqual([400, 'invalid_request', 'No refresh token']);
	});

	test('the refresh token of a logged-out session: "Session not active"; after its code was reused: "Session doesn\'t have required client" (protocol/oidc/TokenManager.java, validateToken)', async () => {
		const grant = emu.createToken();
		expect((await oauthRequest(emu, LOGOUT_PATH, { refresh_token: grant.refresh_token, ...CLIENT })).status).toBe(204);
		expect(answer(await refresh(grant.refresh_token))).toEqual([400, 'invalid_grant', 'Session not active']);

		const code = await signInCode();
		const form = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, ...CLIENT };
		const first = await tokenRequest(emu, form);
		expect((await tokenRequest(emu, form)).json.error_description).toBe('Code not valid');
		expect(answer(await refresh(first.json.refresh_token as string))).toEqual([400, 'invalid_grant', "Session doesn't have required client"]);
	});

	test('logout with an expired refresh token: 204, the session ends (protocol/oidc/endpoints/LogoutEndpoint.java, logoutToken: verifyRefreshToken without expiry)', async () => {
		const grant = emu.createToken();
		emu.advanceClock(31 * 24 * 3600);
		const res = await oauthRequest(emu, LOGOUT_PATH, { refresh_token: grant.refresh_token, ...CLIENT });
		expect([res.status, res.text]).toEqual([204, '']);
		expect(emu.store().tokens.sessions).toBe(0);
	});

	test('userinfo errors: an empty body, the error only in WWW-Authenticate (protocol/oidc/endpoints/UserInfoEndpoint.java, OAuth2Error.json(false))', async () => {
		const ask = async (header?: string) => {
			const res = await fetch(`${emu.url}${USERINFO_PATH}`, { headers: header === undefined ? {} : { Authorization: header } });
			return [res.status, await res.text(), res.headers.get('www-authenticate')];
		};
		expect(await ask()).toEqual([401, '', 'Bearer realm="HyperID"']);
		const grant = emu.createToken();
		const [h, p] = grant.access_token.split('.');
		expect(await ask(`Bearer ${h}.${p}.Zm9yZ2Vk`)).toEqual([401, '', 'Bearer realm="HyperID", error="invalid_token", error_description="Token verification failed"']);
		expect((await ask(`Bearer ${grant.access_token}`))[0]).toBe(200);
		await oauthRequest(emu, LOGOUT_PATH, { refresh_token: grant.refresh_token, ...CLIENT });
		expect(await ask(`Bearer ${grant.access_token}`)).toEqual([
			401,
			'',
			'Bearer realm="HyperID", error="invalid_token", error_description="User session not found or doesn\'t have client attached on it"',
		]);
	});

	test('a client with no registered redirect URI: a 400 page for any redirect_uri (protocol/oidc/utils/RedirectUtils.java, verifyRedirectUri: "No Redirect URIs supplied")', async () => {
		emu.addClient({ clientId: 'bare', clientSecret: 'b' });
		const res = await fetch(`${emu.url}${AUTH_PATH}?${new URLSearchParams({ response_type: 'code', client_id: 'bare', redirect_uri: REDIRECT })}`, { redirect: 'manual' });
		expect([res.status, res.headers.get('location')]).toEqual([400, null]);
		expect(await res.text()).toContain('Invalid parameter: redirect_uri');
	});

	test('scope openid and no redirect_uri: a 400 page, OpenID Connect requires it (protocol/oidc/endpoints/AuthorizationEndpointChecker.java, checkRedirectUri)', async () => {
		emu.addClient({ clientId: 'one', clientSecret: 'o', redirectUris: [REDIRECT] });
		const res = await fetch(`${emu.url}${AUTH_PATH}?${new URLSearchParams({ response_type: 'code', client_id: 'one', scope: 'openid' })}`, { redirect: 'manual' });
		expect([res.status, res.headers.get('location')]).toEqual([400, null]);
	});

	test('response_type=token: error=unauthorized_client in the fragment, implicit flow disabled (protocol/oidc/endpoints/AuthorizationEndpointChecker.java)', async () => {
		const res = await authorize({ response_type: 'token', redirect_uri: REDIRECT, scope: 'openid', state: 'st' });
		expect(res.status).toBe(302);
		const location = new URL(res.headers.get('location') as string);
		expect(location.search).toBe('');
		expect(Object.fromEntries(new URLSearchParams(location.hash.slice(1)))).toEqual({
			error: 'unauthorized_client',
			error_description: 'Client is not allowed to initiate browser login with given response_type. Implicit flow is disabled for the client.',
			state: 'st',
			iss: emu.discovery().issuer,
		});
	});

	test('introspection of an active token carries username (protocol/oidc/AccessTokenIntrospectionProvider.java)', async () => {
		const r = await oauthRequest(emu, INTROSPECT_PATH, { token: emu.createToken().access_token, ...CLIENT });
		expect(r.json).toMatchObject({ active: true, username: DEMO.email, client_id: DEMO.clientId });
	});

	test('introspection without a token: 400 invalid_request "Token not provided." (protocol/oidc/endpoints/TokenIntrospectionEndpoint.java)', async () => {
		expect(answer(await oauthRequest(emu, INTROSPECT_PATH, CLIENT))).toEqual([400, 'invalid_request', 'Token not provided.']);
	});
});
