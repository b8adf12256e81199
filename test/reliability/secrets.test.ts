/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * Campaign 7: secrets. Every campaign scans what its runs captured (see helpers.ts `Campaign.scan`).
 * This one drives the paths most likely to leak a token: every operation with the whole response
 * (Simplify off), every error code, 401 and refresh, a dead credential, a failing token endpoint,
 * dropped connections and timeouts; then scans outputs, error message, description and context,
 * n8n's copy of the error, the run data and every captured log line, plus the harness's stray logs
 * and the errors n8n-core reported, for every access, refresh and id token the emulator issued and
 * every client secret used.
 */
import type { IDataObject, INodeParameters } from 'n8n-workflow';

import { generateKeyPairSync } from 'node:crypto';

import { HyperIdClientApi } from '../../credentials/HyperIdClientApi.credentials';
import { HyperIdSignIn } from '../../nodes/HyperIdSignIn/HyperIdSignIn.node';
import { CredentialStore, jsonOf, reportedErrors, runNode, strayLogs } from '../harness/harness';
import type { RunNodeOptions } from '../harness/harness';
import type { Run } from '../integration/setup';
import { clientCredential, newUsers, refreshAtEmulator, revokeConsent, runForUsers, userTokens } from '../integration/userTokensSetup';
import { Campaign, CLIENT_B, DEMO, newEmulator, report, textOf, TOKEN_PATH, walletParam } from './helpers';
import type { Emulator } from './helpers';

let emulator: Emulator;
let campaign: Campaign;

beforeAll(async () => {
	emulator = await newEmulator();
	emulator.addClient({ ...CLIENT_B });
	campaign = new Campaign('secrets', emulator);
});
afterAll(async () => {
	await emulator?.close();
});

const OPERATIONS: INodeParameters[] = [
	{ resource: 'userData', operation: 'set', key: 'k', value: 'v' },
	{ resource: 'userData', operation: 'get', keys: 'k' },
	{ resource: 'userDataByEmail', operation: 'set', key: 'k', value: 'v', accessScope: 'public' },
	{ resource: 'userDataByEmail', operation: 'get', keys: 'k' },
	{ resource: 'userDataByEmail', operation: 'listKeys' },
	{ resource: 'userDataByEmail', operation: 'listSharedKeys', returnAll: true },
	{ resource: 'userDataByEmail', operation: 'delete', keys: 'k' },
	{ resource: 'userDataByUserId', operation: 'set', key: 'k', value: 'v' },
	{ resource: 'userDataByUserId', operation: 'delete', keys: 'k, nope' },
	{ resource: 'userDataByIdp', operation: 'set', identityProvider: 'google', key: 'k', value: 'v' },
	{ resource: 'userDataByIdp', operation: 'listKeys', identityProvider: 'google' },
	{ resource: 'userDataByWallet', operation: 'set', walletAddress: walletParam(''), key: 'k', value: 'v' },
	{ resource: 'userDataByWallet', operation: 'get', walletAddress: walletParam(DEMO.privateWallet), keys: 'k' },
	{ resource: 'wallet', operation: 'getAll' },
];

let scenarios = 0;

async function each(label: string, credentials: CredentialStore, parameters: INodeParameters, options: INodeParameters = {}, items: IDataObject[] = [{}]) {
	scenarios++;
	for (const continueOnFail of [false, true]) {
		for (const simplify of [true, false]) {
			await campaign.run(`${label} cof=${continueOnFail} simplify=${simplify}`, credentials, { ...parameters, options: { retryDelay: 1, ...options, simplify } }, items, continueOnFail);
		}
	}
}

test('every operation, simplified and whole responses', async () => {
	const credentials = campaign.credential();
	for (const parameters of OPERATIONS) await each(`${parameters.resource} ${parameters.operation}`, credentials, parameters);
});

test('every result code of set and get as an error', async () => {
	const credentials = campaign.credential();
	for (const result of [-3, -4, -5, -6, -7, -8, -99]) {
		for (const parameters of [OPERATIONS[2], OPERATIONS[3], OPERATIONS[9], OPERATIONS[12]]) {
			emulator.setFaults([{ result, times: -1 }]);
			await each(`result ${result}`, credentials, parameters, { retries: 1 });
		}
	}
	emulator.clearFaults();
});

test('refresh on -1, -2 and HTTP 401; rejected again after the refresh', async () => {
	const credentials = campaign.credential();
	for (const rule of [{ result: -1 }, { result: -2 }, { status: 401 }, { result: -1, times: -1 }, { status: 401, times: -1 }]) {
		emulator.setFaults([{ path: '/user-data/by-email/set', times: 1, ...rule }]);
		await each(`auth ${JSON.stringify(rule)}`, credentials, OPERATIONS[2]);
	}
	emulator.clearFaults();
	expect(credentials.saves).toBeGreaterThan(0);
});

test('dead credential and a failing token endpoint', async () => {
	for (const rule of [
		{ path: TOKEN_PATH, status: 400 },
		{ path: TOKEN_PATH, status: 401 },
		{ path: TOKEN_PATH, status: 503 },
		{ path: TOKEN_PATH, reset: true },
		{ path: TOKEN_PATH, delayMs: 400 },
	]) {
		emulator.setFaults([{ times: -1, ...rule }]);
		await each(`token endpoint ${JSON.stringify(rule)}`, campaign.credential({ expiresIn: 0 }), OPERATIONS[2], { timeout: 200 });
	}
	emulator.clearFaults();
	// The stored refresh token already used elsewhere: invalid_grant.
	const credentials = await campaign.spentCredential();
	await each('invalid_grant', credentials, OPERATIONS[2]);
	// A wrong client secret: invalid_client.
	await each('invalid_client', campaign.credential({ expiresIn: 0 }, { clientSecret: 'wrong-client-secret-123' }), OPERATIONS[2]);
	campaign.addSecret('wrong-client-secret-123');
});

test('dropped connections, server errors and timeouts', async () => {
	const credentials = campaign.credential({ clientId: CLIENT_B.clientId });
	for (const rule of [{ reset: true }, { status: 500 }, { status: 502 }, { status: 429 }, { delayMs: 400 }]) {
		emulator.setFaults([{ times: -1, ...rule }]);
		await each(`fault ${JSON.stringify(rule)}`, credentials, OPERATIONS[3], { retries: 1, timeout: 200 });
	}
	emulator.clearFaults();
});

test('bad input errors', async () => {
	const credentials = campaign.credential();
	await each('bad key', credentials, { ...OPERATIONS[2], key: '' });
	await each('bad wallet', credentials, { ...OPERATIONS[12], walletAddress: walletParam('0x12') });
	await each('bad idp', credentials, { ...OPERATIONS[9], identityProvider: 'nope' });
});

/** Each User's Tokens: where the renewed pair may be (output items; a thrown error's context), and nowhere else. */
const OWN_FIELD = 'hyperidTokens';

/** `value` without the renewed pairs (remembered as secrets: they must not be anywhere else). */
function withoutOwnField(value: unknown): unknown {
	if (Array.isArray(value)) return value.map(withoutOwnField);
	if (value instanceof Error || (value !== null && typeof value === 'object')) {
		const copy: IDataObject = {};
		for (const [key, inner] of Object.entries(value as IDataObject)) {
			if (key === OWN_FIELD || key === 'renewedTokens') campaign.addSecret(...JSON.stringify(inner).match(/[A-Za-z0-9\-_.~+/]{20,}=*/g) ?? []);
			else copy[key] = withoutOwnField(inner) as IDataObject;
		}
		if (value instanceof Error) {
			copy.message = value.message;
			copy.description = (value as Error & { description?: unknown }).description as string;
		}
		return copy;
	}
	return value;
}

/**
 * The error output as the node made it: n8n-core adds the paired input item's fields (here the
 * user's row, tokens included) beside `error` of an error-output item; those are the workflow's own.
 */
function withoutInputFields(main: unknown, items: IDataObject[]): unknown {
	if (!Array.isArray(main) || !Array.isArray(main[1])) return main;
	const errorOutput = (main[1] as Array<{ json: IDataObject; pairedItem?: { item: number } }>).map((item) => {
		const input = items[item.pairedItem?.item ?? -1] ?? {};
		const json = Object.fromEntries(Object.entries(item.json).filter(([key, value]) => key === 'error' || input[key] !== value));
		return { ...item, json };
	});
	return [main[0], errorOutput, ...main.slice(2)];
}

async function forUsers(label: string, client: CredentialStore | undefined, parameters: INodeParameters, items: IDataObject[], more: Partial<RunNodeOptions> = {}) {
	scenarios++;
	for (const item of items) campaign.addSecret(item.accessToken as string, item.refreshToken as string);
	for (const onError of ['stopWorkflow', 'continueRegularOutput', 'continueErrorOutput'] as const) {
		const result: Run = await runForUsers(emulator, client, userTokens({ ...parameters, options: { retries: 1, timeout: 300 } }), items, {
			...more,
			nodeOverrides: { onError },
		});
		campaign.runs++;
		const runData = { ...(result.run?.data.resultData.runData ?? {}) };
		// the input items are the workflow's own (its token table): only what the node made is scanned
		delete runData.Start;
		for (const [name, tasks] of Object.entries(runData)) {
			runData[name] = tasks.map((task) => ({ ...task, data: task.data && { ...task.data, main: withoutInputFields(task.data.main, items) as typeof task.data.main } }));
		}
		campaign.scan(`users: ${label} ${onError}`, {
			...result,
			outputs: withoutOwnField(withoutInputFields(result.outputs, items)),
			error: withoutOwnField(result.error),
			taskData: { error: withoutOwnField(result.taskData?.error) },
			run: { data: { resultData: withoutOwnField({ ...result.run?.data.resultData, runData }) } },
		} as unknown as Run);
	}
}

test("Each User's Tokens: every operation, refreshes, ended sign-ins, a refused client, a failing token endpoint, bad tokens", async () => {
	const client = clientCredential(emulator);
	campaign.addSecret(DEMO.clientSecret, 'wrong-client-secret-456');
	const fresh = () => newUsers(emulator, 2);
	for (const parameters of OPERATIONS) await forUsers(`${parameters.resource} ${parameters.operation}`, client, parameters, fresh());
	const expired = () => {
		const users = fresh();
		emulator.advanceClock(3700);
		return users;
	};
	await forUsers('expired, refreshed', client, OPERATIONS[2], expired());
	const revoked = fresh();
	await revokeConsent(emulator, revoked[0].refreshToken);
	emulator.advanceClock(3700);
	await forUsers('sign-in ended', client, OPERATIONS[2], revoked);
	await forUsers('no refresh token', client, OPERATIONS[2], expired().map(({ refreshToken: _drop, ...rest }) => rest));
	await forUsers('refused client', clientCredential(emulator, DEMO.clientId, 'wrong-client-secret-456'), OPERATIONS[2], expired());
	for (const rule of [{ path: TOKEN_PATH, status: 503 }, { path: TOKEN_PATH, reset: true }, { path: TOKEN_PATH, delayMs: 500 }]) {
		emulator.setFaults([{ times: -1, ...rule }]);
		await forUsers(`token endpoint ${JSON.stringify(rule)}`, client, OPERATIONS[2], expired());
	}
	// the token endpoint renews, its answer comes after the node's Timeout (kept for the next run)
	emulator.setFaults([{ path: TOKEN_PATH, answerDelayMs: 800, times: -1 }]);
	await forUsers('token answer after the Timeout', client, OPERATIONS[2], expired());
	emulator.clearFaults();
	// a spent refresh token: its renewed pair spent elsewhere since (stale replay), and presented with a wrong secret
	const replayed = expired();
	const renewal = await runForUsers(emulator, client, userTokens(OPERATIONS[2]), replayed);
	for (const item of renewal.json) await refreshAtEmulator(emulator, String((item.hyperidTokens as IDataObject).refreshToken));
	await forUsers('renewed elsewhere (stale replay)', client, OPERATIONS[2], replayed);
	const attacked = expired();
	await runForUsers(emulator, client, userTokens(OPERATIONS[2]), attacked);
	await forUsers('a spent refresh token with a wrong secret', clientCredential(emulator, DEMO.clientId, 'wrong-client-secret-456'), OPERATIONS[2], attacked);
	emulator.clearFaults();
	const [user] = fresh();
	await forUsers('bad tokens', undefined, OPERATIONS[2], [
		{ accessToken: `Bearer ${user.accessToken}` },
		{ accessToken: `${user.accessToken} x` },
		{ accessToken: user.accessToken, refreshToken: user.refreshToken },
	]);
	emulator.addClient({ clientId: 'third-app', clientSecret: 'third-app-secret' });
	await forUsers('another client', client, OPERATIONS[2], newUsers(emulator, 1, 'third-app'));
});

test('refusals before sending: a token of the wrong kind, a refresh token in an AI tool, the client secret to another host, an untrusted ID token', async () => {
	const client = clientCredential(emulator);
	const [user, other] = newUsers(emulator, 2);
	// TOKEN_MALFORMED: a refresh token in Access Token, an access token in Refresh Token, a user ID
	await forUsers('wrong kinds of token', client, OPERATIONS[2], [
		{ accessToken: user.refreshToken, refreshToken: user.refreshToken },
		{ accessToken: other.accessToken, refreshToken: other.accessToken },
		{ accessToken: user.userId, refreshToken: user.refreshToken },
	]);
	// REFRESH_AS_AI_TOOL, with the access token expired (the old path renewed and answered with the pair)
	const [toolUser] = newUsers(emulator, 1);
	emulator.expireAccessTokens({ userId: toolUser.userId });
	await forUsers('refresh token in an AI tool', client, OPERATIONS[3], [toolUser], { nodeTypeName: 'n8n-nodes-hyperid.hyperIdUserDataTool' });
	// a tool's output goes to the model: there no renewed pair is allowed either (forUsers lets it stand in hyperidTokens)
	for (const onError of ['stopWorkflow', 'continueRegularOutput'] as const) {
		const tool = await runForUsers(emulator, client, userTokens({ ...OPERATIONS[3], options: { retries: 1 } }), [toolUser], {
			nodeTypeName: 'n8n-nodes-hyperid.hyperIdUserDataTool',
			nodeOverrides: { onError },
		});
		if (/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/.test(`${textOf(tool.outputs)}${textOf(tool.error)}`)) {
			campaign.leaks.push({ run: `AI tool ${onError}`, where: "the tool's answer", secret: 'eyJ…' });
		}
	}

	// the client credential refuses another host: its message names neither secret nor key
	const privateKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
	campaign.addSecret(privateKey.split('\n')[1]);
	const authenticate = new HyperIdClientApi().authenticate as (c: IDataObject, r: object) => Promise<unknown>;
	for (const clientAuthentication of ['clientSecretPost', 'clientSecretBasic', 'clientAssertionHs256', 'clientAssertionRs256']) {
		const refusal = await authenticate(
			{ environment: 'custom', loginUrl: emulator.url, clientId: DEMO.clientId, clientAuthentication, clientSecret: DEMO.clientSecret, privateKey },
			{ method: 'POST', url: 'https://collector.example/token', body: { token: user.accessToken } },
		).then(
			() => undefined,
			(error: Error) => error,
		);
		expect(refusal?.message).toMatch(/only authenticates requests to its own HyperID login host/);
		campaign.scan(`client credential to another host (${clientAuthentication})`, { outputs: [], logs: [], error: refusal, requests: [], json: [] } as unknown as Run);
	}

	// Exchange Code refuses an ID token whose nonce is not the sign-in's: the tokens it was issued go nowhere
	scenarios++;
	const signIn = new CredentialStore(
		{ environment: 'custom', loginUrl: emulator.url, clientId: DEMO.clientId, clientAuthentication: 'clientSecretPost', clientSecret: DEMO.clientSecret },
		{ type: 'hyperIdClientApi' },
	);
	const node = new HyperIdSignIn();
	for (const onError of ['stopWorkflow', 'continueRegularOutput'] as const) {
		const start = await runNode({ nodeType: node, nodeTypeName: 'n8n-nodes-hyperid.hyperIdSignIn', parameters: { resource: 'signIn', operation: 'getAuthorizationUrl', redirectUri: 'http://127.0.0.1/callback', options: { nonce: 'nonce-1' } }, credentials: signIn });
		const url = jsonOf(start)[0];
		const back = new URL(String((await fetch(String(url.authorizationUrl), { redirect: 'manual' })).headers.get('location'))).searchParams;
		const parameters = { resource: 'signIn', operation: 'exchangeCode', code: String(back.get('code')), redirectUri: 'http://127.0.0.1/callback', codeVerifier: String(url.codeVerifier), options: { expectedNonce: 'nonce-2' } };
		const result = await runNode({ nodeType: node, nodeTypeName: 'n8n-nodes-hyperid.hyperIdSignIn', parameters, credentials: signIn, nodeOverrides: { onError } });
		campaign.runs++;
		const run = { ...result, json: result.outputs ? jsonOf(result) : [], requests: [] } as unknown as Run;
		campaign.scan(`ID token refused ${onError}`, run);
		// the refused sign-in's tokens are not known to the scan: no JWT at all may appear
		const captured = [textOf(result.outputs), textOf(result.error), textOf(result.taskData?.error), textOf(result.run?.data.resultData), ...result.logs].join('\n');
		if (/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/.test(captured)) campaign.leaks.push({ run: `ID token refused ${onError}`, where: 'a JWT', secret: 'eyJ…' });
		expect(textOf(result.error ?? result.outputs)).toMatch(/ID_TOKEN_REFUSED|nonce is not the nonce/);
	}
});

test('the scan itself finds a planted token (output, error description, log line)', () => {
	const probe = new Campaign('scanner self-test', emulator);
	const token = 'planted-token-0123456789abcdef';
	probe.addSecret(token);
	const fake = { outputs: [[{ json: { note: `x${token}x` } }]], logs: [`debug: Bearer ${token}`], error: Object.assign(new Error('m'), { description: token }), requests: [], json: [] };
	probe.scan('fake', fake as never);
	expect(probe.leaks.map((leak) => leak.where)).toEqual(expect.arrayContaining(['output items', 'error description', 'log line']));
});

test('nothing captured holds a token or a client secret', () => {
	// Whatever was logged outside a run, and the errors n8n-core reported, count too.
	const outside = [textOf(strayLogs), textOf(reportedErrors)].join('\n');
	for (const secret of campaign.secrets) if (outside.includes(secret)) campaign.leaks.push({ run: 'outside runs', where: 'stray logs / reported errors', secret: secret.slice(0, 6) });
	report('7 secrets', {
		scenarios,
		runs: campaign.runs,
		secretsWatched: campaign.secrets.size,
		charactersScanned: campaign.scannedChars,
		logLinesScanned: campaign.scannedLogLines,
		strayLogLines: strayLogs.length,
		reportedErrors: reportedErrors.length,
		leaks: campaign.leaks.length,
	});
	expect(campaign.secrets.size).toBeGreaterThan(20);
	expect(campaign.scannedLogLines).toBeGreaterThan(100);
	expect(campaign.leaks).toEqual([]);
});
