/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * A child process of the benchmark (one per measured case, so each has its own peak RSS):
 * - kind 'harness': this node through the in-process n8n-core harness (test/harness), real request
 *   helpers and OAuth2 signing, in-memory credentials;
 * - kind 'plain': a keep-alive axios loop, sequential or N concurrent (the floor).
 * Receives one job over IPC, answers with one message, exits.
 */
import * as fs from 'node:fs';
import http = require('node:http');
import https = require('node:https');
import * as path from 'node:path';

import axios from 'axios';
import type { IDataObject, INodeType } from 'n8n-workflow';

import { LatencyRecorder, procMemory, REPO_ROOT } from './lib/common';
import { workloads, withOptions, type Sizes, type WorkloadId } from './lib/workloads';

export interface HarnessJob {
	kind: 'harness';
	emulatorUrl: string;
	clientId: string;
	clientSecret: string;
	accessToken: string;
	refreshToken: string;
	workload: WorkloadId;
	sizes: Sizes;
	/** merged into the node's options (e.g. { concurrency: 1 }) */
	options?: IDataObject;
	/** 'dist' (the built package, as n8n loads it) or 'src' (TypeScript sources through ts-node) */
	nodeSource: 'dist' | 'src';
	/** replace the input by its first item (the "empty run" for the RSS baseline) */
	emptyRun?: boolean;
	/** run bench/lib/floorNode.ts (the n8n helper floor) instead of this node; set workload only */
	floor?: boolean;
	/** another build of this package to load instead of this checkout's dist (bench/rateLimit.ts: the baseline) */
	packageDir?: string;
}

export interface PlainJob {
	kind: 'plain';
	emulatorUrl: string;
	accessToken: string;
	workload: WorkloadId;
	sizes: Sizes;
	concurrency: number;
	/**
	 * true: one keep-alive agent for the loop (the floor). false: a new `http.Agent` (no keep-alive)
	 * for every request, which is what n8n-core's request helper does (`setAxiosAgents`).
	 */
	keepAlive: boolean;
	/** stop starting requests after this long (the rate of what finished is reported) */
	maxSeconds: number;
}

export interface WorkerResult {
	ok: boolean;
	error?: string;
	/** units (items, or listed keys) completed */
	units: number;
	outputs?: number;
	/** the node's own time (n8n's executionTime) or the loop's time, ms */
	workMs: number;
	/** runNode's whole duration (start node included), ms */
	totalMs?: number;
	partial?: boolean;
	requestsSent?: number;
	credentialReads?: number;
	clientLatency?: { n: number; p50?: number; p99?: number };
	peakRssMiB?: number;
	/**
	 * V8 heap in use after two full GCs at the end of the run, while the run's output is still
	 * referenced (harness only; the worker runs with --expose-gc): what the run really keeps, as
	 * opposed to garbage not yet collected.
	 */
	heapAfterGcMiB?: number;
}

/** heap in use after full GCs; undefined without --expose-gc */
function heapAfterGcMiB(): number | undefined {
	const gc = (globalThis as { gc?: () => void }).gc;
	if (typeof gc !== 'function') return undefined;
	gc();
	gc();
	return process.memoryUsage().heapUsed / 2 ** 20;
}

async function runHarness(job: HarnessJob): Promise<WorkerResult> {
	const harness = require('../test/harness/harness') as typeof import('../test/harness/harness');
	const nodeModule =
		job.nodeSource === 'src'
			? require('../nodes/HyperIdUserData/HyperIdUserData.node')
			: require(path.join(job.packageDir ?? REPO_ROOT, 'dist', 'nodes', 'HyperIdUserData', 'HyperIdUserData.node.js'));
	const w = workloads(job.sizes)[job.workload];
	const floor = job.floor ? (require('./lib/floorNode') as typeof import('./lib/floorNode')) : undefined;
	const NodeClass = (floor ? floor.HelperFloor : nodeModule.HyperIdUserData) as new () => INodeType;
	const store = new harness.CredentialStore(
		harness.hyperIdCustomCredentials(job.emulatorUrl, {
			clientId: job.clientId,
			clientSecret: job.clientSecret,
			oauthTokenData: { access_token: job.accessToken, refresh_token: job.refreshToken, token_type: 'Bearer' },
		}),
	);
	let input = w.input();
	if (job.emptyRun) input = input.slice(0, 1);
	const result = await harness.runNode({
		nodeType: new NodeClass(),
		parameters: (floor ? {} : withOptions(w.nodeParameters, job.options ?? {})) as never,
		typeVersion: floor ? undefined : w.nodeVersion,
		inputItems: input,
		credentials: store,
	});
	const outputs = result.outputs?.[0]?.length ?? 0;
	// measured while `result` (input, output items, task data) is still referenced
	const heapAfterGc = heapAfterGcMiB();
	const executionTime = result.taskData?.executionTime ?? result.durationMs;
	return {
		ok: !result.error && result.status === 'success',
		error: result.error ? String(result.error.message) : undefined,
		units: job.emptyRun ? 1 : w.units,
		outputs,
		workMs: executionTime,
		totalMs: result.durationMs,
		credentialReads: store.getDecryptedCalls,
		heapAfterGcMiB: heapAfterGc,
	};
}

async function runPlain(job: PlainJob): Promise<WorkerResult> {
	const w = workloads(job.sizes)[job.workload];
	if (!w.plain) throw new Error(`no plain-client form of ${job.workload}`);
	// https (the TLS profile): the test CA comes from NODE_EXTRA_CA_CERTS, as for n8n
	const secure = job.emulatorUrl.startsWith('https:');
	const newAgent = (options: http.AgentOptions) => (secure ? new https.Agent(options) : new http.Agent(options));
	const agent = newAgent({ keepAlive: true, maxSockets: Math.max(1, job.concurrency) });
	const client = axios.create({
		baseURL: job.emulatorUrl,
		httpAgent: agent,
		httpsAgent: agent,
		headers: { Authorization: `Bearer ${job.accessToken}`, 'Content-Type': 'application/json' },
		timeout: 30_000,
	});
	const latency = new LatencyRecorder(100_000);
	const post = async (p: string, body: IDataObject): Promise<IDataObject> => {
		const t = process.hrtime.bigint();
		const fresh = job.keepAlive ? undefined : newAgent({});
		const r = await client.post(p, body, fresh ? { httpAgent: fresh, httpsAgent: fresh } : undefined);
		latency.add(Number(process.hrtime.bigint() - t) / 1e6);
		const data = r.data as IDataObject;
		if (typeof data?.result !== 'number' || (data.result as number) < 0) {
			throw new Error(`HyperID answered ${JSON.stringify(data).slice(0, 200)}`);
		}
		return data;
	};
	const deadline = Date.now() + job.maxSeconds * 1000;
	const started = performance.now();
	let units = 0;
	let requests = 0;
	let partial = false;
	if (w.plain.kind === 'fixed') {
		const bodies = w.plain.bodies();
		const plainPath = w.plain.path;
		let next = 0;
		const worker = async () => {
			while (next < bodies.length) {
				if (Date.now() > deadline) {
					partial = true;
					return;
				}
				const body = bodies[next++];
				requests++;
				await post(plainPath, body);
				units++;
			}
		};
		await Promise.all(Array.from({ length: Math.max(1, job.concurrency) }, worker));
	} else {
		// paging is sequential by nature: each page names the next
		let searchId = '';
		for (let page = 0; page < 100_000; page++) {
			if (Date.now() > deadline) {
				partial = true;
				break;
			}
			const body: IDataObject = { page_size: w.plain.pageSize };
			if (searchId) body.search_id = searchId;
			requests++;
			const data = await post(w.plain.path, body);
			units += Array.isArray(data.keys_shared) ? data.keys_shared.length : 0;
			searchId = typeof data.next_search_id === 'string' ? data.next_search_id : '';
			if (!searchId) break;
		}
	}
	const workMs = performance.now() - started;
	agent.destroy();
	return { ok: true, units, workMs, partial, requestsSent: requests, clientLatency: latency.summary() };
}

process.on('message', (job: HarnessJob | PlainJob) => {
	const work = job.kind === 'harness' ? runHarness(job) : runPlain(job);
	work
		.catch((error: Error): WorkerResult => ({ ok: false, error: error.stack ?? String(error), units: 0, workMs: 0 }))
		.then((result) => {
			result.peakRssMiB = procMemory('self')?.hwmMiB;
			process.send!(result, () => {
				// n8n-core leaves timers behind; exit explicitly (this also flushes --cpu-prof)
				process.exit(0);
			});
		});
});

if (!process.send) {
	fs.writeSync(2, 'bench/worker.ts is started by bench/run.ts\n');
	process.exit(2);
}
