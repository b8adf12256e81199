/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * examples/03: the access token expires mid-run (the emulator answers -2 after three requests).
 * The node refreshes once, resends, the workflow succeeds, and n8n saved the rotated tokens.
 */
import assert from 'node:assert/strict';

import { DEMO } from '../../shared/n8n/hyperid';
import { expireTokenAfterRequests } from '../../shared/n8n/exampleChecks';
import { apiCalls, callWithToken, tokenCalls, tryRefresh } from '../../shared/n8n/requests';
import type { E2ECase } from '../../shared/n8n/types';

const KEYS = [1, 2, 3, 4, 5, 6].map((i) => `visit-${i}`);
/** successful requests before the token expires */
const BEFORE_EXPIRY = 3;
/** the refreshed token must outlive the rest of the run (12 requests in all) */
const MIN_LIFETIME = 12;

export const tokenRefresh: E2ECase = {
	name: '03 token expires mid-run: one refresh, rotated token saved',
	workflow: 'examples/03-token-refresh.json',
	credentials: { '*': 'expiring' },
	requiresNode: true,
	async before({ emulator, credentialMeta }) {
		const token = { issuedAtServed: credentialMeta.expiring.servedAtIssue, userId: DEMO.userId, clientId: DEMO.clientId };
		await expireTokenAfterRequests(emulator, token, BEFORE_EXPIRY, MIN_LIFETIME);
	},
	after({ emulator }) {
		emulator.setOptions({ expireTokensEveryRequests: 0 });
	},
	async check(r, { emulator, sandbox, credentials, credentialMeta }) {
		assert.equal(r.ok, true, `execution failed: ${r.error?.message}`);
		assert.deepEqual(
			r.json('Store Visits by User ID'),
			KEYS.map((key) => ({ key, success: true, result: 0 })),
		);
		assert.deepEqual(
			r.json('Read Visits Back'),
			KEYS.map((key, i) => ({ key, value: new Date(Date.UTC(2026, 0, i + 1)).toISOString() })),
		);

		// on the wire: 3 sets, the 4th answered -2, one refresh, the 4th again, then the rest
		const calls = apiCalls(emulator);
		assert.deepEqual(
			calls.map((c) => [c.path, c.body.value_key ?? c.body.value_keys, c.result]),
			[
				...KEYS.slice(0, 3).map((k) => ['/user-data/by-user-id/set', k, 0]),
				['/user-data/by-user-id/set', 'visit-4', -2],
				...KEYS.slice(3).map((k) => ['/user-data/by-user-id/set', k, 0]),
				...KEYS.map((k) => ['/user-data/by-user-id/get', [k], 0]),
			],
		);
		assert.deepEqual(tokenCalls(emulator), [{ grantType: 'refresh_token', status: 200 }], 'exactly one refresh');

		// n8n saved the rotated tokens
		const saved = await sandbox.exportCredential(credentials.expiring.id);
		const token = saved.data.oauthTokenData as Record<string, string>;
		const before = credentialMeta.expiring;
		assert.notEqual(token.access_token, before.accessToken, 'a new access token was saved');
		assert.notEqual(token.refresh_token, before.refreshToken, 'the rotated refresh token was saved');
		assert.equal(
			await callWithToken(emulator, token.access_token, '/user-data/by-user-id/get', { value_keys: ['visit-1'] }),
			0,
			'the saved access token works',
		);
		// the saved one first: presenting the spent one ends the sign-in (Keycloak's reuse detection)
		assert.equal(await tryRefresh(emulator, DEMO.clientId, DEMO.clientSecret, token.refresh_token), 200, 'the saved refresh token is the live one');
		assert.equal(await tryRefresh(emulator, DEMO.clientId, DEMO.clientSecret, before.refreshToken), 400, 'the old refresh token is spent');
	},
};
