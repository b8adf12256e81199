/**
 * `npm run bench -- --users`: one item per user, each with that user's own token, inside the real
 * n8n 2.8.4: this node with Authentication "Each User's Tokens", the same node acting for one
 * Connected Account (the same number of items, one user), and n8n's HTTP Request node with a Bearer
 * expression (what a user builds without this node). Set on "by email", emulator latency 0 ms,
 * fresh tokens (no refresh). items/s from the node's own executionTime; medians over --repeat.
 *
 *   --users-n=1000  items (and users)     --repeat=3  runs per path, medians
 */
import { DEMO } from '../test/emulator/server';
import { PACKAGE_NAME } from '../test/shared/n8n/n8n';
import { median } from './lib/common';
import type { BenchEmulator } from './lib/emulator';
import { benchWorkflow, executeMeasured, HTTP_REQUEST_VERSION, NODE_UNDER_TEST, type N8nEnv } from './lib/n8n';

const CLIENT_CRED = { id: 'benchClientCred01', name: 'HyperID Client (bench)' };
const SET_PATH = '/user-data/by-email/set';

export interface UsersBenchRow {
	path: string;
	itemsPerSecond?: number;
	nodeMs: number[];
	requests: number;
	stored: number;
	ok: boolean;
	detail?: string;
}

export async function importClientCredential(env: N8nEnv, emulatorUrl: string): Promise<void> {
	await env.sandbox.importCredentials([
		{
			...CLIENT_CRED,
			type: 'hyperIdClientApi',
			data: { environment: 'custom', loginUrl: emulatorUrl, apiUrl: emulatorUrl, clientId: DEMO.clientId, clientAuthentication: 'clientSecretPost', clientSecret: DEMO.clientSecret },
		},
	]);
}

export async function runUsersBench(
	bench: BenchEmulator,
	env: N8nEnv,
	options: { n: number; repeat: number; log: (line: string) => void },
): Promise<UsersBenchRow[]> {
	const { emulator } = bench;
	const { n, repeat, log } = options;
	await importClientCredential(env, emulator.url);
	const rows = Array.from({ length: n }, (_, i) => {
		const userId = `bench-user-${i}`;
		emulator.addUser({ userId, email: `${userId}@example.com` });
		const grant = emulator.createToken({ userId, clientId: DEMO.clientId });
		return { n: i, userId, accessToken: grant.access_token, refreshToken: grant.refresh_token, value: `v${i}` };
	});
	const inputCode = `return ${JSON.stringify(rows)}.map((json) => ({ json }));`;
	const set = { resource: 'userDataByEmail', operation: 'set', value: '={{ $json.value }}', options: {} };

	const userTokens = benchWorkflow('benchUsersTokens', "Each User's Tokens", inputCode, {
		kind: 'hyperid',
		typeVersion: 1.1,
		parameters: { ...set, authentication: 'userTokens', accessToken: '={{ $json.accessToken }}', refreshToken: '={{ $json.refreshToken }}', key: 'bench-users' },
	}) as { nodes: Array<Record<string, unknown>> };
	const underTest = userTokens.nodes.find((node) => node.name === NODE_UNDER_TEST)!;
	underTest.credentials = { hyperIdClientApi: CLIENT_CRED };
	// one user, n keys (one key for all would order every write after the previous one)
	const connected = benchWorkflow('benchUsersConnected', 'Connected Account', inputCode, {
		kind: 'hyperid',
		typeVersion: 1.1,
		parameters: { ...set, key: '={{ "bench-connected-" + $json.n }}' },
	});
	const http = benchWorkflow('benchUsersHttp', 'HTTP Request, Bearer expression', inputCode, {
		kind: 'http',
		parameters: {
			method: 'POST',
			url: `${emulator.url}${SET_PATH}`,
			sendHeaders: true,
			headerParameters: { parameters: [{ name: 'Authorization', value: '=Bearer {{ $json.accessToken }}' }] },
			sendBody: true,
			contentType: 'json',
			specifyBody: 'json',
			jsonBody: '={{ JSON.stringify({ value_key: "bench-http", value_data: $json.value }) }}',
			options: {},
		},
	}) as { nodes: Array<Record<string, unknown>> };
	delete http.nodes.find((node) => node.name === NODE_UNDER_TEST)!.credentials;
	await env.sandbox.importWorkflows([userTokens, connected, http]);

	const cases: Array<{ path: string; id: string; key: string; users: boolean }> = [
		{ path: `(a) this node, Each User's Tokens (${n} users)`, id: 'benchUsersTokens', key: 'bench-users', users: true },
		{ path: `(a) this node, Connected Account (1 user, ${n} keys)`, id: 'benchUsersConnected', key: 'bench-connected-', users: false },
		{ path: `(b) HTTP Request node ${HTTP_REQUEST_VERSION}, Bearer expression (${n} users)`, id: 'benchUsersHttp', key: 'bench-http', users: true },
	];
	const results: UsersBenchRow[] = [];
	for (const c of cases) {
		const row: UsersBenchRow = { path: c.path, nodeMs: [], requests: 0, stored: 0, ok: true };
		for (let r = 0; r < repeat; r++) {
			bench.reset();
			const run = await executeMeasured(env, c.id, 600_000);
			const requests = emulator.stats().requestsByPath[SET_PATH] ?? 0;
			const data = emulator.store().data;
			const stored = c.users
				? rows.filter((row) => data[row.userId]?.email?.[c.key]?.value_data === row.value).length
				: rows.filter((row) => data[DEMO.userId]?.email?.[`${c.key}${row.n}`]?.value_data === row.value).length;
			if (!run.ok || run.outputs !== n || requests !== n || stored !== n) {
				row.ok = false;
				row.detail = `run ${r + 1}: ok=${run.ok} outputs=${run.outputs} requests=${requests} stored=${stored} ${run.error ?? ''}`;
			}
			if (run.nodeMs !== undefined) row.nodeMs.push(run.nodeMs);
			row.requests = requests;
			row.stored = stored;
			log(`  ${c.path} run ${r + 1}: node ${run.nodeMs} ms, ${requests} requests, ${stored} stored`);
		}
		const ms = median(row.nodeMs);
		row.itemsPerSecond = ms ? Math.round((n * 1000) / ms) : undefined;
		results.push(row);
	}
	return results;
}

export function usersTable(rows: UsersBenchRow[]): string {
	return [
		'| path | items/s (median) | node ms per run | requests | values stored | checked |',
		'|---|---|---|---|---|---|',
		...rows.map((row) => `| ${row.path} | ${row.itemsPerSecond ?? '-'} | ${row.nodeMs.join(', ')} | ${row.requests} | ${row.stored} | ${row.ok ? 'yes' : `NO: ${row.detail}`} |`),
	].join('\n');
}

export const USERS_PACKAGE = PACKAGE_NAME;
