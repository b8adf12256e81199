/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * Authentication "Each User's Tokens": every item acts for its own user; tokens refreshed once per
 * refresh token; the new pair on every output item of that user (success, Continue on Fail, and
 * the thrown error); one user's failure stays that user's.
 */
import type { IDataObject, INodeParameters } from 'n8n-workflow';

import { DEMO } from '../emulator/server';
import { apiRequests, errorOf, sleep, stored, tokenRequests, useEmulator } from './setup';
import type { Emulator } from './setup';
import type { UserRow } from './userTokensSetup';
import { clientCredential, newUsers, refreshAtEmulator, revokeConsent, runForUsers, userTokens } from './userTokensSetup';

let emulator: Emulator;
useEmulator((started) => (emulator = started));

const setValue = (options: INodeParameters = {}) =>
	userTokens({ resource: 'userDataByEmail', operation: 'set', key: 'plan', value: '={{ $json.plan }}', options });
const rows = (users: UserRow[], perUser = 1) =>
	users.flatMap((user) => Array.from({ length: perUser }, (_, n) => ({ ...user, plan: `${user.userId}-${n}` })));

/** The tokens of the user's output items, checked to be one pair. */
function tokensOf(json: IDataObject[], userId: string): IDataObject {
	const pairs = json.filter((item) => (item.hyperidTokens as IDataObject | undefined)?.userId === userId).map((item) => item.hyperidTokens as IDataObject);
	expect(pairs.length).toBeGreaterThan(0);
	for (const pair of pairs) expect(pair).toEqual(pairs[0]);
	return pairs[0];
}

test("every item acts for its own user: each user's value is stored under that user, nothing refreshed", async () => {
	const users = newUsers(emulator, 3);
	const client = clientCredential(emulator);
	const r = await runForUsers(emulator, client, setValue(), rows(users));
	expect(r.error).toBeUndefined();
	expect(r.json).toEqual(users.map(() => ({ key: 'plan', success: true, result: 0 })));
	for (const user of users) expect(stored(emulator, 'email', user.userId).plan.value_data).toBe(`${user.userId}-0`);
	expect(tokenRequests(r)).toHaveLength(0);
	// the token is in the header of each request, never in a body
	expect(JSON.stringify(apiRequests(r).map((entry) => entry.body))).not.toContain(users[0].accessToken);
});

test('every operation works per user: get, get many, list keys, delete all, wallets; a combined read only joins items of one token', async () => {
	const users = newUsers(emulator, 2);
	const client = clientCredential(emulator);
	await runForUsers(emulator, client, setValue(), rows(users));
	const items = rows(users, 2);

	const get = await runForUsers(emulator, client, userTokens({ resource: 'userDataByEmail', operation: 'get', keys: ['plan'], options: { batchReads: true } }), items);
	expect(get.error).toBeUndefined();
	expect(get.json).toEqual(items.map((item) => ({ key: 'plan', value: `${item.userId}-0` })));
	// 4 items, 2 users: one combined read per user
	expect(apiRequests(get)).toHaveLength(2);

	const many = await runForUsers(emulator, client, userTokens({ resource: 'userDataByEmail', operation: 'getAll', returnAll: true }), rows(users));
	expect(many.json.map((item) => item.value)).toEqual(users.map((user) => `${user.userId}-0`));

	const keys = await runForUsers(emulator, client, userTokens({ resource: 'userDataByEmail', operation: 'listKeys' }), rows(users));
	expect(keys.error).toBeUndefined();
	expect(keys.json).toHaveLength(2);

	const wallets = await runForUsers(emulator, client, userTokens({ resource: 'wallet', operation: 'getAll' }), rows(users));
	expect(wallets.error).toBeUndefined();
	// each user's own wallet (newUsers gives user-N the address 0x00..N)
	expect(wallets.json.map((wallet) => wallet.address)).toEqual(users.map((user) => `0x${user.userId.slice(5).padStart(40, '0')}`));

	const cleared = await runForUsers(emulator, client, userTokens({ resource: 'userDataByEmail', operation: 'deleteAll' }), [rows(users)[0]]);
	expect(cleared.json).toEqual([{ deleted: 1, keys: ['plan'] }]);
	expect(stored(emulator, 'email', users[0].userId).plan).toBeUndefined();
	expect(stored(emulator, 'email', users[1].userId).plan.value_data).toBe(`${users[1].userId}-0`);
});

test('expired tokens: one refresh per user however many items carry it, the request resent, the new pair on every item of that user', async () => {
	const users = newUsers(emulator, 5);
	const client = clientCredential(emulator);
	emulator.advanceClock(3700);
	emulator.clearStats();
	const r = await runForUsers(emulator, client, setValue(), rows(users, 4));
	expect(r.error).toBeUndefined();
	expect(r.json.every((item) => item.success === true)).toBe(true);
	expect(emulator.stats().tokenGrants.refresh_token).toBe(5);
	for (const user of users) {
		const pair = tokensOf(r.json, user.userId);
		expect(r.json.filter((item) => (item.hyperidTokens as IDataObject).userId === user.userId)).toHaveLength(4);
		expect(pair.refreshToken).not.toBe(user.refreshToken);
		expect(pair.expiresAt).toEqual(expect.any(String));
		expect(pair.refreshExpiresAt).toEqual(expect.any(String));
		expect(stored(emulator, 'email', user.userId).plan.value_data).toBe(`${user.userId}-3`);
	}
	// rotation: the new refresh token works, the old one is spent
	expect((await refreshAtEmulator(emulator, users[0].refreshToken)).error).toBe('invalid_grant');
	expect((await refreshAtEmulator(emulator, String(tokensOf(r.json, users[1].userId).refreshToken))).access_token).toEqual(expect.any(String));
});

test('two executions carrying the same expired tokens at once, and a later one: one refresh per user, the same pair everywhere', async () => {
	const users = newUsers(emulator, 3);
	const client = clientCredential(emulator);
	emulator.advanceClock(3700);
	emulator.clearStats();
	// a slow token endpoint keeps the first refresh in flight while the second execution asks
	emulator.setFaults([{ path: '/auth/realms/HyperID/protocol/openid-connect/token', delayMs: 200, times: -1 }]);
	const [a, b] = await Promise.all([runForUsers(emulator, client, setValue(), rows(users)), runForUsers(emulator, client, setValue(), rows(users))]);
	emulator.clearFaults();
	expect(a.error).toBeUndefined();
	expect(b.error).toBeUndefined();
	expect(emulator.stats().tokenGrants.refresh_token).toBe(3);
	for (const user of users) expect(tokensOf(a.json, user.userId)).toEqual(tokensOf(b.json, user.userId));

	// the workflow has not stored the new pair yet: a third execution with the spent tokens gets it too
	const c = await runForUsers(emulator, client, setValue(), rows(users));
	expect(c.json.every((item) => item.success === true)).toBe(true);
	expect(emulator.stats().tokenGrants.refresh_token).toBe(3);
	for (const user of users) expect(tokensOf(c.json, user.userId)).toEqual(tokensOf(a.json, user.userId));
});

test("a withdrawn consent fails that user's items alone, with SIGN_IN_ENDED and the item index; the others are stored and carry their new pair", async () => {
	const users = newUsers(emulator, 3);
	const client = clientCredential(emulator);
	await revokeConsent(emulator, users[1].refreshToken);
	emulator.advanceClock(3700);
	const items = rows(users, 2);
	const r = await runForUsers(emulator, client, setValue(), items, { continueOnFail: true });
	expect(r.error).toBeUndefined();
	expect(r.json).toHaveLength(6);
	for (const index of [2, 3]) {
		expect(r.json[index]).toMatchObject({
			error: `This user's HyperID sign-in has ended; they must sign in again (item ${index})`,
			errorCode: 'SIGN_IN_ENDED',
		});
		expect(r.json[index].hyperidTokens).toBeUndefined();
	}
	for (const index of [0, 1, 4, 5]) expect(r.json[index]).toMatchObject({ success: true, hyperidTokens: expect.any(Object) });
	expect(stored(emulator, 'email', users[1].userId).plan).toBeUndefined();
	expect(stored(emulator, 'email', users[2].userId).plan.value_data).toBe(`${users[2].userId}-1`);
	// one token request for the revoked user, shared by both its items
	expect(tokenRequests(r)).toHaveLength(3);
});

test('Continue on Fail: an item failing for another reason after its user was refreshed still carries the new pair', async () => {
	const [user] = newUsers(emulator, 1);
	const client = clientCredential(emulator);
	emulator.advanceClock(3700);
	const r = await runForUsers(
		emulator,
		client,
		userTokens({ resource: 'userDataByEmail', operation: 'set', key: '={{ $json.key }}', value: 'v' }),
		[
			{ ...user, key: 'ok' },
			{ ...user, key: 'x'.repeat(300) },
		],
		{ continueOnFail: true },
	);
	expect(r.json[0]).toMatchObject({ success: true });
	expect(r.json[1].error).toEqual(expect.any(String));
	expect(r.json[1].hyperidTokens).toEqual(r.json[0].hyperidTokens);
	expect((r.json[1].hyperidTokens as IDataObject).refreshToken).not.toBe(user.refreshToken);
});

test('an item with no output of its own (nothing found) still hands on its new pair', async () => {
	const [user] = newUsers(emulator, 1);
	const client = clientCredential(emulator);
	emulator.advanceClock(3700);
	const r = await runForUsers(emulator, client, userTokens({ resource: 'userDataByEmail', operation: 'get', keys: ['absent'] }), [user]);
	expect(r.error).toBeUndefined();
	expect(r.json).toEqual([{ hyperidTokens: expect.objectContaining({ userId: user.userId, refreshToken: expect.any(String) }) }]);
	expect(r.outputs?.[0][0].pairedItem).toEqual({ item: 0 });
});

test('the run stops at a failure (Stop Workflow): no refresh token is spent before every item has answered, and an ended sign-in found by introspection spends none', async () => {
	const users = newUsers(emulator, 3);
	const client = clientCredential(emulator);
	await revokeConsent(emulator, users[1].refreshToken);
	emulator.advanceClock(3700);
	emulator.clearStats();
	const r = await runForUsers(emulator, client, setValue(), rows(users));
	const error = errorOf(r);
	expect(error.message).toBe("This user's HyperID sign-in has ended; they must sign in again (item 1)");
	expect(error.context.errorDetails).toEqual({ errorCode: 'SIGN_IN_ENDED' });
	expect(error.context.renewedTokens).toBeUndefined();
	expect(emulator.stats().tokenGrants.refresh_token).toBe(0);
	// the others' tokens were not spent: the workflow's stored pair still works
	expect((await refreshAtEmulator(emulator, users[0].refreshToken)).access_token).toEqual(expect.any(String));
	expect((await refreshAtEmulator(emulator, users[2].refreshToken)).access_token).toEqual(expect.any(String));

	// another item failing for its own reason: the run stops with no token renewed either
	const [other] = newUsers(emulator, 1);
	const [fine] = newUsers(emulator, 1);
	emulator.advanceClock(3700);
	emulator.clearStats();
	const stopped = await runForUsers(emulator, client, userTokens({ resource: 'userDataByEmail', operation: 'set', key: '={{ $json.key }}', value: 'v' }), [
		{ ...other, key: 'ok' },
		{ ...fine, key: '' },
	]);
	expect(errorOf(stopped).context.itemIndex).toBe(1);
	expect(emulator.stats().tokenGrants.refresh_token).toBe(0);
	expect((await refreshAtEmulator(emulator, other.refreshToken)).access_token).toEqual(expect.any(String));
});

test('a failure after a renewal (Stop Workflow): the renewed pair is on the thrown error, in n8n\'s execution data, and a rerun in this process gets it back', async () => {
	const [user] = newUsers(emulator, 1);
	const client = clientCredential(emulator);
	emulator.advanceClock(3700);
	// the key is refused only once the token is accepted: after the renewal
	const r = await runForUsers(emulator, client, userTokens({ resource: 'userDataByEmail', operation: 'set', key: '={{ $json.key }}', value: 'v', options: { concurrency: 1 } }), [
		{ ...user, key: 'ok' },
		{ ...user, key: 'x'.repeat(300) },
	]);
	const error = errorOf(r);
	expect(error.context.itemIndex).toBe(1);
	const renewed = error.context.renewedTokens as IDataObject[];
	expect(renewed).toEqual([expect.objectContaining({ items: [0, 1], userId: user.userId, refreshToken: expect.any(String) })]);
	// what n8n keeps of the thrown error (execution data, the Error Workflow's execution.error)
	expect((r.run?.data.resultData.error as unknown as { context: IDataObject }).context.renewedTokens).toEqual(renewed);
	expect(error.description).toMatch(/Before this failure the tokens of 1 user\(s\) were renewed/);

	// the workflow never stored the pair: a rerun in this process with the spent token gets it back, no token spent
	const rerun = await runForUsers(emulator, client, setValue(), rows([user]));
	expect(rerun.error).toBeUndefined();
	expect(tokenRequests(rerun)).toHaveLength(0);
	const { items: _items, ...pair } = renewed[0];
	expect(rerun.json[0].hyperidTokens).toEqual(pair);
	expect((await refreshAtEmulator(emulator, String(renewed[0].refreshToken))).access_token).toEqual(expect.any(String));
});

test('bad tokens fail their own items with a clear error and nothing sent; the other items go on', async () => {
	const [good] = newUsers(emulator, 1);
	const [foreign] = newUsers(emulator, 1, (emulator.addClient({ clientId: 'other-app', clientSecret: 'other-app-secret' }), 'other-app'));
	const client = clientCredential(emulator);
	const items: IDataObject[] = [
		{ ...good, plan: 'ok' },
		{ plan: 'no token' },
		{ accessToken: '', plan: 'empty' },
		{ accessToken: `Bearer ${good.accessToken}`, plan: 'prefixed' },
		{ accessToken: 'not a token!', plan: 'junk' },
		{ accessToken: { nested: true }, plan: 'object' },
		{ ...foreign, plan: 'other client' },
	];
	const r = await runForUsers(emulator, client, setValue(), items, { continueOnFail: true });
	expect(r.error).toBeUndefined();
	expect(r.json[0]).toMatchObject({ success: true });
	const codes = r.json.map((item) => item.errorCode);
	expect(codes).toEqual([undefined, 'TOKEN_MISSING', 'TOKEN_MISSING', 'TOKEN_MALFORMED', 'TOKEN_MALFORMED', 'TOKEN_MALFORMED', 'TOKEN_OTHER_CLIENT']);
	expect(r.json[1].error).toBe('No Access Token for this item (item 1)');
	expect(r.json[3].error).toBe('Access Token starts with "Bearer " (item 3)');
	expect(r.json[6].error).toBe('This access token was issued to another client application ("other-app") (item 6)');
	expect(apiRequests(r)).toHaveLength(1);
	expect(JSON.stringify(r.json)).not.toContain(good.accessToken);
	expect(JSON.stringify(r.json)).not.toContain(foreign.accessToken);

	// without Continue on Fail, nothing is sent at all
	const stopped = await runForUsers(emulator, client, setValue(), items);
	expect(errorOf(stopped).message).toBe('No Access Token for this item (item 1)');
	expect(apiRequests(stopped)).toHaveLength(0);
});

test('a refresh token without the HyperID Client credential fails its items before sending', async () => {
	const users = newUsers(emulator, 2);
	const r = await runForUsers(emulator, undefined, setValue(), rows(users), { continueOnFail: true });
	expect(r.json.map((item) => item.errorCode)).toEqual(['CLIENT_CREDENTIAL_MISSING', 'CLIENT_CREDENTIAL_MISSING']);
	expect(r.json[1].error).toBe('A refresh token needs the HyperID Client credential (item 1)');
	expect(r.requests).toHaveLength(0);
});

test('an expired access token without a refresh token fails that item with TOKEN_EXPIRED; a live one next to it succeeds', async () => {
	const [old] = newUsers(emulator, 1);
	emulator.advanceClock(3700);
	const [live] = newUsers(emulator, 1);
	const client = clientCredential(emulator);
	const r = await runForUsers(emulator, client, userTokens({ resource: 'userDataByEmail', operation: 'set', key: 'plan', value: 'p' }, false), [old, live], {
		continueOnFail: true,
	});
	expect(r.json[0]).toMatchObject({ errorCode: 'TOKEN_EXPIRED', error: expect.stringContaining('(item 0)') });
	expect(r.json[1]).toMatchObject({ success: true });
	expect(r.json[1].hyperidTokens).toBeUndefined();
	expect(tokenRequests(r)).toHaveLength(0);
});

test('a wrong client secret: CLIENT_REFUSED on the items that needed a refresh, the tokens unchanged', async () => {
	const [user] = newUsers(emulator, 1);
	emulator.advanceClock(3700);
	const r = await runForUsers(emulator, clientCredential(emulator, DEMO.clientId, 'wrong'), setValue(), rows([user]), { continueOnFail: true });
	expect(r.json[0]).toMatchObject({ errorCode: 'CLIENT_REFUSED' });
	await sleep(0);
	expect((await refreshAtEmulator(emulator, user.refreshToken)).access_token).toEqual(expect.any(String));
});

/** Two users, both expired; the second's consent withdrawn. Items: user 0 ok, user 0 with a key too long, user 1. */
async function errorOutputRun(typeVersion: number) {
	const users = newUsers(emulator, 2);
	const client = clientCredential(emulator);
	await revokeConsent(emulator, users[1].refreshToken);
	emulator.advanceClock(3700);
	const r = await runForUsers(
		emulator,
		client,
		userTokens({ resource: 'userDataByEmail', operation: 'set', key: '={{ $json.key }}', value: 'v' }),
		[
			{ ...users[0], key: 'ok' },
			{ ...users[0], key: 'x'.repeat(300) },
			{ ...users[1], key: 'ok' },
		],
		{ nodeOverrides: { onError: 'continueErrorOutput' }, typeVersion },
	);
	const [success, failure] = r.taskData?.data?.main ?? [];
	return { users, success: success ?? [], failure: failure ?? [] };
}

const SIGN_IN_ENDED_MESSAGE = "This user's HyperID sign-in has ended; they must sign in again (item 2)";

test("Continue (using error output), node version 1.2: a renewed user's failed item carries its new pair inside error; errorCode and code are fields", async () => {
	const { users, success, failure } = await errorOutputRun(1.2);
	// no pair-only item on the success output
	expect(success.map((item) => item.pairedItem)).toEqual([{ item: 0 }]);
	const pair = success[0].json.hyperidTokens as IDataObject;
	expect(pair).toMatchObject({ userId: users[0].userId, refreshToken: expect.any(String) });
	expect(failure.map((item) => item.pairedItem)).toEqual([{ item: 1 }, { item: 2 }]);
	for (const item of failure) expect(item).not.toHaveProperty('error');
	const renewedFailed = failure[0].json.error as IDataObject;
	expect(renewedFailed.hyperidTokens).toEqual(pair);
	expect(renewedFailed.message).toMatch(/HyperID refused the key/);
	// the input row's fields are beside error (n8n-core merges them), the new pair only inside it
	expect(failure[0].json.refreshToken).toBe(users[0].refreshToken);
	expect(failure[0].json).not.toHaveProperty('hyperidTokens');
	const ended = failure[1].json.error as IDataObject;
	expect(ended).toEqual({
		message: SIGN_IN_ENDED_MESSAGE,
		code: 'invalid_grant',
		errorCode: 'SIGN_IN_ENDED',
		description: expect.stringMatching(/sign-in again/),
		// nothing was renewed for this user
	});
	// the new tokens are nowhere in an error's text
	const texts = failure.map((item) => `${(item.json.error as IDataObject).message} ${(item.json.error as IDataObject).description}`).join(' ');
	expect(texts).not.toContain(String(pair.refreshToken));
	expect(texts).not.toContain(String(pair.accessToken));
});

test("Continue (using error output), node version 1.2: the pair goes under the Refreshed Tokens Field's name inside error", async () => {
	const users = newUsers(emulator, 1);
	emulator.advanceClock(3700);
	const r = await runForUsers(
		emulator,
		clientCredential(emulator),
		userTokens({ resource: 'userDataByEmail', operation: 'set', key: '={{ $json.key }}', value: 'v', options: { refreshedPairField: 'renewed' } }),
		[{ ...users[0], key: 'x'.repeat(300) }],
		{ nodeOverrides: { onError: 'continueErrorOutput' }, typeVersion: 1.2 },
	);
	const [success, failure] = r.taskData?.data?.main ?? [];
	expect(success).toEqual([]);
	const error = failure?.[0].json.error as IDataObject;
	expect(error.renewed).toMatchObject({ userId: users[0].userId, refreshToken: expect.any(String) });
	expect(error).not.toHaveProperty('hyperidTokens');
	// the renewed pair works: it was the one HyperID issued last
	expect((await refreshAtEmulator(emulator, String((error.renewed as IDataObject).refreshToken))).access_token).toEqual(expect.any(String));
});

test.each([1, 1.1])("Continue (using error output), node version %s: unchanged, a renewed user's failed item hands its new pair on through the success output", async (version) => {
	const { users, success, failure } = await errorOutputRun(version);
	// n8n-core sets an error-output item's json to {error: message}: the pair of item 1 comes out beside it
	expect(success.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
	const pair = success[0].json.hyperidTokens as IDataObject;
	expect(pair).toMatchObject({ userId: users[0].userId, refreshToken: expect.any(String) });
	expect(success[1].json).toEqual({ hyperidTokens: pair });
	expect(failure.map((item) => item.pairedItem)).toEqual([{ item: 1 }, { item: 2 }]);
	expect(failure[1].json).toEqual({ error: SIGN_IN_ENDED_MESSAGE });
	expect(failure[1].error?.context).toMatchObject({ errorDetails: { errorCode: 'SIGN_IN_ENDED' } });
	expect(JSON.stringify(failure)).not.toContain(String(pair.refreshToken));
});

test('a Set of several keys whose user must sign in again keeps errorCode SIGN_IN_ENDED beside the keys not stored', async () => {
	const [user] = newUsers(emulator, 1);
	await revokeConsent(emulator, user.refreshToken);
	emulator.advanceClock(3700);
	const r = await runForUsers(
		emulator,
		clientCredential(emulator),
		userTokens({ resource: 'userDataByEmail', operation: 'set', dataMode: 'defineBelow', fields: { values: [{ key: 'a', value: '1' }, { key: 'b', value: '2' }] } }),
		[user],
		{ continueOnFail: true },
	);
	expect(r.json).toEqual([
		expect.objectContaining({ code: 'invalid_grant', errorCode: 'SIGN_IN_ENDED', storedKeys: [], notStoredKeys: ['a', 'b'] }),
	]);
});

test('HTTP 401 without a result code and -1 are refusals too: refreshed once, resent', async () => {
	const users = newUsers(emulator, 2);
	const client = clientCredential(emulator);
	emulator.setFaults([
		{ path: '/user-data/by-email/set', status: 401, times: 1 },
		{ path: '/user-data/by-email/set', result: -1, times: 1 },
	]);
	emulator.clearStats();
	const r = await runForUsers(emulator, client, setValue({ concurrency: 1 }), rows(users));
	emulator.clearFaults();
	expect(r.error).toBeUndefined();
	expect(r.json.map((item) => item.success)).toEqual([true, true]);
	expect(emulator.stats().tokenGrants.refresh_token).toBe(2);
	for (const user of users) expect(tokensOf(r.json, user.userId).refreshToken).not.toBe(user.refreshToken);
});
