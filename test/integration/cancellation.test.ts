/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * Cancelling an execution (the editor's Stop button, a workflow timeout): n8n aborts the
 * execution's signal. The node starts no request after it, and every wait (retry backoff, the
 * re-reads after a refused refresh) ends at once, Continue on Fail or not.
 */
import type { INodeParameters } from 'n8n-workflow';

import { WAIT_FOR_SAVE_MS } from '../../nodes/HyperIdUserData/transport/crossProcess';
import { CredentialStore, hyperIdCustomCredentials } from '../harness/harness';
import { HyperIdUserData } from '../../nodes/HyperIdUserData/HyperIdUserData.node';
import { runNode } from '../harness/harness';
import { credentialFor, DEMO, run, sleep, TOKEN_PATH, useEmulator } from './setup';
import { clientCredential, newUsers, userTokens } from './userTokensSetup';
import type { Emulator } from './setup';

let emulator: Emulator;
useEmulator((started) => (emulator = started));

const setByUserId = (options: INodeParameters): INodeParameters => ({
	resource: 'userDataByUserId',
	operation: 'set',
	key: '={{ $json.key }}',
	value: 'v',
	options,
});
const items = (count: number) => Array.from({ length: count }, (_, index) => ({ key: `k${index}` }));

/** Cancels the execution once `when()` holds (checked every few ms, at most 20 s). */
function cancelWhen(when: () => boolean, onCancel: () => void = () => undefined) {
	return {
		onStarted: (cancel: () => void) => {
			const started = Date.now();
			const check = setInterval(() => {
				if (!when() && Date.now() - started < 20_000) return;
				clearInterval(check);
				onCancel();
				cancel();
			}, 2);
		},
	};
}

afterEach(async () => {
	// requests aborted on the node's side are still answered: let them land before the next test
	for (let i = 0; i < 200 && emulator.stats().inFlight > 0; i++) await sleep(10);
});

const setRequests = () => emulator.stats().requestsByPath['/user-data/by-user-id/set'] ?? 0;

test('cancelled mid-run under Continue on Fail: no request starts after the cancel', async () => {
	emulator.setOptions({ latencyMs: 40 });
	const concurrency = 2;
	let sentAtCancel = -1;
	const credentials = credentialFor(emulator);
	const r = await run(
		emulator,
		credentials,
		setByUserId({ concurrency }),
		items(40),
		true,
		cancelWhen(
			() => setRequests() >= 4,
			() => (sentAtCancel = setRequests()),
		),
	);
	expect(sentAtCancel).toBeGreaterThanOrEqual(4);
	// only the requests already on their way when it was cancelled (at most one per slot)
	expect(setRequests()).toBeLessThanOrEqual(sentAtCancel + concurrency);
	expect(setRequests()).toBeLessThan(40);
	// nor is one started and left to n8n to refuse: every request reads the credential to sign it (plus one read at start)
	expect(credentials.getDecryptedCalls).toBeLessThanOrEqual(1 + sentAtCancel + concurrency);
	expect(r.status).toBe('canceled');
});

test('cancelled during a retry backoff: the wait ends at once, nothing is resent', async () => {
	emulator.setFaults([{ path: '/user-data/by-user-id/set', result: -4, times: -1 }]);
	// the first backoff is 10-20 s
	const retryDelay = 20_000;
	const r = await run(
		emulator,
		credentialFor(emulator),
		setByUserId({ retries: 3, retryDelay }),
		items(1),
		true,
		// once the -4 is answered, the node is in its backoff
		cancelWhen(() => (emulator.stats().resultsByCode['-4'] ?? 0) >= 1),
	);
	expect(setRequests()).toBe(1);
	expect(r.durationMs).toBeLessThan(retryDelay / 2);
	expect(r.status).toBe('canceled');
});

test('cancelled while waiting for another process\'s renewed token (HyperID says the refresh token is spent): the run ends at once', async () => {
	const grant = emulator.createToken({ expiresIn: 0 });
	const credentials = new CredentialStore(
		hyperIdCustomCredentials(emulator.url, {
			clientId: DEMO.clientId,
			clientSecret: DEMO.clientSecret,
			oauthTokenData: { access_token: grant.access_token, refresh_token: 'not-a-refresh-token', token_type: 'Bearer' },
		}),
	);
	const r = await run(
		emulator,
		credentials,
		setByUserId({}),
		items(1),
		true,
		cancelWhen(() => emulator.requests().some((entry) => entry.path === `${TOKEN_PATH}/introspect`)),
	);
	// introspected, never presented (crossProcess.ts): the cancel ends the wait for a renewed pair
	expect(emulator.requests().filter((entry) => entry.path === TOKEN_PATH)).toHaveLength(0);
	expect(r.durationMs).toBeLessThan(WAIT_FOR_SAVE_MS / 2);
	expect(r.status).toBe('canceled');
});

test("Each User's Tokens: a request on its way is aborted by the cancel; the run does not wait for HyperID's answer", async () => {
	const [user] = newUsers(emulator, 1);
	emulator.setFaults([{ path: '/user-data/by-email/set', delayMs: 5000, times: 1 }]);
	emulator.clearRequests();
	const arrived = () => emulator.stats().requestsByPath['/user-data/by-email/set'] ?? 0;
	const before = arrived();
	const r = await runNode({
		nodeType: new HyperIdUserData(),
		parameters: userTokens({ resource: 'userDataByEmail', operation: 'set', key: 'k', value: 'v' }),
		inputItems: [user],
		credentials: clientCredential(emulator),
		continueOnFail: true,
		...cancelWhen(() => arrived() > before),
	});
	expect(r.status).toBe('canceled');
	// the run ended before HyperID answered (the log holds answered requests)
	expect(emulator.requests().filter((entry) => entry.path === '/user-data/by-email/set')).toHaveLength(0);
	expect(emulator.stats().inFlight).toBeGreaterThan(0);
});
