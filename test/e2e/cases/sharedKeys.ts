/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/** examples/02: a second client (another app of the same user) reads public keys through listSharedKeys, with paging. */
import assert from 'node:assert/strict';

import { DEMO } from '../../shared/n8n/hyperid';
import { apiCalls, byBody, tokenCalls } from '../../shared/n8n/requests';
import type { E2ECase } from '../../shared/n8n/types';

const SHARED = ['shared-1', 'shared-2', 'shared-3', 'shared-4', 'shared-5'];

export const sharedKeys: E2ECase = {
	name: '02 second client lists shared keys (paging) and reads them',
	workflow: 'examples/02-shared-keys-second-client.json',
	credentials: { 'HyperID account': 'main', 'HyperID second app': 'second' },
	requiresNode: true,
	check(r, { emulator }) {
		assert.equal(r.ok, true, `execution failed: ${r.error?.message}`);
		assert.deepEqual(
			r.json('First App: Set by Email').map((i) => i.key),
			[...SHARED, 'private-note'],
		);
		assert.ok(r.json('First App: Set by Email').every((i) => i.success === true && i.result === 0));
		// the private key is not shared; paging returns every public key once, in order
		assert.deepEqual(r.json('Second App: List All Shared Keys'), SHARED.map((key) => ({ key })));
		assert.deepEqual(r.json('Second App: List First 3 Shared Keys'), SHARED.slice(0, 3).map((key) => ({ key })));
		assert.deepEqual(r.json('Second App: Read Shared Values'), [
			{ values: Object.fromEntries(SHARED.map((k, i) => [k, `value ${i + 1}`])), missingKeys: [], result: 0 },
		]);

		const calls = apiCalls(emulator);
		const sets = calls.filter((c) => c.path === '/user-data/by-email/set');
		assert.deepEqual(
			sets.map((c) => c.body).sort((a, b) => String(a.value_key).localeCompare(String(b.value_key))),
			[
				{ value_key: 'private-note', value_data: 'only for the first app', access_scope: 0 },
				...SHARED.map((k, i) => ({ value_key: k, value_data: `value ${i + 1}`, access_scope: 1 })),
			],
		);
		const lists = calls.filter((c) => c.path === '/user-data/by-email/shared-list-get');
		// The server pages over all 6 stored keys (private-note sorts first) and shows only shared
		// ones. returnAll with page size 2: three pages (1 + 2 + 2 keys), each after the first names
		// the search id the previous page returned; then limit 3: a short page of 1 key does not end
		// the list, the next asks for the 2 still missing
		assert.equal(lists.length, 5);
		assert.deepEqual(lists[0].body, { page_size: 2 });
		assert.deepEqual(Object.keys(lists[1].body).sort(), ['page_size', 'search_id']);
		assert.equal(lists[1].body.page_size, 2);
		assert.equal(lists[2].body.page_size, 2);
		assert.ok(typeof lists[2].body.search_id === 'string' && lists[2].body.search_id !== lists[1].body.search_id);
		assert.deepEqual(lists[3].body, { page_size: 2 });
		assert.equal(lists[4].body.page_size, 2);
		assert.equal(typeof lists[4].body.search_id, 'string');
		const gets = calls.filter((c) => c.path === '/user-data/by-email/get');
		assert.deepEqual(gets.map((c) => c.body), [{ value_keys: SHARED }]);
		assert.equal(calls.length, sets.length + lists.length + gets.length);
		assert.deepEqual([...sets].sort(byBody).length, 6);
		assert.deepEqual(tokenCalls(emulator), []);
		// the keys belong to the first app; the second app only read them
		const byEmail = emulator.store().data[DEMO.userId]?.email ?? {};
		for (const k of SHARED) assert.equal(byEmail[k]?.client_id, DEMO.clientId);
	},
};
