/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * A throw-away Redis for tests: Debian's `redis-server` on a free 127.0.0.1 port, its working folder
 * a temp folder, with a snapshot save point (so a clean stop writes dump.rdb and a restart loads it,
 * as `systemctl restart redis-server` does with Debian's redis.conf; no append-only file). Stopped
 * (and the folder removed) by stop() or on exit.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

import { freePort } from './ports';
import { onExitCleanup, startProcess, tailLines, type ManagedProcess } from './processes';

export interface Redis {
	host: string;
	port: number;
	/** the running redis-server (a new one after restart()) */
	readonly process: ManagedProcess;
	readonly pid: number;
	/** QUEUE_BULL_REDIS_* variables for n8n */
	n8nEnv(): NodeJS.ProcessEnv;
	/** one command in RESP (e.g. ['DBSIZE']); the raw reply */
	command(args: string[]): Promise<string>;
	/** stop redis-server (SIGTERM: it saves its snapshot) and start it again, same port and folder */
	restart(): Promise<{ downMs: number }>;
	stop(): Promise<void>;
}

export async function startRedis(opts: { log?: (line: string) => void; binary?: string } = {}): Promise<Redis> {
	const log = opts.log ?? (() => undefined);
	const binary = opts.binary ?? process.env.REDIS_SERVER ?? 'redis-server';
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-queue-redis-'));
	const removeDir = () => fs.rmSync(dir, { recursive: true, force: true });
	const unregister = onExitCleanup(removeDir);
	const port = await freePort();
	const started = Date.now();
	// a save point makes SIGTERM write the snapshot; an hour's: no snapshot forks during a test run
	const launch = () =>
		startProcess({
			name: 'redis',
			command: binary,
			args: ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '3600 1', '--appendonly', 'no', '--protected-mode', 'yes'],
			cwd: dir,
		});
	let proc = launch();
	const ready = async (p: ManagedProcess) => {
		await p.waitForOutput(/Ready to accept connections/, 30_000);
		const pong = await command(['PING']);
		if (!pong.startsWith('+PONG')) throw new Error(`PING answered ${JSON.stringify(pong)}`);
	};
	let stopped = false;
	const stop = async () => {
		stopped = true;
		await proc.stop();
		removeDir();
		unregister();
	};
	const command = (args: string[]) => resp(port, args);
	try {
		await ready(proc);
	} catch (e) {
		await stop();
		const hint = /ENOENT|could not start/.test(proc.output()) ? ' (apt-get install redis-server)' : '';
		throw new Error(`Redis did not start${hint}: ${(e as Error).message}\n${tailLines(proc.output(), 10)}`);
	}
	log(`Redis on 127.0.0.1:${port} (${((Date.now() - started) / 1000).toFixed(1)}s)`);
	return {
		host: '127.0.0.1',
		port,
		get process() {
			return proc;
		},
		get pid() {
			return proc.pid;
		},
		n8nEnv: () => ({ QUEUE_BULL_REDIS_HOST: '127.0.0.1', QUEUE_BULL_REDIS_PORT: String(port) }),
		command,
		restart: async () => {
			if (stopped) throw new Error('Redis was stopped');
			const t = Date.now();
			await proc.stop();
			proc = launch();
			try {
				await ready(proc);
			} catch (e) {
				throw new Error(`Redis did not start again on port ${port}: ${(e as Error).message}\n${tailLines(proc.output(), 10)}`);
			}
			return { downMs: Date.now() - t };
		},
		stop,
	};
}

/** Send one command, read until the reply looks complete (simple replies: one line). */
function resp(port: number, args: string[]): Promise<string> {
	return new Promise((resolve, reject) => {
		const socket = net.connect(port, '127.0.0.1');
		let reply = '';
		socket.setTimeout(5000, () => socket.destroy(new Error('Redis did not answer within 5 s')));
		socket.on('connect', () => {
			socket.write(`*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join(''));
		});
		socket.on('data', (b) => {
			reply += b.toString();
			if (reply.endsWith('\r\n')) {
				socket.end();
				resolve(reply);
			}
		});
		socket.on('error', reject);
	});
}
