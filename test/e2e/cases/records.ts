/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * examples/06 (issue 13): a record stored field by field (Auto-Map Input Fields, Define Below), read
 * back whole (Get Many), merged into other items (Merge Into Input Item; node version 1.1 batches
 * the reads, version 1 reads item by item), then erased (Delete All).
 */
import assert from 'node:assert/strict';

import { DEMO } from '../../shared/n8n/hyperid';
import { apiCalls, byBody } from '../../shared/n8n/requests';
import type { E2ECase } from '../../shared/n8n/types';

const VALUES = {
	name: 'Ada Lovelace',
	plan: 'pro',
	settings: { theme: 'dark', language: 'en' },
	newsletter: { cadence: 'weekly' },
	onboarded: true,
};
const ORDERS = [
	{ orderId: 1001, total: 30 },
	{ orderId: 1002, total: 12 },
];
// by identity provider (telegram): a storage target no other example uses, so Get Many and Delete All see only this one's keys
const SET = '/user-data/by-idp/set';
const GET = '/user-data/by-idp/get';
const LIST = '/user-data/by-idp/list-get';
const DELETE = '/user-data/by-idp/delete';
const TARGET = { identity_provider: 'telegram' };

export const records: E2ECase = {
	name: '06 whole records: Set several values per item, Get Many, Merge Into Input Item, Batch Reads by version, Delete All',
	workflow: 'examples/06-records-in-and-out.json',
	requiresNode: true,
	check(r, { emulator }) {
		assert.equal(r.ok, true, `execution failed: ${r.error?.message}`);
		assert.deepEqual(r.json('Store Profile (Auto-Map)'), [
			{ keys: ['name', 'plan', 'settings'], success: true, results: ['name', 'plan', 'settings'].map((key) => ({ key, result: 0 })) },
		]);
		assert.deepEqual(r.json('Store Flags (Define Below)'), [
			{ keys: ['newsletter', 'onboarded'], success: true, results: ['newsletter', 'onboarded'].map((key) => ({ key, result: 0 })) },
		]);
		assert.deepEqual(r.json('Get Many (All Values)'), [{ values: VALUES, result: 0 }]);
		const merged = ORDERS.map((order) => ({ ...order, hyperid: { plan: 'pro', newsletter: { cadence: 'weekly' } } }));
		assert.deepEqual(r.json('Enrich Orders (Merge Into Input)'), merged);
		assert.deepEqual(
			r.json('Enrich Orders (Node Version 1)'),
			merged.map((order) => ({ ...order, user: order.hyperid })),
		);
		// the input item comes back whole: its binary data (the receipt) too
		for (const node of ['Enrich Orders (Merge Into Input)', 'Enrich Orders (Node Version 1)']) {
			const items = r.nodes[node][0].items as Array<{ binary?: Record<string, { fileName?: string }> }>;
			assert.deepEqual(items.map((item) => item.binary?.receipt?.fileName), ['receipt-1001.txt', 'receipt-1002.txt'], `${node}: binary kept`);
		}
		assert.deepEqual(r.json('Erase (Delete All)'), [{ deleted: 5, keys: ['name', 'plan', 'settings', 'newsletter', 'onboarded'] }]);
		assert.deepEqual(r.json('Get Many After Erase'), [{ values: {}, result: 1 }]);
		for (const node of ['Store Profile (Auto-Map)', 'Enrich Orders (Merge Into Input)', 'Enrich Orders (Node Version 1)']) {
			const items = r.nodes[node][0].items;
			assert.deepEqual(items.map((item) => item.pairedItem), items.map((_, item) => ({ item })), `${node}: pairedItem`);
		}

		const calls = apiCalls(emulator);
		assert.ok(calls.every((c) => c.hasBearer && c.status === 200));
		const at = (path: string) => calls.filter((c) => c.path === path);
		// one request per key (concurrent, so compared sorted); the record's fields as JSON, internalId skipped
		assert.deepEqual(
			at(SET).sort(byBody).map((c) => c.body),
			[
				{ ...TARGET, value_key: 'name', value_data: '"Ada Lovelace"', access_scope: 0 },
				{ ...TARGET, value_key: 'newsletter', value_data: '{"cadence":"weekly"}', access_scope: 1 },
				{ ...TARGET, value_key: 'onboarded', value_data: 'true', access_scope: 1 },
				{ ...TARGET, value_key: 'plan', value_data: '"pro"', access_scope: 0 },
				{ ...TARGET, value_key: 'settings', value_data: '{"theme":"dark","language":"en"}', access_scope: 0 },
			],
		);
		assert.deepEqual(
			at(GET).map((c) => c.body),
			[
				// Get Many: the listed keys, private first
				{ ...TARGET, value_keys: ['name', 'plan', 'settings', 'newsletter', 'onboarded'] },
				// version 1.1: both orders in one read
				{ ...TARGET, value_keys: ['plan', 'newsletter'] },
				// version 1: one read per order
				{ ...TARGET, value_keys: ['plan', 'newsletter'] },
				{ ...TARGET, value_keys: ['plan', 'newsletter'] },
			],
		);
		assert.deepEqual(at(LIST).map((c) => c.result), [0, 0, 1]);
		assert.deepEqual(at(DELETE).map((c) => [c.body, c.result]), [[{ ...TARGET, value_keys: ['name', 'plan', 'settings', 'newsletter', 'onboarded'] }, 0]]);
		assert.deepEqual(at(LIST).map((c) => c.body), [TARGET, TARGET, TARGET]);
		assert.equal(emulator.store().data[DEMO.userId]?.['idp:telegram'], undefined, 'nothing left under the Telegram identity');
	},
};
