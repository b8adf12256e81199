/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * The HyperID emulator for the benchmark, in the orchestrating process: request log off, and a
 * per-request timer on the HTTP server (from the moment the request arrives until the answer is
 * flushed) for user-data requests, so every path is timed the same way on the server side.
 */
// a plain require: the module object itself, so replacing createServer is seen by the emulator
import http = require('node:http');
import https = require('node:https');

import axios from 'axios';

import { DEMO, startEmulator, type Emulator } from '../../test/emulator/server';
import { LatencyRecorder } from './common';
import { PATHS } from './workloads';

export { DEMO };
export type { Emulator };

export const SECOND_CLIENT = { clientId: 'bench-second-app', clientSecret: 'bench-second-secret' };

export interface BenchEmulator {
	emulator: Emulator;
	/** where the emulator answers: https://127.0.0.1:PORT when started with `tls` */
	url: string;
	latencies: LatencyRecorder;
	/** HTTP statuses of user-data answers since the last reset (429s of the rate limit) */
	statuses: Map<number, number>;
	/** TLS handshakes completed since the last reset (with `tls`) */
	handshakes: { count: number };
	/** user-data requests only (the per-request latency the table reports) */
	reset(): void;
	close(): Promise<void>;
}

/** Wraps http.createServer for the duration of startEmulator so the bench sees every request. */
export async function startBenchEmulator(opts: { tls?: { key: string; cert: string } } = {}): Promise<BenchEmulator> {
	const latencies = new LatencyRecorder(400_000);
	const statuses = new Map<number, number>();
	const handshakes = { count: 0 };
	const mutableHttp = http as unknown as { createServer: typeof http.createServer };
	const original = mutableHttp.createServer;
	let hooked = false;
	mutableHttp.createServer = ((...args: Parameters<typeof http.createServer>) => {
		// the TLS profile: the same emulator, serving HTTPS with the run's test certificate
		const server = opts.tls
			? (https.createServer({ key: opts.tls.key, cert: opts.tls.cert }, ...(args as [http.RequestListener])) as unknown as http.Server)
			: (original as (...a: unknown[]) => http.Server).apply(http, args);
		hooked = true;
		if (opts.tls) server.on('secureConnection', () => handshakes.count++);
		server.prependListener('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
			if (!req.url?.startsWith('/user-data/') && !req.url?.startsWith('/user-wallets/')) return;
			const started = process.hrtime.bigint();
			res.once('finish', () => {
				latencies.add(Number(process.hrtime.bigint() - started) / 1e6);
				statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
			});
		});
		return server;
	}) as typeof http.createServer;
	let emulator: Emulator;
	try {
		emulator = await startEmulator({ port: 0, log: false, maxKeysPerGet: 100, defaultPageSize: 100 });
	} finally {
		mutableHttp.createServer = original;
	}
	if (!hooked) throw new Error('bench: could not attach the request timer to the emulator');
	emulator.addClient(SECOND_CLIENT);
	return {
		emulator,
		url: opts.tls ? emulator.url.replace(/^http:/, 'https:') : emulator.url,
		latencies,
		statuses,
		handshakes,
		reset() {
			emulator.clearStats();
			latencies.clear();
			statuses.clear();
			handshakes.count = 0;
		},
		close: () => emulator.close(),
	};
}

export function demoToken(emulator: Emulator, clientId: string = DEMO.clientId): string {
	return emulator.createToken({ userId: DEMO.userId, clientId }).access_token;
}

/**
 * Seeds the store through the API (latency 0 while seeding): keys k0..k{n-1} private to the demo
 * client (read by the get workloads), and s0..s{n-1} public keys of a second client of the same
 * user (listed by the demo client's listSharedKeys).
 */
export async function seed(emulator: Emulator, keys: number, sharedKeys: number, tls?: { url: string; ca: string }): Promise<void> {
	const saved = emulator.options.latencyMs;
	emulator.setOptions({ latencyMs: 0 });
	try {
		const jobs: SeedJob[] = [];
		const demo = demoToken(emulator);
		const second = demoToken(emulator, SECOND_CLIENT.clientId);
		for (let i = 0; i < keys; i++) jobs.push({ token: demo, path: PATHS.set, body: { value_key: `k${i}`, value_data: `value of k${i}`, access_scope: 0 } });
		for (let i = 0; i < sharedKeys; i++)
			jobs.push({ token: second, path: PATHS.sharedSet, body: { value_key: `s${i}`, value_data: `shared value ${i}`, access_scope: 1 } });
		await storeThroughApi(tls?.url ?? emulator.url, jobs, tls?.ca);
	} finally {
		emulator.setOptions({ latencyMs: saved });
	}
}

export interface SeedJob {
	token: string;
	path: string;
	body: object;
}

/** Sends every job (16 at a time, kept-alive connections, at most 120 s); each must answer result 0. */
export async function storeThroughApi(baseUrl: string, jobs: SeedJob[], ca?: string): Promise<void> {
	const agent = ca ? new https.Agent({ keepAlive: true, maxSockets: 16, ca }) : new http.Agent({ keepAlive: true, maxSockets: 16 });
	try {
		let next = 0;
		const deadline = Date.now() + 120_000;
		const worker = async () => {
			while (next < jobs.length) {
				if (Date.now() > deadline) throw new Error('bench: seeding took longer than 120 s');
				const job = jobs[next++];
				const r = await axios.post(`${baseUrl}${job.path}`, job.body, {
					httpAgent: agent,
					httpsAgent: agent,
					headers: { Authorization: `Bearer ${job.token}` },
				});
				if (r.data?.result !== 0) throw new Error(`bench: seeding failed: ${JSON.stringify(r.data)}`);
			}
		};
		await Promise.all(Array.from({ length: 16 }, worker));
	} finally {
		agent.destroy();
	}
}
