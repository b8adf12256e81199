/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * `npm run bench -- --queue` (also part of the full `npm run bench`): this node in n8n queue mode.
 * Many webhook executions at once (Webhook -> Split Out -> HyperID User Data, by Email, Set; each
 * execution sets `items` keys), through 1 worker, then through 2 (a second `n8n worker` added to
 * the same main, Postgres and Redis). Tokens expire every `expireEvery` user-data requests, so
 * refreshes happen under load. Per run: items/s, requests in flight at the emulator, refreshes,
 * and CPU seconds and peak memory of every process (main, workers, Postgres, Redis, and this
 * process: the emulator and the load driver), read from /proc.
 */
import * as os from 'node:os';

import { TOKEN_PATH } from '../test/emulator/server';
import { webhookLoad } from '../test/shared/n8n/burst';
import { connectedCredential } from '../test/shared/n8n/hyperid';
import { ensureN8n, loadVersions } from '../test/shared/n8n/install';
import { PACKAGE_NAME } from '../test/shared/n8n/n8n';
import { startDeployment, type Deployment } from '../test/shared/n8n/queue';
import type { WorkflowJson } from '../test/shared/n8n/workflow';
import { sampleUsage, stopAllOnSignals, type UsageSample } from '../test/shared/services/processes';
import { fmt, fmtRatio } from './lib/common';
import { DEMO, startBenchEmulator, type BenchEmulator } from './lib/emulator';

export interface QueueBenchOptions {
	version: string;
	executions: number;
	items: number;
	latencyMs: number;
	expireEvery: number;
	workers: number[];
	/** each worker's --concurrency (n8n's default: 10) */
	workerConcurrency?: number;
}

export interface QueueRun {
	workers: number;
	executions: number;
	failed: number;
	items: number;
	stored: number;
	seconds: number;
	itemsPerSec: number;
	maxInFlight: number;
	userDataRequests: number;
	refreshes: number;
	refreshRefused: number;
	serverP50?: number;
	serverP99?: number;
	usage: UsageSample[];
	/** CPU seconds of everything measured / wall seconds: how many of the machine's cores were busy */
	coresBusy: number;
	loadAvg1: number;
}

export interface QueueBenchResult {
	options: QueueBenchOptions;
	runs: QueueRun[];
	ratio?: number;
	table: string;
	text: string;
}

const WEBHOOK_PATH = 'bench-queue-set';
const WORKFLOW_ID = 'benchQueueSet001';
const CREDENTIAL = { id: 'benchQueueCred01', name: 'HyperID (queue bench)' };

function workflow(): WorkflowJson {
	return {
		id: WORKFLOW_ID,
		name: 'Queue bench: webhook items -> HyperID set',
		active: false,
		nodes: [
			{
				id: 'qb-webhook',
				name: 'Webhook',
				type: 'n8n-nodes-base.webhook',
				typeVersion: 2,
				position: [0, 0],
				webhookId: '6a7b8c9d-0000-4000-8000-00000000b001',
				parameters: { httpMethod: 'POST', path: WEBHOOK_PATH, responseMode: 'lastNode', responseData: 'noData', options: {} },
			},
			{
				id: 'qb-split',
				name: 'Split Out',
				type: 'n8n-nodes-base.splitOut',
				typeVersion: 1,
				position: [220, 0],
				parameters: { fieldToSplitOut: 'body.items', options: {} },
			},
			{
				id: 'qb-set',
				name: 'HyperID Set',
				type: `${PACKAGE_NAME}.hyperIdUserData`,
				typeVersion: 1,
				position: [440, 0],
				parameters: { resource: 'userDataByEmail', operation: 'set', key: '={{ $json.key }}', value: '={{ $json.value }}', options: {} },
				credentials: { hyperIdOAuth2Api: CREDENTIAL },
			},
		],
		connections: {
			Webhook: { main: [[{ node: 'Split Out', type: 'main', index: 0 }]] },
			'Split Out': { main: [[{ node: 'HyperID Set', type: 'main', index: 0 }]] },
		},
		settings: { executionOrder: 'v1' },
	};
}

async function oneRun(
	emu: BenchEmulator,
	d: Deployment,
	o: QueueBenchOptions,
	workers: number,
	log: (l: string) => void,
): Promise<QueueRun> {
	const prefix = `q${workers}w-${Date.now().toString(36)}`;
	const bodies = (i: number) => ({
		items: Array.from({ length: o.items }, (_, j) => ({ key: `${prefix}-${i}-${j}`, value: `value ${j} of execution ${i}` })),
	});
	// warm-up: every worker has loaded the workflow and the node before the measured run
	emu.emulator.setOptions({ latencyMs: o.latencyMs, expireTokensEveryRequests: 0 });
	await webhookLoad({ url: d.webhookUrl(WEBHOOK_PATH), count: workers * 4, body: (i) => ({ items: [{ key: `warm-${prefix}-${i}`, value: 'w' }] }) });

	emu.emulator.setOptions({ latencyMs: o.latencyMs, expireTokensEveryRequests: o.expireEvery });
	emu.reset();
	const sampler = sampleUsage([...d.processes(), { name: 'bench (emulator, load)', pid: process.pid, alone: true }], 500);
	const step = Math.max(1, Math.ceil(o.executions / 5));
	const load = await webhookLoad({
		url: d.webhookUrl(WEBHOOK_PATH),
		count: o.executions,
		body: bodies,
		timeoutMs: 600_000,
		onAnswer: (_c, done) => {
			if (done % step === 0) log(`    ${done}/${o.executions} executions answered`);
		},
	});
	const usage = sampler.stop();
	const stats = emu.emulator.stats();
	const server = emu.latencies.summary();
	emu.emulator.setOptions({ expireTokensEveryRequests: 0 });
	const byEmail = emu.emulator.store().data[DEMO.userId]?.['email'] ?? {};
	let stored = 0;
	for (let i = 0; i < o.executions; i++)
		for (let j = 0; j < o.items; j++) if (byEmail[`${prefix}-${i}-${j}`]?.value_data === `value ${j} of execution ${i}`) stored++;
	const items = o.executions * o.items;
	const tokenRequests = stats.requestsByPath[TOKEN_PATH] ?? 0;
	const userDataRequests = Object.entries(stats.requestsByPath)
		.filter(([k]) => k.startsWith('/user-data/'))
		.reduce((a, [, n]) => a + n, 0);
	const cpu = usage.reduce((a, u) => a + u.cpuSeconds, 0);
	return {
		workers,
		executions: o.executions,
		failed: load.failed,
		items,
		stored,
		seconds: load.seconds,
		itemsPerSec: stored / load.seconds,
		maxInFlight: stats.maxInFlight,
		userDataRequests,
		refreshes: stats.tokenGrants.refresh_token,
		refreshRefused: tokenRequests - stats.tokenGrants.refresh_token,
		serverP50: server.p50,
		serverP99: server.p99,
		usage,
		coresBusy: cpu / load.seconds,
		loadAvg1: os.loadavg()[0],
	};
}

function formatRuns(runs: QueueRun[]): string {
	const head = ['workers', 'executions', 'failed', 'items stored', 'seconds', 'items/s', 'max in flight', 'user-data requests', 'refreshes (ok / refused)', 'p50 / p99 ms', 'CPU s: main / workers / postgres / redis / emulator+driver', 'cores busy', 'peak RSS MiB: main / workers / redis', 'Postgres PSS MiB'];
	const byName = (r: QueueRun, name: string) => r.usage.find((u) => u.name === name);
	const workerUsage = (r: QueueRun) => r.usage.filter((u) => u.name.startsWith('worker-'));
	return [
		`| ${head.join(' | ')} |`,
		`|${head.map(() => '---').join('|')}|`,
		...runs.map((r) => {
			const w = workerUsage(r);
			return `| ${[
				r.workers,
				r.executions,
				r.failed,
				`${fmt(r.stored)} / ${fmt(r.items)}`,
				fmt(r.seconds, 1),
				fmt(r.itemsPerSec),
				r.maxInFlight,
				fmt(r.userDataRequests),
				`${r.refreshes} / ${r.refreshRefused}`,
				`${fmt(r.serverP50, 1)} / ${fmt(r.serverP99, 1)}`,
				[fmt(byName(r, 'main')?.cpuSeconds, 1), w.map((u) => fmt(u.cpuSeconds, 1)).join(' + '), fmt(byName(r, 'postgres')?.cpuSeconds, 1), fmt(byName(r, 'redis')?.cpuSeconds, 1), fmt(byName(r, 'bench (emulator, load)')?.cpuSeconds, 1)].join(' / '),
				fmt(r.coresBusy, 2),
				[fmt(byName(r, 'main')?.peakRssMiB), w.map((u) => fmt(u.peakRssMiB)).join(' + '), fmt(byName(r, 'redis')?.peakRssMiB)].join(' / '),
				fmt(byName(r, 'postgres')?.peakTreePssMiB),
			].join(' | ')} |`;
		}),
	].join('\n');
}

export async function runQueueBench(o: QueueBenchOptions, log: (l: string) => void = console.log): Promise<QueueBenchResult> {
	stopAllOnSignals();
	const entry = loadVersions(o.version)[0];
	const runtime = await ensureN8n(entry, log);
	const emu = await startBenchEmulator();
	let d: Deployment | undefined;
	const runs: QueueRun[] = [];
	try {
		const credential = connectedCredential(emu.emulator, CREDENTIAL);
		const sorted = [...o.workers].sort((a, b) => a - b);
		d = await startDeployment({
			runtime,
			mode: 'queue',
			workers: sorted[0],
			workerConcurrency: o.workerConcurrency,
			credentials: [{ id: credential.id, name: credential.name, type: credential.type, data: credential.data }],
			workflows: [workflow()],
			log,
		});
		for (const n of sorted) {
			while (d.workers.length < n) await d.addWorker();
			log(`queue bench: ${o.executions} executions × ${o.items} items through ${n} worker(s), latency ${o.latencyMs} ms, tokens expiring every ${fmt(o.expireEvery)} requests ...`);
			const r = await oneRun(emu, d, o, n, log);
			runs.push(r);
			log(
				`  ${n} worker(s): ${fmt(r.itemsPerSec)} items/s, ${r.failed} failed, ${fmt(r.stored)}/${fmt(r.items)} stored, ${r.seconds.toFixed(1)} s, ` +
					`in flight ≤${r.maxInFlight}, ${r.refreshes} refreshes (${r.refreshRefused} refused), ${r.coresBusy.toFixed(2)} cores busy`,
			);
		}
	} finally {
		await d?.stop();
		await emu.close();
	}
	const one = runs.find((r) => r.workers === 1);
	const two = runs.find((r) => r.workers === 2);
	const ratio = one && two ? two.itemsPerSec / one.itemsPerSec : undefined;
	const table = formatRuns(runs);
	const text = [
		table,
		'',
		ratio !== undefined ? `2 workers / 1 worker: ${fmtRatio(ratio)} items/s.` : '',
	].join('\n');
	return { options: o, runs, ratio, table, text };
}

const README_START = '<!-- bench:queue:start -->';
const README_END = '<!-- bench:queue:end -->';

/** Replace the queue section of bench/README.md (between its markers; appended when missing). */
export function queueReadmeSection(r: QueueBenchResult, command: string, machine: string): string {
	const o = r.options;
	return [
		README_START,
		`Last measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC with \`${command}\`: n8n ${o.version} in queue mode ` +
			`(main + workers, Postgres, Redis on the same machine), ${o.executions} webhook executions sent at once, ${o.items} set items each ` +
			`(Webhook → Split Out → HyperID User Data, by Email, Set, node defaults: Concurrency 32), worker concurrency ` +
			`${o.workerConcurrency ?? 'n8n default (10)'}, emulator latency ${o.latencyMs} ms, tokens expiring every ${fmt(o.expireEvery)} user-data requests.`,
		'',
		`Machine: ${machine}.`,
		'',
		r.text,
		README_END,
	].join('\n');
}

export function replaceQueueSection(readme: string, section: string): string {
	if (!readme.includes(README_START)) return `${readme.trimEnd()}\n\n${section}\n`;
	return readme.replace(new RegExp(`${README_START}[\\s\\S]*?${README_END}`), section);
}
