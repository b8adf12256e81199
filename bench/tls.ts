/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * `npm run bench -- --rtt 50` (or --rtt=0,20,50,100): the TLS profile. HyperID is an HTTPS service
 * some round trips away, and n8n opens a new connection (TCP + a full TLS handshake) for every
 * request a node makes. Here the emulator serves HTTPS with a test CA made for the run (n8n trusts
 * it through NODE_EXTRA_CA_CERTS; nothing skips certificate checks), behind a relay that gives the
 * connect one round trip and every chunk half a round trip each way (bench/lib/tls.ts).
 *
 * Paths, each run in the same bench run, interleaved (every path once per repeat, then the next):
 *   (a)  this node (this checkout) in n8n 2.8.4, options at their defaults
 *   (a0) this node as of BASELINE_COMMIT ("today": a fixed Concurrency of 32), built in the temp
 *        directory and linked into its own n8n sandbox
 *   (b)  n8n's HTTP Request node at its defaults, and (bB) with Batching (32 items per 100 ms)
 *   (c0) a plain client opening a new connection per request (what any n8n node can reach), and
 *   (c)  a plain keep-alive client (the physical limit), each at 32 and 64 requests in flight
 * Workloads: set ×n, get ×n (one key per item, Batch Reads off, and this node with Batch Reads at
 * its default), listSharedKeys over n shared keys (pages of 100), Each User's Tokens for n users
 * (one set each).
 *
 * Flags: --rtt=0,20,50,100  --repeat=3  --tls-n=1000  --tls-workloads=set,get1,get1batch,listShared,users
 *        --tls-paths=a,a0,b,bB,c0-32,c0-64,c-32,c-64  --rate-limit=N (the emulator's 429 limit, requests/s)
 *        --no-readme
 */
import { execFileSync, fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import type { IDataObject } from 'n8n-workflow';

import { DEMO } from '../test/emulator/server';
import { BENCH_DIR, REPO_ROOT, RESULTS_DIR, fmt, fmtRatio, median } from './lib/common';
import { seed, startBenchEmulator, storeThroughApi, type BenchEmulator } from './lib/emulator';
import { N8N_VERSION, NODE_UNDER_TEST, benchWorkflow, executeMeasured, prepareN8n, type N8nEnv } from './lib/n8n';
import { makeTestCa, startRelay, type Relay } from './lib/tls';
import { PATHS, workloads, type WorkloadId } from './lib/workloads';
import { importClientCredential } from './users';
import type { PlainJob, WorkerResult } from './worker';

/** "Today": the commit before the adaptive requests in flight (transport/inFlight.ts). */
export const BASELINE_COMMIT = 'd0ce978';

export type TlsPathId = 'a' | 'a0' | 'aP' | 'b' | 'bB' | 'c0-32' | 'c0-64' | 'c-32' | 'c-64';
export type TlsWorkloadId = 'set' | 'get1' | 'get1batch' | 'listShared' | 'users' | 'getMany';
export const TLS_PATHS: TlsPathId[] = ['a', 'a0', 'b', 'bB', 'c0-32', 'c0-64', 'c-32', 'c-64'];
export const TLS_WORKLOADS: TlsWorkloadId[] = ['set', 'get1', 'get1batch', 'listShared', 'users', 'getMany'];
/** Get Many for many users: GET_MANY_USERS users, each with GET_MANY_KEYS private values, each read by its own token (a list request and a get request per user). */
export const GET_MANY_USERS = 100;
export const GET_MANY_KEYS = 50;
const PATH_LABEL: Record<TlsPathId, string> = {
	a: '(a) this node, defaults (adaptive, ≤ 64 in flight)',
	a0: `(a0) this node today (${BASELINE_COMMIT}), defaults (32 in flight)`,
	aP: '(aP) this node as of --tls-previous',
	b: '(b) HTTP Request node, defaults',
	bB: '(bB) HTTP Request node, Batching 32 items / 100 ms',
	'c0-32': '(c0) plain client, new connection per request, 32 in flight',
	'c0-64': '(c0) plain client, new connection per request, 64 in flight',
	'c-32': '(c) plain client, keep-alive, 32 in flight',
	'c-64': '(c) plain client, keep-alive, 64 in flight',
};
const HTTP_BATCHING = { batching: { batch: { batchSize: 32, batchInterval: 100 } } };

export interface TlsBenchOptions {
	rtts: number[];
	repeat: number;
	n: number;
	workloads: TlsWorkloadId[];
	paths: TlsPathId[];
	rateLimit: number;
	/** the n8n version the n8n paths run in (`--tls-n8n=2.41.1`) [N8N_VERSION] */
	n8nVersion?: string;
	/** path (aP): this node as of this commit (`--tls-previous=<commit>`), to measure one change */
	previous?: string;
	/** n8n's processes write V8 CPU profiles to .cache/bench/profiles/tls (bench/profile.ts summarises them) */
	cpuProf?: boolean;
	caseTimeoutMs: number;
	plainMaxSeconds: number;
	writeReadme: boolean;
	command: string;
}

interface TlsCase {
	path: TlsPathId;
	workload: TlsWorkloadId;
	rttMs: number;
	rep: number;
	ok: boolean;
	checks: string[];
	error?: string;
	itemsPerSec?: number;
	workMs: number;
	requests: number;
	answered200: number;
	status429: number;
	maxInFlight: number;
	maxOpenConnections: number;
	connections: number;
	handshakes: number;
	serverP50?: number;
	clientP50?: number;
	loadAvg1: number;
}

/**
 * The baseline package (BASELINE_COMMIT) built once into the system's temp directory (outside the
 * checkout, where the linters would read it); reused while its dist is there.
 */
export function buildBaseline(log: (l: string) => void, commit = BASELINE_COMMIT): string {
	const dir = path.join(os.tmpdir(), 'n8n-nodes-hyperid-bench', `baseline-${commit}`);
	if (fs.existsSync(path.join(dir, 'dist', 'nodes', 'HyperIdUserData', 'HyperIdUserData.node.js'))) return dir;
	log(`building this node as of ${commit} into ${dir} ...`);
	fs.rmSync(dir, { recursive: true, force: true });
	fs.mkdirSync(dir, { recursive: true });
	const archive = execFileSync('git', ['archive', commit], { cwd: REPO_ROOT, maxBuffer: 256 * 2 ** 20 });
	execFileSync('tar', ['-x', '-C', dir], { input: archive });
	fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
	execFileSync('npx', ['n8n-node', 'build'], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
	return dir;
}

function forkPlain(job: PlainJob, caFile: string, timeoutMs: number): Promise<WorkerResult> {
	return new Promise((resolve) => {
		const child = fork(path.join(BENCH_DIR, 'worker.ts'), [], {
			execArgv: ['-r', 'ts-node/register/transpile-only'],
			cwd: REPO_ROOT,
			env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true', NODE_EXTRA_CA_CERTS: caFile },
			stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
		});
		let answer: WorkerResult | undefined;
		const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
		child.on('message', (m: WorkerResult) => (answer = m));
		child.on('close', (code) => {
			clearTimeout(timer);
			resolve(answer ?? { ok: false, error: `worker exited ${code}`, units: 0, workMs: 0 });
		});
		child.send(job);
	});
}

/** Which paths run a workload (the HTTP Request node and plain clients have no Batch Reads, nor a user-token column). */
function applies(p: TlsPathId, w: TlsWorkloadId): boolean {
	if (p === 'aP') return applies('a', w);
	// two requests per user, the second built from the first's answer: one HTTP Request node cannot, a plain client would need a per-user loop
	if (w === 'getMany') return p === 'a' || p === 'a0';
	if (w === 'get1batch') return p === 'a' || p === 'a0';
	// Batching only spaces out sends: measured on the set workload
	if (p === 'bB' && w !== 'set') return false;
	if (w === 'users') return p === 'a' || p === 'a0' || p === 'b';
	if (w === 'listShared') return p === 'a' || p === 'a0' || p === 'b' || p === 'c-32' || p === 'c0-32';
	return true;
}

const LIST_WORKLOAD: Record<Exclude<TlsWorkloadId, 'users' | 'getMany'>, WorkloadId> = {
	set: 'set',
	get1: 'get1',
	get1batch: 'get1batchDefault',
	listShared: 'listShared',
};

export async function runTlsBench(o: TlsBenchOptions): Promise<boolean> {
	const started = Date.now();
	const log = (l: string) => console.log(l);
	const loadAtStart = os.loadavg();
	const ca = makeTestCa();
	const bench: BenchEmulator = await startBenchEmulator({ tls: { key: ca.key, cert: ca.cert } });
	const emulatorPort = Number(new URL(bench.url).port);
	let relay: Relay | undefined;
	const envs: N8nEnv[] = [];
	const cases: TlsCase[] = [];
	try {
		relay = await startRelay(emulatorPort, 0);
		const url = `https://127.0.0.1:${relay.port}`;
		const caPem = fs.readFileSync(ca.caFile, 'utf8');
		const wl = workloads({ n: o.n, n20: 1 });
		log(`TLS profile: emulator https on ${emulatorPort}, relay ${url}; round trips ${o.rtts.join(', ')} ms; ${o.repeat} repeat(s); n=${o.n}`);
		await seed(bench.emulator, o.n, o.workloads.includes('listShared') ? o.n : 0, { url: bench.url, ca: caPem });

		// Each User's Tokens: n users, fresh tokens (no refresh)
		const users = o.workloads.includes('users') ? benchUsers(bench, 'bench-tls-user', o.n).map((user) => ({ ...user, value: `v${user.n}` })) : [];

		const profileDir = path.join(REPO_ROOT, '.cache', 'bench', 'profiles', 'tls');
		if (o.cpuProf) fs.mkdirSync(profileDir, { recursive: true });
		// Get Many: its own users, seeded through the API with their own tokens
		const getManyUsers = o.workloads.includes('getMany') ? await seedGetManyUsers(bench, url, caPem) : [];

		const extraEnv = { NODE_EXTRA_CA_CERTS: ca.caFile };
		const nodeArgs = o.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : undefined;
		const needs = (...ps: TlsPathId[]) => ps.some((p) => o.paths.includes(p));
		const current = needs('a', 'b', 'bB') ? await prepareN8n(bench.emulator, log, { url, extraEnv, nodeArgs, version: o.n8nVersion }) : undefined;
		if (current) envs.push(current);
		const baseline = needs('a0') ? await prepareN8n(bench.emulator, log, { url, extraEnv, nodeArgs, version: o.n8nVersion, packageDir: buildBaseline(log) }) : undefined;
		if (baseline) envs.push(baseline);
		if (needs('aP') && !o.previous) throw new Error('path aP needs --tls-previous=<commit>');
		if (o.previous) PATH_LABEL.aP = `(aP) this node as of ${o.previous}, defaults`;
		const previous = needs('aP') ? await prepareN8n(bench.emulator, log, { url, extraEnv, nodeArgs, version: o.n8nVersion, packageDir: buildBaseline(log, o.previous) }) : undefined;
		if (previous) envs.push(previous);
		const ids = new Map<string, string>();
		const workflowId = (p: TlsPathId, w: TlsWorkloadId) => {
			if (!ids.has(`${p} ${w}`)) ids.set(`${p} ${w}`, `benchTlsFlow${String(ids.size + 1).padStart(4, '0')}`);
			return ids.get(`${p} ${w}`)!;
		};
		for (const [env, paths] of [
			[current, ['a', 'b', 'bB']],
			[baseline, ['a0']],
			[previous, ['aP']],
		] as Array<[N8nEnv | undefined, TlsPathId[]]>) {
			if (!env) continue;
			if (o.workloads.includes('users') || o.workloads.includes('getMany')) await importClientCredential(env, url);
			const flows: object[] = [];
			for (const p of paths.filter((x) => o.paths.includes(x))) {
				for (const w of o.workloads.filter((x) => applies(p, x))) {
					const id = workflowId(p, w);
					if (w === 'users') {
						flows.push(usersWorkflow(id, p, users, url));
						continue;
					}
					if (w === 'getMany') {
						flows.push(getManyWorkflow(id, p, getManyUsers));
						continue;
					}
					const workload = wl[LIST_WORKLOAD[w]];
					if (p === 'a' || p === 'a0' || p === 'aP') {
						flows.push(benchWorkflow(id, `${p} ${w}`, workload.inputCode, { kind: 'hyperid', parameters: workload.nodeParameters, typeVersion: workload.nodeVersion }));
					} else {
						const parameters = workload.httpParameters!(url);
						if (p === 'bB') parameters.options = { ...(parameters.options as IDataObject), ...HTTP_BATCHING };
						flows.push(benchWorkflow(id, `${p} ${w}`, workload.inputCode, { kind: 'http', parameters }));
					}
				}
			}
			await env.sandbox.importWorkflows(flows);
		}

		const plan: Array<{ p: TlsPathId; w: TlsWorkloadId; rtt: number; rep: number }> = [];
		for (let rep = 0; rep < o.repeat; rep++)
			for (const rtt of o.rtts)
				for (const w of o.workloads)
					// every other repeat in reverse order, so a trend in the machine's load favours no path
					for (const p of rep % 2 ? [...o.paths].reverse() : o.paths) if (applies(p, w)) plan.push({ p, w, rtt, rep });
		let step = 0;
		for (const { p, w, rtt, rep } of plan) {
			const label = `[${String(++step).padStart(3)}/${plan.length}] ${PATH_LABEL[p]} | ${w} | ${rtt} ms | rep ${rep + 1}`;
			log(`${label}  ...`);
			relay.setRtt(rtt);
			bench.emulator.setOptions({ latencyMs: 0, rateLimitPerSecond: o.rateLimit });
			bench.reset();
			relay.reset();
			const workload = w === 'users' || w === 'getMany' ? undefined : wl[LIST_WORKLOAD[w]];
			const units = workload?.units ?? (w === 'getMany' ? GET_MANY_USERS * GET_MANY_KEYS : o.n);
			let r: { ok: boolean; error?: string; workMs: number; outputs?: number; units: number; clientP50?: number; partial?: boolean };
			if (p === 'a' || p === 'a0' || p === 'aP' || p === 'b' || p === 'bB') {
				const env = p === 'a0' ? baseline! : p === 'aP' ? previous! : current!;
				const x = await executeMeasured(env, workflowId(p, w), o.caseTimeoutMs);
				r = { ok: x.ok, error: x.error, workMs: x.nodeMs ?? 0, outputs: x.outputs, units };
			} else {
				const [kind, inFlight] = p.split('-');
				const x = await forkPlain(
					{
						kind: 'plain',
						emulatorUrl: url,
						accessToken: bench.emulator.createToken({ userId: DEMO.userId, clientId: DEMO.clientId }).access_token,
						workload: LIST_WORKLOAD[w as Exclude<TlsWorkloadId, 'users' | 'getMany'>],
						sizes: { n: o.n, n20: 1 },
						concurrency: Number(inFlight),
						keepAlive: kind === 'c',
						maxSeconds: o.plainMaxSeconds,
					},
					ca.caFile,
					o.caseTimeoutMs,
				);
				r = { ok: x.ok, error: x.error, workMs: x.workMs, units: x.units, clientP50: x.clientLatency?.p50, partial: x.partial };
			}
			// let the relay deliver what is still on its way (closing handshakes) before counting
			await new Promise((res) => setTimeout(res, rtt + 20));
			const stats = bench.emulator.stats();
			const requests = Object.entries(stats.requestsByPath)
				.filter(([k]) => k.startsWith('/user-data/'))
				.reduce((s, [, v]) => s + v, 0);
			const answered200 = bench.statuses.get(200) ?? 0;
			const status429 = bench.statuses.get(429) ?? 0;
			const checks: string[] = [];
			const expected = w === 'users' ? o.n : w === 'getMany' ? 2 * GET_MANY_USERS : workload!.expectedRequests;
			// the HTTP Request node's pagination gives one item per page
			const pagesAsItems = w === 'listShared' && (p === 'b' || p === 'bB');
			const expectedOutputs = w === 'users' ? o.n : w === 'getMany' ? GET_MANY_USERS * GET_MANY_KEYS : pagesAsItems ? workload!.expectedRequests : workload!.expectedOutputs;
			if (r.ok && !r.partial) {
				if (answered200 !== expected) checks.push(`${answered200} requests answered, expected ${expected}`);
				if (r.outputs !== undefined && r.outputs !== expectedOutputs) checks.push(`${r.outputs} output items, expected ${expectedOutputs}`);
			}
			const bad = Object.entries(stats.resultsByCode).filter(([code]) => Number(code) < 0);
			if (bad.length) checks.push(`HyperID answered error codes ${JSON.stringify(Object.fromEntries(bad))}`);
			const c: TlsCase = {
				path: p,
				workload: w,
				rttMs: rtt,
				rep,
				ok: r.ok && checks.length === 0,
				checks,
				error: r.error,
				itemsPerSec: r.ok && r.workMs > 0 ? r.units / (r.workMs / 1000) : undefined,
				workMs: r.workMs,
				requests,
				answered200,
				status429,
				maxInFlight: stats.maxInFlight,
				maxOpenConnections: relay.maxOpen,
				connections: relay.connections,
				handshakes: bench.handshakes.count,
				serverP50: bench.latencies.summary().p50,
				clientP50: r.clientP50,
				loadAvg1: os.loadavg()[0],
			};
			cases.push(c);
			log(
				`${label}  ${c.ok ? 'done' : 'FAIL'}: ${fmt(c.itemsPerSec)} items/s${r.partial ? ' (time-bounded)' : ''}, ${fmt(c.workMs)} ms, ${requests} requests (${status429} × 429), ` +
					`≤${c.maxOpenConnections} connections open, ${c.connections} connections, ${c.handshakes} TLS handshakes` +
					(r.error ? `\n      error: ${r.error.split('\n').slice(0, 4).join('\n      ')}` : '') +
					(checks.length ? `\n      check: ${checks.join('; ')}` : ''),
			);
		}
	} finally {
		for (const env of envs) env.dispose();
		await relay?.close();
		await bench.close();
		ca.dispose();
	}

	const seconds = Math.round((Date.now() - started) / 1000);
	const text = tlsReport(cases, o, { loadAtStart, loadAtEnd: os.loadavg(), seconds });
	console.log(`\n${text}`);
	fs.mkdirSync(RESULTS_DIR, { recursive: true });
	const at = new Date().toISOString();
	fs.writeFileSync(path.join(RESULTS_DIR, `tls-${at.replace(/[:.]/g, '-')}.json`), JSON.stringify({ at, options: o, cases }, null, 2));
	if (o.writeReadme) {
		const file = path.join(BENCH_DIR, 'README.md');
		let readme = fs.readFileSync(file, 'utf8');
		// one section per kind of run (round trips, workloads, rate limit), so runs of different parts keep each other's tables
		const key = `${o.rtts.join(',')} ${o.workloads.join(',')}${o.rateLimit ? ` rate-limit ${o.rateLimit}` : ''}${o.n8nVersion && o.n8nVersion !== N8N_VERSION ? ` n8n ${o.n8nVersion}` : ''}`;
		const start = `<!-- bench:tls ${key} start -->`;
		const end = `<!-- bench:tls ${key} end -->`;
		if (!readme.includes(start)) readme += `\n${start}\n${end}\n`;
		readme = readme.slice(0, readme.indexOf(start)) + `${start}\n${text}\n${end}` + readme.slice(readme.indexOf(end) + end.length);
		fs.writeFileSync(file, readme);
		console.log('TLS table: bench/README.md');
	}
	const failed = cases.filter((c) => !c.ok);
	for (const c of failed) console.log(`failed: ${PATH_LABEL[c.path]} | ${c.workload} | ${c.rttMs} ms | rep ${c.rep + 1}: ${c.error ?? c.checks.join('; ')}`);
	return failed.length === 0;
}

/** n users of the emulator, each with a fresh token pair of the demo client (no refresh needed). */
function benchUsers(bench: BenchEmulator, prefix: string, n: number): Array<{ n: number; userId: string; accessToken: string; refreshToken: string }> {
	return Array.from({ length: n }, (_, i) => {
		const userId = `${prefix}-${i}`;
		bench.emulator.addUser({ userId, email: `${userId}@example.com` });
		const grant = bench.emulator.createToken({ userId, clientId: DEMO.clientId });
		return { n: i, userId, accessToken: grant.access_token, refreshToken: grant.refresh_token };
	});
}

/** GET_MANY_USERS users, each with GET_MANY_KEYS private values stored through the API with the user's own token. */
async function seedGetManyUsers(bench: BenchEmulator, url: string, caPem: string): Promise<Array<Record<string, unknown>>> {
	const users = benchUsers(bench, 'bench-tls-many', GET_MANY_USERS);
	const jobs = users.flatMap((u) =>
		Array.from({ length: GET_MANY_KEYS }, (_, k) => ({ token: u.accessToken, path: PATHS.set, body: { value_key: `m${k}`, value_data: `${u.userId} value ${k}`, access_scope: 0 } })),
	);
	await storeThroughApi(url, jobs, caPem);
	return users;
}

/** This node with Each User's Tokens (the item's tokens, the bench's HyperID Client credential) over the users given as items. */
function userTokensWorkflow(id: string, name: string, users: Array<Record<string, unknown>>, parameters: IDataObject): object {
	const inputCode = `return ${JSON.stringify(users)}.map((json) => ({ json }));`;
	const flow = benchWorkflow(id, name, inputCode, {
		kind: 'hyperid',
		typeVersion: 1.2,
		parameters: { authentication: 'userTokens', accessToken: '={{ $json.accessToken }}', refreshToken: '={{ $json.refreshToken }}', ...parameters, options: {} },
	}) as { nodes: Array<Record<string, unknown>> };
	flow.nodes.find((node) => node.name === NODE_UNDER_TEST)!.credentials = { hyperIdClientApi: { id: 'benchClientCred01', name: 'HyperID Client (bench)' } };
	return flow;
}

/** Get Many with Each User's Tokens: one item per user, every value of the user's "by email" target. */
function getManyWorkflow(id: string, p: TlsPathId, users: Array<Record<string, unknown>>): object {
	return userTokensWorkflow(id, `${p} getMany`, users, { resource: 'userDataByEmail', operation: 'getAll', returnAll: true });
}

/** Each User's Tokens for n users (one set each), or the HTTP Request node with each user's Bearer token. */
function usersWorkflow(id: string, p: TlsPathId, users: Array<Record<string, unknown>>, url: string): object {
	const inputCode = `return ${JSON.stringify(users)}.map((json) => ({ json }));`;
	if (p === 'b' || p === 'bB') {
		const flow = benchWorkflow(id, `${p} users`, inputCode, {
			kind: 'http',
			parameters: {
				method: 'POST',
				url: `${url}/user-data/by-email/set`,
				sendHeaders: true,
				headerParameters: { parameters: [{ name: 'Authorization', value: '=Bearer {{ $json.accessToken }}' }] },
				sendBody: true,
				contentType: 'json',
				specifyBody: 'json',
				jsonBody: '={{ JSON.stringify({ value_key: "bench-tls", value_data: $json.value }) }}',
				options: p === 'bB' ? HTTP_BATCHING : {},
			},
		}) as { nodes: Array<Record<string, unknown>> };
		delete flow.nodes.find((node) => node.name === NODE_UNDER_TEST)!.credentials;
		return flow;
	}
	return userTokensWorkflow(id, `${p} users`, users, { resource: 'userDataByEmail', operation: 'set', value: '={{ $json.value }}', key: 'bench-tls' });
}

const WORKLOAD_LABEL = (w: TlsWorkloadId, n: number) =>
	({
		set: `set ×${fmt(n)}`,
		get1: `get ×${fmt(n)}, Batch Reads off`,
		get1batch: `get ×${fmt(n)}, Batch Reads (default)`,
		listShared: `listSharedKeys, ${fmt(n)} keys`,
		users: `Each User's Tokens, ${fmt(n)} users`,
		getMany: `Get Many, ${GET_MANY_USERS} users × ${GET_MANY_KEYS} values (Each User's Tokens; items/s: values, one output item each)`,
	})[w];

export function tlsReport(cases: TlsCase[], o: TlsBenchOptions, run: { loadAtStart: number[]; loadAtEnd: number[]; seconds: number }): string {
	const med = (xs: Array<number | undefined>) => median(xs);
	const lines: string[] = [];
	lines.push(
		`Last measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC with \`${o.command}\` ` +
			`(n8n ${o.n8nVersion ?? N8N_VERSION}, HTTPS through the relay, ${o.repeat} repeat(s) interleaved: medians; ${run.seconds} s; ` +
			`load average ${run.loadAtStart.map((x) => x.toFixed(2)).join(' / ')} at start, ${run.loadAtEnd.map((x) => x.toFixed(2)).join(' / ')} at end` +
			`${o.rateLimit ? `; emulator rate limit ${o.rateLimit} requests/s` : ''}).`,
		'',
		'| workload | round trip | path | items/s | / today (a0) | / (c0) same in flight | / (c) keep-alive 64 | requests (429s) | most connections open | connections | TLS handshakes | p50 ms (plain: client) | runs |',
		'|---|---|---|---|---|---|---|---|---|---|---|---|---|',
	);
	for (const w of o.workloads) {
		for (const rtt of o.rtts) {
			const rowsOf = (p: TlsPathId) => cases.filter((c) => c.path === p && c.workload === w && c.rttMs === rtt);
			const rate = (p: TlsPathId) => med(rowsOf(p).map((c) => c.itemsPerSec));
			for (const p of o.paths) {
				const rows = rowsOf(p);
				if (!rows.length) continue;
				const r = rate(p);
				const inFlight = med(rows.map((c) => c.maxOpenConnections)) ?? 0;
				// the floor at the in flight this path reached (32 or 64)
				const floorPath: TlsPathId = inFlight > 40 ? 'c0-64' : 'c0-32';
				const vsToday = p !== 'a0' && rate('a0') ? r! / rate('a0')! : undefined;
				const vsFloor = !p.startsWith('c') && rate(floorPath) ? r! / rate(floorPath)! : undefined;
				const vsLimit = rate('c-64') && p !== 'c-64' ? r! / rate('c-64')! : undefined;
				lines.push(
					`| ${WORKLOAD_LABEL(w, o.n)} | ${rtt} ms | ${PATH_LABEL[p]} | ${fmt(r)} | ${fmtRatio(vsToday)} | ${vsFloor !== undefined ? `${fmtRatio(vsFloor)} (${floorPath})` : '-'} | ${fmtRatio(vsLimit)} | ` +
						`${fmt(med(rows.map((c) => c.requests)))} (${fmt(med(rows.map((c) => c.status429)))}) | ${fmt(inFlight)} | ${fmt(med(rows.map((c) => c.connections)))} | ` +
						`${fmt(med(rows.map((c) => c.handshakes)))} | ${fmt(med(rows.map((c) => c.clientP50 ?? c.serverP50)), 1)} | ${rows.map((c) => (c.ok ? fmt(c.itemsPerSec) : 'FAIL')).join(', ')} |`,
				);
			}
		}
	}
	return lines.join('\n');
}
