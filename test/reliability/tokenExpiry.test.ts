/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * Campaign 2: token expiry. The emulator expires every access token after 100 served requests,
 * during a 2,000-item run with 8 requests in flight: every item succeeds, and the node refreshes
 * once per expiry (the requests in flight share one refresh), saving each rotated refresh token.
 */
import { FAMILIES, setItems, setParameters } from './families';
import { Campaign, DEMO, newEmulator, report, targetOf, tokenRequests, userDataRequests } from './helpers';
import type { Emulator } from './helpers';

const ITEMS = 2000;
const EVERY = 100;
const CONCURRENCY = 8;

let emulator: Emulator;
let campaign: Campaign;

beforeAll(async () => {
	emulator = await newEmulator();
	campaign = new Campaign('token expiry', emulator);
});
afterAll(async () => {
	await emulator?.close();
});

test('2,000 items, tokens expiring every 100 requests, concurrency 8: one refresh per expiry', async () => {
	const family = FAMILIES.find((entry) => entry.resource === 'userDataByWallet')!;
	const credentials = campaign.credential();
	const initialRefreshToken = credentials.oauthTokenData?.refresh_token;
	const items = setItems('c2', ITEMS);
	// A little latency so that the 8 requests in flight overlap on the wire too.
	emulator.setOptions({ expireTokensEveryRequests: EVERY, latencyMs: 1 });
	emulator.clearStats();

	const result = await campaign.run('c2', credentials, setParameters(family, { concurrency: CONCURRENCY, retryDelay: 2 }), items);
	const stats = emulator.stats();
	emulator.setOptions({ expireTokensEveryRequests: 0, latencyMs: 0 });

	expect(result.error).toBeUndefined();
	expect(result.json).toHaveLength(ITEMS);
	expect(result.json.every((json, index) => json.success === true && json.key === items[index].key)).toBe(true);

	const snapshot = emulator.store();
	let verified = 0;
	for (const item of items) {
		const stored = targetOf(snapshot, family.target(item))[item.key];
		if (stored?.value_data === item.value) verified++;
	}

	const refreshes = stats.tokenGrants.refresh_token;
	const expiredAnswers = stats.resultsByCode['-2'] ?? 0;
	const expiries = Math.ceil(ITEMS / EVERY); // a token lasts 100 served requests
	const requests = userDataRequests(stats);
	report('2 token expiry (expireTokensEveryRequests 100, concurrency 8)', {
		operations: ITEMS,
		requests,
		expiredAnswers,
		expectedExpiries: expiries,
		refreshes,
		tokenEndpointRequests: tokenRequests(stats),
		credentialSaves: credentials.saves,
		maxInFlight: stats.maxInFlight,
		failuresReported: 0,
		valuesVerifiedInStore: verified,
		lost: ITEMS - verified,
	});

	expect(verified).toBe(ITEMS);
	expect(stats.maxInFlight).toBeGreaterThan(1); // concurrency really was on
	// One refresh per expiry, not one per request in flight.
	expect(refreshes).toBeGreaterThanOrEqual(expiries - 1);
	expect(refreshes).toBeLessThanOrEqual(expiries + 2);
	expect(expiredAnswers).toBeGreaterThan(refreshes); // several requests in flight saw each expiry...
	expect(requests).toBe(ITEMS + expiredAnswers); // ...and each of them was resent exactly once
	// Every rotated token was saved; the store holds the last one.
	expect(credentials.saves).toBe(refreshes);
	const last = credentials.savedTokens[credentials.savedTokens.length - 1];
	expect(credentials.oauthTokenData?.refresh_token).toBe(last.refresh_token);
	expect(credentials.oauthTokenData?.refresh_token).not.toBe(initialRefreshToken);
	const rotated = new Set(credentials.savedTokens.map((token) => token.refresh_token));
	expect(rotated.size).toBe(refreshes);
});

test('the stored refresh token is the live one: a later expiry refreshes without sign-in', async () => {
	const credentials = campaign.credential();
	// Three expiries over three runs: each run must use the token the previous one saved.
	for (let round = 0; round < 3; round++) {
		emulator.setFaults([{ path: '/user-data/by-email/set', result: -2, times: 1 }]);
		emulator.clearStats();
		const result = await campaign.run(`c2 round ${round}`, credentials, {
			resource: 'userDataByEmail',
			operation: 'set',
			key: `c2-live-${round}`,
			value: 'v',
			options: {},
		});
		expect(result.error).toBeUndefined();
		expect(emulator.stats().tokenGrants.refresh_token).toBe(1);
	}
	expect(credentials.saves).toBe(3);
	expect(targetOf(emulator.store(), 'email')['c2-live-2']).toEqual({ value_data: 'v', access_scope: 1, client_id: DEMO.clientId });
});

test('no secret in anything captured', () => {
	console.log(`[reliability] 2 token expiry: secrets: ${campaign.secretsLine()}`);
	expect(campaign.leaks).toEqual([]);
});
