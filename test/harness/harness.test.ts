import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import { OAuthTestServer, TOKEN_PATH } from './fixtures/oauth-server';
import { PROBE_NODE_TYPE, ProbeNode } from './fixtures/ProbeNode.node';
import {
	CredentialStore,
	hyperIdCustomCredentials,
	jsonOf,
	runNode,
	type RunNodeOptions,
} from './harness';

let srv: OAuthTestServer;

beforeAll(async () => {
	srv = await new OAuthTestServer().start();
});
afterAll(async () => {
	await srv.stop();
});
beforeEach(() => srv.reset());

function probe(store: CredentialStore, extra: Partial<RunNodeOptions> = {}) {
	return runNode({
		nodeType: new ProbeNode(),
		nodeTypeName: PROBE_NODE_TYPE,
		parameters: { url: `${srv.baseUrl}/api/data`, value: '={{ $json.key }}' },
		inputItems: [{ key: 'a' }],
		credentials: store,
		...extra,
	});
}

describe('CredentialStore (in-memory CredentialsHelper)', () => {
	it('derives parent types from the credential classes', () => {
		const store = new CredentialStore({});
		expect(store.getParentTypes('hyperIdOAuth2Api')).toEqual(['oAuth2Api']);
		expect(store.getParentTypes('oAuth2Api')).toEqual([]);
	});

	it('applies defaults, pins hidden fields to their resolved defaults, keeps oauthTokenData', () => {
		const store = new CredentialStore(
			hyperIdCustomCredentials('http://127.0.0.1:8787/', {
				accessTokenUrl: 'https://stored.example/token', // hidden -> ignored (n8n 2.41)
				authentication: 'header', // hidden -> ignored
			}),
		);
		const data = store.resolve();
		expect(data.accessTokenUrl).toBe(
			'http://127.0.0.1:8787/auth/realms/HyperID/protocol/openid-connect/token',
		);
		expect(data.authentication).toBe('body');
		expect(data.grantType).toBe('authorizationCode');
		expect(data.oauthTokenData).toMatchObject({ access_token: 'access-0' });
		// ignoreSSLIssues is doNotInherit in oAuth2Api, so a child credential never has it
		expect(data).not.toHaveProperty('ignoreSSLIssues');
	});

	it('can emulate n8n 2.8 (stored hidden values honoured)', () => {
		const store = new CredentialStore(
			hyperIdCustomCredentials('http://127.0.0.1:8787', { accessTokenUrl: 'https://stored.example/token' }),
			{ hiddenFieldsTakeDefault: false },
		);
		expect(store.resolve().accessTokenUrl).toBe('https://stored.example/token');
	});

	it('drops fields whose displayOptions hide them (loginUrl outside custom)', () => {
		const store = new CredentialStore({ environment: 'production', loginUrl: 'http://x' });
		const data = store.resolve();
		expect(data).not.toHaveProperty('loginUrl');
		expect(data.accessTokenUrl).toBe(
			'https://login.hypersecureid.com/auth/realms/HyperID/protocol/openid-connect/token',
		);
	});
});

describe('runNode with the Probe fixture', () => {
	it('sends the stored access token as Bearer and returns the output items', async () => {
		const store = new CredentialStore(hyperIdCustomCredentials(srv.baseUrl));
		const r = await probe(store);
		expect(r.error).toBeUndefined();
		expect(r.status).toBe('success');
		expect(jsonOf(r)).toEqual([{ result: 0, path: '/api/data', received: { n: 0, value: 'a' } }]);
		expect(srv.apiRequests()).toHaveLength(1);
		expect(srv.apiRequests()[0].headers.authorization).toBe('Bearer access-0');
		expect(store.getDecryptedCalls).toBe(1); // one per httpRequestWithAuthentication
		expect(store.saves).toBe(0);
		expect(r.logs.some((l) => l.includes('Running node "Node Under Test" finished successfully'))).toBe(
			true,
		);
	});

	it('evaluates parameter expressions per item', async () => {
		const store = new CredentialStore(hyperIdCustomCredentials(srv.baseUrl));
		const r = await probe(store, {
			parameters: {
				url: `={{ "${srv.baseUrl}/api/" + $json.path }}`,
				value: '={{ $json.key.toUpperCase() }}-{{ $itemIndex }}',
			},
			inputItems: [
				{ key: 'a', path: 'one' },
				{ key: 'b', path: 'two' },
				{ key: 'c', path: 'three' },
			],
		});
		expect(r.error).toBeUndefined();
		expect(jsonOf(r).map((j) => [j.path, (j.received as { value: string }).value])).toEqual([
			['/api/one', 'A-0'],
			['/api/two', 'B-1'],
			['/api/three', 'C-2'],
		]);
		expect(store.getDecryptedCalls).toBe(3);
		// n8n-core resolves the credential with item 0 for every request (getCredentials(type) without itemIndex)
		expect(store.decryptLog.map((c) => c.itemIndex)).toEqual([0, 0, 0]);
	});

	it('body-coded expiry: node refreshes at the resolved token URL, rotated token is saved and used', async () => {
		srv.expireAccessToken();
		const store = new CredentialStore(hyperIdCustomCredentials(srv.baseUrl));
		const r = await probe(store, { inputItems: [{ key: 'a' }, { key: 'b' }] });
		expect(r.error).toBeUndefined();
		expect(jsonOf(r).map((j) => j.result)).toEqual([0, 0]);

		const tokenCalls = srv.tokenRequests();
		expect(tokenCalls).toHaveLength(1);
		expect(tokenCalls[0].path).toBe(TOKEN_PATH);
		expect(tokenCalls[0].headers['content-type']).toContain('application/x-www-form-urlencoded');
		expect(tokenCalls[0].body).toEqual({
			grant_type: 'refresh_token',
			refresh_token: 'refresh-0',
			client_id: 'test-client',
			client_secret: 'test-secret',
		});
		expect(tokenCalls[0].headers.authorization).toBeUndefined();

		expect(store.saves).toBe(1);
		expect(store.oauthTokenData).toMatchObject({ access_token: 'access-1', refresh_token: 'refresh-1' });
		expect(store.data.clientSecret).toBe('test-secret'); // only the token was written back
		// item 0: expired, retried with new token; item 1 reads the saved token
		expect(srv.apiRequests().map((q) => q.headers.authorization)).toEqual([
			'Bearer access-0',
			'Bearer access-1',
			'Bearer access-1',
		]);
		// item 0: request + refresh + resend, item 1: request
		expect(store.getDecryptedCalls).toBe(4);
		expect(r.logs).toContain(
			'debug: Refreshing the OAuth2 token for "hyperIdOAuth2Api" used by node "Node Under Test".',
		);

		// next run: the rotated refresh token is the one the server accepts
		srv.expireAccessToken();
		const r2 = await probe(store);
		expect(r2.error).toBeUndefined();
		expect(srv.tokenRequests()[1].body.refresh_token).toBe('refresh-1');
		expect(store.oauthTokenData?.refresh_token).toBe('refresh-2');
		expect(store.savedTokens.map((t) => t.refresh_token)).toEqual(['refresh-1', 'refresh-2']);
	});

	it('HTTP 401 from the API triggers n8n-core’s own refresh and one retry', async () => {
		srv.expiredStyle = '401';
		srv.expireAccessToken();
		const store = new CredentialStore(hyperIdCustomCredentials(srv.baseUrl));
		const r = await probe(store);
		expect(r.error).toBeUndefined();
		expect(jsonOf(r)[0].result).toBe(0);
		expect(srv.tokenRequests()).toHaveLength(1);
		// credential authentication 'body' -> client-oauth2 puts the client credentials in the form body
		expect(srv.tokenRequests()[0].body).toMatchObject({
			client_id: 'test-client',
			client_secret: 'test-secret',
			refresh_token: 'refresh-0',
		});
		expect(srv.apiRequests().map((q) => q.headers.authorization)).toEqual([
			'Bearer access-0',
			'Bearer access-1',
		]);
		expect(store.saves).toBe(1);
		expect(store.oauthTokenData?.refresh_token).toBe('refresh-1');
		expect(store.getDecryptedCalls).toBe(1); // the 401 path reuses the already-decrypted data
		expect(r.logs.some((l) => l.includes('expired. Should revalidate.'))).toBe(true);
	});

	it('a failing refresh surfaces as NodeApiError', async () => {
		srv.expiredStyle = '401';
		srv.expireAccessToken();
		srv.validRefreshToken = 'something-else';
		const store = new CredentialStore(hyperIdCustomCredentials(srv.baseUrl));
		const r = await probe(store);
		expect(r.status).toBe('error');
		expect(r.outputs).toBeUndefined();
		expect(r.error).toBeInstanceOf(NodeApiError);
		expect(store.saves).toBe(0);
	});

	it('continueOnFail yields error items', async () => {
		srv.apiHandler = (req) => (req.body.n === 1 ? { status: 200, body: { result: -5 } } : undefined);
		const store = new CredentialStore(hyperIdCustomCredentials(srv.baseUrl));
		const r = await probe(store, {
			inputItems: [{ key: 'a' }, { key: 'b' }, { key: 'c' }],
			continueOnFail: true,
		});
		expect(r.error).toBeUndefined();
		expect(r.status).toBe('success');
		expect(jsonOf(r)).toEqual([
			expect.objectContaining({ result: 0 }),
			{ error: 'API result -5' },
			expect.objectContaining({ result: 0 }),
		]);
		expect(r.outputs?.[0][1].pairedItem).toEqual({ item: 1 });
	});

	it('returns a thrown NodeOperationError (original instance) in `error`', async () => {
		const store = new CredentialStore(hyperIdCustomCredentials(srv.baseUrl));
		const r = await probe(store, {
			parameters: { url: `${srv.baseUrl}/api/data`, value: 'x', throwOnItem: 1 },
			inputItems: [{}, {}],
		});
		expect(r.status).toBe('error');
		expect(r.outputs).toBeUndefined();
		expect(r.error).toBeInstanceOf(NodeOperationError);
		expect(r.error?.message).toBe('Probe refused item 1');
		expect(r.error?.description).toBe('throwOnItem matched');
		expect((r.error?.context as { itemIndex: number }).itemIndex).toBe(1);
		expect(srv.apiRequests()).toHaveLength(1); // item 0 was sent before the throw
	});

	it('returns NodeApiError from a body-coded API error and from an HTTP error', async () => {
		const store = new CredentialStore(hyperIdCustomCredentials(srv.baseUrl));
		srv.apiHandler = () => ({ status: 200, body: { result: -7, desc: 'bad key' } });
		const r1 = await probe(store);
		expect(r1.error).toBeInstanceOf(NodeApiError);
		expect(r1.error?.message).toBe('API result -7');
		expect((r1.error?.context as { itemIndex: number }).itemIndex).toBe(0);

		srv.apiHandler = () => ({ status: 500, body: { message: 'boom' } });
		const r2 = await probe(store);
		expect(r2.error).toBeInstanceOf(NodeApiError);
		expect(r2.error?.httpCode).toBe('500');
	});

	it('missing credentials and missing required parameters come back as errors, not throws', async () => {
		const noCred = await runNode({
			nodeType: new ProbeNode(),
			nodeTypeName: PROBE_NODE_TYPE,
			parameters: { url: `${srv.baseUrl}/api/data` },
		});
		expect(noCred.error).toBeDefined();
		expect(noCred.status).toBe('error');

		const store = new CredentialStore(hyperIdCustomCredentials(srv.baseUrl));
		const noUrl = await probe(store, { parameters: {} });
		expect(noUrl.error).toBeDefined();
		expect(noUrl.outputs).toBeUndefined();
	});

	it('is fast enough to run many times', async () => {
		const store = new CredentialStore(hyperIdCustomCredentials(srv.baseUrl));
		await probe(store);
		const n = 20;
		const t0 = performance.now();
		for (let i = 0; i < n; i++) {
			const r = await probe(store, { inputItems: [{ key: 'a' }, { key: 'b' }] });
			expect(r.error).toBeUndefined();
		}
		const perRun = (performance.now() - t0) / n;
		expect(perRun).toBeLessThan(100);
	});
});
