/**
 * Each User's Tokens as an AI tool (issue 24, point 6): no token goes to a model. The node type
 * n8n generates for a usableAsTool node (`hyperIdUserDataTool`) acts with the access token alone; a
 * mapped Refresh Token fails its item before anything is sent (REFRESH_AS_AI_TOOL), so no renewed
 * pair can land in the tool's answer. The e2e case "AI tool with Each User's Tokens" runs the same
 * through n8n's Tool Executor.
 */
import { useEmulator } from './setup';
import type { Emulator } from './setup';
import { clientCredential, newUsers, runForUsers, userTokens } from './userTokensSetup';

let emulator: Emulator;
useEmulator((started) => (emulator = started));

const TOOL = 'n8n-nodes-hyperid.hyperIdUserDataTool';
const getPlan = (withRefresh: boolean) => userTokens({ resource: 'userDataByEmail', operation: 'get', keys: ['plan'] }, withRefresh);

test('as a tool, a mapped refresh token fails the item before sending, even with an expired access token; no token in the answer', async () => {
	const [user] = newUsers(emulator, 1);
	emulator.expireAccessTokens({ userId: user.userId });
	const r = await runForUsers(emulator, clientCredential(emulator), getPlan(true), [user], { nodeTypeName: TOOL, continueOnFail: true });
	expect(r.json).toHaveLength(1);
	expect(r.json[0]).toMatchObject({ errorCode: 'REFRESH_AS_AI_TOOL', error: 'Refresh Token cannot be used when the node is an AI tool (item 0)' });
	expect(r.requests).toEqual([]);
	const answer = JSON.stringify(r.json);
	expect(answer).not.toContain(user.refreshToken);
	expect(answer).not.toContain(user.accessToken);
	expect(answer).not.toMatch(/eyJ/);
});

test('as a tool, the access token alone works and the answer carries no token; as a regular step the same refresh renews', async () => {
	const [user] = newUsers(emulator, 1);
	const client = clientCredential(emulator);
	const tool = await runForUsers(emulator, client, getPlan(false), [user], { nodeTypeName: TOOL });
	expect(tool.error).toBeUndefined();
	expect(JSON.stringify(tool.json)).not.toMatch(/eyJ/);
	expect(tool.requests.map((entry) => entry.path)).toEqual(['/user-data/by-email/get']);

	emulator.expireAccessTokens({ userId: user.userId });
	const step = await runForUsers(emulator, client, getPlan(true), [user]);
	expect(step.error).toBeUndefined();
	expect(step.json[0].hyperidTokens).toMatchObject({ refreshToken: expect.any(String) });
});
