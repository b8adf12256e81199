/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * On Error "Continue (using error output)": the item with an empty key leaves on the error output
 * with its message, the two others on the success output; "Continue (regular output)" keeps all
 * three on its one output, the failed one as {error, code, description}. Any n8n version.
 */
import assert from 'node:assert/strict';

import { apiCalls } from '../../shared/n8n/requests';
import type { E2ECase } from '../../shared/n8n/types';

const EMPTY_KEY = 'The key is empty (item 1)';

export const errorOutput: E2ECase = {
	name: 'error output: a failed item leaves on the error output; regular output unchanged',
	workflow: 'test/e2e/fixtures/error-output.json',
	requiresNode: true,
	check(r, { emulator }) {
		assert.equal(r.ok, true, `execution failed: ${r.error?.message}`);
		const node = r.nodes['Set (Error Output)']?.[0];
		assert.ok(node, 'the error-output node ran');
		const [success, failed] = node.outputs.main ?? [];
		assert.deepEqual(success, [
			{ key: 'error-output-1', success: true, result: 0 },
			{ key: 'error-output-3', success: true, result: 0 },
		]);
		assert.deepEqual(failed, [{ error: EMPTY_KEY }]);
		assert.deepEqual(r.json('Stored').map((json) => json.key), ['error-output-1', 'error-output-3']);
		assert.deepEqual(r.json('Failed'), [{ error: EMPTY_KEY }]);

		const regular = r.nodes['Set (Regular Output)']?.[0];
		assert.ok(regular, 'the regular-output node ran');
		assert.equal(regular.outputs.main?.length, 1, 'one output');
		const items = regular.outputs.main![0];
		assert.equal(items.length, 3);
		assert.deepEqual(items[1], {
			error: EMPTY_KEY,
			code: 'invalid_input',
			description: 'HyperID needs a non-empty key. Check that the field you mapped exists on this item.',
		});
		assert.deepEqual(regular.items.map((item) => item.pairedItem), [{ item: 0 }, { item: 1 }, { item: 2 }]);

		// nothing was sent for the empty key: two sets per node
		const sets = apiCalls(emulator).filter((call) => call.path === '/user-data/by-email/set');
		assert.deepEqual(
			sets.map((call) => call.body.value_key),
			['error-output-1', 'error-output-3', 'error-output-1', 'error-output-3'],
		);
	},
};
