/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * `npm run test:tokens`: a service's token table in real Postgres, acted on by real n8n (each
 * version of versions.json in the "tokens" suite, n8n 1.123 included) with n8n's own Postgres node
 * and this node in "Each User's Tokens" mode. 100 users; 3 runs of one workflow (read tokens ->
 * set a value per user -> write renewed tokens back); every access token expired before runs 2
 * and 3, 10 users' consent withdrawn before run 3. Checked: every other user's value stored in
 * every run, exactly the 10 fail with SIGN_IN_ENDED, every stored refresh token of the 90 still
 * refreshes at the end, no token text in n8n's log.
 *
 *   N8N_E2E_VERSIONS=2.8.4   one version     N8N_TOKENS_USERS=20   fewer users (default 100)
 */
import assert from 'node:assert/strict';

import { DEMO, REVOKE_PATH, TOKEN_PATH } from '../emulator/server';
import { startHyperIdEmulator, type Emulator } from '../shared/n8n/hyperid';
import { ensureN8n, loadVersions, type N8nRuntime } from '../shared/n8n/install';
import { N8nSandbox, assertBuilt, PACKAGE_NAME } from '../shared/n8n/n8n';
import { executeWorkflow, type WorkflowRunResult } from '../shared/n8n/workflow';
import { startPostgres, type Postgres } from '../shared/services/postgres';
import { stopAllOnSignals } from '../shared/services/processes';

const USERS = Number(process.env.N8N_TOKENS_USERS ?? 100);
const REVOKED = Math.max(1, Math.round(USERS / 10));
const HYPERID = 'Set Plan for Each User';
/** Side by side: what a user builds without this node (a Bearer expression), on the same rows. */
const HTTP = 'HTTP Request with Bearer Expression';
const SAVE = 'Save Renewed Tokens';

const POSTGRES_CRED = { id: 'tokTablePg000001', name: 'Token table' };
const CLIENT_CRED = { id: 'tokTableClient01', name: 'HyperID Client' };

/** Read all users -> set plan for each with their tokens -> write renewed pairs back (only where present). */
function workflow(id: string, apiUrl: string) {
	const pg = { postgres: POSTGRES_CRED };
	return {
		id,
		name: 'Token table: set a value for every user',
		active: false,
		settings: { executionOrder: 'v1' },
		connections: {
			Start: { main: [[{ node: 'Read Users', type: 'main', index: 0 }]] },
			'Read Users': { main: [[{ node: HYPERID, type: 'main', index: 0 }, { node: HTTP, type: 'main', index: 0 }]] },
			[HYPERID]: { main: [[{ node: 'Renewed?', type: 'main', index: 0 }]] },
			'Renewed?': { main: [[{ node: SAVE, type: 'main', index: 0 }], []] },
		},
		nodes: [
			{ id: 'n1', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
			{
				id: 'n2',
				name: 'Read Users',
				type: 'n8n-nodes-base.postgres',
				typeVersion: 2.5,
				position: [200, 0],
				credentials: pg,
				parameters: {
					operation: 'executeQuery',
					query: 'SELECT user_id AS "userId", access_token AS "accessToken", refresh_token AS "refreshToken", (SELECT label FROM run_label) AS "run" FROM hyperid_tokens ORDER BY user_id',
					options: {},
				},
			},
			{
				id: 'n3',
				name: HYPERID,
				type: `${PACKAGE_NAME}.hyperIdUserData`,
				typeVersion: 1.1,
				position: [400, 0],
				credentials: { hyperIdClientApi: CLIENT_CRED },
				onError: 'continueRegularOutput',
				parameters: {
					authentication: 'userTokens',
					accessToken: '={{ $json.accessToken }}',
					refreshToken: '={{ $json.refreshToken }}',
					resource: 'userDataByUserId',
					operation: 'set',
					key: 'plan',
					value: '={{ $json.run }}',
					options: {},
				},
			},
			{
				id: 'n6',
				name: HTTP,
				type: 'n8n-nodes-base.httpRequest',
				typeVersion: 4.2,
				position: [400, 200],
				onError: 'continueRegularOutput',
				parameters: {
					method: 'POST',
					url: `${apiUrl}/user-data/by-user-id/set`,
					sendHeaders: true,
					headerParameters: { parameters: [{ name: 'Authorization', value: '=Bearer {{ $json.accessToken }}' }] },
					sendBody: true,
					contentType: 'json',
					specifyBody: 'json',
					jsonBody: '={{ JSON.stringify({ value_key: "plan-http", value_data: $json.run }) }}',
					options: {},
				},
			},
			{
				id: 'n4',
				name: 'Renewed?',
				type: 'n8n-nodes-base.filter',
				typeVersion: 2,
				position: [600, 0],
				parameters: {
					conditions: {
						options: { caseSensitive: true, leftValue: '', typeValidation: 'loose' },
						conditions: [{ id: 'c1', leftValue: '={{ $json.hyperidTokens }}', rightValue: '', operator: { type: 'object', operation: 'exists', singleValue: true } }],
						combinator: 'and',
					},
					options: {},
				},
			},
			{
				id: 'n5',
				name: SAVE,
				type: 'n8n-nodes-base.postgres',
				typeVersion: 2.5,
				position: [800, 0],
				credentials: pg,
				parameters: {
					operation: 'executeQuery',
					query: 'UPDATE hyperid_tokens SET access_token = $1, refresh_token = $2, expires_at = $3 WHERE user_id = $4',
					options: {
						queryReplacement:
							'={{ $json.hyperidTokens.accessToken }},{{ $json.hyperidTokens.refreshToken }},{{ $json.hyperidTokens.expiresAt }},{{ $json.hyperidTokens.userId }}',
					},
				},
			},
		],
	};
}

async function form(emulator: Emulator, path: string, fields: Record<string, string>): Promise<Record<string, unknown>> {
	const response = await fetch(`${emulator.url}${path}`, {
		method: 'POST',
		headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
		body: new URLSearchParams({ ...fields, client_id: DEMO.clientId, client_secret: DEMO.clientSecret }),
	});
	const text = await response.text();
	return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

const quote = (text: string) => `'${text.replace(/'/g, "''")}'`;

async function runVersion(runtime: N8nRuntime): Promise<string[]> {
	const tag = `[n8n ${runtime.version}]`;
	const log = (line: string) => console.log(`${tag} ${line}`);
	const figures: string[] = [];
	const started = Date.now();
	let emulator: Emulator | undefined;
	let pg: Postgres | undefined;
	const sandbox = new N8nSandbox(runtime, {});
	try {
		[emulator, pg] = await Promise.all([startHyperIdEmulator(), startPostgres()]);
		const userIds = Array.from({ length: USERS }, (_, i) => `tt-user-${String(i + 1).padStart(3, '0')}`);
		const rows: string[] = [];
		for (const userId of userIds) {
			emulator.addUser({ userId, email: `${userId}@example.com` });
			const grant = emulator.createToken({ userId, clientId: DEMO.clientId });
			rows.push(`(${quote(userId)}, ${quote(grant.access_token)}, ${quote(grant.refresh_token)})`);
		}
		await pg.query(
			`CREATE TABLE hyperid_tokens (user_id text PRIMARY KEY, access_token text NOT NULL, refresh_token text NOT NULL, expires_at text);
			 CREATE TABLE run_label (label text); INSERT INTO run_label VALUES ('run-1');`,
		);
		// a few rows per psql call: one command-line argument holds at most 128 KiB
		for (let start = 0; start < rows.length; start += 20) {
			await pg.query(`INSERT INTO hyperid_tokens (user_id, access_token, refresh_token) VALUES ${rows.slice(start, start + 20).join(',')}`);
		}
		await sandbox.importCredentials([
			{
				...POSTGRES_CRED,
				type: 'postgres',
				data: { host: pg.host, port: pg.port, database: pg.database, user: pg.user, password: '', ssl: 'disable', allowUnauthorizedCerts: false, sshTunnel: false },
			},
			{
				...CLIENT_CRED,
				type: 'hyperIdClientApi',
				data: { environment: 'custom', loginUrl: emulator.url, apiUrl: emulator.url, clientId: DEMO.clientId, clientAuthentication: 'clientSecretPost', clientSecret: DEMO.clientSecret },
			},
		]);
		const id = 'tokTableWorkflow1';
		await sandbox.importWorkflows([workflow(id, emulator.url)]);

		const tokensNow = async () => new Map((await pg!.query('SELECT user_id, access_token, refresh_token FROM hyperid_tokens')).map(([u, a, r]) => [u, { a, r }]));
		const secretsSeen = new Set<string>();
		const everyLog: string[] = [];
		const revoked = new Set(userIds.slice(0, REVOKED));

		for (let run = 1; run <= 3; run++) {
			await pg.query(`UPDATE run_label SET label = 'run-${run}'`);
			const before = await tokensNow();
			for (const { a, r } of before.values()) {
				secretsSeen.add(a);
				secretsSeen.add(r);
			}
			if (run >= 2) emulator.advanceClock(3700);
			if (run === 3) for (const userId of revoked) await form(emulator, REVOKE_PATH, { token: before.get(userId)!.r, token_type_hint: 'refresh_token' });
			emulator.clearRequests();
			emulator.clearStats();
			const result: WorkflowRunResult = await executeWorkflow(sandbox, id);
			everyLog.push(result.stdout.replace(/^\{[\s\S]*$/m, ''), result.stderr);
			assert.equal(result.ok, true, `run ${run} failed: ${result.error?.message}`);
			const out = result.json(HYPERID);
			assert.equal(out.length, USERS, `run ${run}: one output item per user`);
			const failed = out.filter((item) => item.error !== undefined);
			const expectedFailures = run === 3 ? [...revoked] : [];
			assert.deepEqual(
				failed.map((item) => item.errorCode),
				expectedFailures.map(() => 'SIGN_IN_ENDED'),
				`run ${run}: failures ${JSON.stringify(failed.slice(0, 3))}`,
			);
			for (const item of failed) assert.match(String(item.error), /^This user's HyperID sign-in has ended; they must sign in again \(item \d+\)$/);
			const store: Record<string, Record<string, Record<string, { value_data: string }>>> = emulator.store().data;
			for (const userId of userIds) {
				const value: string | undefined = store[userId]?.['user-id']?.plan?.value_data;
				if (run === 3 && revoked.has(userId)) assert.equal(value, 'run-2', `${userId}: revoked, keeps run 2's value`);
				else assert.equal(value, `run-${run}`, `${userId}: value of run ${run}`);
			}
			const refreshes = emulator.stats().tokenGrants.refresh_token;
			const http = result.json(HTTP);
			const httpStored = userIds.filter((u) => store[u]?.['user-id']?.['plan-http']?.value_data === `run-${run}`).length;
			const httpErrors = http.filter((item) => item.error !== undefined).length;
			const codes = [...new Set(http.map((item) => String(item.result)))].join(', ');
			figures.push(`${runtime.version} run ${run}, HTTP Request node: ${httpStored} values stored, ${http.length - httpErrors} items reported success (result codes in them: ${codes}), ${httpErrors} errors`);
			log(figures[figures.length - 1].slice(runtime.version.length + 1));
			const after = await tokensNow();
			const changed = userIds.filter((u) => after.get(u)!.r !== before.get(u)!.r).length;
			assert.equal(changed, run === 1 ? 0 : USERS - (run === 3 ? REVOKED : 0), `run ${run}: renewed pairs written back`);
			const line = `run ${run}: ${USERS - failed.length} values stored, ${failed.length} SIGN_IN_ENDED, ${refreshes} refresh grant(s), ${changed} renewed pairs written back, n8n execute ${(result.ms / 1000).toFixed(1)} s`;
			log(line);
			figures.push(`${runtime.version} ${line}`);
		}

		// no token lost: every stored refresh token of the users still signed in refreshes now
		const final = await tokensNow();
		let alive = 0;
		for (const userId of userIds) {
			if (revoked.has(userId)) continue;
			const answer = await form(emulator, TOKEN_PATH, { grant_type: 'refresh_token', refresh_token: final.get(userId)!.r });
			assert.equal(typeof answer.access_token, 'string', `${userId}: stored refresh token refused (${String(answer.error)})`);
			alive++;
		}
		log(`every stored refresh token of the ${alive} users still signed in refreshes`);
		for (const { a, r } of final.values()) {
			secretsSeen.add(a);
			secretsSeen.add(r);
		}
		const logText = everyLog.join('\n');
		for (const secret of [...secretsSeen, DEMO.clientSecret]) assert.ok(!logText.includes(secret), "a token or the client secret in n8n's log");
		// n8n 1.x's `execute --rawOutput` logs nothing at info: say so rather than pass an empty check silently
		const logLines = logText.split('\n').filter((line) => line.trim()).length;
		log(`no token or client secret in n8n's log (${logLines} lines, ${logText.length} characters checked against ${secretsSeen.size} tokens)`);
		log(`PASS  token table: ${USERS} users, 3 runs (${((Date.now() - started) / 1000).toFixed(1)} s with Postgres and the emulator)`);
		return figures;
	} finally {
		sandbox.dispose();
		await pg?.stop();
		await emulator?.close();
	}
}

async function main(): Promise<void> {
	stopAllOnSignals();
	assertBuilt();
	const figures: string[] = [];
	let failed = false;
	for (const entry of loadVersions(undefined, 'tokens')) {
		const runtime = await ensureN8n(entry);
		try {
			figures.push(...(await runVersion(runtime)));
		} catch (error) {
			failed = true;
			console.error(`[n8n ${entry.n8n}] FAIL ${(error as Error).stack ?? String(error)}`);
		}
	}
	console.log(figures.join('\n'));
	process.exit(failed ? 1 : 0);
}

void main();
