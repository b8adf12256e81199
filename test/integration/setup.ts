/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
import * as http from 'node:http';

import type { IDataObject, INodeParameterResourceLocator, INodeParameters } from 'n8n-workflow';

import { HyperIdUserData } from '../../nodes/HyperIdUserData/HyperIdUserData.node';
import { spreading } from '../../nodes/HyperIdUserData/transport/crossProcess';
import { DEMO, startEmulator } from '../emulator/server';
import type { Emulator, CreateTokenOptions, RequestLogEntry } from '../emulator/server';
import { CredentialStore, hyperIdCustomCredentials, jsonOf, runNode } from '../harness/harness';
import type { RunNodeOptions, RunNodeResult } from '../harness/harness';

export { DEMO };
export type { Emulator, RunNodeResult };

/** A credential for the emulator's demo client, with a fresh token from the emulator. */
export function credentialFor(emulator: Emulator, token: CreateTokenOptions = {}, extra: IDataObject = {}): CredentialStore {
	const clientId = token.clientId ?? DEMO.clientId;
	const grant = emulator.createToken(token);
	return new CredentialStore(
		hyperIdCustomCredentials(emulator.url, {
			clientId,
			clientSecret: clientId === DEMO.clientId ? DEMO.clientSecret : `${clientId}-secret`,
			oauthTokenData: { access_token: grant.access_token, refresh_token: grant.refresh_token, token_type: 'Bearer' },
			...extra,
		}),
	);
}

/** A credential whose access token has already expired: its first request refreshes. `extra` overrides its fields. */
export function expiredCredentialFor(emulator: Emulator, extra: IDataObject = {}): CredentialStore {
	return credentialFor(emulator, { expiresIn: 0 }, extra);
}

export interface Run extends RunNodeResult {
	json: IDataObject[];
	/** API calls the emulator saw during this run (user data and token endpoint). */
	requests: RequestLogEntry[];
}

const node = new HyperIdUserData();
// one process per test here: no other worker to spread away from (test/integration/crossProcess.test.ts sets its own)
spreading.wait = async (signal) => !signal.aborted;

/** Runs the real node through n8n-core against the emulator and returns outputs and the wire. */
export async function run(
	emulator: Emulator,
	credentials: CredentialStore,
	parameters: INodeParameters,
	inputItems: IDataObject[] = [{}],
	continueOnFail = false,
	more: Pick<RunNodeOptions, 'nodeOverrides' | 'onStarted' | 'typeVersion'> = {},
): Promise<Run> {
	emulator.clearRequests();
	const result = await runNode({ nodeType: node, parameters, inputItems, credentials, continueOnFail, ...more });
	return { ...result, json: result.outputs ? jsonOf(result) : [], requests: emulator.requests() };
}

export async function newEmulator(options: Parameters<typeof startEmulator>[0] = {}): Promise<Emulator> {
	return await startEmulator(options);
}

/** Back to the seeded state and the options the emulator started with. */
export function resetEmulator(emulator: Emulator): void {
	emulator.reset();
}

/**
 * One emulator for a test file: started before its tests, reset to its start state before each,
 * closed after. `use` receives it once it is up.
 */
export function useEmulator(use: (emulator: Emulator) => void): void {
	let emulator: Emulator | undefined;
	beforeAll(async () => {
		emulator = await newEmulator();
		use(emulator);
	});
	afterAll(async () => {
		await emulator?.close();
	});
	beforeEach(() => resetEmulator(emulator as Emulator));
}

/** Bodies of the user-data requests, in order. */
export function bodies(runResult: Run, path?: string): unknown[] {
	return runResult.requests
		.filter((entry) => entry.path.startsWith('/user-') && (!path || entry.path === path))
		.map((entry) => entry.body);
}

// ---------------------------------------------------------------------------------------------
// Helpers added for the integration suite
// ---------------------------------------------------------------------------------------------

export const TOKEN_PATH = '/auth/realms/HyperID/protocol/openid-connect/token';

/** n8n's generic texts that must never reach the user. */
export const N8N_GENERIC_MESSAGES = [
	'There was an unknown issue while executing the node',
	'UNKNOWN ERROR',
	'Double-check the node configuration and the service it connects to',
];

/** User-data / wallet requests of a run (every path under /user-...), in order. */
export function apiRequests(runResult: Run, path?: string): RequestLogEntry[] {
	return runResult.requests.filter((entry) => entry.path.startsWith('/user-') && (!path || entry.path === path));
}

/** Token-endpoint requests of a run. */
export function tokenRequests(runResult: Run): RequestLogEntry[] {
	return runResult.requests.filter((entry) => entry.path === TOKEN_PATH);
}

/** A resource-locator value for the walletAddress parameter. */
export function wallet(address: string, mode: 'list' | 'address' = 'address'): INodeParameterResourceLocator {
	return { __rl: true, mode, value: address };
}

/** Registers another client application of the demo user and returns its credential. */
export function otherClient(emulator: Emulator, clientId = 'other-app', token: CreateTokenOptions = {}): CredentialStore {
	emulator.addClient({ clientId, clientSecret: `${clientId}-secret` });
	return credentialFor(emulator, { ...token, clientId });
}

export interface NodeErrorShape {
	name: string;
	message: string;
	description?: string | null;
	httpCode?: string | null;
	context: IDataObject;
	constructor: { name: string };
}

/** The error the node threw (fails the test when the run did not fail). */
export function errorOf(runResult: Run): NodeErrorShape {
	if (!runResult.error) throw new Error(`expected the run to fail, got ${JSON.stringify(runResult.json)}`);
	return runResult.error as unknown as NodeErrorShape;
}

/** message + description, for matching. */
export function textOf(error: NodeErrorShape): string {
	return `${error.message}\n${error.description ?? ''}`;
}

/** Items of the whole output with their pairedItem. */
export function pairedItems(runResult: Run): unknown[] {
	return (runResult.outputs?.[0] ?? []).map((item) => item.pairedItem);
}

export const sleep = async (ms: number) => await new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// A recording HTTP proxy: the node talks to it, it forwards to the emulator and keeps both bodies
// (the emulator's own log has request bodies only; paging needs the responses too).
// ---------------------------------------------------------------------------------------------

export interface Exchange {
	path: string;
	request: unknown;
	status: number;
	response: unknown;
}

export interface RecordingProxy {
	url: string;
	exchanges: Exchange[];
	close(): Promise<void>;
}

export async function recordingProxy(targetUrl: string): Promise<RecordingProxy> {
	const exchanges: Exchange[] = [];
	const server = http.createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (chunk: Buffer) => chunks.push(chunk));
		req.on('end', () => {
			const raw = Buffer.concat(chunks);
			const headers = { ...req.headers };
			delete headers.host;
			const upstream = http.request(
				`${targetUrl}${req.url ?? '/'}`,
				{ method: req.method, headers },
				(answer) => {
					const parts: Buffer[] = [];
					answer.on('data', (chunk: Buffer) => parts.push(chunk));
					answer.on('end', () => {
						const text = Buffer.concat(parts).toString('utf8');
						const parse = (t: string) => {
							try {
								return JSON.parse(t) as unknown;
							} catch {
								return t;
							}
						};
						exchanges.push({
							path: (req.url ?? '/').split('?')[0],
							request: parse(raw.toString('utf8')),
							status: answer.statusCode ?? 0,
							response: parse(text),
						});
						res.writeHead(answer.statusCode ?? 502, answer.headers);
						res.end(text);
					});
				},
			);
			upstream.on('error', () => req.socket.destroy());
			upstream.end(raw);
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const address = server.address();
	const port = typeof address === 'object' && address ? address.port : 0;
	return {
		url: `http://127.0.0.1:${port}`,
		exchanges,
		close: async () =>
			await new Promise<void>((resolve) => {
				server.close(() => resolve());
				server.closeAllConnections();
			}),
	};
}

/** Calls the emulator's API directly (seeding and checking, not through the node). */
export async function callApi(emulator: Emulator, credentials: CredentialStore, path: string, body: IDataObject): Promise<IDataObject> {
	const token = String(credentials.oauthTokenData?.access_token);
	const response = await fetch(`${emulator.url}${path}`, {
		method: 'POST',
		headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
		body: JSON.stringify(body),
	});
	return (await response.json()) as IDataObject;
}

/** The stored values of one target of the demo user: { key: {value_data, access_scope, client_id} }. */
export function stored(emulator: Emulator, target: string, userId: string = DEMO.userId) {
	return emulator.store().data[userId]?.[target] ?? {};
}
