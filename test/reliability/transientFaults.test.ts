/**
 * Campaign 1: transient faults. 2,000 sets across the five families, 10% of user-data requests
 * answered -4, HTTP 502, HTTP 503, HTTP 429 or a dropped connection (seeded probability rules).
 */
import type { IDataObject, INodeParameters } from 'n8n-workflow';

import { FAMILIES, setItems, setParameters } from './families';
import type { SetItem } from './families';
import { Campaign, DEMO, newEmulator, report, targetOf, userDataRequests } from './helpers';
import type { Emulator, Run } from './helpers';

const PER_FAMILY = 400; // x 5 families = 2,000 sets per pass
/** Five rules in a row, each p: 1 - (1 - p)^5 = 10% of requests. */
const RULE_P = 1 - Math.pow(0.9, 1 / 5);
const FAULTS = [
	{ result: -4, times: -1, probability: RULE_P },
	{ status: 502, times: -1, probability: RULE_P },
	{ status: 503, times: -1, probability: RULE_P },
	{ status: 429, times: -1, probability: RULE_P },
	{ reset: true, times: -1, probability: RULE_P },
];
/** What a failed item's `code` may be for these faults. */
const TRANSIENT_CODES = new Set<unknown>([-4, '502', '503', '429', 'ECONNRESET', 'EPIPE', 'ECONNABORTED']);

let emulator: Emulator;
let campaign: Campaign;

beforeAll(async () => {
	emulator = await newEmulator();
	campaign = new Campaign('transient faults', emulator);
});
afterAll(async () => {
	await emulator?.close();
});

interface Pass {
	operations: number;
	requests: number;
	faults: number;
	succeeded: Array<{ family: (typeof FAMILIES)[number]; item: SetItem }>;
	failed: Array<{ family: (typeof FAMILIES)[number]; item: SetItem; json: IDataObject; index: number }>;
	/** Keys whose set the emulator applied (result 0) more than once. */
	appliedTwice: string[];
	/** Keys of the requests a fault answered, per family resource. */
	faultedKeys: Set<string>;
	runs: Run[];
}

async function pass(prefix: string, options: INodeParameters, seed: number): Promise<Pass> {
	const credentials = campaign.credential();
	const out: Pass = { operations: 0, requests: 0, faults: 0, succeeded: [], failed: [], appliedTwice: [], faultedKeys: new Set(), runs: [] };
	emulator.setFaults(FAULTS, seed);
	emulator.clearStats();
	for (const family of FAMILIES) {
		const items = setItems(`${prefix}-${family.resource}`, PER_FAMILY);
		const result = await campaign.run(`${prefix} ${family.resource}`, credentials, setParameters(family, options), items, true);
		expect(result.error).toBeUndefined();
		out.operations += items.length;
		const byItem = new Map<number, IDataObject[]>();
		for (const entry of result.outputs?.[0] ?? []) {
			const index = (entry.pairedItem as { item: number }).item;
			byItem.set(index, [...(byItem.get(index) ?? []), entry.json]);
		}
		items.forEach((item, index) => {
			const jsons = byItem.get(index) ?? [];
			expect(jsons).toHaveLength(1); // one output item per input item, success or failure
			const json = jsons[0];
			if (json.error !== undefined) out.failed.push({ family, item, json, index });
			else {
				expect(json).toEqual({ key: item.key, success: true, result: 0 });
				out.succeeded.push({ family, item });
			}
		});
		const applied = new Map<string, number>();
		for (const request of result.requests) {
			const body = request.body as IDataObject | undefined;
			if (!request.path.endsWith('/set') || typeof body?.value_key !== 'string') continue;
			if (request.fault) out.faultedKeys.add(`${family.resource} ${body.value_key}`);
			if (request.result === 0 && !request.fault) applied.set(body.value_key, (applied.get(body.value_key) ?? 0) + 1);
		}
		for (const [key, count] of applied) if (count > 1) out.appliedTwice.push(key);
		out.runs.push(result);
	}
	const stats = emulator.stats();
	out.requests = userDataRequests(stats);
	out.faults = stats.faultsApplied;
	emulator.clearFaults();
	return out;
}

/** Checks every expected value in the store; returns [verified, lost, wrong, extra]. */
function verifyStore(prefix: string, expected: Pass['succeeded']): { verified: number; lost: number; extra: number } {
	const snapshot = emulator.store();
	let verified = 0;
	let lost = 0;
	const wanted = new Set<string>();
	for (const { family, item } of expected) {
		const target = family.target(item);
		wanted.add(`${target} ${item.key}`);
		const stored = targetOf(snapshot, target)[item.key];
		if (!stored) {
			lost++;
			continue;
		}
		expect(stored).toEqual({
			value_data: item.value,
			access_scope: family.scoped && item.scope === 'private' ? 0 : 1,
			client_id: DEMO.clientId,
		});
		verified++;
	}
	// Exactly once: the store holds no key of this pass beyond the expected ones.
	let extra = 0;
	for (const [target, entries] of Object.entries(snapshot.data[DEMO.userId] ?? {})) {
		for (const key of Object.keys(entries)) {
			if (key.startsWith(`${prefix}-`) && !wanted.has(`${target} ${key}`)) extra++;
		}
	}
	return { verified, lost, extra };
}

test('default options: every value is stored exactly once, with the right content', async () => {
	const first = await pass('c1a', { retryDelay: 2, concurrency: 8 }, 0x5eed01);

	// Faults hit about 10% of the requests; each fault cost one retry unless the item ran out of them
	// (then its last fault is reported instead of retried).
	const retries = first.requests - first.operations;
	expect(first.faults).toBe(retries + first.failed.length);
	expect(first.faults / first.requests).toBeGreaterThan(0.06);
	expect(first.faults / first.requests).toBeLessThan(0.14);
	expect(first.appliedTwice).toEqual([]);

	// With 3 retries an item fails only when 4 requests in a row are faulted (p = 1e-4 per item):
	// such an item is reported, never silently lost. A second pass (as a retried execution) finishes it.
	expect(first.failed.length).toBeLessThanOrEqual(2);
	for (const failure of first.failed) {
		expect(TRANSIENT_CODES.has(failure.json.code)).toBe(true);
		// a fault at HTTP level says "4 attempt(s) made", a -4 answer "answered … 4 time(s)"
		expect(String(failure.json.description)).toMatch(/4 (attempt\(s\)|time\(s\))/);
	}
	const failedFirst = first.failed.length;
	for (const failure of first.failed) {
		const rerun = await campaign.run('c1a rerun', campaign.credential(), setParameters(failure.family, { retryDelay: 2 }), [failure.item]);
		expect(rerun.error).toBeUndefined();
		first.succeeded.push({ family: failure.family, item: failure.item });
	}

	const { verified, lost, extra } = verifyStore('c1a', first.succeeded);
	report('1 transient faults (default options: retries 3, retryDelay 2 ms, concurrency 8)', {
		operations: first.operations,
		requests: first.requests,
		faultsInjected: first.faults,
		retries,
		failuresReported: failedFirst,
		valuesVerifiedInStore: verified,
		lost,
		duplicated: extra + first.appliedTwice.length,
	});
	expect(verified).toBe(first.operations);
	expect(lost).toBe(0);
	expect(extra).toBe(0);
});

test('retries 0: each failed item is reported with its code and index; every reported write is stored', async () => {
	const second = await pass('c1b', { retries: 0, retryDelay: 2, concurrency: 8 }, 0x5eed02);

	// No retries: one request per item, and every fault failed exactly the item it hit.
	expect(second.requests).toBe(second.operations);
	expect(second.failed.length).toBe(second.faults);
	expect(second.failed.length).toBeGreaterThan(0);
	const failedKeys = new Set(second.failed.map((failure) => `${failure.family.resource} ${failure.item.key}`));
	expect(failedKeys).toEqual(second.faultedKeys);
	const codes: Record<string, number> = {};
	for (const failure of second.failed) {
		expect(TRANSIENT_CODES.has(failure.json.code)).toBe(true);
		expect(typeof failure.json.error).toBe('string');
		expect(String(failure.json.error).length).toBeGreaterThan(10);
		expect(typeof failure.json.description).toBe('string');
		expect(failure.item.key).toBe(`c1b-${failure.family.resource}-${failure.index}`);
		codes[String(failure.json.code)] = (codes[String(failure.json.code)] ?? 0) + 1;
	}
	// Every fault kind was seen and reported.
	for (const code of ['-4', '502', '503', '429', 'ECONNRESET']) expect(codes[code]).toBeGreaterThan(0);

	const { verified, lost, extra } = verifyStore('c1b', second.succeeded);
	// A failed item's value is not in the store (the faults answered before anything was written).
	const snapshot = emulator.store();
	const failedButStored = second.failed.filter(({ family, item }) => targetOf(snapshot, family.target(item))[item.key]).length;
	report('1 transient faults (retries 0, continueOnFail)', {
		operations: second.operations,
		requests: second.requests,
		faultsInjected: second.faults,
		retries: second.requests - second.operations,
		failuresReported: second.failed.length,
		failureCodes: Object.entries(codes)
			.map(([code, count]) => `${code}:${count}`)
			.join(','),
		valuesVerifiedInStore: verified,
		lost,
		duplicated: extra + second.appliedTwice.length,
		failedButStored,
	});
	expect(verified).toBe(second.succeeded.length);
	expect(verified + second.failed.length).toBe(second.operations);
	expect(lost).toBe(0);
	expect(extra).toBe(0);
	expect(failedButStored).toBe(0);
});

test('no secret in anything captured', () => {
	report('1 transient faults: secrets', { ...Object.fromEntries(campaign.secretsLine().split(' ').map((kv) => kv.split('='))) });
	expect(campaign.leaks).toEqual([]);
	expect(campaign.runs).toBeGreaterThan(0);
});
