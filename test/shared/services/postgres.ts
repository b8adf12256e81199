/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * A throw-away Postgres for tests: Debian's `postgresql` server binaries, a new cluster in a temp
 * folder, listening on a free 127.0.0.1 port (and a unix socket inside that folder), trust
 * authentication, durability off (a test database). Postgres refuses to run as root: as root the
 * cluster is created and run as the `postgres` user (runuser), the folder owned by it.
 *
 *   const pg = await startPostgres({ log });
 *   ... pg.n8nEnv() ... await pg.query('select 1') ...
 *   await pg.stop();   // stops the server and removes the folder
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

import { onExitCleanup, startProcess, tailLines, type ManagedProcess } from './processes';
import { freePort } from './ports';

const run = promisify(execFile);

export const DATABASE = 'n8n';
export const DB_USER = 'n8n';

export interface Postgres {
	host: string;
	port: number;
	database: string;
	user: string;
	dir: string;
	process: ManagedProcess;
	/** the postmaster's pid (its backends are its children) */
	pid: number;
	/** DB_* variables for n8n */
	n8nEnv(): NodeJS.ProcessEnv;
	/** run SQL with psql; rows as tab-separated lines */
	query(sql: string): Promise<string[][]>;
	stop(): Promise<void>;
}

/** The folder of Debian's server binaries (newest major), or POSTGRES_BIN. */
export function postgresBinDir(): string {
	if (process.env.POSTGRES_BIN) return process.env.POSTGRES_BIN;
	const base = '/usr/lib/postgresql';
	const majors = fs.existsSync(base)
		? fs
				.readdirSync(base)
				.filter((d) => fs.existsSync(path.join(base, d, 'bin', 'postgres')))
				.sort((a, b) => Number(b) - Number(a))
		: [];
	if (!majors.length)
		throw new Error('Postgres server binaries not found in /usr/lib/postgresql/*/bin: apt-get install postgresql (or set POSTGRES_BIN)');
	return path.join(base, majors[0], 'bin');
}

export async function startPostgres(opts: { log?: (line: string) => void; maxConnections?: number } = {}): Promise<Postgres> {
	const log = opts.log ?? (() => undefined);
	const bin = postgresBinDir();
	const asRoot = process.getuid?.() === 0;
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-queue-pg-'));
	const removeDir = () => fs.rmSync(dir, { recursive: true, force: true });
	const unregister = onExitCleanup(removeDir);
	const dataDir = path.join(dir, 'data');
	const as = (cmd: string, args: string[]): [string, string[]] =>
		asRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
	if (asRoot) {
		await run('chown', ['postgres:postgres', dir]);
		fs.chmodSync(dir, 0o700);
	}
	const started = Date.now();
	try {
		await run(...as(path.join(bin, 'initdb'), ['-D', dataDir, '-U', DB_USER, '--auth=trust', '-E', 'UTF8', '--no-instructions']), {
			timeout: 60_000,
		});
	} catch (e) {
		removeDir();
		unregister();
		const err = e as { stderr?: string; message: string };
		throw new Error(`initdb failed: ${err.stderr || err.message}`);
	}
	const port = await freePort();
	const settings = {
		listen_addresses: '127.0.0.1',
		port: String(port),
		unix_socket_directories: dir,
		max_connections: String(opts.maxConnections ?? 100),
		// a test database: nothing must survive a crash
		fsync: 'off',
		synchronous_commit: 'off',
		full_page_writes: 'off',
	};
	const [cmd, args] = as(
		path.join(bin, 'postgres'),
		['-D', dataDir, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])],
	);
	let postmasterPid = 0;
	const proc = startProcess({
		name: 'postgres',
		command: cmd,
		args,
		// SIGINT: fast shutdown (SIGTERM would wait for n8n's pooled connections to close)
		stopSignal: 'SIGINT',
		killAfterMs: 10_000,
		killExtra: () => {
			if (postmasterPid) process.kill(postmasterPid, 'SIGKILL');
		},
	});
	const stop = async () => {
		await proc.stop();
		removeDir();
		unregister();
	};
	try {
		await proc.waitForOutput(/database system is ready to accept connections/, 60_000);
		const pidFile = fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8');
		postmasterPid = Number(pidFile.split('\n')[0]);
		await psql(port, 'postgres', `CREATE DATABASE ${DATABASE}`);
	} catch (e) {
		await stop();
		throw new Error(`Postgres did not start: ${(e as Error).message}\n${tailLines(proc.output(), 20)}`);
	}
	log(`Postgres ${path.basename(path.dirname(bin))} on 127.0.0.1:${port} (${((Date.now() - started) / 1000).toFixed(1)}s, data in ${dir})`);
	return {
		host: '127.0.0.1',
		port,
		database: DATABASE,
		user: DB_USER,
		dir,
		process: proc,
		pid: postmasterPid,
		n8nEnv: () => ({
			DB_TYPE: 'postgresdb',
			DB_POSTGRESDB_HOST: '127.0.0.1',
			DB_POSTGRESDB_PORT: String(port),
			DB_POSTGRESDB_DATABASE: DATABASE,
			DB_POSTGRESDB_USER: DB_USER,
			DB_POSTGRESDB_PASSWORD: '',
		}),
		query: async (sql: string) => parseRows(await psql(port, DATABASE, sql)),
		stop,
	};
}

async function psql(port: number, database: string, sql: string): Promise<string> {
	try {
		const { stdout } = await run(
			'psql',
			['-h', '127.0.0.1', '-p', String(port), '-U', DB_USER, '-d', database, '-X', '-q', '-A', '-t', '-F', '\t', '-v', 'ON_ERROR_STOP=1', '-c', sql],
			{ timeout: 30_000, env: { ...process.env, PGCONNECT_TIMEOUT: '10' } },
		);
		return stdout;
	} catch (e) {
		const err = e as { stderr?: string; message: string };
		throw new Error(`psql failed (${sql.slice(0, 80)}): ${err.stderr || err.message}`);
	}
}

function parseRows(text: string): string[][] {
	return text
		.split('\n')
		.filter((l) => l !== '')
		.map((l) => l.split('\t'));
}
