/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * HyperID Sign-In node: its real execute() through n8n-core against the emulator, the test playing
 * the user's browser. A whole sign-in (authorization URL with PKCE -> redirect -> code exchange),
 * then refresh, user info, introspection, logout and revocation; and per-item failures: item index,
 * a code to branch on, Continue on Fail and the error output, pairedItem, nothing sent for bad input.
 */
import type { IDataObject, INodeExecutionData, INodeParameters } from 'n8n-workflow';

import { HyperIdSignIn } from '../../nodes/HyperIdSignIn/HyperIdSignIn.node';
import { CredentialStore, jsonOf, runNode, type RunNodeResult } from '../harness/harness';
import { TOKEN_PATH, useEmulator, type Emulator } from './setup';

let emulator: Emulator;
useEmulator((e) => (emulator = e));

const SERVICE = { clientId: 'my-service', clientSecret: 'service-secret' };
const CALLBACK = 'https://service.example/webhook/hyperid-sign-in';
const node = new HyperIdSignIn();

beforeEach(() => {
	emulator.addClient({ ...SERVICE, redirectUris: [CALLBACK] } as Parameters<Emulator['addClient']>[0]);
	emulator.addUser({ userId: 'alice', email: 'alice@example.com' });
});

function credentials(extra: IDataObject = {}): CredentialStore {
	return new CredentialStore(
		{ environment: 'custom', loginUrl: emulator.url, clientId: SERVICE.clientId, clientAuthentication: 'clientSecretPost', clientSecret: SERVICE.clientSecret, ...extra },
		{ type: 'hyperIdClientApi' },
	);
}

interface Run extends RunNodeResult {
	json: IDataObject[];
	tokenRequests: number;
}

async function run(
	parameters: INodeParameters,
	inputItems: IDataObject[] = [{}],
	settings: { onError?: 'continueRegularOutput' | 'continueErrorOutput'; credentials?: CredentialStore } = {},
): Promise<Run> {
	emulator.clearRequests();
	const result = await runNode({
		nodeType: node,
		nodeTypeName: 'n8n-nodes-hyperid.hyperIdSignIn',
		parameters,
		inputItems,
		credentials: settings.credentials ?? credentials(),
		nodeOverrides: settings.onError ? { onError: settings.onError } : {},
	});
	const tokenRequests = emulator.requests().filter((r) => r.path.startsWith(TOKEN_PATH)).length;
	return { ...result, json: result.outputs ? jsonOf(result) : [], tokenRequests };
}

/** The user's browser at HyperID: follows the authorization URL to the redirect, returns its query. */
async function browse(authorizationUrl: string): Promise<URLSearchParams> {
	const response = await fetch(authorizationUrl, { redirect: 'manual' });
	expect(response.status).toBe(302);
	const location = new URL(String(response.headers.get('location')));
	expect(`${location.origin}${location.pathname}`).toBe(CALLBACK);
	return location.searchParams;
}

const authorizationUrl = (extra: INodeParameters = {}) =>
	run({ resource: 'signIn', operation: 'getAuthorizationUrl', redirectUri: CALLBACK, ...extra });

const exchange = (code: string, codeVerifier: string, options: IDataObject = {}, settings: Parameters<typeof run>[2] = {}) =>
	run({ resource: 'signIn', operation: 'exchangeCode', code, redirectUri: CALLBACK, codeVerifier, options: options as INodeParameters }, [{}], settings);

/** A whole sign-in of alice: the Exchange Code output. */
async function signIn(): Promise<IDataObject> {
	const url = (await authorizationUrl({ options: { loginHint: 'alice@example.com' } })).json[0];
	const back = await browse(String(url.authorizationUrl));
	const tokens = await exchange(String(back.get('code')), String(url.codeVerifier), {
		expectedState: url.state,
		receivedState: back.get('state'),
	});
	expect(tokens.error).toBeUndefined();
	return tokens.json[0];
}

const refresh = (refreshTokens: string[], settings: Parameters<typeof run>[2] = {}) =>
	run({ resource: 'token', operation: 'refresh', refreshToken: '={{ $json.refreshToken }}' }, refreshTokens.map((refreshToken) => ({ refreshToken })), settings);

describe('HyperID Sign-In: a whole sign-in', () => {
	it('Get Authorization URL: the client, redirect, scopes, a generated state and an S256 challenge of the returned verifier; nothing sent', async () => {
		const result = await authorizationUrl({
			options: { flowMode: 3, loginHint: 'alice@example.com', nonce: 'n-1', selectAccount: true, uiLocales: 'de' },
		});
		const out = result.json[0];
		const url = new URL(String(out.authorizationUrl));
		expect(`${url.origin}${url.pathname}`).toBe(`${emulator.url}/auth/realms/HyperID/protocol/openid-connect/auth`);
		const q = Object.fromEntries(url.searchParams);
		expect(q).toMatchObject({
			response_type: 'code',
			client_id: SERVICE.clientId,
			redirect_uri: CALLBACK,
			scope: 'openid email user-data-get user-data-set',
			state: out.state,
			code_challenge_method: 'S256',
			flow_mode: '3',
			login_hint: 'alice@example.com',
			nonce: 'n-1',
			prompt: 'select_account',
			ui_locales: 'de',
		});
		expect(String(out.state).length).toBeGreaterThanOrEqual(20);
		expect(String(out.codeVerifier)).toMatch(/^[A-Za-z0-9\-._~]{43,128}$/);
		const { createHash } = await import('node:crypto');
		expect(q.code_challenge).toBe(createHash('sha256').update(String(out.codeVerifier)).digest('base64url'));
		expect(q.client_secret).toBeUndefined();
		expect(result.tokenRequests).toBe(0);
		// a second URL has its own state and verifier
		const again = (await authorizationUrl()).json[0];
		expect([again.state, again.codeVerifier]).not.toEqual([out.state, out.codeVerifier]);
	});

	it('an identity provider sets flow_mode 9; a given state is kept; PKCE can be turned off', async () => {
		const out = (await authorizationUrl({ state: 'my-state', usePkce: false, options: { identityProvider: 'google' } })).json[0];
		const q = new URL(String(out.authorizationUrl)).searchParams;
		expect([q.get('flow_mode'), q.get('identity_provider'), q.get('state'), q.get('code_challenge')]).toEqual(['9', 'google', 'my-state', null]);
		expect(out.codeVerifier).toBeUndefined();
		const clash = await authorizationUrl({ options: { identityProvider: 'google', flowMode: 3 } });
		expect(clash.error?.message).toMatch(/Identity Provider needs Flow Mode/);
		const notANumber = await authorizationUrl({ options: { flowMode: '=wallet' } });
		expect(notANumber.error?.message).toBe('Flow Mode must be a number, not "wallet" (item 0)');
	});

	it('Exchange Code: the user\'s tokens, user ID and email; the code works once', async () => {
		const url = (await authorizationUrl({ options: { loginHint: 'alice@example.com', nonce: 'n-7' } })).json[0];
		const back = await browse(String(url.authorizationUrl));
		expect(back.get('state')).toBe(url.state);
		const result = await exchange(String(back.get('code')), String(url.codeVerifier), { expectedNonce: 'n-7' });
		const out = result.json[0];
		expect(out).toMatchObject({ userId: 'alice', email: 'alice@example.com', tokenType: 'Bearer', nonceMatches: true });
		for (const field of ['accessToken', 'refreshToken', 'idToken', 'expiresAt', 'refreshExpiresAt', 'scope']) expect(out[field]).toEqual(expect.any(String));
		expect(Date.parse(String(out.expiresAt))).toBeGreaterThan(Date.now());
		expect(result.outputs?.[0][0].pairedItem).toEqual({ item: 0 });

		const reused = await exchange(String(back.get('code')), String(url.codeVerifier));
		expect(reused.error?.message).toBe('HyperID refused the authorization code (item 0)');
		expect((reused.error as unknown as { context: IDataObject }).context.code).toBe('invalid_grant');
	});

	it('Exchange Code with the wrong code verifier is refused by HyperID (invalid_grant)', async () => {
		const url = (await authorizationUrl()).json[0];
		const back = await browse(String(url.authorizationUrl));
		const other = (await authorizationUrl()).json[0];
		const result = await exchange(String(back.get('code')), String(other.codeVerifier));
		expect(result.error?.message).toBe('HyperID refused the authorization code (item 0)');
		expect(String((result.error as unknown as { description: string }).description)).not.toContain(String(other.codeVerifier));
	});

	it('Exchange Code refuses a state that is not the sign-in\'s, and a malformed verifier, before the code is spent', async () => {
		const url = (await authorizationUrl()).json[0];
		const back = await browse(String(url.authorizationUrl));
		const forged = await exchange(String(back.get('code')), String(url.codeVerifier), { expectedState: url.state, receivedState: 'forged' });
		expect(forged.error?.message).toMatch(/not the state of this sign-in; the code was not used \(item 0\)/);
		expect(forged.tokenRequests).toBe(0);
		const malformed = await exchange(String(back.get('code')), 'short');
		expect(malformed.error?.message).toMatch(/not a PKCE code verifier/);
		expect(malformed.tokenRequests).toBe(0);
		// the code is still good
		const good = await exchange(String(back.get('code')), String(url.codeVerifier));
		expect(good.json[0].refreshToken).toEqual(expect.any(String));
	});

	it('Refresh: new tokens; the spent refresh token again (same client): the same pair while it is active, never sent again; once that pair is spent, TOKENS_RENEWED_ELSEWHERE, not "sign-in ended"', async () => {
		const tokens = await signIn();
		const refreshed = await refresh([String(tokens.refreshToken)]);
		expect(refreshed.json[0]).toMatchObject({ userId: 'alice', tokenType: 'Bearer' });
		expect(refreshed.json[0].refreshToken).not.toBe(tokens.refreshToken);
		const again = await refresh([String(tokens.refreshToken)]);
		expect(again.json[0]).toEqual(refreshed.json[0]);
		expect(emulator.requests().filter((r) => r.path === TOKEN_PATH)).toHaveLength(0);
		// the new pair is spent by a later refresh: the old token gets nothing, and the user is not told to sign in again
		const later = await refresh([String(refreshed.json[0].refreshToken)]);
		expect(later.json[0].refreshToken).toEqual(expect.any(String));
		const stale = await refresh([String(tokens.refreshToken)]);
		expect(stale.error?.message).toBe("This user's tokens were renewed moments ago by another execution: read their stored tokens again (item 0)");
		expect((stale.error as unknown as { context: IDataObject }).context).toMatchObject({ errorCode: 'TOKENS_RENEWED_ELSEWHERE', itemIndex: 0 });
		expect(JSON.stringify(stale.error)).not.toContain(String(later.json[0].refreshToken));
		expect(emulator.requests().filter((r) => r.path === TOKEN_PATH)).toHaveLength(0);
	});

	it('Refresh on a duplicated row (Continue on Fail): both items get the same new pair from one token request, no false SIGN_IN_ENDED', async () => {
		const tokens = await signIn();
		const twice = await refresh([String(tokens.refreshToken), String(tokens.refreshToken)], { onError: 'continueRegularOutput' });
		expect(twice.json.map((item) => item.errorCode)).toEqual([undefined, undefined]);
		expect(twice.json[0]).toMatchObject({ userId: 'alice', refreshToken: expect.any(String) });
		expect(twice.json[1]).toEqual(twice.json[0]);
		expect(emulator.requests().filter((r) => r.path === TOKEN_PATH)).toHaveLength(1);
		// the spent token never went to HyperID again (its reuse detection would end alice's session)
		expect(emulator.stats().refreshReuses).toBe(0);
	});

	it('Get Info and Introspect: the user behind a token, and whether it is active', async () => {
		const tokens = await signIn();
		const info = await run({ resource: 'user', operation: 'getInfo', accessToken: String(tokens.accessToken) });
		expect(info.json[0]).toMatchObject({ sub: 'alice', email: 'alice@example.com' });
		const active = await run({ resource: 'token', operation: 'introspect', token: String(tokens.accessToken), tokenTypeHint: 'access_token' });
		expect(active.json[0]).toMatchObject({ active: true, sub: 'alice', client_id: SERVICE.clientId });
		const junk = await run({ resource: 'token', operation: 'introspect', token: 'not-a-token' });
		expect(junk.json[0]).toEqual({ active: false });
		const refused = await run({ resource: 'user', operation: 'getInfo', accessToken: 'not-a-token' });
		expect(refused.error?.message).toBe("HyperID refused the user's access token (item 0)");
	});

	it('Log Out ends the session: its refresh token no longer refreshes', async () => {
		const tokens = await signIn();
		const out = await run({ resource: 'signIn', operation: 'logOut', refreshToken: String(tokens.refreshToken) });
		expect(out.json).toEqual([{ loggedOut: true }]);
		expect((await refresh([String(tokens.refreshToken)])).error?.message).toMatch(/sign-in has ended/);
	});

	it('Revoke of a refresh token ends the sign-in it belongs to; another sign-in of the user stays (Keycloak revokeClientSession)', async () => {
		const first = await signIn();
		const second = await signIn();
		const out = await run({ resource: 'token', operation: 'revoke', token: String(first.refreshToken), tokenTypeHint: 'refresh_token' });
		expect(out.json).toEqual([{ revoked: true, tokenType: 'refreshToken' }]);
		const both = await refresh([String(first.refreshToken), String(second.refreshToken)], { onError: 'continueRegularOutput' });
		expect(both.json.map((j) => j.code)).toEqual(['invalid_grant', undefined]);
	});
});

describe('HyperID Sign-In: one item\'s failure', () => {
	it('Continue on Fail: the failed item carries error, code and its pairedItem; the others go on', async () => {
		const [a, b] = [await signIn(), await signIn()];
		const result = await refresh([String(a.refreshToken), 'spent-or-unknown', String(b.refreshToken)], { onError: 'continueRegularOutput' });
		expect(result.json.map((j) => (j.error ? j.code : j.userId))).toEqual(['alice', 'invalid_grant', 'alice']);
		expect(result.json[1]).toEqual({
			error: "This user's HyperID sign-in has ended; they must sign in again (item 1)",
			code: 'invalid_grant',
			errorCode: 'SIGN_IN_ENDED',
			description: expect.any(String),
		});
		expect(result.outputs?.[0].map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
	});

	it('error output: the failed item leaves on the error output with error and pairedItem, the renewed ones on the main output', async () => {
		const [a, b] = [await signIn(), await signIn()];
		const result = await refresh([String(a.refreshToken), 'spent-or-unknown', String(b.refreshToken)], { onError: 'continueErrorOutput' });
		const [main, errors] = result.outputs as INodeExecutionData[][];
		expect(main.map((i) => [i.json.userId, i.pairedItem])).toEqual([['alice', { item: 0 }], ['alice', { item: 2 }]]);
		expect(errors.map((i) => [(i.json.error as IDataObject).code, i.pairedItem])).toEqual([['invalid_grant', { item: 1 }]]);
		expect(errors[0].json.error).toEqual({
			message: "This user's HyperID sign-in has ended; they must sign in again (item 1)",
			code: 'invalid_grant',
			errorCode: 'SIGN_IN_ENDED',
			description: expect.any(String),
		});
		expect(errors[0]).not.toHaveProperty('error');
		// n8n adds the input item's fields to an item on the error output
		expect(errors[0].json.refreshToken).toBe('spent-or-unknown');
	});

	it('errorCode SIGN_IN_ENDED is for a refused Refresh alone: a refused code, a refused client or HyperID down have only their code', async () => {
		const url = (await authorizationUrl()).json[0];
		const back = await browse(String(url.authorizationUrl));
		const other = (await authorizationUrl()).json[0];
		const refusedCode = await exchange(String(back.get('code')), String(other.codeVerifier), {}, { onError: 'continueRegularOutput' });
		expect(refusedCode.json[0]).toMatchObject({ code: 'invalid_grant' });
		expect(refusedCode.json[0]).not.toHaveProperty('errorCode');
		const a = await signIn();
		const refusedClient = await refresh([String(a.refreshToken)], { onError: 'continueRegularOutput', credentials: credentials({ clientSecret: 'wrong-secret-123' }) });
		// Keycloak's answer to a wrong secret (ClientIdAndSecretAuthenticator)
		expect(refusedClient.json[0]).toMatchObject({ code: 'unauthorized_client' });
		expect(refusedClient.json[0]).not.toHaveProperty('errorCode');
		const down = await refresh(['any-refresh-token'], { onError: 'continueRegularOutput', credentials: credentials({ loginUrl: 'http://127.0.0.1:9' }) });
		expect(down.json[0]).toMatchObject({ code: 'network' });
		expect(down.json[0]).not.toHaveProperty('errorCode');
	});

	it('an empty refresh token fails the run before anything is sent, naming the item', async () => {
		const a = await signIn();
		const result = await refresh([String(a.refreshToken), '']);
		expect(result.error?.message).toBe('Refresh Token is empty (item 1)');
		expect(result.tokenRequests).toBe(0);
		// and the first user's refresh token was not spent
		expect((await refresh([String(a.refreshToken)])).json[0].userId).toBe('alice');
	});

	it('stopping on a failure after other items were renewed says which, and how to avoid it', async () => {
		const a = await signIn();
		const result = await refresh([String(a.refreshToken), 'spent-or-unknown']);
		expect(result.error?.message).toMatch(/\(item 1\)$/);
		expect(String((result.error as unknown as IDataObject).description)).toMatch(/Items 0 of this run had already received new tokens.*context "renewedTokens".*Continue \(using error output\)/);
		// the new pair of item 0 is not lost: it travels in the error's context, not in its text
		const renewed = (result.error as unknown as { context: { renewedTokens: IDataObject[] } }).context.renewedTokens;
		expect(renewed).toEqual([expect.objectContaining({ itemIndex: 0, userId: 'alice', refreshToken: expect.any(String) })]);
		expect(`${result.error?.message} ${(result.error as unknown as IDataObject).description}`).not.toContain(String(renewed[0].refreshToken));
		// n8n-core keeps it with the execution's error (what an Error Workflow receives)
		const executionError = result.run?.data.resultData.error as unknown as { context: { renewedTokens: IDataObject[] } };
		expect(executionError.context.renewedTokens[0].refreshToken).toBe(renewed[0].refreshToken);
		expect((await refresh([String(renewed[0].refreshToken)])).json[0].userId).toBe('alice');
	});

	it('a wrong client secret: invalid_client with a hint at the credential, the secret in no message', async () => {
		const a = await signIn();
		const result = await refresh([String(a.refreshToken)], { credentials: credentials({ clientSecret: 'wrong-secret-123' }) });
		expect(result.error?.message).toMatch(/did not accept the client's authentication/);
		expect(String((result.error as unknown as IDataObject).description)).toMatch(/HyperID Client credential/);
		expect(JSON.stringify(result.run?.data.resultData ?? {})).not.toContain('wrong-secret-123');
		// the user's refresh token was not spent
		expect((await refresh([String(a.refreshToken)])).json[0].userId).toBe('alice');
	});

	it('HyperID down: a network error, not "sign-in ended"', async () => {
		const down = credentials({ loginUrl: 'http://127.0.0.1:9' });
		const result = await refresh(['any-refresh-token'], { credentials: down });
		expect(result.error?.message).toMatch(/Could not reach HyperID's login host/);
		expect((result.error as unknown as { context: IDataObject }).context.code).toBe('network');
	});

	it('HyperID slow: the Timeout option ends the wait with a timeout error; HyperID failing: a server error', async () => {
		emulator.setFaults([{ path: TOKEN_PATH, delayMs: 2_000 }]);
		const slow = await run({ resource: 'token', operation: 'refresh', refreshToken: 'any-refresh-token', options: { timeout: 200 } });
		expect(slow.error?.message).toBe("HyperID's answer to the refresh did not arrive in time (item 0)");
		expect((slow.error as unknown as { context: IDataObject }).context.code).toBe('timeout');
		emulator.setFaults([{ path: TOKEN_PATH, status: 503 }]);
		// another token: the slow one was sent, and is never sent again
		const failing = await refresh(['another-refresh-token']);
		expect(failing.error?.message).toMatch(/answered the token request with HTTP 503/);
		expect((failing.error as unknown as { context: IDataObject }).context.code).toBe('server');
	});

	it('a Timeout option that is not a number fails the item before anything is sent', async () => {
		const result = await run({ resource: 'token', operation: 'refresh', refreshToken: 'x', options: { timeout: '=soon' } });
		expect(result.error?.message).toMatch(/"Timeout \(Ms\)" must be a positive number/);
		expect(result.tokenRequests).toBe(0);
	});
});
