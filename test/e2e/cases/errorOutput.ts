/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * On Error "Continue (using error output)", in the real n8n (its handleNodeErrorOutput decides what
 * goes where and what the json becomes):
 * - node version 1.2: a failed item leaves on the error output as {error: {message, code,
 *   description, ...what it did}} with the input item's fields beside it, so the next node reads
 *   `$json.error.code` and `$json.error.storedKeys`;
 * - node version 1: unchanged, the failed item's json is {error: message};
 * "Continue (regular output)" keeps all three items on its one output, the failed one as
 * {error, code, description}.
 */
import assert from 'node:assert/strict';

import { apiCalls } from '../../shared/n8n/requests';
import type { E2ECase } from '../../shared/n8n/types';

const EMPTY_KEY = 'The key is empty (item 1)';
const EMPTY_FIELD_KEY = 'The key at index 0 of Fields to Set is empty (item 1)';
const EMPTY_KEY_FIX = 'HyperID needs a non-empty key. Check that the field you mapped exists on this item.';
const LONG_KEY = 'x'.repeat(300);

export const errorOutput: E2ECase = {
	name: 'error output: a failed item leaves on the error output with its code and what it did (1.2), as {error} (1); regular output unchanged',
	workflow: 'test/e2e/fixtures/error-output.json',
	requiresNode: true,
	check(r, { emulator }) {
		assert.equal(r.ok, true, `execution failed: ${r.error?.message}`);

		// node version 1.2
		const node = r.nodes['Set (Error Output)']?.[0];
		assert.ok(node, 'the error-output node ran');
		const [success, failed] = node.outputs.main ?? [];
		assert.deepEqual(success, [
			{ keys: ['error-output-1', 'error-output-1b'], success: true, results: [{ key: 'error-output-1', result: 0 }, { key: 'error-output-1b', result: 0 }] },
		]);
		assert.equal(failed?.length, 2, 'two items on the error output');
		// n8n adds the input item's fields beside `error`
		assert.deepEqual(failed[0], {
			key: '',
			second: 'error-output-2b',
			value: 'two',
			error: { message: EMPTY_FIELD_KEY, code: 'invalid_input', description: EMPTY_KEY_FIX },
		});
		const partWay = failed[1].error as Record<string, unknown>;
		assert.equal(failed[1].key, 'error-output-3');
		assert.equal(failed[1].value, 'three');
		assert.equal(typeof partWay.code, 'number', `HyperID's result code: ${JSON.stringify(partWay)}`);
		assert.match(String(partWay.message), /^Key "x+" was not stored \(item 2\): .*Stored: "error-output-3"; not stored: "x+"$/);
		assert.deepEqual(partWay.storedKeys, ['error-output-3']);
		assert.deepEqual(partWay.notStoredKeys, [LONG_KEY]);
		assert.equal(partWay.key, LONG_KEY);
		// (n8n found each failed item's input through its pairedItem: the input fields above)
		assert.deepEqual(node.items.map((item) => item.pairedItem), [{ item: 0 }]);
		// the next node reads them with expressions
		assert.deepEqual(r.json('Read Failure'), [
			{ code: 'invalid_input', message: EMPTY_FIELD_KEY, storedKeys: 'none', notStoredCount: 0, inputValue: 'two' },
			{ code: String(partWay.code), message: partWay.message, storedKeys: 'error-output-3', notStoredCount: 1, inputValue: 'three' },
		]);
		assert.deepEqual(r.json('Stored').map((json) => json.keys), [['error-output-1', 'error-output-1b']]);

		// node version 1: what its workflows always got
		const v1 = r.nodes['Set (Error Output, Version 1)']?.[0];
		assert.ok(v1, 'the version 1 error-output node ran');
		assert.deepEqual(v1.outputs.main?.[1], [{ error: EMPTY_KEY }]);
		assert.deepEqual(r.json('Failed (Version 1)'), [{ error: EMPTY_KEY }]);

		const regular = r.nodes['Set (Regular Output)']?.[0];
		assert.ok(regular, 'the regular-output node ran');
		assert.equal(regular.outputs.main?.length, 1, 'one output');
		const items = regular.outputs.main![0];
		assert.equal(items.length, 3);
		assert.deepEqual(items[1], { error: EMPTY_KEY, code: 'invalid_input', description: EMPTY_KEY_FIX });
		assert.deepEqual(regular.items.map((item) => item.pairedItem), [{ item: 0 }, { item: 1 }, { item: 2 }]);

		// nothing was sent for the empty key: single-key nodes 2 sets each, the 1.2 node 2 keys of items 0 and 2
		const sets = apiCalls(emulator).filter((call) => call.path === '/user-data/by-email/set');
		const count = (key: string) => sets.filter((call) => call.body.value_key === key).length;
		assert.equal(sets.length, 8);
		assert.deepEqual(
			['error-output-1', 'error-output-3', 'error-output-1b', LONG_KEY].map(count),
			[3, 3, 1, 1],
		);
	},
};
