/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * Refresh-and-resend (API.md "Decisions": -1/-2 or HTTP 401 -> refresh once, resend once; refresh
 * tokens rotate). The emulator expires tokens for real; the CredentialStore records what is saved.
 */
import type { IDataObject } from 'n8n-workflow';

import { CredentialStore, hyperIdCustomCredentials } from '../harness/harness';
import {
	TOKEN_PATH,
	apiRequests,
	credentialFor,
	DEMO,
	errorOf,
	expiredCredentialFor,
	N8N_GENERIC_MESSAGES,
	run,
	stored,
	textOf,
	tokenRequests,
	useEmulator,
} from './setup';
import type { Emulator } from './setup';

let emulator: Emulator;
useEmulator((started) => (emulator = started));

const setByEmail = (options = {}) => ({
	resource: 'userDataByEmail',
	operation: 'set',
	key: '={{ $json.key }}',
	value: '={{ $json.value }}',
	options: { retryDelay: 1, ...options },
});
const items = (n: number) => Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: `v${i}` }));

function expectAllStored(n: number) {
	const data = stored(emulator, 'email');
	for (let i = 0; i < n; i++) expect(data[`k${i}`]?.value_data).toBe(`v${i}`);
}

test('a token that expires mid-run is refreshed once per expiry, the request resent, all items written', async () => {
	emulator.setOptions({ expireTokensEveryRequests: 2 });
	const credentials = credentialFor(emulator);
	const original = credentials.oauthTokenData!;
	const r = await run(emulator, credentials, setByEmail({ concurrency: 1 }), items(5));
	expect(r.error).toBeUndefined();
	expect(r.json).toEqual(items(5).map(({ key }) => ({ key, success: true, result: 0 })));
	expectAllStored(5);
	// expiries after the 2nd and the 4th served request: two refreshes, two -2 answers, each resent once
	expect(emulator.stats().tokenGrants.refresh_token).toBe(2);
	expect(tokenRequests(r)).toHaveLength(2);
	// client_secret_post, as API.md says (the credential's Authentication is "body"); the log masks secrets
	expect(tokenRequests(r)[0].body).toMatchObject({ grant_type: 'refresh_token', client_id: expect.any(String), client_secret: '***', refresh_token: '***' });
	expect(apiRequests(r).filter((entry) => entry.result === -2)).toHaveLength(2);
	expect(apiRequests(r).filter((entry) => entry.result === 0)).toHaveLength(5);
	// the rotated tokens are saved, the last one is what the store holds now
	expect(credentials.saves).toBe(2);
	const saved = credentials.oauthTokenData!;
	expect(saved.refresh_token).not.toBe(original.refresh_token);
	expect(saved.access_token).not.toBe(original.access_token);
	expect(credentials.savedTokens[1].refresh_token).toBe(saved.refresh_token);
	expect(credentials.savedTokens[0].refresh_token).not.toBe(saved.refresh_token);

	// the saved refresh token works: expire everything, run again -> one refresh, success
	emulator.setOptions({ expireTokensEveryRequests: 0 });
	emulator.advanceClock(7200);
	const again = await run(emulator, credentials, setByEmail(), [{ key: 'later', value: 'x' }]);
	expect(again.error).toBeUndefined();
	expect(tokenRequests(again)).toHaveLength(1);

	// the original (rotated away) refresh token is dead: that credential must be reconnected
	const stale = new CredentialStore(
		hyperIdCustomCredentials(emulator.url, { clientId: DEMO.clientId, clientSecret: DEMO.clientSecret, oauthTokenData: original }),
	);
	emulator.advanceClock(7200);
	const dead = await run(emulator, stale, setByEmail(), [{ key: 'never', value: 'x' }]);
	const error = errorOf(dead);
	expect(textOf(error)).toMatch(/reconnect/i);
	expect(error.context.itemIndex).toBe(0);
	expect(stored(emulator, 'email').never).toBeUndefined();
	expect(stale.saves).toBe(0);
});

test('an already expired access token: -2, one refresh, resent, saved', async () => {
	const credentials = credentialFor(emulator, { expiresIn: 0 });
	const r = await run(emulator, credentials, setByEmail(), [{ key: 'a', value: '1' }]);
	expect(r.error).toBeUndefined();
	expect(apiRequests(r).map((entry) => entry.result)).toEqual([-2, 0]);
	expect(bodiesOf(r)).toEqual([
		{ value_key: 'a', value_data: '1', access_scope: 1 },
		{ value_key: 'a', value_data: '1', access_scope: 1 },
	]);
	expect(tokenRequests(r)).toHaveLength(1);
	expect(credentials.saves).toBe(1);
});

test('HTTP 401 is treated like -1: refresh once, resend', async () => {
	emulator.setFaults([{ path: '/user-data/by-email/set', status: 401 }]);
	const credentials = credentialFor(emulator);
	const r = await run(emulator, credentials, setByEmail(), [{ key: 'a', value: '1' }]);
	expect(r.error).toBeUndefined();
	expect(apiRequests(r).map((entry) => entry.status)).toEqual([401, 200]);
	expect(tokenRequests(r)).toHaveLength(1);
	expect(stored(emulator, 'email').a.value_data).toBe('1');
});

test('a second expiry right after the refresh fails with the reconnect message (no refresh loop)', async () => {
	emulator.setOptions({ accessTokenLifetime: 0 }); // every refreshed token is born expired
	const credentials = credentialFor(emulator, { expiresIn: 0 });
	const r = await run(emulator, credentials, setByEmail(), [{ key: 'a', value: '1' }]);
	const error = errorOf(r);
	expect(error.constructor.name).toBe('NodeApiError');
	expect(textOf(error)).toMatch(/reconnect/i);
	expect(error.context.resultCode).toBe(-2);
	expect(error.context.itemIndex).toBe(0);
	for (const generic of N8N_GENERIC_MESSAGES) expect(textOf(error)).not.toContain(generic);
	expect(apiRequests(r).map((entry) => entry.result)).toEqual([-2, -2]);
	expect(tokenRequests(r)).toHaveLength(1);
	// the rotated refresh token was still saved: the old one is spent
	expect(credentials.saves).toBe(1);
	expect(stored(emulator, 'email').a).toBeUndefined();
});

test('a refresh token the server refuses: the message says to reconnect, nothing is written', async () => {
	const credentials = new CredentialStore(
		hyperIdCustomCredentials(emulator.url, {
			clientId: DEMO.clientId,
			clientSecret: DEMO.clientSecret,
			oauthTokenData: { access_token: emulator.createToken({ expiresIn: 0 }).access_token, refresh_token: 'rt-unknown-to-the-server', token_type: 'Bearer' },
		}),
	);
	const r = await run(emulator, credentials, setByEmail({ concurrency: 1 }), items(3));
	const error = errorOf(r);
	expect(textOf(error)).toMatch(/reconnect/i);
	expect(textOf(error)).not.toContain('rt-unknown-to-the-server');
	// introspection (it spends nothing) says inactive: never presented at the token endpoint
	expect(tokenRequests(r)).toHaveLength(0);
	expect(r.requests.filter((entry) => entry.path === `${TOKEN_PATH}/introspect`)).toHaveLength(1);
	expect(apiRequests(r)).toHaveLength(1);
	expect(credentials.saves).toBe(0);
});

test('concurrency 8: every in-flight request hits the same expiry, one refresh serves them all', async () => {
	const credentials = credentialFor(emulator, { expiresIn: 0 });
	emulator.setOptions({ latencyMs: 20 }); // keep 8 requests in flight together
	const r = await run(emulator, credentials, setByEmail({ concurrency: 8 }), items(16));
	expect(r.error).toBeUndefined();
	expectAllStored(16);
	expect(emulator.stats().tokenGrants.refresh_token).toBe(1);
	expect(emulator.stats().maxInFlight).toBeGreaterThan(1);
	expect(credentials.saves).toBe(1);
	expect(r.json.map((json) => json.key)).toEqual(items(16).map(({ key }) => key));
});

test('concurrency 4 with an expiry every 5 served requests: one refresh per expiry', async () => {
	emulator.setOptions({ expireTokensEveryRequests: 5, latencyMs: 5 });
	const credentials = credentialFor(emulator);
	const r = await run(emulator, credentials, setByEmail({ concurrency: 4 }), items(20));
	expect(r.error).toBeUndefined();
	expectAllStored(20);
	// 20 successful writes, each token good for 5: expiries after the 5th, 10th and 15th
	expect(emulator.stats().tokenGrants.refresh_token).toBe(3);
	expect(credentials.saves).toBe(3);
	expect(apiRequests(r).filter((entry) => entry.result === 0)).toHaveLength(20);
});

function bodiesOf(r: Awaited<ReturnType<typeof run>>) {
	return apiRequests(r).map((entry) => entry.body);
}

// ---------------------------------------------------------------------------------------------
// Issue 16: a token stored by another process mid-run; the result code before the HTTP status;
// what each refused or failed refresh tells the user.
// ---------------------------------------------------------------------------------------------

/** The token endpoint, asked directly (as another n8n process refreshing the same credential would). */
async function refreshElsewhere(refreshToken: string): Promise<{ access_token: string; refresh_token: string }> {
	const response = await fetch(`${emulator.url}${TOKEN_PATH}`, {
		method: 'POST',
		headers: { 'content-type': 'application/x-www-form-urlencoded' },
		body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: DEMO.clientId, client_secret: DEMO.clientSecret }).toString(),
	});
	expect(response.status).toBe(200);
	return (await response.json()) as { access_token: string; refresh_token: string };
}

test('a newer token stored by another process mid-run is followed: when it expires too, one refresh, every item written', async () => {
	// every token dies after 4 served requests; "another process" refreshes while the 3rd request of the run waits
	emulator.setOptions({ expireTokensEveryRequests: 4 });
	emulator.setFaults([{ path: '/user-data/by-email/set', skip: 2, times: 1, delayMs: 1500 }]);
	const credentials = credentialFor(emulator);
	const servedAtStart = emulator.stats().userDataServed;
	let refreshedElsewhere: Promise<void> | undefined;
	const poll = setInterval(() => {
		if (refreshedElsewhere || emulator.stats().userDataServed - servedAtStart < 2) return;
		refreshedElsewhere = refreshElsewhere(String(credentials.oauthTokenData!.refresh_token)).then((token) => {
			credentials.patchData({ oauthTokenData: { access_token: token.access_token, refresh_token: token.refresh_token, token_type: 'Bearer' } });
		});
	}, 5);
	let r: Awaited<ReturnType<typeof run>>;
	try {
		r = await run(emulator, credentials, setByEmail({ concurrency: 1 }), items(10));
	} finally {
		clearInterval(poll);
	}
	expect(refreshedElsewhere).toBeDefined();
	await refreshedElsewhere;
	expect(r.error).toBeUndefined();
	expect(r.json).toEqual(items(10).map(({ key }) => ({ key, success: true, result: 0 })));
	expectAllStored(10);
	// the node signs with the token it read at the start until HyperID refuses it (the 5th request): then it
	// reads the store, finds the other process's token and resends with it, spending no refresh token; that
	// token (issued after the 2nd request) is refused at the 7th: the node refreshed once, with its refresh token
	expect(tokenRequests(r)).toHaveLength(2);
	expect(emulator.stats().refreshReuses).toBe(0);
	expect(credentials.saves).toBe(1);
	expect(apiRequests(r).map((entry) => entry.result)).toEqual([0, 0, 0, 0, -2, 0, 0, -2, 0, 0, 0, 0]);
});

test("n8n's stored credential is read once per run, not for every request (and again after a refusal)", async () => {
	emulator.setOptions({ expireTokensEveryRequests: 25 });
	const credentials = credentialFor(emulator);
	credentials.getDecryptedCalls = 0;
	const r = await run(emulator, credentials, setByEmail({ concurrency: 4 }), items(40));
	expect(r.error).toBeUndefined();
	expectAllStored(40);
	expect(tokenRequests(r)).toHaveLength(1);
	// n8n-core reads (from its database, decrypted) once per getCredentials: at the start, for signing, and
	// after the one refusal (the refresh re-reads the store before and after spending the refresh token)
	expect(apiRequests(r).length).toBeGreaterThanOrEqual(41);
	expect(credentials.getDecryptedCalls).toBeLessThanOrEqual(8);
});

test('HTTP 401 with a result code: the code decides (-3, access denied), no refresh is spent', async () => {
	emulator.setFaults([{ path: '/user-data/by-email/set', status: 401, result: -3 }]);
	const credentials = credentialFor(emulator);
	const r = await run(emulator, credentials, setByEmail(), [{ key: 'a', value: '1' }]);
	const error = errorOf(r);
	expect(error.message).toMatch(/denied access/);
	expect(error.context.resultCode).toBe(-3);
	expect(textOf(error)).not.toMatch(/reconnect it \(click/i);
	expect(tokenRequests(r)).toHaveLength(0);
	expect(apiRequests(r)).toHaveLength(1);
	expect(credentials.saves).toBe(0);
});

describe('a refresh that fails says what to fix; only invalid_grant means "reconnect"', () => {
	const expiring = (overrides: IDataObject = {}) => expiredCredentialFor(emulator, overrides);
	const runOne = async (credentials: CredentialStore) => await run(emulator, credentials, setByEmail({ retries: 1, timeout: 5000 }), items(2));

	test('invalid_grant (refresh token already used): reconnect', async () => {
		const credentials = expiring();
		await refreshElsewhere(String(credentials.oauthTokenData!.refresh_token));
		const error = errorOf(await runOne(credentials));
		expect(textOf(error)).toMatch(/sign-in has expired/);
		expect(textOf(error)).toMatch(/Reconnect/);
	});

	test('invalid_client (wrong client secret): names Client ID and Client Secret, not "reconnect"', async () => {
		const credentials = expiring({ clientSecret: 'not-the-secret' });
		const r = await runOne(credentials);
		const error = errorOf(r);
		expect(error.message).toBe('HyperID refused the credential\'s client ID or client secret (item 0)');
		expect(error.description).toMatch(/Client ID and Client Secret/);
		expect(textOf(error)).not.toMatch(/reconnect/i);
		expect(error.httpCode ?? null).toBeNull();
		// Keycloak answers a wrong secret with 401 unauthorized_client
		expect(error.context.code).toBe('unauthorized_client');
		// not retried: one token request, nothing written
		expect(tokenRequests(r)).toHaveLength(1);
		expect(stored(emulator, 'email')).toEqual({});
	});

	test('a Login URL with a wrong path (the token URL answers 404): names the Login URL', async () => {
		const credentials = expiring({ loginUrl: `${emulator.url}/wrong`, apiUrl: emulator.url });
		const r = await runOne(credentials);
		const error = errorOf(r);
		expect(textOf(error)).toMatch(/Login URL/);
		expect(textOf(error)).not.toMatch(/reconnect/i);
		expect(r.requests.filter((entry) => entry.path.endsWith('/token'))).toHaveLength(1);
	});

	test('a Login URL whose host does not resolve (DNS): names the network and the Login URL', async () => {
		const credentials = expiring({ loginUrl: 'https://hyperid-login.invalid', apiUrl: emulator.url });
		const error = errorOf(await runOne(credentials));
		expect(error.message).toMatch(/Could not connect to HyperID's token endpoint.*\((ENOTFOUND|EAI_AGAIN)\)|Could not reach HyperID to renew the sign-in \(EAI_AGAIN\)/);
		expect(textOf(error)).toMatch(/Login URL/);
		expect(textOf(error)).not.toMatch(/reconnect/i);
	});

	test('a Login URL that does not speak TLS: names the secure connection and the Login URL', async () => {
		const credentials = expiring({ loginUrl: emulator.url.replace('http://', 'https://'), apiUrl: emulator.url });
		const error = errorOf(await runOne(credentials));
		expect(error.message).toMatch(/Could not connect to HyperID's token endpoint/);
		expect(error.description).toMatch(/TLS/);
		expect(textOf(error)).not.toMatch(/reconnect/i);
	});

	test('n8n fails to save the renewed token: says so', async () => {
		const credentials = expiring();
		credentials.updateCredentialsOauthTokenData = async () => {
			throw new Error('SQLITE_BUSY: database is locked');
		};
		const r = await runOne(credentials);
		const error = errorOf(r);
		expect(error.message).toBe('HyperID renewed the sign-in, but n8n could not save the new token: SQLITE_BUSY: database is locked (item 0)');
		expect(textOf(error)).toMatch(/database/);
		expect(tokenRequests(r)).toHaveLength(1);
	});
});
