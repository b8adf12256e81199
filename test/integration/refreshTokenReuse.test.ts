/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * Where this project can present a spent refresh token, and what the user sees now that the emulator
 * ends the sign-in on reuse as HyperID's Keycloak does (issue 22; docs/refresh-token-reuse.md).
 * The OAuth2 credential's cases (two processes, a retry after a timeout) are in
 * concurrentExecutions.test.ts and refreshBounds.test.ts.
 */
import type { IDataObject, INodeParameters, INodeType } from 'n8n-workflow';

import { HyperIdSignIn } from '../../nodes/HyperIdSignIn/HyperIdSignIn.node';
import { DEMO } from '../emulator/server';
import { CredentialStore, jsonOf, runNode } from '../harness/harness';
import { sleep, TOKEN_PATH, useEmulator, type Emulator } from './setup';
import { clientCredential, newUsers, runForUsers, userTokens } from './userTokensSetup';

let emulator: Emulator;
useEmulator((started) => (emulator = started));

const setValue = (options: INodeParameters = {}) => userTokens({ resource: 'userDataByEmail', operation: 'set', key: 'plan', value: 'v', options });
const tokenAnswers = () => emulator.requests().filter((entry) => entry.path === TOKEN_PATH).map((entry) => entry.status);
const read = async (accessToken: string) =>
	(
		(await (
			await fetch(`${emulator.url}/user-data/by-email/get`, {
				method: 'POST',
				headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${accessToken}` },
				body: JSON.stringify({ value_keys: ['plan'] }),
			})
		).json()) as IDataObject
	).result;

async function until(condition: () => boolean, what: string): Promise<void> {
	for (let waited = 0; !condition(); waited += 10) {
		if (waited > 20_000) throw new Error(`gave up waiting for ${what}`);
		await sleep(10);
	}
}

/** The User Data node as another n8n process has it (a queue worker, or n8n after a restart): its own memory. */
function userDataOfAnotherProcess(): INodeType {
	let other: INodeType | undefined;
	jest.isolateModules(() => {
		const module = require('../../nodes/HyperIdUserData/HyperIdUserData.node') as { HyperIdUserData: new () => INodeType };
		other = new module.HyperIdUserData();
	});
	return other as INodeType;
}

describe("Each User's Tokens", () => {
	test('a stale row in a later run of another process: SIGN_IN_ENDED, and the pair the first run returned is dead too', async () => {
		const [user] = newUsers(emulator, 1);
		const client = clientCredential(emulator);
		emulator.expireAccessTokens({ userId: user.userId });
		const first = await runForUsers(emulator, client, setValue(), [user], { continueOnFail: true });
		const renewed = first.json[0].hyperidTokens as IDataObject;
		expect(renewed).toMatchObject({ userId: user.userId, refreshToken: expect.any(String) });
		// the workflow did not store the new pair; another process runs with the old row
		emulator.clearRequests();
		const later = await runNode({ nodeType: userDataOfAnotherProcess(), parameters: setValue(), inputItems: [user], credentials: client, continueOnFail: true });
		expect(jsonOf(later)[0]).toMatchObject({ errorCode: 'SIGN_IN_ENDED', error: "This user's HyperID sign-in has ended; they must sign in again (item 0)" });
		expect(tokenAnswers()).toEqual([400]);
		expect(emulator.stats().refreshReuses).toBe(1);
		expect(await read(String(renewed.accessToken))).toBe(-1);
	});

	test('two processes given the same user\'s row at the same moment: one refresh wins, the other is a reuse; the user is signed out in both', async () => {
		const [user] = newUsers(emulator, 1);
		const client = clientCredential(emulator);
		emulator.expireAccessTokens({ userId: user.userId });
		emulator.setFaults([{ path: TOKEN_PATH, delayMs: 300, times: -1 }]);
		emulator.clearRequests();
		const [a, b] = await Promise.all(
			[userDataOfAnotherProcess(), userDataOfAnotherProcess()].map((nodeType) =>
				runNode({ nodeType, parameters: setValue(), inputItems: [user], credentials: client, continueOnFail: true }),
			),
		);
		expect(tokenAnswers().sort()).toEqual([200, 400]);
		expect(emulator.stats().refreshReuses).toBe(1);
		const items = [...jsonOf(a), ...jsonOf(b)];
		// the winner's resend with its new pair is refused too: no item succeeds
		expect(items.filter((item) => item.success === true)).toHaveLength(0);
		// what the user sees: the winner "refused this user's access token even after renewing it", the loser "sign-in has ended"
		expect(items.map((item) => item.errorCode).sort()).toEqual(['SIGN_IN_ENDED', 'TOKEN_REJECTED_AFTER_REFRESH']);
	});

	test('a refresh that timed out after it reached HyperID is not sent again; the next run with the same row gets the pair its late answer brought', async () => {
		const [user] = newUsers(emulator, 1);
		const client = clientCredential(emulator);
		emulator.expireAccessTokens({ userId: user.userId });
		emulator.setFaults([{ path: TOKEN_PATH, answerDelayMs: 1000, times: 1 }]);
		const first = await runForUsers(emulator, client, setValue({ timeout: 200, retries: 2 }), [user], { continueOnFail: true });
		expect(first.json[0]).toMatchObject({ errorCode: 'REFRESH_UNAVAILABLE', description: expect.stringMatching(/The refresh token is not sent again/) });
		expect(emulator.stats().requestsByPath[TOKEN_PATH]).toBe(1);
		await until(() => tokenAnswers().length === 1, 'the late token answer');
		const next = await runForUsers(emulator, client, setValue(), [user], { continueOnFail: true });
		// the spent token is not presented again (HyperID would end the sign-in): the kept answer is handed to the same client and user
		expect(emulator.stats().refreshReuses).toBe(0);
		expect(emulator.stats().requestsByPath[TOKEN_PATH]).toBe(1);
		expect(next.json[0]).toMatchObject({ success: true, hyperidTokens: { refreshToken: expect.any(String) } });
	});
});

describe('HyperID Sign-In: Token > Refresh', () => {
	const node = new HyperIdSignIn();
	const credentials = () =>
		new CredentialStore(
			{ environment: 'custom', loginUrl: emulator.url, clientId: DEMO.clientId, clientAuthentication: 'clientSecretPost', clientSecret: DEMO.clientSecret },
			{ type: 'hyperIdClientApi' },
		);
	const refresh = async (rows: IDataObject[], options: IDataObject = {}) => {
		emulator.clearRequests();
		const result = await runNode({
			nodeType: node,
			nodeTypeName: 'n8n-nodes-hyperid.hyperIdSignIn',
			parameters: { resource: 'token', operation: 'refresh', refreshToken: '={{ $json.refreshToken }}', options: options as INodeParameters },
			inputItems: rows,
			credentials: credentials(),
			nodeOverrides: { onError: 'continueRegularOutput' },
		});
		return result.outputs ? jsonOf(result) : [];
	};

	test('a duplicated row: one refresh, both items get the same new pair, and it works', async () => {
		const grant = emulator.createToken();
		const out = await refresh([{ refreshToken: grant.refresh_token }, { refreshToken: grant.refresh_token }]);
		expect(tokenAnswers()).toEqual([200]);
		expect(out[0].refreshToken).toEqual(expect.any(String));
		expect(out[1]).toEqual(out[0]);
		expect(emulator.stats().refreshReuses).toBe(0);
		expect(await read(String(out[0].accessToken))).toBe(1);
	});

	test('a refresh that timed out: the token is not sent again, and refreshing with it again gets the pair its late answer brought', async () => {
		const grant = emulator.createToken();
		emulator.setFaults([{ path: TOKEN_PATH, answerDelayMs: 1000, times: 1 }]);
		const [first] = await refresh([{ refreshToken: grant.refresh_token }], { timeout: 200 });
		expect(first).toMatchObject({ code: 'timeout', errorCode: 'REFRESH_UNAVAILABLE', description: expect.stringMatching(/the answer is still awaited/) });
		await until(() => tokenAnswers().length === 1, 'the late token answer');
		const [again] = await refresh([{ refreshToken: grant.refresh_token }]);
		expect(emulator.stats().refreshReuses).toBe(0);
		expect(again.refreshToken).toEqual(expect.any(String));
		expect(again.refreshToken).not.toBe(grant.refresh_token);
		expect(await read(String(again.accessToken))).toBe(1);
	});
});
