/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * The HyperID Client credential's secret goes only to its own HyperID login host (issue 24, point 4):
 * a node (here a probe, as n8n's HTTP Request node would) asks n8n-core's real
 * httpRequestWithAuthentication / requestWithAuthentication to send a request with the credential
 * to a collector server on 127.0.0.1; the credential refuses, and the collector receives nothing.
 * A request to the credential's own host (the emulator) still authenticates.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

import type { ICredentialDataDecryptedObject, IDataObject, IExecuteFunctions, IHttpRequestOptions, INodeExecutionData, INodeType } from 'n8n-workflow';

import { CLIENT_CREDENTIAL_TYPE } from '../../nodes/shared/hyperIdClient';
import { CredentialStore, defaultCredentialTypes, jsonOf, runNode } from '../harness/harness';
import { DEMO, useEmulator, type Emulator } from './setup';

let emulator: Emulator;
useEmulator((e) => (emulator = e));

const INTROSPECT_PATH = '/auth/realms/HyperID/protocol/openid-connect/token/introspect';

/** Every request it receives, with headers and body: it must receive none. */
let collector: http.Server;
let collectorUrl: string;
const collected: Array<{ method?: string; url?: string; headers: http.IncomingHttpHeaders; body: string }> = [];

beforeAll(async () => {
	collector = http.createServer((req, res) => {
		let body = '';
		req.on('data', (chunk) => (body += chunk));
		req.on('end', () => {
			collected.push({ method: req.method, url: req.url, headers: req.headers, body });
			res.writeHead(200, { 'content-type': 'application/json' }).end('{"active":false}');
		});
	});
	await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
	collectorUrl = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
});

afterAll(async () => {
	await new Promise<void>((resolve) => collector.close(() => resolve()));
});

/** Sends each item's `request` with the client credential, as a node that may only use the credential would. */
const probe: INodeType = {
	description: {
		displayName: 'Credential Probe',
		name: 'credentialProbe',
		group: ['transform'],
		version: 1,
		description: '',
		defaults: { name: 'Credential Probe' },
		inputs: ['main'],
		outputs: ['main'],
		credentials: [{ name: CLIENT_CREDENTIAL_TYPE, required: true }],
		properties: [],
	},
	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const out: INodeExecutionData[] = [];
		for (const [itemIndex, item] of this.getInputData().entries()) {
			const request = item.json.request as IDataObject;
			try {
				const answer = item.json.legacy
					? await this.helpers.requestWithAuthentication.call(this, CLIENT_CREDENTIAL_TYPE, { ...request, json: true } as never)
					: await this.helpers.httpRequestWithAuthentication.call(this, CLIENT_CREDENTIAL_TYPE, { ...request, json: true } as IHttpRequestOptions);
				out.push({ json: { sent: true, answer: answer as IDataObject }, pairedItem: { item: itemIndex } });
			} catch (error) {
				const e = error as Error & { description?: string };
				out.push({ json: { sent: false, message: `${e.message} ${e.description ?? ''}` }, pairedItem: { item: itemIndex } });
			}
		}
		return [out];
	},
};

const SECRET = DEMO.clientSecret;

function store(data: ICredentialDataDecryptedObject = {}): CredentialStore {
	return new CredentialStore(
		{ environment: 'custom', loginUrl: emulator.url, clientId: DEMO.clientId, clientAuthentication: 'clientSecretPost', clientSecret: SECRET, ...data },
		{ type: CLIENT_CREDENTIAL_TYPE, credentialTypes: defaultCredentialTypes() },
	);
}

async function send(credentials: CredentialStore, request: IDataObject, legacy = false): Promise<IDataObject> {
	emulator.clearRequests();
	const result = await runNode({ nodeType: probe, nodeTypeName: 'test.credentialProbe', parameters: {}, inputItems: [{ request, legacy }], credentials });
	if (result.error) throw result.error;
	return jsonOf(result)[0];
}

const form = { token: 'dummy', token_type_hint: 'access_token' };

describe("HyperID Client credential: the client's secret goes only to the credential's own HyperID host", () => {
	beforeEach(() => {
		collected.length = 0;
	});

	it.each([
		['an absolute URL of another server', () => ({ method: 'POST', url: `${collectorUrl}/collect`, body: form })],
		['another server as baseURL', () => ({ method: 'POST', baseURL: collectorUrl, url: INTROSPECT_PATH, body: form })],
		['an absolute URL beside the right baseURL', () => ({ method: 'POST', baseURL: emulator.url, url: `${collectorUrl}${INTROSPECT_PATH}`, body: form })],
		['the right host through a proxy on the request', () => ({ method: 'POST', url: `${emulator.url}${INTROSPECT_PATH}`, body: form, proxy: { host: '127.0.0.1', port: Number(new URL(collectorUrl).port), protocol: 'http' } })],
	])('%s: refused, nothing sent, the secret in no message', async (_what, request) => {
		for (const clientAuthentication of ['clientSecretPost', 'clientSecretBasic', 'clientAssertionHs256']) {
			const json = await send(store({ clientAuthentication }), request());
			expect(json.sent).toBe(false);
			expect(String(json.message)).toMatch(/only authenticates requests to its own HyperID login host|proxy/);
			expect(String(json.message)).not.toContain(SECRET);
		}
		expect(collected).toEqual([]);
		expect(emulator.requests()).toEqual([]);
	});

	it("the HTTP Request node's way (requestWithAuthentication with uri) is refused too", async () => {
		const json = await send(store(), { method: 'POST', uri: `${collectorUrl}/collect`, form }, true);
		expect(json.sent).toBe(false);
		expect(String(json.message)).toMatch(/only authenticates requests to its own HyperID login host/);
		expect(collected).toEqual([]);
	});

	it('a production or sandbox credential sends nothing to a server that is not its HyperID host', async () => {
		for (const environment of ['production', 'sandbox']) {
			const json = await send(store({ environment, loginUrl: '' }), { method: 'POST', url: `${collectorUrl}/collect`, body: form });
			expect(json.sent).toBe(false);
			expect(String(json.message)).toContain(environment === 'production' ? 'https://login.hypersecureid.com' : 'https://login-sandbox.hypersecureid.com');
		}
		expect(collected).toEqual([]);
	});

	it('its own host answering with a redirect to another server: the redirect is not followed, the other server receives nothing', async () => {
		const redirecting = http.createServer((req, res) => {
			req.resume();
			req.on('end', () => res.writeHead(307, { location: `${collectorUrl}/collect` }).end());
		});
		await new Promise<void>((resolve) => redirecting.listen(0, '127.0.0.1', resolve));
		try {
			const own = `http://127.0.0.1:${(redirecting.address() as AddressInfo).port}`;
			for (const clientAuthentication of ['clientSecretPost', 'clientSecretBasic']) {
				await send(store({ loginUrl: own, clientAuthentication }), { method: 'POST', url: `${own}${INTROSPECT_PATH}`, body: form });
			}
			await send(store({ loginUrl: own }), { method: 'POST', uri: `${own}${INTROSPECT_PATH}`, form }, true);
		} finally {
			await new Promise<void>((resolve) => redirecting.close(() => resolve()));
		}
		expect(collected).toEqual([]);
	});

	it("a request to the credential's own host still authenticates (introspection answers 200, active false)", async () => {
		for (const request of [
			{ method: 'POST', url: `${emulator.url}${INTROSPECT_PATH}`, body: form },
			{ method: 'POST', baseURL: `${emulator.url}/`, url: INTROSPECT_PATH, body: form },
		]) {
			const json = await send(store(), request);
			expect(json).toEqual({ sent: true, answer: { active: false } });
		}
		const legacy = await send(store(), { method: 'POST', uri: `${emulator.url}${INTROSPECT_PATH}`, body: form }, true);
		expect(legacy).toEqual({ sent: true, answer: { active: false } });
		expect(collected).toEqual([]);
	});
});
