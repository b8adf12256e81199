/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * Sign-in as n8n steps, in a running n8n (issue 17, 8b): the test plays a user's browser; n8n's
 * start webhook sends it to HyperID (the emulator) with state and a PKCE challenge; HyperID sends it
 * back to n8n's callback webhook with code and state; the HyperID Sign-In node exchanges the code
 * with the verifier n8n kept in Postgres (n8n's own Postgres node), and the user's tokens land in a
 * Postgres table. Shown: the stored refresh token is the live one and the access token acts for
 * that user; the sign-in row was used once; no token text in n8n's output.
 *
 * The sign-in is bound to the browser that started it (issue 24, point 5): the start webhook sets a
 * cookie (Respond to Webhook's Set-Cookie) and the callback takes the sign-in row by the cookie, so
 * Exchange Code compares the cookie's state with the redirect's. A login CSRF (an attacker's code
 * and state opened in a browser without the cookie, or with its own sign-in's cookie) and an
 * expired row are refused (400) before the code is spent; the attacker's code still works in the
 * attacker's own browser. The Redirect URI is the one the workflow names, never the Host header.
 */
import assert from 'node:assert/strict';

import { callWithToken, tryRefresh } from '../../shared/n8n/requests';
import { startDeployment, type Deployment } from '../../shared/n8n/queue';
import { atHyperId, bindByType, browseSignIn, clientCredential, openCallback, ownerSession, SERVICE_CLIENT, startSignIn, testCredential, withPublicUrl, type BrowsedSignIn } from '../../shared/n8n/signIn';
import { freePort } from '../../shared/services/ports';
import { generateKeyPairSync } from 'node:crypto';
import type { CaseContext, E2ECase } from '../../shared/n8n/types';
import { loadWorkflowFile, summarizeRun } from '../../shared/n8n/workflow';
import { startPostgres, type Postgres } from '../../shared/services/postgres';

const WORKFLOW = 'test/e2e/fixtures/sign-in-postgres.json';
const USERS = [
	{ userId: 'signin-alice', email: 'alice@example.com' },
	{ userId: 'signin-bob', email: 'bob@example.com' },
];
/** Signs in with her own account, then tries to make another browser finish her sign-in (login CSRF). */
const ATTACKER = { userId: 'signin-mallory', email: 'mallory@example.com' };
const EXPIRED = { userId: 'signin-eve', email: 'eve@example.com' };
const TOKEN_PATH = '/auth/realms/HyperID/protocol/openid-connect/token';

const TABLES = `
CREATE TABLE hyperid_sign_ins (state text PRIMARY KEY, code_verifier text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE hyperid_users (user_id text PRIMARY KEY, email text, access_token text NOT NULL, refresh_token text NOT NULL, expires_at timestamptz, refresh_expires_at timestamptz);
`;

interface Observed {
	browsed: BrowsedSignIn[];
	users: string[][];
	pendingSignIns: string[][];
	/** login CSRF and expiry: n8n's answers, and the token requests HyperID saw meanwhile */
	csrf: {
		withoutCookie: { status: number; body: string };
		withOtherBrowsersCookie: { status: number; body: string };
		expired: { status: number; body: string };
		tokenRequestsWhileRefused: number;
		attackerOwnBrowser: { status: number; body: string };
		afterwards: BrowsedSignIn;
	};
	/** n8n's credential test of the HyperID Client credential: method -> [right secret or key, wrong one] */
	credentialTests: Record<string, Array<{ status: string; message?: string }>>;
	output: string;
}

let observed: Observed | undefined;

async function run(ctx: CaseContext): Promise<Observed> {
	const { emulator, runtime, log } = ctx;
	let postgres: Postgres | undefined;
	let deployment: Deployment | undefined;
	try {
		postgres = await startPostgres({ log });
		await postgres.query(TABLES);
		const client = clientCredential(emulator);
		const database = {
			id: 'tokenDatabase',
			name: 'Token database',
			type: 'postgres',
			data: { host: postgres.host, port: postgres.port, database: postgres.database, user: postgres.user, password: '', ssl: 'disable' },
		};
		// the workflow names its public URL (Redirect URI): this n8n's, known before it starts
		const port = await freePort();
		const workflow = withPublicUrl(
			bindByType(loadWorkflowFile(WORKFLOW), 'e2eSignInWebhook', {
				hyperIdClientApi: client,
				postgres: database,
			}),
			`http://127.0.0.1:${port}`,
		);
		for (const user of [...USERS, ATTACKER, EXPIRED]) emulator.addUser(user);
		deployment = await startDeployment({ runtime, mode: 'regular', credentials: [client, database], workflows: [workflow], log, port });
		const base = deployment.baseUrl;
		const browsed: BrowsedSignIn[] = [];
		// each user signs in; alice twice (a returning user: her row is updated, not doubled)
		for (const user of [...USERS, USERS[0]]) browsed.push(await browseSignIn(base, user.email));

		// login CSRF: mallory's code and state, opened by a browser that did not start her sign-in
		emulator.clearRequests();
		const attacker = await startSignIn(base, ATTACKER.email);
		const attackerCallback = await atHyperId(attacker.authorizationUrl);
		const withoutCookie = await openCallback(attackerCallback, undefined);
		const victim = await startSignIn(base, USERS[0].email);
		const withOtherBrowsersCookie = await openCallback(attackerCallback, victim.cookie);
		// a sign-in older than 10 minutes
		const late = await startSignIn(base, EXPIRED.email);
		await postgres.query(`UPDATE hyperid_sign_ins SET created_at = now() - interval '11 minutes' WHERE state = '${late.authorizationUrl.searchParams.get('state')}'`);
		const expired = await openCallback(await atHyperId(late.authorizationUrl), late.cookie);
		const tokenRequestsWhileRefused = emulator.requests().filter((r) => r.path === TOKEN_PATH).length;
		// the refused tries did not spend her code: her own browser (with its cookie) finishes her sign-in
		const attackerOwnBrowser = await openCallback(attackerCallback, attacker.cookie);
		// the next start removes expired rows
		const afterwards = await browseSignIn(base, USERS[1].email);
		const csrf = { withoutCookie, withOtherBrowsersCookie, expired, tokenRequestsWhileRefused, attackerOwnBrowser, afterwards };
		// n8n's own credential test ("Test" in the credential form), each client authentication, right and wrong
		const cookie = await ownerSession(deployment.baseUrl);
		const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
		const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
		emulator.addClient({ clientId: 'my-service-rsa', publicKeyPem: keys.publicKey.export({ type: 'spki', format: 'pem' }).toString() });
		const credentialTests: Observed['credentialTests'] = {};
		for (const method of ['clientSecretPost', 'clientSecretBasic', 'clientAssertionHs256']) {
			credentialTests[method] = [];
			for (const clientSecret of [SERVICE_CLIENT.clientSecret, 'not-the-secret']) {
				credentialTests[method].push(await testCredential(deployment.baseUrl, cookie, client, { ...client.data, clientAuthentication: method, clientSecret }));
			}
		}
		credentialTests.clientAssertionRs256 = [];
		for (const privateKey of [keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), otherKey]) {
			credentialTests.clientAssertionRs256.push(
				await testCredential(deployment.baseUrl, cookie, client, { ...client.data, clientId: 'my-service-rsa', clientAuthentication: 'clientAssertionRs256', privateKey }),
			);
		}
		return {
			credentialTests,
			browsed,
			csrf,
			users: await postgres.query('SELECT user_id, email, access_token, refresh_token, expires_at > now(), refresh_expires_at > now() FROM hyperid_users ORDER BY user_id'),
			pendingSignIns: await postgres.query('SELECT state FROM hyperid_sign_ins'),
			output: deployment.output(400),
		};
	} finally {
		await deployment?.stop();
		await postgres?.stop();
	}
}

export const signInWebhook: E2ECase = {
	name: '07 sign-in webhook: browser -> HyperID -> n8n callback -> Exchange Code -> tokens in Postgres',
	workflow: WORKFLOW,
	requiresNode: true,
	async execute(ctx) {
		const started = Date.now();
		observed = await run(ctx);
		return summarizeRun(null, true, { ms: Date.now() - started, stdout: observed.output, stderr: '' });
	},
	async check(_result, { emulator }) {
		assert.ok(observed, 'the sign-in flow ran');
		const { browsed, users, pendingSignIns, output, csrf } = observed;
		for (const [i, b] of browsed.entries()) {
			// the Redirect URI the workflow names (this n8n's public URL), and the cookie that binds the browser
			assert.equal(b.authorizationUrl.searchParams.get('redirect_uri'), `${new URL(b.callbackUrl).origin}/webhook/hyperid-sign-in/callback`);
			assert.equal(b.cookie, `hyperid_sign_in=${b.authorizationUrl.searchParams.get('state')}`);
			assert.match(String(b.setCookie), /; Path=\/webhook\/hyperid-sign-in; Max-Age=600; HttpOnly; SameSite=Lax$/);
			const q = b.authorizationUrl.searchParams;
			assert.equal(`${b.authorizationUrl.origin}${b.authorizationUrl.pathname}`, `${emulator.url}/auth/realms/HyperID/protocol/openid-connect/auth`);
			assert.equal(q.get('client_id'), SERVICE_CLIENT.clientId);
			assert.equal(q.get('code_challenge_method'), 'S256');
			assert.match(String(q.get('state')), /^[A-Za-z0-9_-]{20,}$/);
			assert.equal(b.callbackUrl.pathname, '/webhook/hyperid-sign-in/callback');
			assert.equal(b.callbackUrl.searchParams.get('state'), q.get('state'), 'HyperID echoed the state');
			assert.ok(b.callbackUrl.searchParams.get('code'), 'the redirect carries a code');
			const expected = [USERS[0], USERS[1], USERS[0]][i];
			assert.deepEqual([b.status, b.body], [200, `Signed in as ${expected.email}`], `sign-in ${i + 1}`);
		}
		assert.deepEqual(pendingSignIns, [], 'each sign-in row was used once and removed, the expired one by the next start');
		const refused = 'Sign-in refused: it was not started in this browser, it expired, or HyperID refused it. Start again.';
		assert.deepEqual(csrf.withoutCookie, { status: 400, body: refused }, "another's code and state without the cookie");
		assert.deepEqual(csrf.withOtherBrowsersCookie, { status: 400, body: refused }, "another's code and state with this browser's own sign-in cookie");
		assert.deepEqual(csrf.expired, { status: 400, body: refused }, 'a sign-in row older than 10 minutes');
		assert.equal(csrf.tokenRequestsWhileRefused, 0, 'no code was exchanged for a refused callback');
		assert.deepEqual(csrf.attackerOwnBrowser, { status: 200, body: `Signed in as ${ATTACKER.email}` }, 'the code was not spent: its own browser finishes');
		assert.deepEqual([csrf.afterwards.status, csrf.afterwards.body], [200, `Signed in as ${USERS[1].email}`]);
		// the workflow's first value, set with each user's own tokens (HyperID User Data, Each User's Tokens)
		for (const user of USERS) {
			const first = emulator.store().data[user.userId]?.['user-id']?.signed_in_at as { value_data?: string } | undefined;
			assert.match(String(first?.value_data), /^\d{4}-\d\d-\d\dT/, `${user.userId}'s first value was set for them`);
		}
		assert.deepEqual(
			users.map((row) => [row[0], row[1], row[4], row[5]]),
			[...USERS, ATTACKER].map((u) => [u.userId, u.email, 't', 't']),
			'one row per user who finished a sign-in in their own browser (not eve, whose row expired), expiry times in the future',
		);
		for (const [userId, , accessToken, refreshToken] of users) {
			// 0: success, the user's keys listed (the first value); a refused token would be -1 or -2
			assert.equal(await callWithToken(emulator, accessToken, '/user-data/by-user-id/list-get', {}), 0, `${userId}'s stored access token works`);
			assert.equal(await tryRefresh(emulator, SERVICE_CLIENT.clientId, SERVICE_CLIENT.clientSecret, refreshToken), 200, `${userId}'s stored refresh token is live`);
			assert.ok(!output.includes(refreshToken) && !output.includes(accessToken), `no token of ${userId} in n8n's output`);
		}
		assert.ok(!output.includes(SERVICE_CLIENT.clientSecret), "the client secret is not in n8n's output");
		for (const [method, [right, wrong]] of Object.entries(observed.credentialTests)) {
			assert.equal(right.status, 'OK', `n8n's credential test passes with the right secret or key (${method}): ${right.message}`);
			assert.equal(wrong.status, 'Error', `n8n's credential test fails with a wrong secret or key (${method})`);
			assert.ok(!String(wrong.message).includes('not-the-secret'), 'the wrong secret is not in the test message');
		}
	},
	after() {
		observed = undefined;
	},
};
