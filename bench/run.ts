/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * `npm run bench`: throughput of this node against the alternatives, in one run on one emulator.
 *
 *   (a)  this node inside the real n8n 2.8.4 (installed community package, `n8n execute`)
 *   (a') this node through the in-process n8n-core harness (no n8n start-up)
 *   (b)  n8n's HTTP Request node 4.4 at its defaults, generic OAuth2 credential, same calls
 *   (c)  a plain keep-alive axios loop: sequential (c1) and 10 concurrent (c10); and (c0) the same
 *        sequential loop with a new connection per request, as n8n-core's request helper makes them
 *
 * Flags (all optional):
 *   --quick                 1,000 items instead of 10,000 (100 for the 20-key get), 1 repeat, short sweep
 *   --workloads=set,get1,get1batch,get1batchDefault,get20,listShared
 *   --paths=a,a1,f,b,c1,c10,c0 a1 = (a') the harness; f = a minimal node doing one
 *                           httpRequestWithAuthentication per item (set workload only): n8n's floor;
 *                           c0 = plain loop, new connection per request (set workload, 0 ms only)
 *   --latencies=0,20        emulator latency per user-data request, ms
 *   --repeat=N              repeats of every case (medians are reported) [1]
 *   --sweep=1,2,4,8,16,32,64 | --no-sweep   concurrency sweep of this node (harness, set workload)
 *   --concurrency=K         the node's Concurrency option for (a)/(a') [the node's default]
 *   --n=10000 --n20=1000    workload sizes
 *   --node-source=dist|src  what the harness loads [dist, like n8n]
 *   --cpu-prof              write CPU profiles of the harness runs to .cache/bench/profiles
 *   --plain-max-seconds=20  time bound of one plain-client loop (its rate is reported)
 *   --case-timeout=600      seconds before a case's process is killed
 *   --no-readme             do not rewrite the table in bench/README.md
 *
 * One item per user (bench/users.ts; its own run):
 *   --users                 only this case: Each User's Tokens vs Connected Account vs the HTTP
 *                           Request node with a Bearer expression, in n8n 2.8.4 (--repeat for medians)
 *   --users-n=1000          items, one user each
 *
 * TLS profile (bench/tls.ts; its own run): HTTPS with a test CA behind a relay with a round trip
 *   --rtt 50 | --rtt=0,20,50,100 (--rtt alone: all four)   --repeat=3 (default here)   --tls-n=1000
 *   --tls-workloads=set,get1,get1batch,listShared,users   --tls-paths=a,a0,b,bB,c0-32,c0-64,c-32,c-64
 *   --rate-limit=N          the emulator answers 429 + Retry-After beyond N user-data requests/s
 *   --tls-n8n=2.41.1        the n8n paths in another n8n of test/e2e/versions.json [2.8.4]
 *   --tls-previous=<commit> adds path (aP): this node as of that commit (to measure one change)
 *   --cpu-prof              (with --rtt) n8n writes V8 CPU profiles to .cache/bench/profiles/tls
 *
 * Queue mode (bench/queue.ts; part of the full run, after the rest):
 *   --queue                 only the queue-mode case: webhook executions through 1, then 2 workers
 *   --no-queue              the full run without it
 *   --queue-executions=200 --queue-items=50   executions sent at once, set items per execution
 *                           (--quick: 40 x 50)
 *   --queue-workers=1,2     worker counts, one run each (workers added to the same deployment)
 *   --queue-latency=20      emulator latency per user-data request, ms
 *   --queue-expire-every=2500  tokens expire every N user-data requests (refreshes under load)
 *   --queue-concurrency=K   each worker's --concurrency [n8n's default, 10]
 *   --queue-version=2.8.4   the n8n version (from test/shared/n8n/versions.json)
 */
import { fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import type { IDataObject } from 'n8n-workflow';

import { BENCH_DIR, REPO_ROOT, RESULTS_DIR, fmt, fmtRatio, median } from './lib/common';
import { DEMO, demoToken, seed, startBenchEmulator, type BenchEmulator } from './lib/emulator';
import { N8N_VERSION, benchWorkflow, executeMeasured, prepareN8n, type N8nEnv } from './lib/n8n';
import { FULL_SIZES, QUICK_SIZES, withOptions, workloads, type Sizes, type Workload, type WorkloadId } from './lib/workloads';
import { queueReadmeSection, replaceQueueSection, runQueueBench, type QueueBenchOptions } from './queue';
import { runRateLimitCompare } from './rateLimit';
import { TLS_PATHS, TLS_WORKLOADS, runTlsBench, type TlsPathId, type TlsWorkloadId } from './tls';
import { runUsersBench, usersTable } from './users';
import type { HarnessJob, PlainJob, WorkerResult } from './worker';

type PathId = 'a' | 'a1' | 'f' | 'b' | 'c1' | 'c10' | 'c0';
const PATH_LABEL: Record<PathId, string> = {
	a: `(a) node in n8n ${N8N_VERSION}`,
	a1: "(a') node, in-process harness",
	f: '(f) n8n helper floor, harness, sequential',
	b: '(b) HTTP Request node',
	c1: '(c) axios keep-alive, sequential',
	c10: '(c) axios keep-alive, 10 concurrent',
	c0: '(c0) axios, new connection per request, sequential',
};
const ALL_PATHS: PathId[] = ['a', 'a1', 'f', 'b', 'c1', 'c10', 'c0'];
const SWEEP_N_WITH_LATENCY = 5_000;
const ALL_WORKLOADS: WorkloadId[] = ['set', 'get1', 'get1batch', 'get1batchDefault', 'get20', 'listShared'];

// ---------------------------------------------------------------------------------------------
// Flags
// ---------------------------------------------------------------------------------------------

function parseFlags(argv: string[]) {
	const flags = new Map<string, string>();
	for (const arg of argv) {
		const m = /^--([\w-]+)(?:=(.*))?$/.exec(arg);
		if (!m) throw new Error(`unknown argument ${arg} (see the header of bench/run.ts)`);
		flags.set(m[1], m[2] ?? 'true');
	}
	const quick = flags.has('quick');
	const list = (name: string, all: string[]) => {
		const v = flags.get(name);
		if (!v) return all;
		const picked = v.split(',').map((s) => s.trim()).filter(Boolean);
		for (const p of picked) if (!all.includes(p)) throw new Error(`--${name}: unknown "${p}" (one of ${all.join(', ')})`);
		return picked;
	};
	const num = (name: string, dflt: number) => {
		const v = flags.get(name);
		if (v === undefined) return dflt;
		const n = Number(v);
		if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a number`);
		return n;
	};
	const base = quick ? QUICK_SIZES : FULL_SIZES;
	const sizes: Sizes = { n: num('n', base.n), n20: num('n20', base.n20) };
	const sweepDefault = quick ? '1,8,32' : '1,2,4,8,16,32,64';
	const sweep = flags.has('no-sweep')
		? []
		: (flags.get('sweep') && flags.get('sweep') !== 'true' ? flags.get('sweep')! : sweepDefault)
				.split(',')
				.map(Number)
				.filter((n) => n >= 1);
	const nodeSource = flags.get('node-source') ?? 'dist';
	if (nodeSource !== 'dist' && nodeSource !== 'src') throw new Error('--node-source is dist or src');
	return {
		quick,
		sizes,
		workloads: list('workloads', ALL_WORKLOADS) as WorkloadId[],
		paths: list('paths', ALL_PATHS) as PathId[],
		latencies: (flags.get('latencies') ?? '0,20').split(',').map(Number),
		repeat: Math.max(1, Math.floor(num('repeat', 1))),
		sweep,
		concurrency: flags.has('concurrency') ? num('concurrency', 8) : undefined,
		nodeSource: nodeSource as 'dist' | 'src',
		cpuProf: flags.has('cpu-prof'),
		plainMaxSeconds: num('plain-max-seconds', 20),
		caseTimeoutMs: num('case-timeout', 600) * 1000,
		writeReadme: !flags.has('no-readme'),
		queueOnly: flags.has('queue'),
		usersOnly: flags.has('users'),
		usersN: num('users-n', 1000),
		noQueue: flags.has('no-queue'),
		rateLimitCompare: flags.has('rate-limit-compare')
			? { rate: num('rate-limit-compare', 20), latencyMs: num('rate-limit-latency', 50), n: num('rate-limit-n', 1000), repeat: Math.max(1, Math.floor(num('repeat', 3))) }
			: undefined,
		tls: flags.has('rtt')
			? {
					rtts: (flags.get('rtt') === 'true' ? '0,20,50,100' : flags.get('rtt')!).split(',').map(Number),
					repeat: Math.max(1, Math.floor(num('repeat', 3))),
					n: num('tls-n', 1000),
					workloads: list('tls-workloads', TLS_WORKLOADS) as TlsWorkloadId[],
					paths: list('tls-paths', flags.has('tls-previous') ? [...TLS_PATHS.slice(0, 2), 'aP', ...TLS_PATHS.slice(2)] : TLS_PATHS) as TlsPathId[],
					rateLimit: num('rate-limit', 0),
					cpuProf: flags.has('cpu-prof'),
					previous: flags.get('tls-previous'),
					n8nVersion: flags.get('tls-n8n'),
					caseTimeoutMs: num('case-timeout', 600) * 1000,
					plainMaxSeconds: num('plain-max-seconds', 60),
					writeReadme: !flags.has('no-readme'),
					command: `npm run bench -- ${argv.join(' ')}`,
				}
			: undefined,
		queue: {
			version: flags.get('queue-version') ?? N8N_VERSION,
			executions: num('queue-executions', quick ? 40 : 200),
			items: num('queue-items', 50),
			latencyMs: num('queue-latency', 20),
			expireEvery: num('queue-expire-every', 2500),
			workers: (flags.get('queue-workers') ?? '1,2').split(',').map(Number).filter((n) => n >= 1),
			workerConcurrency: flags.has('queue-concurrency') ? num('queue-concurrency', 10) : undefined,
		} satisfies QueueBenchOptions,
	};
}
type Flags = ReturnType<typeof parseFlags>;

// ---------------------------------------------------------------------------------------------
// One measured case
// ---------------------------------------------------------------------------------------------

interface CaseResult {
	path: PathId;
	workload: WorkloadId | 'empty';
	latencyMs: number;
	rep: number;
	/** concurrency option given to this node (sweep / --concurrency); undefined = node default */
	concurrency?: number;
	ok: boolean;
	error?: string;
	checks: string[];
	units: number;
	itemsPerSec?: number;
	/** the work itself: node executionTime (a, a', b) or the loop (c), ms */
	workMs: number;
	/** the whole process (n8n start-up included for a, b), ms */
	wallMs: number;
	requests: number;
	requestsByPath: Record<string, number>;
	maxInFlight: number;
	serverP50?: number;
	serverP99?: number;
	clientP50?: number;
	clientP99?: number;
	peakRssMiB?: number;
	heapAfterGcMiB?: number;
	partial?: boolean;
	outputs?: number;
	credentialReads?: number;
	loadAvg1: number;
}

interface Ctx {
	flags: Flags;
	emu: BenchEmulator;
	n8n?: N8nEnv;
	wl: Record<WorkloadId, Workload>;
	workflowIds: Map<string, string>;
	results: CaseResult[];
	sweep: CaseResult[];
	step: number;
	totalSteps: number;
}

function forkWorker(job: HarnessJob | PlainJob, timeoutMs: number, profileName?: string): Promise<WorkerResult> {
	// --expose-gc only lets the worker measure the heap after a GC at the end (heapAfterGcMiB);
	// nothing calls gc() during a measured run
	const execArgv = ['-r', 'ts-node/register/transpile-only', '--expose-gc'];
	if (profileName) {
		const dir = path.join(REPO_ROOT, '.cache', 'bench', 'profiles');
		fs.mkdirSync(dir, { recursive: true });
		execArgv.push('--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${profileName}.cpuprofile`);
	}
	return new Promise((resolve) => {
		const child = fork(path.join(BENCH_DIR, 'worker.ts'), [], {
			execArgv,
			cwd: REPO_ROOT,
			env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true' },
			stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
		});
		let answer: WorkerResult | undefined;
		const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
		child.on('message', (m: WorkerResult) => (answer = m));
		child.on('close', (code, signal) => {
			clearTimeout(timer);
			resolve(
				answer ?? {
					ok: false,
					error: signal === 'SIGKILL' ? `timed out after ${timeoutMs / 1000} s` : `worker exited ${code}`,
					units: 0,
					workMs: 0,
				},
			);
		});
		child.send(job);
	});
}

const caseName = (p: PathId, w: string, lat: number, extra = '') => `${PATH_LABEL[p]} | ${w} | ${lat} ms${extra}`;

async function measure(
	ctx: Ctx,
	p: PathId,
	workloadId: WorkloadId | 'empty',
	latencyMs: number,
	rep: number,
	opts: { concurrency?: number; sizes?: Sizes; label?: string } = {},
): Promise<CaseResult> {
	const { flags, emu } = ctx;
	const sizes = opts.sizes ?? flags.sizes;
	const wl = opts.sizes ? workloads(sizes) : ctx.wl;
	const w = wl[workloadId === 'empty' ? 'set' : workloadId];
	const empty = workloadId === 'empty';
	const nodeOptions: IDataObject = {};
	const concurrency = opts.concurrency ?? flags.concurrency;
	if (concurrency !== undefined) nodeOptions.concurrency = concurrency;
	const step = ++ctx.step;
	const label = `[${String(step).padStart(3)}/${ctx.totalSteps}] ${caseName(p, opts.label ?? (empty ? 'empty run (1 item)' : w.label), latencyMs, rep > 0 ? ` | rep ${rep + 1}` : '')}`;
	console.log(`${label}  ...`);
	emu.emulator.setOptions({ latencyMs });
	emu.reset();
	const wallStart = Date.now();
	let r: Partial<CaseResult> & { ok: boolean; units: number; workMs: number };
	if (p === 'a' || p === 'b') {
		const id = ctx.workflowIds.get(`${p}:${workloadId}:${p === 'a' ? (concurrency ?? '') : ''}`);
		if (!id || !ctx.n8n) throw new Error(`no workflow for ${p} ${workloadId}`);
		const x = await executeMeasured(ctx.n8n, id, flags.caseTimeoutMs);
		r = {
			ok: x.ok,
			error: x.error,
			units: x.ok ? (empty ? 1 : w.units) : 0,
			workMs: x.nodeMs ?? 0,
			wallMs: x.wallMs,
			peakRssMiB: x.peakRssMiB,
			outputs: x.outputs,
		};
	} else if (p === 'a1' || p === 'f') {
		const grant = emu.emulator.createToken({ userId: DEMO.userId, clientId: DEMO.clientId });
		const job: HarnessJob = {
			kind: 'harness',
			emulatorUrl: emu.emulator.url,
			clientId: DEMO.clientId,
			clientSecret: DEMO.clientSecret,
			accessToken: grant.access_token,
			refreshToken: grant.refresh_token,
			workload: w.id,
			sizes,
			options: nodeOptions,
			nodeSource: flags.nodeSource,
			emptyRun: empty,
			floor: p === 'f',
		};
		const prof = flags.cpuProf ? `${w.id}-${latencyMs}ms-c${concurrency ?? 'default'}-rep${rep + 1}` : undefined;
		const x = await forkWorker(job, flags.caseTimeoutMs, prof);
		r = { ...x, wallMs: Date.now() - wallStart };
	} else {
		const job: PlainJob = {
			kind: 'plain',
			emulatorUrl: emu.emulator.url,
			accessToken: demoToken(emu.emulator),
			workload: w.id,
			sizes,
			concurrency: p === 'c10' ? 10 : 1,
			keepAlive: p !== 'c0',
			maxSeconds: flags.plainMaxSeconds,
		};
		const x = await forkWorker(job, flags.caseTimeoutMs);
		r = { ...x, clientP50: x.clientLatency?.p50, clientP99: x.clientLatency?.p99, wallMs: Date.now() - wallStart };
	}
	const stats = emu.emulator.stats();
	const server = emu.latencies.summary();
	const userData = Object.entries(stats.requestsByPath).filter(([k]) => k.startsWith('/user-data/') || k.startsWith('/user-wallets/'));
	const requests = userData.reduce((s, [, v]) => s + v, 0);
	const checks: string[] = [];
	if (r.ok && !empty && !r.partial) {
		const expectRequests = w.expectedRequests;
		if ((p === 'a' || p === 'a1') && requests !== expectRequests) checks.push(`sent ${requests} requests, expected ${expectRequests}`);
		if ((p === 'a' || p === 'a1' || p === 'f') && r.outputs !== w.expectedOutputs) checks.push(`${r.outputs} output items, expected ${w.expectedOutputs}`);
		if ((p === 'b' || p === 'f' || p === 'c1' || p === 'c10' || p === 'c0') && requests !== expectRequests)
			checks.push(`sent ${requests} requests, expected ${expectRequests}`);
	}
	const bad = Object.entries(stats.resultsByCode).filter(([code]) => Number(code) < 0);
	if (bad.length) checks.push(`HyperID answered error codes ${JSON.stringify(Object.fromEntries(bad))}`);
	const result: CaseResult = {
		path: p,
		workload: workloadId,
		latencyMs,
		rep,
		concurrency,
		ok: r.ok && checks.length === 0,
		error: r.error,
		checks,
		units: r.units,
		itemsPerSec: r.ok && r.workMs > 0 ? r.units / (r.workMs / 1000) : undefined,
		workMs: r.workMs,
		wallMs: r.wallMs ?? Date.now() - wallStart,
		requests,
		requestsByPath: stats.requestsByPath,
		maxInFlight: stats.maxInFlight,
		serverP50: server.p50,
		serverP99: server.p99,
		clientP50: r.clientP50,
		clientP99: r.clientP99,
		peakRssMiB: r.peakRssMiB,
		heapAfterGcMiB: r.heapAfterGcMiB,
		partial: r.partial,
		outputs: r.outputs,
		credentialReads: r.credentialReads,
		loadAvg1: os.loadavg()[0],
	};
	const status = result.ok ? 'done' : 'FAIL';
	console.log(
		`${label}  ${status}: ${fmt(result.itemsPerSec)} items/s${result.partial ? ` (time-bounded: ${result.units} of ${w.units})` : ''}, ` +
			`${fmt(result.workMs)} ms work, ${fmt(result.wallMs)} ms wall, ${requests} requests, in flight ≤${stats.maxInFlight}, ` +
			`p50/p99 ${fmt(server.p50, 1)}/${fmt(server.p99, 1)} ms, peak RSS ${fmt(result.peakRssMiB)} MiB` +
			(result.error ? `\n      error: ${result.error.split('\n').slice(0, 6).join('\n      ')}` : '') +
			(checks.length ? `\n      check: ${checks.join('; ')}` : ''),
	);
	return result;
}

// ---------------------------------------------------------------------------------------------
// Summary
// ---------------------------------------------------------------------------------------------

interface Row {
	path: PathId;
	workload: WorkloadId;
	latencyMs: number;
	runs: number;
	ok: boolean;
	itemsPerSec?: number;
	requests?: number;
	maxInFlight?: number;
	p50?: number;
	p99?: number;
	clientP50?: number;
	clientP99?: number;
	peakRssMiB?: number;
	rssGrowthMiB?: number;
	heapAfterGcMiB?: number;
	heapAfterGcGrowthMiB?: number;
	workMs?: number;
	wallMs?: number;
	partial?: boolean;
	credentialReads?: number;
	vsB?: number;
	vsC1?: number;
	vsC10?: number;
}

function summarize(results: CaseResult[], emptyRss: Partial<Record<PathId, number>>, emptyHeap: Partial<Record<PathId, number>>): Row[] {
	const groups = new Map<string, CaseResult[]>();
	for (const r of results) {
		if (r.workload === 'empty') continue;
		const k = `${r.path}|${r.workload}|${r.latencyMs}`;
		groups.set(k, [...(groups.get(k) ?? []), r]);
	}
	const rows: Row[] = [];
	for (const list of groups.values()) {
		const first = list[0];
		const ok = list.filter((r) => r.ok);
		const peak = median(ok.map((r) => r.peakRssMiB));
		const base = emptyRss[first.path];
		const heap = median(ok.map((r) => r.heapAfterGcMiB));
		const heapBase = emptyHeap[first.path];
		rows.push({
			path: first.path,
			workload: first.workload as WorkloadId,
			latencyMs: first.latencyMs,
			runs: ok.length,
			ok: ok.length === list.length,
			itemsPerSec: median(ok.map((r) => r.itemsPerSec)),
			requests: median(ok.map((r) => r.requests)),
			maxInFlight: median(ok.map((r) => r.maxInFlight)),
			p50: median(ok.map((r) => r.serverP50)),
			p99: median(ok.map((r) => r.serverP99)),
			clientP50: median(ok.map((r) => r.clientP50)),
			clientP99: median(ok.map((r) => r.clientP99)),
			peakRssMiB: peak,
			rssGrowthMiB: peak !== undefined && base !== undefined ? peak - base : undefined,
			heapAfterGcMiB: heap,
			heapAfterGcGrowthMiB: heap !== undefined && heapBase !== undefined ? heap - heapBase : undefined,
			workMs: median(ok.map((r) => r.workMs)),
			wallMs: median(ok.map((r) => r.wallMs)),
			partial: list.some((r) => r.partial),
			credentialReads: median(ok.map((r) => r.credentialReads)),
		});
	}
	const find = (p: PathId, w: WorkloadId, lat: number) => rows.find((r) => r.path === p && r.workload === w && r.latencyMs === lat);
	for (const row of rows) {
		if (row.path !== 'a' && row.path !== 'a1') continue;
		// batching has no HTTP Request node / plain form: it is compared with one request per item
		const peer = row.workload === 'get1batch' || row.workload === 'get1batchDefault' ? 'get1' : row.workload;
		const ratio = (other?: Row) => (row.itemsPerSec && other?.itemsPerSec ? row.itemsPerSec / other.itemsPerSec : undefined);
		row.vsB = ratio(find('b', peer, row.latencyMs));
		row.vsC1 = ratio(find('c1', peer, row.latencyMs));
		row.vsC10 = ratio(find('c10', peer, row.latencyMs));
	}
	const order = (r: Row) => ALL_WORKLOADS.indexOf(r.workload) * 1000 + r.latencyMs * 10 + ALL_PATHS.indexOf(r.path);
	return rows.sort((x, y) => order(x) - order(y));
}

function table(rows: Row[], wl: Record<WorkloadId, Workload>): string {
	const head = [
		'workload',
		'latency',
		'path',
		'items/s',
		'requests',
		'max in flight',
		'p50 / p99 ms',
		'peak RSS MiB (+ over empty)',
		'heap after GC MiB (+ over empty)',
		'a/b',
		'a/c seq',
		'a/c 10',
	];
	const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
	for (const r of rows) {
		const lat =
			r.path === 'c1' || r.path === 'c10' || r.path === 'c0'
				? `${fmt(r.p50, 1)} / ${fmt(r.p99, 1)} (client ${fmt(r.clientP50, 1)} / ${fmt(r.clientP99, 1)})`
				: `${fmt(r.p50, 1)} / ${fmt(r.p99, 1)}`;
		const signed = (x: number) => `${x >= 0 ? '+' : ''}${fmt(x)}`;
		const rss = r.peakRssMiB === undefined ? '-' : `${fmt(r.peakRssMiB)}${r.rssGrowthMiB !== undefined ? ` (${signed(r.rssGrowthMiB)})` : ''}`;
		const heap =
			r.heapAfterGcMiB === undefined ? '-' : `${fmt(r.heapAfterGcMiB)}${r.heapAfterGcGrowthMiB !== undefined ? ` (${signed(r.heapAfterGcGrowthMiB)})` : ''}`;
		lines.push(
			`| ${wl[r.workload].label} | ${r.latencyMs} ms | ${PATH_LABEL[r.path]} | ${fmt(r.itemsPerSec)}${r.partial ? '*' : ''}${r.ok ? '' : ' (FAILED)'} | ${fmt(r.requests)} | ${fmt(r.maxInFlight)} | ${lat} | ${rss} | ${heap} | ${fmtRatio(r.vsB)} | ${fmtRatio(r.vsC1)} | ${fmtRatio(r.vsC10)} |`,
		);
	}
	return lines.join('\n');
}

interface SweepRow {
	latencyMs: number;
	concurrency: number;
	items: number;
	itemsPerSec?: number;
	maxInFlight?: number;
	p50?: number;
	p99?: number;
	msPerRequest?: number;
}

function summarizeSweep(sweep: CaseResult[]): SweepRow[] {
	const groups = new Map<string, CaseResult[]>();
	for (const r of sweep) groups.set(`${r.latencyMs}|${r.concurrency}`, [...(groups.get(`${r.latencyMs}|${r.concurrency}`) ?? []), r]);
	return [...groups.values()]
		.map((list) => {
			const ok = list.filter((r) => r.ok);
			return {
				latencyMs: list[0].latencyMs,
				concurrency: list[0].concurrency!,
				items: list[0].units,
				itemsPerSec: median(ok.map((r) => r.itemsPerSec)),
				maxInFlight: median(ok.map((r) => r.maxInFlight)),
				p50: median(ok.map((r) => r.serverP50)),
				p99: median(ok.map((r) => r.serverP99)),
				msPerRequest: median(ok.map((r) => (r.requests ? r.workMs / r.requests : undefined))),
			};
		})
		.sort((a, b) => a.latencyMs - b.latencyMs || a.concurrency - b.concurrency);
}

function sweepTable(rows: SweepRow[]): string {
	const lines = ['| latency | concurrency | items | items/s | max in flight | ms per request | server p50 / p99 ms |', '|---|---|---|---|---|---|---|'];
	for (const r of rows)
		lines.push(
			`| ${r.latencyMs} ms | ${r.concurrency} | ${fmt(r.items)} | ${fmt(r.itemsPerSec)} | ${fmt(r.maxInFlight)} | ${fmt(r.msPerRequest, 3)} | ${fmt(r.p50, 1)} / ${fmt(r.p99, 1)} |`,
		);
	return lines.join('\n');
}

interface Target {
	target: string;
	measured: string;
	met?: boolean;
}

function targets(rows: Row[], sweep: SweepRow[], flags: Flags, wl: Record<WorkloadId, Workload>): Target[] {
	const out: Target[] = [];
	const find = (p: PathId, w: WorkloadId, lat: number) => rows.find((r) => r.path === p && r.workload === w && r.latencyMs === lat);
	for (const p of ['a', 'a1'] as PathId[]) {
		for (const w of flags.workloads) {
			for (const lat of flags.latencies) {
				const row = find(p, w, lat);
				if (!row || row.vsB === undefined) continue;
				out.push({
					target: `${PATH_LABEL[p]} ≥ (b) HTTP Request node: ${wl[w].label}, ${lat} ms`,
					measured: `${fmt(row.itemsPerSec)} vs ${fmt(row.itemsPerSec! / row.vsB)} items/s = ${fmtRatio(row.vsB)}`,
					met: row.vsB >= 1,
				});
			}
		}
	}
	for (const p of ['a', 'a1'] as PathId[]) {
		for (const w of ['get1batch', 'get1batchDefault'] as WorkloadId[]) {
			const row = find(p, w, 20);
			if (row?.vsB !== undefined)
				out.push({
					target: `${PATH_LABEL[p]}: ${wl[w].label} at 20 ms ≥ 20x the HTTP Request node (one request per item)`,
					measured: `${fmt(row.itemsPerSec)} vs ${fmt(row.itemsPerSec! / row.vsB)} items/s = ${fmtRatio(row.vsB)}`,
					met: row.vsB >= 20,
				});
		}
	}
	const seq = sweep.find((s) => s.latencyMs === 0 && s.concurrency === 1);
	const c1 = find('c1', 'set', 0);
	if (seq?.msPerRequest !== undefined && c1?.itemsPerSec) {
		const plainMs = 1000 / c1.itemsPerSec;
		const ratio = seq.msPerRequest / plainMs;
		const floor = find('f', 'set', 0);
		const floorMs = floor?.itemsPerSec ? 1000 / floor.itemsPerSec : undefined;
		const c0 = find('c0', 'set', 0);
		const c0Ms = c0?.itemsPerSec ? 1000 / c0.itemsPerSec : undefined;
		out.push({
			target: "(a') concurrency 1, 0 ms, set: within 1.3x of the plain sequential client per request",
			measured:
				`${fmt(seq.msPerRequest, 3)} ms vs ${fmt(plainMs, 3)} ms per request = ${ratio.toFixed(2)}x` +
				(floorMs
					? `; n8n helper floor (f): ${fmt(floorMs, 3)} ms = ${(floorMs / plainMs).toFixed(2)}x the plain client, this node = ${(seq.msPerRequest / floorMs).toFixed(2)}x the floor`
					: '') +
				(c0Ms
					? `; the plain client opening a new connection per request as n8n-core does (c0): ${fmt(c0Ms, 3)} ms = ${(c0Ms / plainMs).toFixed(2)}x`
					: ''),
			met: ratio <= 1.3,
		});
	}
	const floorRow = find('f', 'set', 0);
	const floorText =
		floorRow?.rssGrowthMiB !== undefined && wl.set.inputItems >= 10_000
			? `; the n8n helper floor (f), one request per item and no node logic, grows +${fmt(floorRow.rssGrowthMiB)} MiB over its own empty run` +
				(floorRow.heapAfterGcGrowthMiB !== undefined ? ` (after a full GC +${fmt(floorRow.heapAfterGcGrowthMiB)} MiB)` : '')
			: '';
	for (const p of ['a1', 'a'] as PathId[]) {
		const big = rows.filter((r) => r.path === p && wl[r.workload].units >= 10_000 && r.rssGrowthMiB !== undefined);
		if (!big.length) continue;
		const worst = big.reduce((x, y) => (y.rssGrowthMiB! > x.rssGrowthMiB! ? y : x));
		const heap = worst.heapAfterGcGrowthMiB !== undefined ? `; heap after a full GC at the end, output still held: +${fmt(worst.heapAfterGcGrowthMiB)} MiB` : '';
		out.push({
			target: `${PATH_LABEL[p]}: peak RSS growth for 10,000 items < 150 MB (1 MB = 1 MiB here) over an empty run`,
			measured: `worst +${fmt(worst.rssGrowthMiB)} MiB (${wl[worst.workload].label}, ${worst.latencyMs} ms; peak ${fmt(worst.peakRssMiB)} MiB${heap})${floorText}`,
			met: worst.rssGrowthMiB! < 150,
		});
	}
	return out;
}

// ---------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------

function machine() {
	const cpus = os.cpus();
	let n8nCore = '?';
	try {
		n8nCore = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'node_modules', 'n8n-core', 'package.json'), 'utf8')).version;
	} catch {
		/* not installed */
	}
	return {
		nproc: os.availableParallelism?.() ?? cpus.length,
		cpu: cpus[0]?.model ?? '?',
		memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
		node: process.version,
		n8n: N8N_VERSION,
		n8nCoreForHarness: n8nCore,
		os: `${os.type()} ${os.release()}`,
		loadAvgAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
	};
}

/** The queue-mode case (bench/queue.ts): printed, kept in bench/results, its own section of bench/README.md. */
async function queueBench(flags: Flags): Promise<boolean> {
	const started = Date.now();
	const r = await runQueueBench(flags.queue);
	const m = machine();
	const machineLine =
		`${m.nproc} CPUs (${m.cpu}), ${m.memoryGiB} GiB, ${m.os}; load average at start ${m.loadAvgAtStart.join(' / ')} ` +
		'(shared machine: other jobs ran too)';
	console.log(`\nQueue mode:\n${r.text}\n(${((Date.now() - started) / 1000).toFixed(0)} s)`);
	fs.mkdirSync(RESULTS_DIR, { recursive: true });
	const at = new Date().toISOString();
	fs.writeFileSync(path.join(RESULTS_DIR, `queue-${at.replace(/[:.]/g, '-')}.json`), JSON.stringify({ at, machine: m, ...r }, null, 2));
	if (flags.writeReadme) {
		const command = `npm run bench -- ${process.argv.slice(2).join(' ') || '(full run)'}`.trim();
		const file = path.join(BENCH_DIR, 'README.md');
		fs.writeFileSync(file, replaceQueueSection(fs.readFileSync(file, 'utf8'), queueReadmeSection(r, command, machineLine)));
		console.log('queue table: bench/README.md');
	}
	const bad = r.runs.filter((x) => x.failed > 0 || x.stored !== x.items);
	for (const x of bad) console.log(`queue bench, ${x.workers} worker(s): ${x.failed} executions failed, ${x.stored} of ${x.items} items stored`);
	return bad.length === 0;
}

/** One item per user (bench/users.ts); the table goes to bench/README.md between its markers. */
async function usersBench(flags: Flags): Promise<boolean> {
	const emu = await startBenchEmulator();
	let env: Awaited<ReturnType<typeof prepareN8n>> | undefined;
	try {
		env = await prepareN8n(emu.emulator, (l) => console.log(l));
		const started = Date.now();
		const rows = await runUsersBench(emu, env, { n: flags.usersN, repeat: flags.repeat, log: (l) => console.log(l) });
		const table = usersTable(rows);
		console.log(table);
		if (flags.writeReadme) {
			const file = path.join(BENCH_DIR, 'README.md');
			const text = fs.readFileSync(file, 'utf8');
			const block = `<!-- bench:users:start -->\nLast measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC with \`npm run bench -- --users --users-n=${flags.usersN} --repeat=${flags.repeat}\` (n8n ${N8N_VERSION}, emulator latency 0 ms, ${((Date.now() - started) / 1000).toFixed(0)} s; load average at start ${os.loadavg().map((x) => x.toFixed(2)).join(' / ')}).\n\n${table}\n<!-- bench:users:end -->`;
			fs.writeFileSync(file, text.replace(/<!-- bench:users:start -->[\s\S]*<!-- bench:users:end -->/, block));
		}
		return rows.every((row) => row.ok);
	} finally {
		env?.dispose();
		await emu.close();
	}
}

async function main(): Promise<void> {
	// `--rtt 50` as well as `--rtt=50`
	const argv = process.argv.slice(2).reduce<string[]>((out, arg) => {
		if (out.length && /^--rtt$/.test(out[out.length - 1]) && /^[\d,]+$/.test(arg)) out[out.length - 1] += `=${arg}`;
		else out.push(arg);
		return out;
	}, []);
	const flags = parseFlags(argv);
	if (flags.rateLimitCompare) {
		const text = await runRateLimitCompare(flags.rateLimitCompare);
		console.log(`\n${text}`);
		if (flags.tls?.writeReadme !== false && !process.argv.includes('--no-readme')) {
			const file = path.join(BENCH_DIR, 'README.md');
			const start = '<!-- bench:rate-limit start -->';
			const end = '<!-- bench:rate-limit end -->';
			let readme = fs.readFileSync(file, 'utf8');
			if (!readme.includes(start)) readme += `\n${start}\n${end}\n`;
			readme = readme.slice(0, readme.indexOf(start)) + `${start}\n${text}\n${end}` + readme.slice(readme.indexOf(end) + end.length);
			fs.writeFileSync(file, readme);
		}
		return;
	}
	if (flags.tls) {
		if (!(await runTlsBench(flags.tls))) process.exitCode = 1;
		return;
	}
	if (flags.queueOnly) {
		if (!(await queueBench(flags))) process.exitCode = 1;
		return;
	}
	if (flags.usersOnly) {
		if (!(await usersBench(flags))) process.exitCode = 1;
		return;
	}
	const started = Date.now();
	const wl = workloads(flags.sizes);
	console.log(
		`bench: workloads ${flags.workloads.join(',')}; paths ${flags.paths.join(',')}; latencies ${flags.latencies.join(',')} ms; ` +
			`${flags.repeat} repeat(s); n=${flags.sizes.n}, n20=${flags.sizes.n20}; sweep ${flags.sweep.join(',') || 'off'}`,
	);
	const emu = await startBenchEmulator();
	const ctx: Ctx = { flags, emu, wl, workflowIds: new Map(), results: [], sweep: [], step: 0, totalSteps: 0 };
	try {
		console.log(`emulator ${emu.emulator.url}; seeding ${flags.sizes.n} keys and ${flags.sizes.n} shared keys ...`);
		let t = Date.now();
		await seed(emu.emulator, flags.sizes.n, flags.workloads.includes('listShared') ? flags.sizes.n : 0);
		console.log(`  seeded in ${((Date.now() - t) / 1000).toFixed(1)} s`);

		const usesN8n = flags.paths.includes('a') || flags.paths.includes('b');
		if (usesN8n) {
			t = Date.now();
			console.log(`n8n ${N8N_VERSION}: preparing a sandbox (credentials, workflows) ...`);
			ctx.n8n = await prepareN8n(emu.emulator, (l) => console.log(l));
			const workflows: object[] = [];
			let counter = 0;
			const add = (key: string, name: string, inputCode: string, node: Parameters<typeof benchWorkflow>[3]) => {
				const id = `benchWorkflow${String(++counter).padStart(3, '0')}`;
				ctx.workflowIds.set(key, id);
				workflows.push(benchWorkflow(id, name, inputCode, node));
			};
			const c = flags.concurrency ?? '';
			const conc: IDataObject = flags.concurrency !== undefined ? { concurrency: flags.concurrency } : {};
			const emptyCode = 'return [{ json: { key: "w0", value: "written value 0" } }];';
			if (flags.paths.includes('a'))
				add(`a:empty:${c}`, 'bench a empty', emptyCode, { kind: 'hyperid', parameters: withOptions(wl.set.nodeParameters, conc), typeVersion: wl.set.nodeVersion });
			if (flags.paths.includes('b')) add('b:empty:', 'bench b empty', emptyCode, { kind: 'http', parameters: wl.set.httpParameters!(emu.emulator.url) });
			for (const id of flags.workloads) {
				const w = wl[id];
				if (flags.paths.includes('a'))
					add(`a:${id}:${c}`, `bench a ${id}`, w.inputCode, { kind: 'hyperid', parameters: withOptions(w.nodeParameters, conc), typeVersion: w.nodeVersion });
				if (flags.paths.includes('b') && w.httpParameters)
					add(`b:${id}:`, `bench b ${id}`, w.inputCode, { kind: 'http', parameters: w.httpParameters(emu.emulator.url) });
			}
			await ctx.n8n.sandbox.importWorkflows(workflows);
			console.log(`  n8n sandbox ready in ${((Date.now() - t) / 1000).toFixed(1)} s (${workflows.length} workflows)`);
		}

		// the plan
		type Step = () => Promise<void>;
		const steps: Step[] = [];
		const emptyRss: Partial<Record<PathId, number>> = {};
		const emptyHeap: Partial<Record<PathId, number>> = {};
		for (const p of ['a', 'a1', 'f', 'b'] as PathId[]) {
			if (!flags.paths.includes(p)) continue;
			if (p === 'f' && !(flags.workloads.includes('set') && flags.latencies.includes(0))) continue;
			steps.push(async () => {
				const r = await measure(ctx, p, 'empty', 0, 0);
				ctx.results.push(r);
				if (r.ok) {
					emptyRss[p] = r.peakRssMiB;
					emptyHeap[p] = r.heapAfterGcMiB;
				}
			});
		}
		for (let rep = 0; rep < flags.repeat; rep++) {
			for (const lat of flags.latencies) {
				for (const id of flags.workloads) {
					for (const p of flags.paths) {
						const w = wl[id];
						if ((p === 'b' && !w.httpParameters) || ((p === 'c1' || p === 'c10') && !w.plain)) continue;
						if ((p === 'f' || p === 'c0') && (id !== 'set' || lat > 0)) continue; // floors: sequential sets at 0 ms
						if (p === 'c10' && w.plain?.kind === 'paging') continue; // paging cannot run concurrently
						steps.push(async () => {
							ctx.results.push(await measure(ctx, p, id, lat, rep));
						});
					}
				}
			}
		}
		// concurrency sweep of this node (harness, set). Bounded: at a latency > 0, at most 5,000
		// items and no concurrency below 4 (concurrency 1 at 20 ms would take 100 s alone).
		for (const lat of flags.sweep.length ? flags.latencies : []) {
			const sizes = lat > 0 ? { ...flags.sizes, n: Math.min(flags.sizes.n, SWEEP_N_WITH_LATENCY) } : flags.sizes;
			for (const c of flags.sweep) {
				if (lat > 0 && c < 4) continue;
				for (let rep = 0; rep < flags.repeat; rep++) {
					steps.push(async () => {
						ctx.sweep.push(
							await measure(ctx, 'a1', 'set', lat, rep, { concurrency: c, sizes, label: `sweep: set ×${sizes.n}, concurrency ${c}` }),
						);
					});
				}
			}
		}
		ctx.totalSteps = steps.length;
		for (const s of steps) await s();

		// report
		const rows = summarize(ctx.results, emptyRss, emptyHeap);
		const sweepRows = summarizeSweep(ctx.sweep);
		const tgt = targets(rows, sweepRows, flags, wl);
		const m = machine();
		const totalSeconds = Math.round((Date.now() - started) / 100) / 10;
		const mainTable = table(rows, wl);
		const sweepText = sweepRows.length ? sweepTable(sweepRows) : '';
		const targetText = tgt.map((x) => `- ${x.met ? 'MET' : 'MISSED'}: ${x.target} — ${x.measured}`).join('\n');
		const emptyText = Object.entries(emptyRss)
			.map(([p, v]) => `${PATH_LABEL[p as PathId]} ${fmt(v)} MiB`)
			.join('; ');
		console.log(`\n${mainTable}\n`);
		if (sweepText) console.log(`Concurrency sweep (a', set):\n${sweepText}\n`);
		console.log(`Peak RSS of an empty run (1 item): ${emptyText}`);
		console.log(`Targets:\n${targetText}\n`);
		console.log(`total bench time ${totalSeconds} s`);

		fs.mkdirSync(RESULTS_DIR, { recursive: true });
		const json = {
			at: new Date().toISOString(),
			machine: m,
			flags,
			totalSeconds,
			emptyRunPeakRssMiB: emptyRss,
			rows,
			sweep: sweepRows,
			targets: tgt,
			runs: ctx.results,
			sweepRuns: ctx.sweep,
		};
		const file = path.join(RESULTS_DIR, 'latest.json');
		fs.writeFileSync(file, JSON.stringify(json, null, 2));
		// a dated copy too, so a later partial run (e.g. --cpu-prof) does not lose a full run's figures
		fs.writeFileSync(path.join(RESULTS_DIR, `run-${json.at.replace(/[:.]/g, '-')}.json`), JSON.stringify(json, null, 2));
		console.log(`figures: ${path.relative(REPO_ROOT, file)}`);
		if (flags.writeReadme) {
			writeReadme({ m, flags, totalSeconds, mainTable, sweepText, targetText, emptyText });
			console.log('table: bench/README.md');
		}
		const failed = [...ctx.results, ...ctx.sweep].filter((r) => !r.ok);
		if (failed.length) {
			console.log(`${failed.length} case(s) failed (see above)`);
			process.exitCode = 1;
		}
		if (!flags.noQueue && !(await queueBench(flags))) process.exitCode = 1;
	} finally {
		ctx.n8n?.dispose();
		await emu.close();
	}
}

function writeReadme(x: {
	m: ReturnType<typeof machine>;
	flags: Flags;
	totalSeconds: number;
	mainTable: string;
	sweepText: string;
	targetText: string;
	emptyText: string;
}): void {
	const file = path.join(BENCH_DIR, 'README.md');
	const start = '<!-- bench:results:start -->';
	const end = '<!-- bench:results:end -->';
	const section = [
		start,
		`Last measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC with \`npm run bench${x.flags.quick ? ' -- --quick' : ''}\` ` +
			`(${x.flags.repeat} repeat(s), medians; n=${x.flags.sizes.n}, n20=${x.flags.sizes.n20}; total ${x.totalSeconds} s).`,
		'',
		`Machine: ${x.m.nproc} CPUs (${x.m.cpu}), ${x.m.memoryGiB} GiB, Node ${x.m.node}, n8n ${x.m.n8n} (harness: n8n-core ${x.m.n8nCoreForHarness}), ` +
			`${x.m.os}; load average at start ${x.m.loadAvgAtStart.join(' / ')} (shared machine: other jobs ran too).`,
		'',
		x.mainTable,
		'',
		'\\* time-bounded: the plain loop stopped starting requests after `--plain-max-seconds`; its rate is over what finished.',
		'',
		`Peak RSS of an empty run (1 item): ${x.emptyText}.`,
		'',
		...(x.sweepText
			? [`Concurrency sweep (a', set workload; runs with latency use ${fmt(Math.min(x.flags.sizes.n, SWEEP_N_WITH_LATENCY))} items):`, '', x.sweepText, '']
			: []),
		'Targets:',
		'',
		x.targetText,
		end,
	].join('\n');
	let text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : `# Benchmark\n\n${start}\n${end}\n`;
	if (!text.includes(start)) text += `\n${start}\n${end}\n`;
	text = text.replace(new RegExp(`${start}[\\s\\S]*?${end}`), section);
	fs.writeFileSync(file, text);
}

main().catch((error) => {
	console.error(error);
	process.exitCode = 1;
});
