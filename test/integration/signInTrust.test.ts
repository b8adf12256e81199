/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * Exchange Code trusts only an ID token of this sign-in (issue 24, point 5): a nonce that is not
 * the expected one, an issuer that is not the credential's HyperID, an audience that is not this
 * client, an expired or expiry-less ID token fail the item with errorCode ID_TOKEN_REFUSED; the
 * tokens are not handed on (no output, no error text, no renewedTokens) and the session HyperID
 * just opened is ended (logout with its refresh token). Against the emulator, and a small token
 * server for what the emulator never sends.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

import type { IDataObject, INodeParameters } from 'n8n-workflow';

import { HyperIdSignIn } from '../../nodes/HyperIdSignIn/HyperIdSignIn.node';
import { CredentialStore, jsonOf, runNode } from '../harness/harness';
import { TOKEN_PATH, useEmulator, type Emulator } from './setup';

let emulator: Emulator;
useEmulator((e) => (emulator = e));

const SERVICE = { clientId: 'my-service', clientSecret: 'service-secret' };
const CALLBACK = 'https://service.example/webhook/hyperid-sign-in';
const REALM = '/auth/realms/HyperID';
const node = new HyperIdSignIn();

beforeEach(() => {
	emulator.addClient({ ...SERVICE, redirectUris: [CALLBACK] } as Parameters<Emulator['addClient']>[0]);
	emulator.addUser({ userId: 'alice', email: 'alice@example.com' });
});

const credentials = (loginUrl: string) =>
	new CredentialStore(
		{ environment: 'custom', loginUrl, clientId: SERVICE.clientId, clientAuthentication: 'clientSecretPost', clientSecret: SERVICE.clientSecret },
		{ type: 'hyperIdClientApi' },
	);

async function run(loginUrl: string, parameters: INodeParameters, onError?: 'continueRegularOutput') {
	const result = await runNode({
		nodeType: node,
		nodeTypeName: 'n8n-nodes-hyperid.hyperIdSignIn',
		parameters,
		inputItems: [{}],
		credentials: credentials(loginUrl),
		nodeOverrides: onError ? { onError } : {},
	});
	return { ...result, json: result.outputs ? jsonOf(result) : [] };
}

const exchange = (loginUrl: string, code: string, codeVerifier: string, options: IDataObject = {}, onError?: 'continueRegularOutput') =>
	run(loginUrl, { resource: 'signIn', operation: 'exchangeCode', code, redirectUri: CALLBACK, codeVerifier, options: options as INodeParameters }, onError);

const errorJson = (error: unknown) => {
	const e = error as { message: string; description?: string; context: IDataObject };
	return { message: e.message, description: e.description, context: e.context };
};

describe('Exchange Code against the emulator: Expected Nonce', () => {
	async function codeWithNonce(nonce: string) {
		const url = (await run(emulator.url, { resource: 'signIn', operation: 'getAuthorizationUrl', redirectUri: CALLBACK, options: { loginHint: 'alice@example.com', nonce } })).json[0];
		const response = await fetch(String(url.authorizationUrl), { redirect: 'manual' });
		const back = new URL(String(response.headers.get('location'))).searchParams;
		return { code: String(back.get('code')), codeVerifier: String(url.codeVerifier) };
	}

	it('a nonce that is not the sign-in\'s fails the item (ID_TOKEN_REFUSED), hands on no token, and ends the session it opened', async () => {
		const { code, codeVerifier } = await codeWithNonce('nonce-of-the-attacker');
		emulator.clearRequests();
		const result = await exchange(emulator.url, code, codeVerifier, { expectedNonce: 'nonce-of-this-browser' });
		expect(result.error?.message).toBe("The sign-in was refused: the ID token's nonce is not the nonce of this sign-in (item 0)");
		expect(errorJson(result.error).context).toMatchObject({ errorCode: 'ID_TOKEN_REFUSED', itemIndex: 0 });
		expect(errorJson(result.error).context.renewedTokens).toBeUndefined();
		expect(errorJson(result.error).description).toMatch(/not handed on and their session was ended at HyperID/);
		// the code was exchanged, then the session it opened was logged out
		expect(emulator.requests().map((r) => r.path)).toEqual([TOKEN_PATH, `${REALM}/protocol/openid-connect/logout`]);
		// no live token is left of the refused sign-in: its session was ended
		expect(emulator.expireAccessTokens({ userId: 'alice', clientId: SERVICE.clientId })).toBe(0);
	});

	it('under Continue on Fail the failed item carries the errorCode and no token', async () => {
		const { code, codeVerifier } = await codeWithNonce('n-1');
		const result = await exchange(emulator.url, code, codeVerifier, { expectedNonce: 'n-2' }, 'continueRegularOutput');
		expect(result.json).toHaveLength(1);
		expect(result.json[0]).toMatchObject({ errorCode: 'ID_TOKEN_REFUSED' });
		for (const field of ['accessToken', 'refreshToken', 'idToken']) expect(result.json[0][field]).toBeUndefined();
	});

	it('the matching nonce passes (nonceMatches true, the tokens handed on)', async () => {
		const { code, codeVerifier } = await codeWithNonce('n-7');
		const result = await exchange(emulator.url, code, codeVerifier, { expectedNonce: 'n-7' });
		expect(result.error).toBeUndefined();
		expect(result.json[0]).toMatchObject({ userId: 'alice', nonceMatches: true, refreshToken: expect.any(String) });
	});
});

describe('Exchange Code: iss, aud and exp of the ID token (a token server sending what the emulator never does)', () => {
	let server: http.Server;
	let serverUrl: string;
	let idToken: string | undefined;
	const seen: Array<{ path?: string; body: string }> = [];

	const jwt = (claims: IDataObject) =>
		`${Buffer.from('{"alg":"RS256","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.c2ln`;
	const good = (): IDataObject => ({ iss: `${serverUrl}${REALM}`, aud: SERVICE.clientId, azp: SERVICE.clientId, sub: 'alice', email: 'alice@example.com', exp: Math.floor(Date.now() / 1000) + 300, typ: 'ID' });
	const REFRESH = jwt({ typ: 'Refresh', sub: 'alice', jti: 'refresh-of-the-refused-sign-in' });

	beforeAll(async () => {
		server = http.createServer((req, res) => {
			let body = '';
			req.on('data', (chunk) => (body += chunk));
			req.on('end', () => {
				seen.push({ path: req.url, body });
				if (req.url === TOKEN_PATH) {
					res.writeHead(200, { 'content-type': 'application/json' }).end(
						JSON.stringify({ access_token: jwt({ typ: 'Bearer', sub: 'alice' }), refresh_token: REFRESH, token_type: 'Bearer', expires_in: 300, ...(idToken ? { id_token: idToken } : {}) }),
					);
				} else res.writeHead(204).end();
			});
		});
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
		serverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
	});
	afterAll(async () => await new Promise<void>((resolve) => server.close(() => resolve())));
	beforeEach(() => (seen.length = 0));

	const verifier = 'v'.repeat(43);

	it.each([
		['another issuer', () => ({ ...good(), iss: 'https://login.example.org/auth/realms/HyperID' }), /issued by "https:\/\/login.example.org\/auth\/realms\/HyperID", not by the credential's HyperID http:\/\/127\.0\.0\.1:\d+\/auth\/realms\/HyperID/],
		['another audience', () => ({ ...good(), aud: 'other-app', azp: 'other-app' }), /is for "other-app", not for this client \("my-service"\)/],
		['several audiences, azp another client', () => ({ ...good(), aud: ['my-service', 'other-app'], azp: 'other-app' }), /not for this client/],
		['expired', () => ({ ...good(), exp: Math.floor(Date.now() / 1000) - 3600 }), /the ID token expired at/],
		['no exp', () => ({ ...good(), exp: undefined }), /has no expiry/],
	])('%s: refused, no token handed on, the session ended', async (_what, claims, message) => {
		idToken = jwt(claims());
		const result = await exchange(serverUrl, 'the-code', verifier);
		expect(result.error?.message).toMatch(message);
		expect(errorJson(result.error).context.errorCode).toBe('ID_TOKEN_REFUSED');
		expect(seen.map((s) => s.path)).toEqual([TOKEN_PATH, `${REALM}/protocol/openid-connect/logout`]);
		expect(new URLSearchParams(seen[1].body).get('refresh_token')).toBe(REFRESH);
		expect(JSON.stringify(errorJson(result.error))).not.toContain(REFRESH);
	});

	it('a good ID token passes; without an ID token only an expected nonce is refused', async () => {
		idToken = jwt(good());
		expect((await exchange(serverUrl, 'the-code', verifier)).json[0]).toMatchObject({ userId: 'alice', refreshToken: REFRESH });
		idToken = undefined;
		const noIdToken = await exchange(serverUrl, 'the-code', verifier);
		expect(noIdToken.error).toBeUndefined();
		expect(noIdToken.json[0].refreshToken).toBe(REFRESH);
		const nonceExpected = await exchange(serverUrl, 'the-code', verifier, { expectedNonce: 'n-1' });
		expect(nonceExpected.error?.message).toMatch(/HyperID sent no ID token, so the sign-in's nonce could not be checked/);
	});
});
