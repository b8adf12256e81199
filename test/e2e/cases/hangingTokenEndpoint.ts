/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * A token endpoint that accepts the connection and does not answer (here for 60 s): the node sends
 * the refresh once (sent again, HyperID would end the sign-in), waits Timeout x (Retries + 1) for it
 * (Timeout 1 s, Retries 1), then fails with a message that says so, and `n8n execute` ends long
 * before the token endpoint would answer (n8n's own OAuth2 client waits up to 300 s per request).
 */
import assert from 'node:assert/strict';

import { SLOT_MS, SLOTS } from '../../../nodes/HyperIdUserData/transport/crossProcess';
import { TOKEN_PATH } from '../../emulator/server';
import { apiCalls } from '../../shared/n8n/requests';
import type { E2ECase } from '../../shared/n8n/types';

const NODE = 'Set (Token Endpoint Hangs)';
const TIMEOUT_MS = 1000;
const RETRIES = 1;
const RETRY_DELAY_MS = 100;
const TOKEN_ENDPOINT_HANGS_MS = 60_000;
/**
 * Time the node may take beyond its token requests (the first API request, the backoff, n8n's own
 * work, and on n8n before 2.30 the slot it waits before spending a refresh token: crossProcess.ts).
 */
const SLACK_MS = 4000 + (SLOTS - 1) * SLOT_MS;

/** Token requests the emulator had seen before this case. */
let tokenRequestsBefore = 0;

export const hangingTokenEndpoint: E2ECase = {
	name: 'hanging token endpoint: bounded by Timeout x (Retries + 1), clear message',
	workflow: 'test/e2e/fixtures/hanging-token-endpoint.json',
	credentials: { '*': 'expired' },
	requiresNode: true,
	before({ emulator }) {
		tokenRequestsBefore = emulator.stats().requestsByPath[TOKEN_PATH] ?? 0;
		emulator.setFaults([{ path: TOKEN_PATH, delayMs: TOKEN_ENDPOINT_HANGS_MS, times: -1 }]);
	},
	after({ emulator }) {
		emulator.clearFaults();
	},
	check(r, { emulator, log }) {
		assert.equal(r.ok, false, 'the execution failed');
		const node = r.nodes[NODE]?.[0];
		assert.ok(node?.error, 'the node failed');
		assert.equal(node.error.message, `HyperID's token endpoint did not answer within ${TIMEOUT_MS} ms when renewing the sign-in (item 0)`);
		assert.match(String(node.error.description), /Raise "Timeout" or "Retries"/);
		assert.doesNotMatch(`${node.error.message} ${String(node.error.description)}`, /reconnect/i);
		const bound = TIMEOUT_MS * (RETRIES + 1) + RETRY_DELAY_MS + SLACK_MS;
		log(`      the node ran ${node.executionTime} ms (bound ${bound} ms); n8n execute ${r.ms} ms`);
		assert.ok(node.executionTime !== undefined && node.executionTime < bound, `the node ran ${node.executionTime} ms, bound ${bound} ms`);
		assert.ok(r.ms < TOKEN_ENDPOINT_HANGS_MS, `n8n execute took ${r.ms} ms: it waited for the token endpoint`);
		// one token request (a refresh that may have reached HyperID is never sent again), not answered; the one API request got "expired"
		const tokenRequests = (emulator.stats().requestsByPath[TOKEN_PATH] ?? 0) - tokenRequestsBefore;
		assert.equal(tokenRequests, 1, `${tokenRequests} token requests`);
		assert.equal(emulator.requests().filter((entry) => entry.path === TOKEN_PATH).length, 0);
		assert.deepEqual(apiCalls(emulator).map((call) => call.result), [-2]);
	},
};
