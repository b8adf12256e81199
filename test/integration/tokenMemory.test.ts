/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * The one refresh of a user's tokens (nodes/shared/tokenRefresh.ts) under attack and under races:
 * a spent refresh token is no bearer credential for the live pair; one execution's cancel or
 * timeout never aborts a token request; a sent refresh token is never sent again; a still
 * signed-in user is never told the sign-in ended.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

import type { IDataObject, INodeParameters } from 'n8n-workflow';

import { HyperIdClientApi } from '../../credentials/HyperIdClientApi.credentials';

import { HyperIdUserData } from '../../nodes/HyperIdUserData/HyperIdUserData.node';
import { refreshesWaited, REMEMBER_MS } from '../../nodes/shared/tokenRefresh';
import { DEMO } from '../emulator/server';
import { jsonOf, runNode } from '../harness/harness';
import { CredentialStore, CredentialTypes } from '../harness/harness';
import type { RunNodeResult } from '../harness/harness';
import { sleep, stored, TOKEN_PATH, useEmulator } from './setup';
import type { Emulator } from './setup';
import type { UserRow } from './userTokensSetup';
import { clientCredential, newUsers, refreshAtEmulator, runForUsers, userTokens } from './userTokensSetup';

let emulator: Emulator;
useEmulator((started) => (emulator = started));

const INTROSPECT_PATH = `${TOKEN_PATH}/introspect`;
const setPlan = (options: INodeParameters = {}) =>
	userTokens({ resource: 'userDataByEmail', operation: 'set', key: 'plan', value: '={{ $json.plan }}', options });
const refreshGrants = () => emulator.stats().tokenGrants.refresh_token;
const tokenRequestsArrived = () => emulator.stats().requestsByPath[TOKEN_PATH] ?? 0;
const tokenAnswers = () => emulator.requests().filter((entry) => entry.path === TOKEN_PATH);
/** HyperID (the emulator, as Keycloak) saw no spent refresh token again: no session was ended by reuse detection. */
const noRefreshTokenReused = () => expect(emulator.stats().refreshReuses).toBe(0);
const planOf = (user: UserRow) => stored(emulator, 'email', user.userId).plan?.value_data;
const node = new HyperIdUserData();

async function until(condition: () => boolean, what: string): Promise<void> {
	for (let waited = 0; !condition(); waited += 10) {
		if (waited > 20_000) throw new Error(`gave up waiting for ${what}`);
		await sleep(10);
	}
}

/** One execution of the node for the given rows (the request log is not cleared: runs overlap). */
async function execution(
	client: CredentialStore,
	rows: IDataObject[],
	more: { continueOnFail?: boolean; onStarted?: (cancel: () => void) => void; options?: INodeParameters } = {},
): Promise<RunNodeResult & { json: IDataObject[] }> {
	const result = await runNode({ nodeType: node, parameters: setPlan(more.options), inputItems: rows, credentials: client, continueOnFail: more.continueOnFail, onStarted: more.onStarted });
	return { ...result, json: result.outputs ? jsonOf(result) : [] };
}

/** The user's row has expired tokens; the owner's execution renews them. Returns the renewed pair. */
async function ownerRenews(user: UserRow, client: CredentialStore): Promise<IDataObject> {
	emulator.advanceClock(3700);
	const owner = await runForUsers(emulator, client, setPlan(), [{ ...user, plan: 'owner' }]);
	expect(owner.error).toBeUndefined();
	const pair = owner.json[0].hyperidTokens as IDataObject;
	expect(pair.refreshToken).not.toBe(user.refreshToken);
	return pair;
}

describe('a spent refresh token is no key to the live pair', () => {
	test('a credential with the same Client ID aimed at another host (a custom Login URL) gets nothing: that host never sees the renewed pair', async () => {
		const [user] = newUsers(emulator, 1);
		const client = clientCredential(emulator);
		const pair = await ownerRenews(user, client);
		// the attacker's own "HyperID": every token refused as expired, every introspection "active" for the victim
		const seen: string[] = [];
		const fake = http.createServer((request, response) => {
			let body = '';
			request.on('data', (chunk: Buffer) => (body += chunk.toString()));
			request.on('end', () => {
				seen.push(`${request.url ?? ''} ${decodeURIComponent(body)}`);
				const answer = request.url?.endsWith('/introspect')
					? [200, { active: true, client_id: DEMO.clientId, sub: user.userId }]
					: request.url?.endsWith('/token')
						? [400, { error: 'invalid_grant' }]
						: [200, { result: -1 }];
				response.writeHead(answer[0] as number, { 'Content-Type': 'application/json' }).end(JSON.stringify(answer[1]));
			});
		});
		await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
		try {
			const fakeUrl = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
			const attacker = new CredentialStore(
				{ environment: 'custom', loginUrl: fakeUrl, apiUrl: fakeUrl, clientId: DEMO.clientId, clientAuthentication: 'clientSecretPost', clientSecret: 'anything' },
				{ type: 'hyperIdClientApi', id: 'attacker', name: 'Attacker', credentialTypes: new CredentialTypes([new HyperIdClientApi()]) },
			);
			const r = await runForUsers(emulator, attacker, setPlan(), [{ ...user, plan: 'attacker' }], { continueOnFail: true });
			const everything = JSON.stringify({ json: r.json, error: r.error });
			expect(everything.includes(String(pair.refreshToken)) || everything.includes(String(pair.accessToken))).toBe(false);
			expect(seen.some((line) => line.includes(String(pair.refreshToken)))).toBe(false);
			expect(r.json[0].hyperidTokens).toBeUndefined();
		} finally {
			await new Promise((resolve) => fake.close(resolve));
		}
		expect(planOf(user)).toBe('owner');
		noRefreshTokenReused();
	});

	test('wrong client secret, empty Client ID, a made-up access token, another client: no pair, nothing written as the user, no token request', async () => {
		const [user] = newUsers(emulator, 1);
		const client = clientCredential(emulator);
		const pair = await ownerRenews(user, client);
		emulator.addClient({ clientId: 'other-app', clientSecret: 'other-app-secret' });
		// shaped as an access token (a three-part JWT of type Bearer) so it passes the shape check and reaches the memory
		const madeUp = [{ alg: 'HS256', typ: 'JWT' }, { typ: 'Bearer', sub: 'someone-else', azp: DEMO.clientId }, 'forged']
			.map((part) => (typeof part === 'string' ? part : Buffer.from(JSON.stringify(part)).toString('base64url')))
			.join('.');
		const grantsBefore = refreshGrants();
		const attackers: Array<[string, CredentialStore, string, string]> = [
			['wrong secret', clientCredential(emulator, DEMO.clientId, 'wrong-secret'), user.accessToken, 'CLIENT_REFUSED'],
			['empty Client ID', clientCredential(emulator, '', 'anything'), user.accessToken, 'TOKENS_RENEWED_ELSEWHERE'],
			['made-up access token', client, madeUp, 'TOKENS_RENEWED_ELSEWHERE'],
			['another client', clientCredential(emulator, 'other-app'), madeUp, 'TOKEN_OTHER_CLIENT'],
		];
		for (const [label, credential, accessToken, errorCode] of attackers) {
			const r = await runForUsers(emulator, credential, setPlan(), [{ ...user, accessToken, plan: `attacker: ${label}` }], { continueOnFail: true });
			const everything = JSON.stringify({ json: r.json, error: r.error, context: (r.error as unknown as IDataObject | undefined)?.context });
			expect([label, everything.includes(String(pair.refreshToken)) || everything.includes(String(pair.accessToken))]).toEqual([label, false]);
			expect([label, r.json[0].errorCode]).toEqual([label, errorCode]);
			expect(r.json[0].hyperidTokens).toBeUndefined();
		}
		expect(planOf(user)).toBe('owner');
		expect(refreshGrants()).toBe(grantsBefore);
		// the owner's pair is untouched
		expect((await refreshAtEmulator(emulator, String(pair.refreshToken))).access_token).toEqual(expect.any(String));
		noRefreshTokenReused();
	});

	test('the same client, proven by HyperID, for the same user: the pair again, with no token request (a rerun before the workflow stored it)', async () => {
		const [user] = newUsers(emulator, 1);
		const client = clientCredential(emulator);
		const pair = await ownerRenews(user, client);
		const rerun = await runForUsers(emulator, client, setPlan(), [{ ...user, plan: 'rerun' }]);
		expect(rerun.error).toBeUndefined();
		expect(rerun.json[0]).toMatchObject({ success: true, hyperidTokens: pair });
		expect(rerun.requests.filter((entry) => entry.path === TOKEN_PATH)).toHaveLength(0);
		// the hand-out was proven at HyperID with the caller's credential
		expect(rerun.requests.filter((entry) => entry.path === INTROSPECT_PATH)).toHaveLength(1);
		expect(planOf(user)).toBe('rerun');
		noRefreshTokenReused();
	});

	test('after the window (REMEMBER_MS) the pair is gone from the memory: the same client and user get TOKENS_RENEWED_ELSEWHERE, and the spent token is still not sent', async () => {
		const [user] = newUsers(emulator, 1);
		const client = clientCredential(emulator);
		await ownerRenews(user, client);
		const grantsBefore = refreshGrants();
		const realNow = Date.now.bind(Date);
		const later = jest.spyOn(Date, 'now').mockImplementation(() => realNow() + REMEMBER_MS + 1000);
		try {
			const rerun = await runForUsers(emulator, client, setPlan(), [{ ...user, plan: 'too late' }], { continueOnFail: true });
			expect(rerun.json[0]).toMatchObject({ errorCode: 'TOKENS_RENEWED_ELSEWHERE' });
			expect(rerun.json[0].hyperidTokens).toBeUndefined();
			expect(rerun.requests.filter((entry) => entry.path === INTROSPECT_PATH || entry.path === TOKEN_PATH)).toHaveLength(0);
		} finally {
			later.mockRestore();
		}
		expect(refreshGrants()).toBe(grantsBefore);
		expect(planOf(user)).toBe('owner');
		noRefreshTokenReused();
	});

	test('stale replay: an old execution retried after the renewed pair was spent elsewhere gets no pair and writes nothing; it is told to read the stored tokens, not that the sign-in ended', async () => {
		const [user] = newUsers(emulator, 1);
		const client = clientCredential(emulator);
		const pair = await ownerRenews(user, client);
		// another worker renews the stored pair: the pair this process remembers is spent
		const newest = await refreshAtEmulator(emulator, String(pair.refreshToken));
		expect(newest.access_token).toEqual(expect.any(String));
		const grantsBefore = refreshGrants();
		const replay = await runForUsers(emulator, client, setPlan(), [{ ...user, plan: 'stale replay' }], { continueOnFail: true });
		expect(replay.json[0]).toMatchObject({ errorCode: 'TOKENS_RENEWED_ELSEWHERE', error: expect.stringContaining('read their stored tokens again (item 0)') });
		expect(replay.json[0].hyperidTokens).toBeUndefined();
		expect(JSON.stringify(replay.json)).not.toContain(String(pair.refreshToken));
		expect(planOf(user)).toBe('owner');
		expect(refreshGrants()).toBe(grantsBefore);
		// the user is still signed in: the newest pair works
		expect((await refreshAtEmulator(emulator, String(newest.refresh_token))).access_token).toEqual(expect.any(String));
		noRefreshTokenReused();
	});
});

/** A user whose tokens expired; HyperID renews at once, its answer is on its way for 1.5 s. */
function expiredWithSlowAnswer() {
	const [user] = newUsers(emulator, 1);
	const client = clientCredential(emulator);
	emulator.advanceClock(3700);
	emulator.clearRequests();
	emulator.clearStats();
	emulator.setFaults([{ path: TOKEN_PATH, answerDelayMs: 1500, times: 1 }]);
	return { user, client };
}

describe('races: a token request is never aborted, a sent refresh token never sent again', () => {
	test("cancelling one execution does not abort the token request another waits on: the other gets the pair, and it is kept", async () => {
		const { user, client } = expiredWithSlowAnswer();
		let cancelFirst: () => void = () => undefined;
		const first = execution(client, [{ ...user, plan: 'first' }], { onStarted: (cancel) => (cancelFirst = cancel) });
		await until(() => refreshGrants() === 1, "the first execution's token request");
		const second = execution(client, [{ ...user, plan: 'second' }]);
		await until(() => refreshesWaited() === 2, 'both executions waiting on the one refresh');
		cancelFirst();
		const [firstResult, secondResult] = await Promise.all([first, second]);
		emulator.clearFaults();
		expect(firstResult.error?.message).toMatch(/cancelled/);
		expect(secondResult.error).toBeUndefined();
		expect(secondResult.json[0]).toMatchObject({ success: true, hyperidTokens: expect.objectContaining({ userId: user.userId }) });
		expect(planOf(user)).toBe('second');
		expect(tokenRequestsArrived()).toBe(1);
		// kept: a later execution with the same row gets the same pair, no token request
		const later = await runForUsers(emulator, client, setPlan(), [{ ...user, plan: 'later' }]);
		expect(later.json[0].hyperidTokens).toEqual(secondResult.json[0].hyperidTokens);
		expect(tokenRequestsArrived()).toBe(1);
		noRefreshTokenReused();
	});

	test("a token answer arriving after the node's Timeout: the refresh token is not sent again; the answer lands and the next run gets the pair (no false SIGN_IN_ENDED)", async () => {
		const { user, client } = expiredWithSlowAnswer();
		const first = await runForUsers(emulator, client, setPlan({ timeout: 300, retries: 1 }), [{ ...user, plan: 'first' }], { continueOnFail: true });
		expect(first.json[0]).toMatchObject({ errorCode: 'REFRESH_UNAVAILABLE', error: expect.stringMatching(/did not arrive in time/) });
		await until(() => tokenAnswers().length === 1, 'the late token answer');
		emulator.clearFaults();
		expect(tokenAnswers().map((entry) => entry.status)).toEqual([200]);
		const next = await runForUsers(emulator, client, setPlan(), [{ ...user, plan: 'next' }], { continueOnFail: true });
		expect(next.json[0]).toMatchObject({ success: true, hyperidTokens: expect.objectContaining({ userId: user.userId }) });
		expect(planOf(user)).toBe('next');
		// one token request in all: the spent token never went out again
		expect(tokenRequestsArrived()).toBe(1);
		noRefreshTokenReused();
	});

	test('Stop Workflow: a second execution arriving while the first one\'s refresh answer is on its way is not told "sign in again"; it gets the pair', async () => {
		const { user, client } = expiredWithSlowAnswer();
		const first = execution(client, [{ ...user, plan: 'first' }]);
		// HyperID has rotated the token; the answer is not back yet
		await until(() => refreshGrants() === 1, "the first execution's refresh carried out");
		const second = await execution(client, [{ ...user, plan: 'second' }]);
		const firstResult = await first;
		emulator.clearFaults();
		expect(firstResult.error).toBeUndefined();
		expect(second.error).toBeUndefined();
		expect(second.json[0]).toMatchObject({ success: true });
		expect(second.json[0].hyperidTokens).toEqual(firstResult.json[0].hyperidTokens);
		expect(tokenRequestsArrived()).toBe(1);
		noRefreshTokenReused();
	});
});
