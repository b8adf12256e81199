/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * After any renewal, in both authentication modes, the new access token must be the same user's as
 * the old one, or the item fails and nothing is sent with it: n8n's End-user credentials can put
 * many users behind one credential ID, and n8n's core groups renewals by credential ID.
 */
import type { IDataObject } from 'n8n-workflow';

import { apiRequests, errorOf, run, stored, useEmulator } from './setup';
import type { Emulator } from './setup';
import { credentialFor, expiredCredentialFor } from './setup';
import type { UserRow } from './userTokensSetup';
import { clientCredential, newUsers, runForUsers, userTokens } from './userTokensSetup';

let emulator: Emulator;
useEmulator((started) => (emulator = started));

const setKey = { resource: 'userDataByEmail', operation: 'set', key: '={{ $json.key }}', value: 'v', options: { retryDelay: 1, concurrency: 1 } };

/**
 * A credential with this execution's user's expired token; once that token was refused, its ID
 * resolves to `other`'s renewed token (as n8n's core, renewing per credential ID, hands it out).
 */
function handingOverTo(other: UserRow) {
	const store = expiredCredentialFor(emulator);
	const original = store.getDecrypted.bind(store);
	let handedOver = false;
	(store as unknown as { getDecrypted: typeof original }).getDecrypted = async (...args: Parameters<typeof original>) => {
		if (!handedOver && emulator.requests().some((entry) => entry.path.startsWith('/user-'))) {
			handedOver = true;
			store.patchData({ oauthTokenData: { access_token: other.accessToken, refresh_token: other.refreshToken, token_type: 'Bearer' } });
		}
		return await original(...args);
	};
	return { store, handedOver: () => handedOver };
}

test("Connected Account: two users behind one credential ID (End-user credentials); while this execution renews, the credential hands over the other user's token: nothing sent with it, TOKEN_SUBJECT_CHANGED", async () => {
	const [other] = newUsers(emulator, 1);
	const { store, handedOver } = handingOverTo(other);
	const before = (store.oauthTokenData as IDataObject).access_token;
	const r = await run(emulator, store, setKey, [{ key: 'a' }, { key: 'b' }]);
	expect(handedOver()).toBe(true);
	const error = errorOf(r);
	expect(error.context.errorCode).toBe('TOKEN_SUBJECT_CHANGED');
	expect(error.message).toMatch(/belongs to another user/);
	// only the first, refused request went out; nothing in the other user's data
	expect(apiRequests(r)).toHaveLength(1);
	expect(stored(emulator, 'email', other.userId)).toEqual({});
	expect(before).not.toBe(other.accessToken);
});

test("Connected Account: the credential is handed to another user mid-run with no refusal at all: this execution goes on with its own user's token, nothing reaches the other user's data", async () => {
	const [other] = newUsers(emulator, 1);
	const store = credentialFor(emulator);
	// the 2nd request waits at HyperID while the credential ID starts resolving to the other user's valid token
	emulator.setFaults([{ path: '/user-data/by-email/set', skip: 1, times: 1, delayMs: 1000 }]);
	let handedOver = false;
	const poll = setInterval(() => {
		if (handedOver || !emulator.requests().some((entry) => entry.path.startsWith('/user-'))) return;
		handedOver = true;
		store.patchData({ oauthTokenData: { access_token: other.accessToken, refresh_token: other.refreshToken, token_type: 'Bearer' } });
	}, 5);
	let r: Awaited<ReturnType<typeof run>>;
	try {
		r = await run(emulator, store, setKey, [{ key: 'a' }, { key: 'b' }, { key: 'c' }, { key: 'd' }]);
	} finally {
		clearInterval(poll);
	}
	expect(handedOver).toBe(true);
	expect(r.error).toBeUndefined();
	expect(Object.keys(stored(emulator, 'email')).sort()).toEqual(['a', 'b', 'c', 'd']);
	expect(stored(emulator, 'email', other.userId)).toEqual({});
});

test("Continue on Fail: every item of that credential fails with TOKEN_SUBJECT_CHANGED and its index", async () => {
	const [other] = newUsers(emulator, 1);
	const { store } = handingOverTo(other);
	const r = await run(emulator, store, setKey, [{ key: 'a' }, { key: 'b' }], true);
	expect(r.json.map((item) => [item.errorCode, String(item.error).match(/\(item (\d)\)/)?.[1]])).toEqual([
		['TOKEN_SUBJECT_CHANGED', '0'],
		['TOKEN_SUBJECT_CHANGED', '1'],
	]);
	expect(stored(emulator, 'email', other.userId)).toEqual({});
});

test("Each User's Tokens: a refresh token of another user than the access token (two rows mixed up): the renewed token is not used, TOKEN_SUBJECT_CHANGED, nothing written", async () => {
	const [owner, other] = newUsers(emulator, 2);
	emulator.advanceClock(3700);
	const r = await runForUsers(
		emulator,
		clientCredential(emulator),
		userTokens({ resource: 'userDataByEmail', operation: 'set', key: 'plan', value: 'p' }),
		[{ accessToken: owner.accessToken, refreshToken: other.refreshToken }],
		{ continueOnFail: true },
	);
	expect(r.json[0]).toMatchObject({ errorCode: 'TOKEN_SUBJECT_CHANGED', error: expect.stringContaining('(item 0)') });
	expect(r.json[0].hyperidTokens).toBeUndefined();
	expect(apiRequests(r)).toHaveLength(1);
	expect(stored(emulator, 'email', owner.userId)).toEqual({});
	expect(stored(emulator, 'email', other.userId)).toEqual({});
});
