/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * Transient faults (API.md: -4 retried with bounded backoff; issue 3: also HTTP 429/5xx, dropped
 * connections and timeouts) and the codes that must not be retried (-3, -5..-8).
 */
import type { FaultRule } from '../emulator/server';
import {
	apiRequests,
	callApi,
	credentialFor,
	errorOf,
	N8N_GENERIC_MESSAGES,
	newEmulator,
	run,
	sleep,
	stored,
	textOf,
	useEmulator,
} from './setup';
import type { Emulator } from './setup';

let emulator: Emulator;
useEmulator((started) => (emulator = started));

const PATH = '/user-data/by-user-id/set';
// The node's timeout for the "timeout" kind (the server answers LATE_MS late); every other kind gets
// a generous timeout, so a loaded machine cannot turn its fault into a timeout.
const TIMEOUT_MS = 300;
const LATE_MS = 1200;
const GENEROUS_TIMEOUT_MS = 10_000;

interface Kind {
	name: string;
	rule: FaultRule;
	/** What the final error must name. */
	names: RegExp;
	code: string | number;
}

const KINDS: Kind[] = [
	{ name: 'result -4', rule: { result: -4 }, names: /temporarily unavailable/i, code: -4 },
	{ name: 'HTTP 502', rule: { status: 502 }, names: /502/, code: '502' },
	{ name: 'HTTP 503', rule: { status: 503 }, names: /503/, code: '503' },
	{ name: 'HTTP 429', rule: { status: 429 }, names: /too many requests|429/i, code: '429' },
	{ name: 'dropped connection', rule: { reset: true }, names: /connection/i, code: 'ECONNRESET' },
	{ name: 'timeout', rule: { delayMs: LATE_MS }, names: /did not answer|timed out|timeout/i, code: '' },
];

const params = (retries: number, kind?: Kind) => ({
	resource: 'userDataByUserId',
	operation: 'set',
	key: '={{ $json.key }}',
	value: '={{ $json.value }}',
	options: { retries, retryDelay: 1, timeout: kind?.rule.delayMs ? TIMEOUT_MS : GENEROUS_TIMEOUT_MS, concurrency: 1 },
});

describe.each(KINDS)('$name', (kind) => {
	afterEach(async () => {
		// a request the node gave up on is still answered later: let it land before the next test
		if (kind.rule.delayMs) await sleep(LATE_MS + 50);
	});

	test('retries 2: two faults, then success; the value is written exactly once', async () => {
		emulator.setFaults([{ path: PATH, times: 2, ...kind.rule }]);
		const r = await run(emulator, credentialFor(emulator), params(2, kind), [{ key: 'k', value: 'v' }]);
		expect(r.error).toBeUndefined();
		expect(r.json).toEqual([{ key: 'k', success: true, result: 0 }]);
		expect(r.outputs?.[0].map((item) => item.pairedItem)).toEqual([{ item: 0 }]);
		expect(stored(emulator, 'user-id').k.value_data).toBe('v');
		if (kind.rule.delayMs) {
			await sleep(LATE_MS + 50);
			// the late answers were to the same request body: same value, no other key
			expect(Object.keys(stored(emulator, 'user-id'))).toEqual(['k']);
		} else {
			const sent = apiRequests(r, PATH);
			expect(sent).toHaveLength(3);
			expect(sent.filter((entry) => entry.result === 0)).toHaveLength(1);
			expect(new Set(sent.map((entry) => JSON.stringify(entry.body))).size).toBe(1);
		}
	});

	test('retries 0: the item fails with a message naming the fault and the item', async () => {
		// first request normal (delay 0), the second one (item 1) faulted
		emulator.setFaults([
			{ path: PATH, delayMs: 0, times: 1 },
			{ path: PATH, times: 1, ...kind.rule },
		]);
		const r = await run(emulator, credentialFor(emulator), params(0, kind), [
			{ key: 'first', value: '1' },
			{ key: 'second', value: '2' },
		]);
		const error = errorOf(r);
		expect(error.constructor.name).toBe('NodeApiError');
		expect(error.message).toMatch(kind.names);
		expect(error.context.itemIndex).toBe(1);
		// HTTP-level faults name the item in the message; a -4 result carries it in context (above)
		if (kind.rule.result === undefined) expect(error.message).toMatch(/item 1/);
		if (kind.code !== '') expect(error.context.resultCode ?? error.context.code).toBe(kind.code);
		// httpCode carries HTTP statuses only
		if (error.httpCode != null) expect(error.httpCode).toMatch(/^[1-5]\d\d$/);
		for (const generic of N8N_GENERIC_MESSAGES) expect(textOf(error)).not.toContain(generic);
		// n8n's own stock texts for Node.js error codes would hide which request failed
		expect(error.message).not.toMatch(/perhaps (it|the server) is offline/i);
		expect(stored(emulator, 'user-id').first.value_data).toBe('1');
	});
});

test('backoff is bounded: retries 3 means 4 attempts, then the error says how many were made', async () => {
	emulator.setFaults([{ path: PATH, result: -4, times: -1 }]);
	const r = await run(emulator, credentialFor(emulator), params(3), [{ key: 'k', value: 'v' }]);
	const error = errorOf(r);
	expect(apiRequests(r, PATH)).toHaveLength(4);
	expect(error.context.resultCode).toBe(-4);
	expect(error.description).toMatch(/4/);
});

test.each([
	['-3 access denied', -3],
	['-5 invalid parameters', -5],
	['-6 key access denied', -6],
	['-7 key invalid', -7],
])('%s is not retried (one request, retries 3)', async (_name, code) => {
	emulator.setFaults([{ path: PATH, result: code, times: -1 }]);
	const r = await run(emulator, credentialFor(emulator), params(3), [{ key: 'k', value: 'v' }]);
	expect(errorOf(r).context.resultCode).toBe(code);
	expect(apiRequests(r, PATH)).toHaveLength(1);
});

test('-6 on by-idp (identity provider not found) is not retried', async () => {
	emulator.setFaults([{ path: '/user-data/by-idp/get', result: -6, times: -1 }]);
	const r = await run(emulator, credentialFor(emulator), {
		resource: 'userDataByIdp',
		operation: 'get',
		identityProvider: 'google',
		keys: 'a',
		options: { retries: 3, retryDelay: 1 },
	});
	expect(errorOf(r).context.resultCode).toBe(-6);
	expect(apiRequests(r, '/user-data/by-idp/get')).toHaveLength(1);
});

test('a fault on one item under concurrency: the others are unaffected, the faulted one retried', async () => {
	emulator.setFaults([{ path: PATH, status: 503, times: 3 }]);
	const items = Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `v${i}` }));
	const r = await run(emulator, credentialFor(emulator), { ...params(3), options: { retries: 3, retryDelay: 1, concurrency: 5 } }, items);
	expect(r.error).toBeUndefined();
	expect(r.json.map((json) => json.key)).toEqual(items.map((item) => item.key));
	for (const item of items) expect(stored(emulator, 'user-id')[item.key].value_data).toBe(item.value);
	expect(apiRequests(r, PATH).filter((entry) => entry.result === 0)).toHaveLength(10);
});

describe('an answer that is not HyperID', () => {
	test('HTTP 404 without a result code names the URL to check, and is not retried', async () => {
		const { createServer } = await import('node:http');
		const server = createServer((_req, res) => {
			res.writeHead(404, { 'Content-Type': 'text/html' });
			res.end('<html>not here</html>');
		});
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
		const port = (server.address() as { port: number }).port;
		let hits = 0;
		server.on('request', () => hits++);
		try {
			const emulator = await newEmulator();
			try {
				const r = await run(
					emulator,
					credentialFor(emulator, {}, { apiUrl: `http://127.0.0.1:${port}` }),
					{ resource: 'userDataByEmail', operation: 'set', key: 'k', value: 'v', options: { retryDelay: 1 } },
				);
				expect(r.error?.message).toMatch(/HTTP 404 without a result code/);
				expect(String(r.error?.description)).toContain(`http://127.0.0.1:${port}/user-data/by-email/set`);
				expect(String(r.error?.description)).toMatch(/API URL/);
				expect(hits).toBe(1);
			} finally {
				await emulator.close();
			}
		} finally {
			server.close();
		}
	});
});

describe('a delete resent after a timeout, whose first attempt did delete', () => {
	const ANSWER_LATE_MS = 1200;
	const seedKeys = async (path: string, keys: string[]) => {
		const credentials = credentialFor(emulator);
		for (const key of keys) expect((await callApi(emulator, credentials, path, { value_key: key, value_data: 'v', access_scope: 1 })).result).toBe(0);
		return credentials;
	};
	afterEach(async () => {
		// the late answer to the attempt given up on: let it land before the next test
		await sleep(ANSWER_LATE_MS + 50);
	});

	test('Delete All: the keys the first attempt deleted count as deleted by this run, none under notDeletedKeys', async () => {
		const credentials = await seedKeys('/user-data/by-user-id/set', ['a', 'b', 'c']);
		// the first delete is carried out, then answered after the node's Timeout
		emulator.setFaults([{ path: '/user-data/by-user-id/delete', answerDelayMs: ANSWER_LATE_MS, times: 1 }]);
		const r = await run(emulator, credentials, {
			resource: 'userDataByUserId',
			operation: 'deleteAll',
			options: { timeout: TIMEOUT_MS, retries: 2, retryDelay: 1 },
		});
		expect(r.error).toBeUndefined();
		const deletes = apiRequests(r, '/user-data/by-user-id/delete');
		// the resend found nothing left to delete
		expect(deletes.map((entry) => entry.result)).toContain(1);
		expect(r.json).toEqual([{ deleted: 3, keys: ['a', 'b', 'c'] }]);
		expect(stored(emulator, 'user-id')).toEqual({});
	});

	test('Delete (by email, no per-key answer): deleted is true although the resend answered "not found"', async () => {
		const credentials = await seedKeys('/user-data/by-email/set', ['gone']);
		emulator.setFaults([{ path: '/user-data/by-email/delete', answerDelayMs: ANSWER_LATE_MS, times: 1 }]);
		const r = await run(emulator, credentials, {
			resource: 'userDataByEmail',
			operation: 'delete',
			keys: 'gone',
			options: { timeout: TIMEOUT_MS, retries: 2, retryDelay: 1 },
		});
		expect(r.error).toBeUndefined();
		expect(r.json).toEqual([{ deleted: true, keys: ['gone'], result: 1 }]);
		expect(stored(emulator, 'email')).toEqual({});
	});

	test('a delete answered in time that finds nothing still says not deleted', async () => {
		const r = await run(emulator, credentialFor(emulator), {
			resource: 'userDataByUserId',
			operation: 'delete',
			keys: 'never-stored',
			options: { timeout: TIMEOUT_MS, retries: 2, retryDelay: 1 },
		});
		expect(r.json).toEqual([{ deleted: false, keys: ['never-stored'], result: 1, keyResults: [{ key: 'never-stored', deleted: false }] }]);
	});
});
