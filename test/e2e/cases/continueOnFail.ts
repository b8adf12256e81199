/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * examples/04: one bad item (a wallet the user does not have). With Continue on Fail it becomes
 * {error, code} and the others go on; without, the execution fails with the node's own message and
 * HyperID's code, not a generic error.
 */
import assert from 'node:assert/strict';

import { DEMO } from '../../shared/n8n/hyperid';
import { apiCalls } from '../../shared/n8n/requests';
import type { E2ECase } from '../../shared/n8n/types';

const BAD = '0x000000000000000000000000000000000000dead';
const MESSAGE = `Wallet ${BAD} does not belong to this user (item 2)`;

export const continueOnFail: E2ECase = {
	name: '04 bad item: Continue on Fail gives {error, code}; off, the run fails with the node message',
	workflow: 'examples/04-continue-on-fail.json',
	requiresNode: true,
	check(r, { emulator }) {
		const cont = r.nodes['Set Note (Continue on Fail)']?.[0];
		assert.ok(cont, 'the Continue on Fail node ran');
		assert.equal(cont.error, undefined);
		assert.deepEqual(cont.items.slice(0, 2).map((i) => i.json), [
			{ key: 'note', success: true, result: 0 },
			{ key: 'note', success: true, result: 0 },
		]);
		const bad = cont.items[2];
		assert.equal(bad.json.error, MESSAGE);
		assert.equal(bad.json.code, -6);
		assert.match(String(bad.json.description), /wallet/i);
		assert.deepEqual(cont.items.map((i) => i.pairedItem), [{ item: 0 }, { item: 1 }, { item: 2 }]);

		// without Continue on Fail: the execution fails, with the node's error
		assert.equal(r.ok, false, 'the execution failed');
		const stop = r.nodes['Set Note (Stop on Fail)']?.[0];
		assert.ok(stop?.error, 'the Stop on Fail node has an error');
		assert.equal(stop.error.message, MESSAGE);
		assert.match(String(stop.error.description), /wallet/i);
		assert.equal(r.error?.message, MESSAGE);
		assert.equal(r.error?.node?.name, 'Set Note (Stop on Fail)');
		const errorText = JSON.stringify(r.error);
		assert.doesNotMatch(errorText, /unknown (issue|error)|UNKNOWN ERROR/i);
		// the node's NodeApiError as n8n stored it: HyperID's code, the failing item, the fix
		const err = r.error as Record<string, unknown> & { context?: Record<string, unknown> };
		assert.equal(err.name, 'NodeApiError');
		assert.equal(err.context?.resultCode, -6);
		assert.equal(err.context?.itemIndex, 2);
		// httpCode carries HTTP statuses only: HyperID's result code is context.resultCode
		assert.ok(err.httpCode === undefined || err.httpCode === null, `httpCode ${String(err.httpCode)}`);
		assert.match(String(err.description), /Pick one of the user's wallets/);
		assert.ok(!r.stdout.includes(DEMO.clientSecret), 'no secret in the output');

		const sets = apiCalls(emulator).filter((c) => c.path === '/user-data/by-wallet/set');
		assert.deepEqual(
			sets.map((c) => [c.body.wallet_address, c.result]),
			[
				[DEMO.privateWallet, 0],
				[DEMO.publicWallet, 0],
				[BAD, -6],
				[DEMO.privateWallet, 0],
				[DEMO.publicWallet, 0],
				[BAD, -6],
			],
		);
	},
};
