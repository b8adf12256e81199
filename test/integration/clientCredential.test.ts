/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * The HyperID Client credential and nodes/shared/hyperIdClient.ts through n8n-core's real
 * httpRequestWithAuthentication against the emulator: each client authentication HyperID offers
 * (secret in the form, HTTP Basic, HS256 and RS256 assertions) refreshes a user's tokens; a wrong
 * secret, a spent refresh token and a plain-http login host are told apart, and no secret or token
 * reaches an error.
 */
import { generateKeyPairSync } from 'node:crypto';

import type { ICredentialDataDecryptedObject, IExecuteFunctions, INodeExecutionData, INodeType } from 'n8n-workflow';
import { Workflow } from 'n8n-workflow';

import { HyperIdClientApi } from '../../credentials/HyperIdClientApi.credentials';
import { CLIENT_CREDENTIAL_TYPE, requestTokens, TokenEndpointError } from '../../nodes/shared/hyperIdClient';
import { CredentialStore, defaultCredentialTypes, jsonOf, runNode } from '../harness/harness';
import { DEMO, TOKEN_PATH, useEmulator, type Emulator } from './setup';

let emulator: Emulator;
useEmulator((e) => (emulator = e));

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PRIVATE_PEM = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const PUBLIC_PEM = publicKey.export({ type: 'spki', format: 'pem' }).toString();

/** A node that spends the refresh token of each item at the token endpoint and reports what came back. */
const probe: INodeType = {
	description: {
		displayName: 'Token Probe',
		name: 'tokenProbe',
		group: ['transform'],
		version: 1,
		description: '',
		defaults: { name: 'Token Probe' },
		inputs: ['main'],
		outputs: ['main'],
		credentials: [{ name: CLIENT_CREDENTIAL_TYPE, required: true }],
		properties: [],
	},
	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const out: INodeExecutionData[] = [];
		for (const [itemIndex, item] of this.getInputData().entries()) {
			try {
				const abortAfterMs = item.json.abortAfterMs as number | undefined;
				const set = await requestTokens(
					this,
					{ grant_type: 'refresh_token', refresh_token: String(item.json.refreshToken) },
					{ itemIndex, abortSignal: abortAfterMs === undefined ? undefined : AbortSignal.timeout(abortAfterMs) },
				);
				out.push({ json: { ...set }, pairedItem: { item: itemIndex } });
			} catch (error) {
				const e = error as TokenEndpointError;
				out.push({
					json: { failed: true, isTokenEndpointError: e instanceof TokenEndpointError, kind: e.kind, oauthError: e.oauthError, httpStatus: e.httpStatus, message: e.message },
					pairedItem: { item: itemIndex },
				});
			}
		}
		return [out];
	},
};

function store(data: ICredentialDataDecryptedObject): CredentialStore {
	return new CredentialStore(
		{ environment: 'custom', loginUrl: emulator.url, clientId: DEMO.clientId, ...data },
		{ type: CLIENT_CREDENTIAL_TYPE, credentialTypes: defaultCredentialTypes() },
	);
}

async function refreshWith(credentials: CredentialStore, refreshToken: string, abortAfterMs?: number) {
	emulator.clearRequests();
	const result = await runNode({
		nodeType: probe,
		nodeTypeName: 'test.tokenProbe',
		parameters: {},
		inputItems: [{ refreshToken, ...(abortAfterMs === undefined ? {} : { abortAfterMs }) }],
		credentials,
	});
	if (result.error) throw result.error;
	return { json: jsonOf(result)[0], requests: emulator.requests().filter((r) => r.path === TOKEN_PATH) };
}

describe('HyperID Client credential: client authentication at the token endpoint', () => {
	const methods: Array<[string, ICredentialDataDecryptedObject]> = [
		['client secret in the form (client_secret_post)', { clientAuthentication: 'clientSecretPost', clientSecret: DEMO.clientSecret }],
		['client secret as HTTP Basic (client_secret_basic)', { clientAuthentication: 'clientSecretBasic', clientSecret: DEMO.clientSecret }],
		['HS256 assertion signed with the secret', { clientAuthentication: 'clientAssertionHs256', clientSecret: DEMO.clientSecret }],
	];

	it.each(methods)('%s refreshes a user\'s tokens', async (_name, data) => {
		const grant = emulator.createToken();
		const { json, requests } = await refreshWith(store(data), grant.refresh_token);
		expect(json.failed).toBeUndefined();
		expect(json.accessToken).toEqual(expect.any(String));
		expect(json.accessToken).not.toBe(grant.access_token);
		expect(json.refreshToken).toEqual(expect.any(String));
		expect(json.refreshToken).not.toBe(grant.refresh_token);
		expect(new Date(String(json.expiresAt)).getTime()).toBeGreaterThan(Date.now());
		expect(new Date(String(json.refreshExpiresAt)).getTime()).toBeGreaterThan(Date.now());
		expect(json.tokenType).toBe('Bearer');
		expect(requests.map((r) => r.status)).toEqual([200]);
	});

	it('an RS256 assertion signed with a PEM private key refreshes, also with the line breaks lost in a one-line field', async () => {
		emulator.addClient({ clientId: 'rsa-client', publicKeyPem: PUBLIC_PEM });
		for (const pem of [PRIVATE_PEM, PRIVATE_PEM.replace(/\n/g, ' ')]) {
			const grant = emulator.createToken({ clientId: 'rsa-client' });
			const { json } = await refreshWith(
				store({ clientId: 'rsa-client', clientAuthentication: 'clientAssertionRs256', privateKey: pem }),
				grant.refresh_token,
			);
			expect(json.failed).toBeUndefined();
			expect(json.refreshToken).toEqual(expect.any(String));
		}
	});

	it('a wrong secret is invalid_client (Keycloak: 401 unauthorized_client, a signed assertion 400 invalid_client), the refresh token is not spent, and no secret or token is in the error', async () => {
		const grant = emulator.createToken();
		const answers: Array<[string, number, string]> = [
			['clientSecretPost', 401, 'unauthorized_client'],
			['clientSecretBasic', 401, 'unauthorized_client'],
			['clientAssertionHs256', 400, 'invalid_client'],
		];
		for (const [clientAuthentication, httpStatus, oauthError] of answers) {
			const { json } = await refreshWith(store({ clientAuthentication, clientSecret: 'wrong-secret-value' }), grant.refresh_token);
			expect(json).toMatchObject({ failed: true, isTokenEndpointError: true, kind: 'invalid_client', httpStatus, oauthError });
			expect(String(json.message)).not.toContain('wrong-secret-value');
			expect(String(json.message)).not.toContain(grant.refresh_token);
		}
		const { json } = await refreshWith(store({ clientSecret: DEMO.clientSecret }), grant.refresh_token);
		expect(json.failed).toBeUndefined();
	});

	it('a spent refresh token is invalid_grant, and the error does not echo it', async () => {
		const grant = emulator.createToken();
		const credentials = store({ clientSecret: DEMO.clientSecret });
		expect((await refreshWith(credentials, grant.refresh_token)).json.failed).toBeUndefined();
		const { json } = await refreshWith(credentials, grant.refresh_token);
		expect(json).toMatchObject({ failed: true, kind: 'invalid_grant', httpStatus: 400, oauthError: 'invalid_grant' });
		expect(String(json.message)).not.toContain(grant.refresh_token);
	});

	it('a login host over plain http that is not this machine is refused before anything is sent', async () => {
		const grant = emulator.createToken();
		const { json, requests } = await refreshWith(
			store({ loginUrl: 'http://hyperid.example.com', clientSecret: DEMO.clientSecret }),
			grant.refresh_token,
		);
		expect(json).toMatchObject({ failed: true, isTokenEndpointError: true, kind: 'invalid_client' });
		expect(String(json.message)).toMatch(/not https/);
		expect(requests).toHaveLength(0);
	});

	it("the caller's abort signal ends the wait for a slow token endpoint", async () => {
		emulator.setFaults([{ path: TOKEN_PATH, delayMs: 3_000 }]);
		const { json } = await refreshWith(store({ clientSecret: DEMO.clientSecret }), emulator.createToken().refresh_token, 100);
		expect(json).toMatchObject({ failed: true, kind: 'timeout', message: 'The token request to HyperID was cancelled' });
	});

	it('a missing secret or an unreadable private key is told plainly and nothing is sent', async () => {
		const grant = emulator.createToken();
		const noSecret = await refreshWith(store({ clientAuthentication: 'clientSecretPost', clientSecret: '' }), grant.refresh_token);
		expect(noSecret.json).toMatchObject({ failed: true, kind: 'invalid_client' });
		expect(String(noSecret.json.message)).toMatch(/no Client Secret/);
		const badKey = await refreshWith(
			store({ clientAuthentication: 'clientAssertionRs256', privateKey: '-----BEGIN PRIVATE KEY-----\nnot-a-key\n-----END PRIVATE KEY-----' }),
			grant.refresh_token,
		);
		expect(String(badKey.json.message)).toMatch(/not an RSA private key/);
		expect(String(badKey.json.message)).not.toContain('not-a-key');
		expect([...noSecret.requests, ...badKey.requests]).toHaveLength(0);
	});
});

describe('HyperID Client credential test: proves the client authenticates, not only that a host answers', () => {
	const credential = new HyperIdClientApi();

	async function runTest(data: ICredentialDataDecryptedObject): Promise<number> {
		const request = credential.test.request;
		const options = await (credential.authenticate as (c: ICredentialDataDecryptedObject, r: object) => Promise<{ url: string; headers: Record<string, string>; body: string }>)(
			{ environment: 'custom', loginUrl: emulator.url, clientId: DEMO.clientId, ...data },
			{ ...request, baseURL: emulator.url },
		);
		const response = await fetch(`${emulator.url}${options.url}`, { method: 'POST', headers: options.headers, body: options.body });
		return response.status;
	}

	it.each([
		['clientSecretPost'],
		['clientSecretBasic'],
		['clientAssertionHs256'],
	])('%s: the right secret passes (introspection 200), a wrong one fails (401 invalid_client)', async (clientAuthentication) => {
		expect(await runTest({ clientAuthentication, clientSecret: DEMO.clientSecret })).toBe(200);
		expect(await runTest({ clientAuthentication, clientSecret: 'wrong' })).toBe(401);
	});

	it('an assertion carries iss = sub = client ID, aud = the token endpoint, a 60 s life and a fresh jti each time', async () => {
		const claimsOf = async () => {
			const options = await (credential.authenticate as (c: ICredentialDataDecryptedObject, r: object) => Promise<{ body: string }>)(
				{ environment: 'custom', loginUrl: emulator.url, clientId: DEMO.clientId, clientAuthentication: 'clientAssertionHs256', clientSecret: DEMO.clientSecret },
				{ method: 'POST', url: `${emulator.url}${TOKEN_PATH}/introspect`, body: { token: 'x' } },
			);
			const form = new URLSearchParams(options.body);
			expect(form.get('client_secret')).toBeNull();
			expect(form.get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
			return JSON.parse(Buffer.from(String(form.get('client_assertion')).split('.')[1], 'base64url').toString()) as Record<string, unknown>;
		};
		const [first, second] = [await claimsOf(), await claimsOf()];
		expect(first).toMatchObject({ iss: DEMO.clientId, sub: DEMO.clientId, aud: `${emulator.url}${TOKEN_PATH}` });
		expect(Number(first.exp) - Number(first.iat)).toBe(60);
		expect(first.jti).toEqual(expect.any(String));
		expect(first.jti).not.toBe(second.jti);
	});

	it('RS256: the registered key passes, another key fails', async () => {
		emulator.addClient({ clientId: 'rsa-client', publicKeyPem: PUBLIC_PEM });
		expect(await runTest({ clientId: 'rsa-client', clientAuthentication: 'clientAssertionRs256', privateKey: PRIVATE_PEM })).toBe(200);
		const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
		expect(await runTest({ clientId: 'rsa-client', clientAuthentication: 'clientAssertionRs256', privateKey: other })).toBe(401);
	});
});

describe("HyperID Client credential test: the request's host follows the environment", () => {
	const credential = new HyperIdClientApi();
	const node = { id: 'n', name: 'n', type: 'mock', typeVersion: 1, position: [0, 0] as [number, number], parameters: {} };
	const workflow = new Workflow({
		nodes: [node],
		connections: {},
		active: false,
		nodeTypes: (() => {
			const mock = { description: { displayName: 'Mock', name: 'mock', group: [], version: 1, description: '', defaults: {}, inputs: [], outputs: [], properties: [] } } as unknown as INodeType;
			return { getByName: () => mock, getByNameAndVersion: () => mock, getKnownTypes: () => ({}) };
		})(),
	});
	const baseUrlFor = (data: ICredentialDataDecryptedObject) =>
		workflow.expression.getSimpleParameterValue(node, String(credential.test.request.baseURL), 'internal', { $credentials: data }, undefined, '');

	it.each([
		[{ environment: 'production' }, 'https://login.hypersecureid.com'],
		[{ environment: 'sandbox' }, 'https://login-sandbox.hypersecureid.com'],
		[{ environment: 'custom', loginUrl: ' http://127.0.0.1:8787/ ' }, 'http://127.0.0.1:8787'],
	])('%j -> %s', (data, expected) => {
		expect(baseUrlFor(data as ICredentialDataDecryptedObject)).toBe(expected);
		expect(credential.test.request.url).toBe('/auth/realms/HyperID/protocol/openid-connect/token/introspect');
	});
});
