/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * The token request is bounded by the node's Timeout and Retries (n8n's OAuth2 client alone waits
 * up to 300 s), a refresh that succeeds after the node gave up on it is still saved by n8n, and
 * one execution's cancellation does not fail another waiting for the same shared refresh.
 */
import { runNode } from '../harness/harness';
import { HyperIdUserData } from '../../nodes/HyperIdUserData/HyperIdUserData.node';
import { refreshWaiters } from '../../nodes/HyperIdUserData/transport/refresh';
import { apiRequests, callApi, errorOf, expiredCredentialFor, sleep, stored, textOf, TOKEN_PATH, useEmulator } from './setup';
import type { Emulator } from './setup';
import { run } from './setup';

let emulator: Emulator;
useEmulator((started) => (emulator = started));

const expiring = () => expiredCredentialFor(emulator);

const setByEmail = (options: Record<string, unknown>) => ({
	resource: 'userDataByEmail',
	operation: 'set',
	key: '={{ $json.key }}',
	value: 'v',
	options: { retryDelay: 1, ...options },
});

const tokenRequestsArrived = () => emulator.stats().requestsByPath[TOKEN_PATH] ?? 0;
const tokenAnswers = () => emulator.requests().filter((entry) => entry.path === TOKEN_PATH);

async function until(condition: () => boolean, what: string): Promise<void> {
	for (let waited = 0; !condition(); waited += 10) {
		if (waited > 20_000) throw new Error(`gave up waiting for ${what}`);
		await sleep(10);
	}
}

test('a token endpoint that accepts and hangs: one token request (never re-sent: HyperID would end the sign-in), waited on for Timeout × (Retries + 1), a clear message; the late refresh is still saved and works', async () => {
	const TOKEN_ANSWERS_AFTER_MS = 5000;
	emulator.setFaults([{ path: TOKEN_PATH, delayMs: TOKEN_ANSWERS_AFTER_MS, times: -1 }]);
	const credentials = expiring();
	const r = await run(emulator, credentials, setByEmail({ timeout: 300, retries: 1 }), [{ key: 'a' }]);
	const error = errorOf(r);
	expect(error.message).toBe('HyperID\'s token endpoint did not answer within 300 ms when renewing the sign-in (item 0)');
	expect(error.description).toMatch(/Raise "Timeout" or "Retries"/);
	expect(textOf(error)).not.toMatch(/reconnect/i);
	// one token request (a second with the same refresh token would end the sign-in), and the run ended before it was answered
	expect(tokenRequestsArrived()).toBe(1);
	expect(tokenAnswers()).toHaveLength(0);
	expect(apiRequests(r)).toHaveLength(1);
	expect(stored(emulator, 'email')).toEqual({});

	// later, the token endpoint answers: the refresh token rotates and n8n saves the pair, which works
	await until(() => tokenAnswers().length === 1, 'the late token answer');
	expect(tokenAnswers().map((entry) => entry.status)).toEqual([200]);
	expect(emulator.stats().refreshReuses).toBe(0);
	await until(() => credentials.saves === 1, 'the late save');
	const saved = credentials.oauthTokenData!;
	expect((await callApi(emulator, credentials, '/user-data/by-email/set', { value_key: 'later', value_data: 'v' })).result).toBe(0);
	expect(saved.access_token).not.toBe(undefined);
});

test('a refresh given up on that succeeds within the Retries\' time is taken: no second token request', async () => {
	// the first token request answers after 600 ms; the node gives up on it at 300 ms, then waits up to 3 × 300 ms more for it
	emulator.setFaults([{ path: TOKEN_PATH, delayMs: 600, times: 1 }]);
	const credentials = expiring();
	const r = await run(emulator, credentials, { ...setByEmail({ timeout: 300, retries: 3 }), options: { timeout: 300, retries: 3, retryDelay: 1 } }, [{ key: 'a' }]);
	expect(r.error).toBeUndefined();
	expect(tokenRequestsArrived()).toBe(1);
	expect(credentials.saves).toBe(1);
	expect(stored(emulator, 'email').a.value_data).toBe('v');
});

test('one execution cancelled while another waits for the same refresh: the other still gets the token', async () => {
	// the first token request fails after a while (503, retried); the second succeeds
	emulator.setFaults([{ path: TOKEN_PATH, status: 503, delayMs: 6000, times: 1 }]);
	const credentials = expiring();
	const node = new HyperIdUserData();
	const options = { retries: 1, retryDelay: 1, timeout: 10_000 };
	let cancelFirst: () => void = () => undefined;
	emulator.clearRequests();
	// the first execution starts the shared refresh...
	const first = runNode({
		nodeType: node,
		parameters: setByEmail(options),
		inputItems: [{ key: 'first' }],
		credentials,
		onStarted: (cancel) => (cancelFirst = cancel),
	});
	await until(() => tokenRequestsArrived() === 1, 'the first execution\'s token request');
	// ...the second, refused with the same token, waits for it too
	const second = runNode({ nodeType: node, parameters: setByEmail(options), inputItems: [{ key: 'second' }], credentials });
	await until(() => (emulator.stats().resultsByCode['-2'] ?? 0) >= 2, 'the second execution\'s refused request');
	// cancel only once the second has joined the refresh (under load its answer takes a while to be read)
	await until(() => refreshWaiters() === 2, 'both executions waiting on the one refresh');
	expect(tokenRequestsArrived()).toBe(1);
	cancelFirst();
	const [firstResult, secondResult] = await Promise.all([first, second]);
	expect(firstResult.error?.message).toMatch(/cancelled/);
	expect(secondResult.error).toBeUndefined();
	expect((secondResult.outputs?.[0] ?? []).map((item) => item.json)).toEqual([{ key: 'second', success: true, result: 0 }]);
	expect(stored(emulator, 'email').second.value_data).toBe('v');
	// one refresh for both: the 503, then its retry
	expect(tokenAnswers().map((entry) => entry.status)).toEqual([503, 200]);
});
