/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * Each User's Tokens as an AI tool, through n8n's Tool Executor (issue 24, point 6): no token goes
 * to a model. One tool with the user's access token alone answers with the value and no token; one
 * with a refresh token mapped (and the access token expired) fails before sending anything
 * (REFRESH_AS_AI_TOOL): no token request, no renewed pair in the tool's answer.
 */
import assert from 'node:assert/strict';

import { clientCredential, SERVICE_CLIENT } from '../../shared/n8n/signIn';
import type { CaseContext, E2ECase } from '../../shared/n8n/types';
import { executeWorkflow, forN8nVersion, loadWorkflowFile } from '../../shared/n8n/workflow';

const WORKFLOW = 'test/e2e/fixtures/tool-user-tokens.json';
const TOKEN_PATH = '/auth/realms/HyperID/protocol/openid-connect/token';

let tokens: { a: { access_token: string; refresh_token: string }; b: { access_token: string; refresh_token: string } } | undefined;

/** What a Tool Executor handed back (as text), parsed where it is JSON. */
function answerOf(r: Parameters<E2ECase['check']>[0], node: string): string {
	const got = r.json(node);
	assert.equal(got.length, 1, `${node} answered once`);
	return typeof got[0] === 'string' ? got[0] : JSON.stringify(got[0]);
}

export const toolUserTokens: E2ECase = {
	name: "24 AI tool with Each User's Tokens (no token to the model)",
	workflow: WORKFLOW,
	requiresNode: true,
	async execute(ctx: CaseContext) {
		const client = clientCredential(ctx.emulator);
		ctx.emulator.addUser({ userId: 'tool-user-a', email: 'tool-a@example.com' });
		ctx.emulator.addUser({ userId: 'tool-user-b', email: 'tool-b@example.com' });
		const a = ctx.emulator.createToken({ userId: 'tool-user-a', clientId: SERVICE_CLIENT.clientId });
		const b = ctx.emulator.createToken({ userId: 'tool-user-b', clientId: SERVICE_CLIENT.clientId, expiresIn: 0 });
		tokens = { a, b };
		const text = JSON.stringify({ ...forN8nVersion(loadWorkflowFile(WORKFLOW), ctx.runtime.version), id: 'e2eToolUserTokens' })
			.replace('__ACCESS_A__', a.access_token)
			.replace('__ACCESS_B__', b.access_token)
			.replace('__REFRESH_B__', b.refresh_token);
		await ctx.sandbox.importCredentials([client]);
		await ctx.sandbox.importWorkflows([JSON.parse(text)]);
		ctx.emulator.clearRequests();
		return await executeWorkflow(ctx.sandbox, 'e2eToolUserTokens');
	},
	check(r, { emulator }) {
		assert.ok(tokens, 'the case ran');
		assert.equal(r.ok, true, `execution failed: ${r.error?.message}`);
		const all = [tokens.a.access_token, tokens.a.refresh_token, tokens.b.access_token, tokens.b.refresh_token];
		const accessOnly = answerOf(r, 'Run Tool Access Only');
		const withRefresh = answerOf(r, 'Run Tool With Refresh Token');
		assert.match(withRefresh, /REFRESH_AS_AI_TOOL/, `the tool with a refresh token was refused: ${withRefresh.slice(0, 300)}`);
		assert.match(withRefresh, /Refresh Token cannot be used when the node is an AI tool/);
		// what the model would read: no token, and no JWT at all
		for (const answer of [accessOnly, withRefresh]) {
			for (const token of all) assert.ok(!answer.includes(token), 'no token in a tool answer');
			assert.ok(!/eyJ[A-Za-z0-9_-]{10,}/.test(answer), 'no JWT in a tool answer');
		}
		for (const node of ['Access Token Only', 'With Refresh Token']) {
			const out = JSON.stringify(r.nodes[node] ?? []);
			for (const token of all) assert.ok(!out.includes(token), `no token in ${node}'s run data`);
		}
		// user A's read went out with A's token; for user B nothing at all (no refresh, no API call)
		const paths = emulator.requests().map((entry) => entry.path);
		assert.deepEqual(paths, ['/user-data/by-email/get'], `requests: ${paths.join(', ')}`);
		assert.ok(!paths.includes(TOKEN_PATH));
	},
	after() {
		tokens = undefined;
	},
};
