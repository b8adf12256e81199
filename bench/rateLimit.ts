/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * `npm run bench -- --rate-limit-compare=20`: this node against itself before the adaptive requests
 * in flight (BASELINE_COMMIT, a fixed 32), both through the in-process harness (no n8n start-up:
 * the figure that matters here is how often HyperID had to refuse), against the emulator with a
 * rate limit (HTTP 429 + Retry-After beyond N user-data requests/s) and a per-request latency.
 * Interleaved, --repeat times; counts of 429s, items/s, and whether every item was stored.
 *
 *   --rate-limit-compare=N  --rate-limit-latency=50 (ms)  --rate-limit-n=1000  --repeat=3
 */
import { fork } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';

import { BENCH_DIR, REPO_ROOT, fmt, median } from './lib/common';
import { startBenchEmulator } from './lib/emulator';
import { BASELINE_COMMIT, buildBaseline } from './tls';
import type { HarnessJob, WorkerResult } from './worker';

export interface RateLimitOptions {
	rate: number;
	latencyMs: number;
	n: number;
	repeat: number;
}

function forkHarness(job: HarnessJob): Promise<WorkerResult> {
	return new Promise((resolve) => {
		const child = fork(path.join(BENCH_DIR, 'worker.ts'), [], {
			execArgv: ['-r', 'ts-node/register/transpile-only'],
			cwd: REPO_ROOT,
			env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true' },
			stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
		});
		let answer: WorkerResult | undefined;
		const timer = setTimeout(() => child.kill('SIGKILL'), 600_000);
		child.on('message', (m: WorkerResult) => (answer = m));
		child.on('close', (code) => {
			clearTimeout(timer);
			resolve(answer ?? { ok: false, error: `worker exited ${code}`, units: 0, workMs: 0 });
		});
		child.send(job);
	});
}

export async function runRateLimitCompare(o: RateLimitOptions): Promise<string> {
	const baseline = buildBaseline((l) => console.log(l));
	const bench = await startBenchEmulator();
	const load = os.loadavg();
	const rows: Array<{ path: string; rep: number; ok: boolean; error?: string; itemsPerSec?: number; status429: number; stored: number; requests: number }> = [];
	try {
		const paths = [
			{ label: '(a\') this node, defaults (adaptive, ≤ 64 in flight)', dir: undefined },
			{ label: `(a0') this node today (${BASELINE_COMMIT}), defaults (32 in flight)`, dir: baseline },
		];
		for (let rep = 0; rep < o.repeat; rep++) {
			for (const p of paths) {
				bench.emulator.reset();
				bench.emulator.addClient({ clientId: 'bench-second-app', clientSecret: 'bench-second-secret' });
				bench.reset();
				// a full bucket for each case
				bench.emulator.setOptions({ latencyMs: o.latencyMs, rateLimitPerSecond: 0 });
				bench.emulator.setOptions({ rateLimitPerSecond: o.rate });
				const { DEMO } = await import('../test/emulator/server');
				const grant = bench.emulator.createToken({ userId: DEMO.userId, clientId: DEMO.clientId });
				const x = await forkHarness({
					kind: 'harness',
					emulatorUrl: bench.emulator.url,
					clientId: DEMO.clientId,
					clientSecret: DEMO.clientSecret,
					accessToken: grant.access_token,
					refreshToken: grant.refresh_token,
					workload: 'set',
					sizes: { n: o.n, n20: 1 },
					options: {},
					nodeSource: 'dist',
					packageDir: p.dir,
				});
				const data = bench.emulator.store().data as Record<string, Record<string, Record<string, unknown>>>;
				const stored = Object.keys(data[DEMO.userId]?.email ?? {}).filter((k) => /^w\d+$/.test(k)).length;
				const status429 = bench.statuses.get(429) ?? 0;
				const requests = [...bench.statuses.values()].reduce((a, b) => a + b, 0);
				const row = { path: p.label, rep, ok: x.ok, error: x.error, itemsPerSec: x.ok && x.workMs ? (o.n * 1000) / x.workMs : undefined, status429, stored, requests };
				rows.push(row);
				console.log(`[rate limit ${o.rate}/s, ${o.latencyMs} ms] ${p.label} rep ${rep + 1}: ${x.ok ? 'ok' : `FAILED (${(x.error ?? '').split('\n')[0]})`}, ${fmt(row.itemsPerSec)} items/s, ${requests} requests, ${status429} × 429, ${stored} stored`);
			}
		}
	} finally {
		await bench.close();
	}
	const lines = [
		`Last measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC with \`npm run bench -- --rate-limit-compare=${o.rate} --rate-limit-latency=${o.latencyMs} --rate-limit-n=${o.n} --repeat=${o.repeat}\` ` +
			`(in-process harness, plain HTTP on 127.0.0.1, emulator latency ${o.latencyMs} ms, rate limit ${o.rate} requests/s; load average ${load.map((x) => x.toFixed(2)).join(' / ')} at start, ${os.loadavg().map((x) => x.toFixed(2)).join(' / ')} at end).`,
		'',
		'| path | 429s (median) | 429s per run | requests per run | items stored per run | items/s (median) | runs completed |',
		'|---|---|---|---|---|---|---|',
	];
	for (const label of [...new Set(rows.map((r) => r.path))]) {
		const rs = rows.filter((r) => r.path === label);
		lines.push(
			`| ${label} | ${fmt(median(rs.map((r) => r.status429)))} | ${rs.map((r) => r.status429).join(', ')} | ${rs.map((r) => r.requests).join(', ')} | ${rs.map((r) => r.stored).join(', ')} | ${fmt(median(rs.map((r) => r.itemsPerSec)))} | ${rs.filter((r) => r.ok).length} of ${rs.length} |`,
		);
	}
	return lines.join('\n');
}
