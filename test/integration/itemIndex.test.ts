/**
 * Every failure of an item names the item in its message, "(item N)": headless runs, webhooks and
 * the error output show only the message. HyperID's answers (every result-code meaning), network
 * faults, refresh failures shared by many items, combined reads and the Sign-In node, at item 3.
 */
import type { IDataObject, INode } from 'n8n-workflow';

import { HyperIdSignIn } from '../../nodes/HyperIdSignIn/HyperIdSignIn.node';
import type { Endpoint, Meaning } from '../../nodes/HyperIdUserData/transport/resultCodes';
import { resultError } from '../../nodes/HyperIdUserData/transport/resultCodes';
import { CredentialStore, jsonOf, runNode } from '../harness/harness';
import { credentialFor, errorOf, run, TOKEN_PATH, useEmulator } from './setup';
import type { Emulator } from './setup';
import { clientCredential, newUsers, runForUsers, userTokens } from './userTokensSetup';

let emulator: Emulator;
useEmulator((started) => (emulator = started));

const ITEM = 3;
const ENDS_WITH_ITEM = / \(item 3\)$/;
const NODE: INode = { id: 'n', name: 'HyperID', type: 'n8n-nodes-hyperid.hyperIdUserData', typeVersion: 1.2, position: [0, 0], parameters: {} };

/** Every meaning of a failure: a new one fails to compile here until it is listed. */
const FAILURES: Record<Exclude<Meaning, 'success' | 'notFound'>, true> = {
	tokenInvalid: true,
	tokenExpired: true,
	accessDenied: true,
	serviceUnavailable: true,
	invalidParameters: true,
	keyAccessDenied: true,
	keyInvalid: true,
	keysSizeLimit: true,
	identityProviderNotFound: true,
	walletNotFound: true,
};

describe('resultError: every result-code meaning names the item', () => {
	const endpointWith = (meaning?: Meaning): Endpoint => ({
		path: '/user-data/set',
		action: 'set a value',
		scope: 'user-data-set',
		acceptsNotFound: false,
		codes: meaning ? { [-6]: meaning } : {},
	});

	test.each(Object.keys(FAILURES) as Meaning[])('%s', (meaning) => {
		for (const subject of [{ key: 'k', identityProvider: 'google', walletAddress: '0xabc' }, { keys: ['a', 'b'] }]) {
			const error = resultError(NODE, endpointWith(meaning), { result: -6 }, subject, ITEM);
			expect(error.message).toMatch(ENDS_WITH_ITEM);
			expect(error.message.match(/\(item \d+\)/g)).toHaveLength(1);
			expect(error.context.itemIndex).toBe(ITEM);
		}
	});

	test('an unknown result code', () => {
		const error = resultError(NODE, endpointWith(), { result: -42 }, { key: 'k' }, ITEM);
		expect(error.message).toBe(`HyperID answered with an unknown result code -42 while trying to set a value (item ${ITEM})`);
	});
});

describe('the User Data node: the failing item is named in the message', () => {
	const set = { resource: 'userDataByEmail', operation: 'set', key: '={{ $json.key }}', value: 'v' };
	const items = [{ key: 'k0' }, { key: 'k1' }, { key: 'k2' }, { key: 'k3' }];
	/** Items 0-2 pass, item 3 gets the fault (one request at a time, in input order). */
	const failAtItem3 = async (fault: IDataObject, options: IDataObject = {}) => {
		emulator.setFaults([{ path: '/user-data/by-email/set', skip: ITEM, times: -1, ...fault }]);
		const r = await run(emulator, credentialFor(emulator), { ...set, options: { concurrency: 1, retries: 0, retryDelay: 1, ...options } }, items, true);
		expect(r.json.slice(0, ITEM).every((json) => json.success === true)).toBe(true);
		return String(r.json[ITEM].error);
	};

	test.each([
		[-3, 'HyperID denied access: this credential may not store a value by email (item 3)'],
		[-4, 'HyperID is temporarily unavailable and could not store a value by email (item 3)'],
		[-5, "HyperID rejected the request's parameters while trying to store a value by email (item 3)"],
		[-6, 'The key "k3" belongs to another application (item 3)'],
		[-7, 'HyperID refused the key "k3" as invalid (item 3)'],
		[-42, 'HyperID answered with an unknown result code -42 while trying to store a value by email (item 3)'],
	])('result %i', async (result, message) => {
		expect(await failAtItem3({ result })).toBe(message);
	});

	test('an access token refused again after its refresh', async () => {
		expect(await failAtItem3({ result: -1 })).toBe('HyperID rejected the access token even after refreshing it (token invalid) (item 3)');
	});

	test('an answer without a result code', async () => {
		expect(await failAtItem3({ status: 404 })).toBe('HyperID answered HTTP 404 without a result code while trying to store a value by email (item 3)');
	});

	test('a dropped connection', async () => {
		expect(await failAtItem3({ reset: true })).toBe('The connection to HyperID failed (ECONNRESET) while trying to store a value by email (item 3)');
	});

	test('a refresh failure shared by every item: each names its own', async () => {
		emulator.setFaults([{ path: TOKEN_PATH, status: 503, times: -1 }]);
		const r = await run(emulator, credentialFor(emulator, { expiresIn: 0 }), { ...set, options: { retries: 0, retryDelay: 1 } }, items, true);
		expect(r.json.map((json) => json.error)).toEqual(items.map((_, index) => `Could not reach HyperID to renew the sign-in (item ${index})`));
	});

	test('a combined read (Batch Reads) that fails: each item names its own index', async () => {
		emulator.setFaults([{ path: '/user-data/by-email/get', result: -3, times: -1 }]);
		const r = await run(
			emulator,
			credentialFor(emulator),
			{ resource: 'userDataByEmail', operation: 'get', keys: '={{ $json.key }}', options: { batchReads: true, retries: 0 } },
			items,
			true,
		);
		expect(r.requests.filter((entry) => entry.path === '/user-data/by-email/get')).toHaveLength(1);
		expect(r.json.map((json) => json.error)).toEqual(items.map((_, index) => `HyperID denied access: this credential may not read values by email (item ${index})`));
	});

	test('without Continue on Fail: the thrown error names the item too', async () => {
		emulator.setFaults([{ path: '/user-data/by-email/set', skip: ITEM, result: -7 }]);
		const r = await run(emulator, credentialFor(emulator), { ...set, options: { concurrency: 1, retries: 0 } }, items);
		expect(errorOf(r).message).toBe('HyperID refused the key "k3" as invalid (item 3)');
	});
});

describe('the Sign-In node: the failing item is named in the message', () => {
	test('a refresh token HyperID refuses, at item 3', async () => {
		const service = { clientId: 'item-index-service', clientSecret: 'service-secret' };
		emulator.addClient({ ...service, redirectUris: ['https://service.example/cb'] } as Parameters<Emulator['addClient']>[0]);
		const credentials = new CredentialStore(
			{ environment: 'custom', loginUrl: emulator.url, clientId: service.clientId, clientAuthentication: 'clientSecretPost', clientSecret: service.clientSecret },
			{ type: 'hyperIdClientApi' },
		);
		const result = await runNode({
			nodeType: new HyperIdSignIn(),
			nodeTypeName: 'n8n-nodes-hyperid.hyperIdSignIn',
			parameters: { resource: 'token', operation: 'refresh', refreshToken: '={{ $json.refreshToken }}' },
			inputItems: [0, 1, 2, 3].map((n) => ({ refreshToken: `not-a-refresh-token-${n}` })),
			credentials,
			nodeOverrides: { onError: 'continueRegularOutput' },
		});
		const json = jsonOf(result);
		expect(json.map((item) => String(item.error))).toEqual(json.map((_, index) => expect.stringMatching(new RegExp(` \\(item ${index}\\)$`))));
		expect(String(json[ITEM].error)).toMatch(ENDS_WITH_ITEM);
	});
});

describe('Refreshed Tokens Field: a name the error of a failed item uses is refused before anything is sent', () => {
	test.each(['message', 'code', 'errorCode', 'description', 'error', 'key', 'storedKeys', 'notStoredKeys', 'deletedKeys', 'notDeletedKeys'])('%s', async (field) => {
		const users = newUsers(emulator, 1);
		const r = await runForUsers(
			emulator,
			clientCredential(emulator),
			userTokens({ resource: 'userDataByEmail', operation: 'set', key: 'k', value: 'v', options: { refreshedPairField: field } }),
			[users[0]],
			{ typeVersion: 1.2 },
		);
		const error = errorOf(r);
		expect(error.message).toBe(`The Refreshed Tokens Field cannot be "${field}": a failed item's error uses that name`);
		expect(error.description).toMatch(/"error", "message", "code", "errorCode", "description", "key", "storedKeys", "notStoredKeys", "deletedKeys", "notDeletedKeys".*e\.g\. hyperidTokens/);
		expect(r.requests).toHaveLength(0);
	});

	test('an empty name is refused, naming the Refreshed Tokens Field option', async () => {
		const users = newUsers(emulator, 1);
		const r = await runForUsers(
			emulator,
			clientCredential(emulator),
			userTokens({ resource: 'userDataByEmail', operation: 'set', key: 'k', value: 'v', options: { refreshedPairField: ' ' } }),
			[users[0]],
		);
		const error = errorOf(r);
		expect(error.message).toBe('Refreshed Tokens Field must be a field name, not empty (item 0)');
		expect(error.description).toMatch(/Options → Refreshed Tokens Field, e\.g\. hyperidTokens/);
		expect(r.requests).toHaveLength(0);
	});

	// n8n passes the input items on as if they had succeeded when a Continue node throws: the node fails each item itself
	test('with Continue (using error output), node version 1.2: every item leaves on the error output with the refusal, nothing on the success output', async () => {
		const users = newUsers(emulator, 2);
		const r = await runForUsers(
			emulator,
			clientCredential(emulator),
			userTokens({ resource: 'userDataByEmail', operation: 'set', key: 'k', value: 'v', options: { refreshedPairField: 'code' } }),
			users,
			{ nodeOverrides: { onError: 'continueErrorOutput' }, typeVersion: 1.2 },
		);
		expect(r.error).toBeUndefined();
		const [success, failed] = r.outputs ?? [];
		expect(success).toEqual([]);
		expect(failed.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
		expect(failed.map((item) => (item.json.error as IDataObject).message)).toEqual([0, 1].map((n) => `The Refreshed Tokens Field cannot be "code": a failed item's error uses that name (item ${n})`));
		expect(failed.every((item) => item.error === undefined && /Refreshed Tokens Field/.test(String((item.json.error as IDataObject).description)))).toBe(true);
		expect(r.requests).toHaveLength(0);
	});

	test.each([1.1, 1.2])('with Continue (regular output), node version %s: every item is a failed item', async (typeVersion) => {
		const users = newUsers(emulator, 2);
		const r = await runForUsers(
			emulator,
			clientCredential(emulator),
			userTokens({ resource: 'userDataByEmail', operation: 'set', key: 'k', value: 'v', options: { refreshedPairField: 'code' } }),
			users,
			{ nodeOverrides: { onError: 'continueRegularOutput' }, typeVersion },
		);
		expect(r.error).toBeUndefined();
		expect(r.outputs?.[0].map((item) => [item.pairedItem, item.json.error])).toEqual(
			[0, 1].map((n) => [{ item: n }, `The Refreshed Tokens Field cannot be "code": a failed item's error uses that name (item ${n})`]),
		);
		expect(r.requests).toHaveLength(0);
	});

	test('another name is accepted', async () => {
		const users = newUsers(emulator, 1);
		const r = await runForUsers(
			emulator,
			clientCredential(emulator),
			userTokens({ resource: 'userDataByEmail', operation: 'set', key: 'k', value: 'v', options: { refreshedPairField: 'renewed' } }),
			[users[0]],
		);
		expect(r.error).toBeUndefined();
		expect(r.json).toEqual([{ key: 'k', success: true, result: 0 }]);
	});
});

