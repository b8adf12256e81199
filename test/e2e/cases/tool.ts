/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * examples/05: the `hyperIdUserDataTool` variant n8n generates for usableAsTool nodes, called
 * headlessly through n8n's Tool Executor (@n8n/n8n-nodes-langchain.toolExecutor) with the
 * arguments an AI agent would fill in ($fromAI).
 */
import assert from 'node:assert/strict';

import { apiCalls } from '../../shared/n8n/requests';
import type { E2ECase } from '../../shared/n8n/types';

export const toolVariant: E2ECase = {
	name: '05 node as an AI tool (hyperIdUserDataTool via Tool Executor)',
	workflow: 'examples/05-node-as-tool.json',
	requiresNode: true,
	check(r, { emulator }) {
		assert.equal(r.ok, true, `execution failed: ${r.error?.message}`);
		assert.deepEqual(r.json('Store a Note by Email'), [{ key: 'tool-note', success: true, result: 0 }]);
		// the tool node's own run: what it handed to the caller
		const tool = r.nodes['HyperID User Data Tool']?.[0];
		assert.ok(tool, 'the tool node ran');
		const toolOut = tool.outputs.ai_tool?.[0]?.[0] as { response?: unknown } | undefined;
		const response = typeof toolOut?.response === 'string' ? JSON.parse(toolOut.response) : toolOut?.response;
		assert.deepEqual(response, [{ key: 'tool-note', value: 'remember the milk' }]);
		// what the caller (Tool Executor, in place of an agent) got back: the same, as text
		const got = r.json('Run Tool');
		assert.equal(got.length, 1);
		const text = typeof got[0] === 'string' ? got[0] : JSON.stringify(got[0]);
		assert.deepEqual(JSON.parse(text), [{ key: 'tool-note', value: 'remember the milk' }]);

		assert.deepEqual(
			apiCalls(emulator).map((c) => [c.path, c.body, c.result]),
			[
				['/user-data/by-email/set', { value_key: 'tool-note', value_data: 'remember the milk', access_scope: 0 }, 0],
				['/user-data/by-email/get', { value_keys: ['tool-note'] }, 0],
			],
		);
	},
};
