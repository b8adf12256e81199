/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * Campaign 3: dead credential. The refresh answers `invalid_grant` (the stored refresh token was
 * already rotated, or the token endpoint refuses): the run stops at once with a message telling
 * the user to reconnect the credential, with no retry loop; under continueOnFail the remaining
 * items fail fast without sending anything.
 */
import type { IDataObject, INodeParameters } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

import type { CredentialStore } from '../harness/harness';
import { Campaign, DEMO, newEmulator, report, TOKEN_PATH, tokenRequests, userDataRequests } from './helpers';
import type { Emulator, Run } from './helpers';

const ITEMS = 50;
const SET_PATH = '/user-data/by-email/set';

let emulator: Emulator;
let campaign: Campaign;

beforeAll(async () => {
	emulator = await newEmulator();
	campaign = new Campaign('dead credential', emulator);
});
afterAll(async () => {
	await emulator?.close();
});

const totals = { operations: 0, runs: 0, userDataRequests: 0, refreshAttempts: 0, failuresReported: 0, retries: 0 };

const rotatedAway = () => campaign.spentCredential();

function items(prefix: string, count = ITEMS): IDataObject[] {
	return Array.from({ length: count }, (_, index) => ({ key: `${prefix}-${index}` }));
}

function params(options: INodeParameters): INodeParameters {
	return { resource: 'userDataByEmail', operation: 'set', key: '={{ $json.key }}', value: 'v', options: { retryDelay: 2, ...options } };
}

async function counted(label: string, credentials: CredentialStore, options: INodeParameters, count: number, continueOnFail: boolean) {
	emulator.clearStats();
	const result: Run = await campaign.run(label, credentials, params(options), items(label, count), continueOnFail);
	const stats = emulator.stats();
	const counts = { userData: userDataRequests(stats), token: tokenRequests(stats) };
	totals.operations += count;
	totals.runs++;
	totals.userDataRequests += counts.userData;
	totals.refreshAttempts += counts.token;
	return { result, counts };
}

function expectReconnect(error: { message?: string; description?: unknown } | undefined): void {
	expect(error).toBeDefined();
	const text = `${error?.message}\n${String(error?.description ?? '')}`;
	expect(text).toMatch(/reconnect/i);
	expect(text).toMatch(/credential/i);
}

// a spent refresh token: HyperID's introspection says inactive, so it is never presented again (Keycloak would end the session)
test('rotated refresh token, concurrency 1: stops at once after 1 request, the spent refresh token not presented', async () => {
	const credentials = await rotatedAway();
	const { result, counts } = await counted('c3-seq', credentials, { concurrency: 1 }, ITEMS, false);
	expect(result.error).toBeInstanceOf(NodeApiError);
	expectReconnect(result.error);
	expect((result.error?.context as IDataObject).itemIndex).toBe(0);
	expect(counts).toEqual({ userData: 1, token: 0 });
	expect(credentials.saves).toBe(0);
	totals.failuresReported++;
});

test('rotated refresh token, concurrency 8: no refresh, at most one request per slot in flight', async () => {
	const credentials = await rotatedAway();
	const { result, counts } = await counted('c3-par', credentials, { concurrency: 8 }, ITEMS, false);
	expectReconnect(result.error);
	expect(counts.token).toBe(0);
	expect(counts.userData).toBeGreaterThanOrEqual(1);
	expect(counts.userData).toBeLessThanOrEqual(8);
	totals.failuresReported++;
});

test('continueOnFail: every item fails with the reconnect message; the rest send nothing', async () => {
	const credentials = await rotatedAway();
	const { result, counts } = await counted('c3-cof', credentials, { concurrency: 8 }, ITEMS, true);
	expect(result.error).toBeUndefined();
	expect(result.json).toHaveLength(ITEMS);
	result.outputs![0].forEach((entry, index) => {
		expect(entry.pairedItem).toEqual({ item: index });
		expect(entry.json.code).toBe('invalid_grant');
		expectReconnect({ message: String(entry.json.error), description: entry.json.description });
	});
	expect(counts.token).toBe(0);
	expect(counts.userData).toBeLessThanOrEqual(8);
	expect(emulator.store().data[DEMO.userId]?.email ?? {}).not.toHaveProperty('c3-cof-0');
	totals.failuresReported += ITEMS;
});

test('the token URL answers HTTP 400 without an OAuth2 error (fault rule): no loop; not "reconnect" but the Login URL', async () => {
	const credentials = campaign.credential({ expiresIn: 0 });
	emulator.setFaults([{ path: TOKEN_PATH, status: 400, times: -1 }]);
	const { result, counts } = await counted('c3-400', credentials, { concurrency: 8 }, ITEMS, true);
	emulator.clearFaults();
	expect(result.json).toHaveLength(ITEMS);
	for (const json of result.json) {
		expect(`${json.error}\n${json.description}`).toMatch(/Login URL/);
		expect(`${json.error}\n${json.description}`).not.toMatch(/reconnect/i);
	}
	expect(counts.token).toBe(1);
	expect(counts.userData).toBeLessThanOrEqual(8);
	totals.failuresReported += ITEMS;
});

test('a refreshed token that HyperID still rejects: reconnect, and the other items stop too', async () => {
	const credentials = campaign.credential();
	emulator.setFaults([{ path: SET_PATH, result: -1, times: -1 }]);
	const { result, counts } = await counted('c3-rejected', credentials, { concurrency: 8 }, ITEMS, true);
	emulator.clearFaults();
	expect(result.json).toHaveLength(ITEMS);
	for (const json of result.json) expectReconnect({ message: String(json.error), description: json.description });
	// One refresh; each request in flight is resent at most once with the refreshed token.
	expect(counts.token).toBe(1);
	expect(counts.userData).toBeLessThanOrEqual(2 * 8);
	totals.failuresReported += ITEMS;
});

test('a temporary failure of the token endpoint (HTTP 503) is not reported as a dead credential', async () => {
	const credentials = campaign.credential({ expiresIn: 0 });
	emulator.setFaults([{ path: TOKEN_PATH, status: 503, times: -1 }]);
	const { result, counts } = await counted('c3-503', credentials, { concurrency: 1 }, 1, false);
	emulator.clearFaults();
	const text = `${result.error?.message}\n${String(result.error?.description ?? '')}`;
	expect(text).not.toMatch(/reconnect/i);
	expect(text).toMatch(/try again later/i);
	expect(counts.userData).toBe(1);
	expect(counts.token).toBeGreaterThanOrEqual(1);
	expect(counts.token).toBeLessThanOrEqual(4);
	totals.failuresReported++;
});

test('figures and secrets', () => {
	report('3 dead credential', {
		operations: totals.operations,
		runs: totals.runs,
		userDataRequests: totals.userDataRequests,
		refreshAttempts: totals.refreshAttempts,
		retries: totals.retries,
		failuresReported: totals.failuresReported,
		valuesVerifiedInStore: 0,
		lost: 0,
		duplicated: 0,
	});
	console.log(`[reliability] 3 dead credential: secrets: ${campaign.secretsLine()}`);
	expect(campaign.leaks).toEqual([]);
});
