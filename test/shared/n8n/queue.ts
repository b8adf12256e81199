/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * A running n8n deployment for load tests, with this package installed as a community package in
 * every n8n process:
 *
 * - `queue`: what teams run at scale. Postgres and Redis (test/shared/services, Debian's packages,
 *   free 127.0.0.1 ports, temp folders), one `n8n start` main (editor, REST, webhooks; it enqueues
 *   executions) and N `n8n worker` processes (they run them), one encryption key.
 * - `regular`: one `n8n start` that runs everything itself, on SQLite (n8n's default).
 *
 * Credentials and workflows are imported with n8n's CLI before n8n starts, and the workflows are
 * published (active: their webhooks registered). Every process has its own user folder (its own
 * task-runner broker port), all of them on one database.
 *
 *   const d = await startDeployment({ runtime, mode: 'queue', workers: 2, credentials, workflows, log });
 *   await fetch(d.webhookUrl('burst'), ...);
 *   await d.stop();
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { startPostgres, type Postgres } from '../services/postgres';
import { onExitCleanup, startProcess, tailLines, type ManagedProcess } from '../services/processes';
import { freePort } from '../services/ports';
import { startRedis, type Redis } from '../services/redis';
import type { N8nRuntime } from './install';
import { N8nSandbox, assertBuilt } from './n8n';
import type { WorkflowJson } from './workflow';

type Log = (line: string) => void;

export interface DeploymentOptions {
	runtime: N8nRuntime;
	mode: 'queue' | 'regular';
	/** queue mode: `n8n worker` processes [2] */
	workers?: number;
	/** queue mode: each worker's `--concurrency` (executions at once) [n8n's default, 10] */
	workerConcurrency?: number;
	/** the main's port, when a workflow must name its public URL before n8n starts [a free one] */
	port?: number;
	/** plain `data`, as `n8n import:credentials` takes it */
	credentials: Array<{ id: string; name: string; type: string; data: object }>;
	/** imported and published; each needs an id */
	workflows: WorkflowJson[];
	/** more environment for every n8n process */
	env?: NodeJS.ProcessEnv;
	/** n8n's output lines matching this are logged (default: errors and warnings only) */
	echo?: RegExp;
	log?: Log;
}

export interface Deployment {
	mode: 'queue' | 'regular';
	version: string;
	baseUrl: string;
	/** a production webhook's URL */
	webhookUrl(webhookPath: string): string;
	main: ManagedProcess;
	workers: ManagedProcess[];
	postgres?: Postgres;
	redis?: Redis;
	/** the processes to measure: n8n main, workers, postgres, redis */
	processes(): Array<{ name: string; pid: number }>;
	/** queue mode: executions of a workflow by status, from Postgres */
	executionsByStatus(workflowId: string): Promise<Record<string, number>>;
	/** queue mode: start one more `n8n worker`; resolves when it is ready */
	addWorker(): Promise<ManagedProcess>;
	/** queue mode: SIGKILL a worker's process group (a crash: nothing finishes); it leaves `workers` */
	killWorker(worker: ManagedProcess): Promise<void>;
	/** import credentials with n8n's CLI while n8n runs (a user reconnecting one overwrites it by id) */
	importCredentials(credentials: Array<{ id: string; name: string; type: string; data: object }>): Promise<void>;
	/** n8n's output of every process (the last lines of each) */
	output(lines?: number): string;
	/** workers, main, Redis, Postgres; temp folders removed; idempotent */
	stop(): Promise<void>;
}

const READY_MAIN = /Editor is now accessible via/;
const READY_WORKER = /n8n worker is now ready/;

export async function startDeployment(opts: DeploymentOptions): Promise<Deployment> {
	const log = opts.log ?? ((l: string) => console.log(l));
	assertBuilt();
	const { runtime, mode } = opts;
	const workerCount = mode === 'queue' ? (opts.workers ?? 2) : 0;
	const sandboxes: N8nSandbox[] = [];
	const workers: ManagedProcess[] = [];
	/** killed by killWorker: exited, their task runners still stopped by stop() */
	const killed: ManagedProcess[] = [];
	let workerNumber = 0;
	let main: ManagedProcess | undefined;
	let postgres: Postgres | undefined;
	let redis: Redis | undefined;

	// the user folders go on exit too (Ctrl-C: the processes are stopped, stop() never runs)
	const removeFolders = () => sandboxes.forEach((s) => s.dispose());
	const unregister = onExitCleanup(removeFolders);
	let stopping: Promise<void> | undefined;
	const stop = () =>
		(stopping ??= (async () => {
			// workers first (they finish or drop their jobs), then the main, then what they used
			await Promise.all([...workers, ...killed].map((w) => w.stop()));
			await main?.stop();
			await redis?.stop();
			await postgres?.stop();
			removeFolders();
			unregister();
		})());

	try {
		if (mode === 'queue') {
			const [pg, rd] = await Promise.allSettled([startPostgres({ log }), startRedis({ log })]);
			if (pg.status === 'fulfilled') postgres = pg.value;
			if (rd.status === 'fulfilled') redis = rd.value;
			if (pg.status === 'rejected') throw pg.reason;
			if (rd.status === 'rejected') throw rd.reason;
		}
		const common: NodeJS.ProcessEnv = {
			N8N_LISTEN_ADDRESS: '127.0.0.1',
			N8N_GRACEFUL_SHUTDOWN_TIMEOUT: '5',
			QUEUE_WORKER_TIMEOUT: '5',
			N8N_HIDE_USAGE_PAGE: 'true',
			...(mode === 'queue' ? { EXECUTIONS_MODE: 'queue', ...postgres!.n8nEnv(), ...redis!.n8nEnv() } : { EXECUTIONS_MODE: 'regular' }),
			...opts.env,
		};
		const sandbox = (role: string) => {
			const s = new N8nSandbox(runtime, { extraEnv: common });
			sandboxes.push(s);
			fs.writeFileSync(path.join(s.userFolder, 'role.txt'), role);
			return s;
		};
		const mainBox = sandbox('main');

		let t = Date.now();
		await mainBox.importCredentials(opts.credentials);
		await mainBox.importWorkflows(opts.workflows.map((w) => ({ ...w, active: false })));
		const ids = opts.workflows.map((wf) => {
			if (!wf.id || !/^\w+$/.test(wf.id)) throw new Error(`workflow "${wf.name}" needs an id of letters and digits`);
			return wf.id;
		});
		// publish: on Postgres one statement, what `n8n publish:workflow` does (active, activeVersionId =
		// the imported version, which must be in the history); on SQLite the CLI, one start per workflow
		// n8n 1.x: `update:workflow --active=true` below (setting the column alone registers no webhook there)
		const v1 = Number(runtime.version.split('.')[0]) < 2;
		const published = postgres && !v1
			? await postgres.query(
					`UPDATE workflow_entity w SET active = true, "activeVersionId" = w."versionId" ` +
						`WHERE w.id IN (${ids.map((id) => `'${id}'`).join(', ')}) ` +
						`AND EXISTS (SELECT 1 FROM workflow_history h WHERE h."workflowId" = w.id AND h."versionId" = w."versionId") RETURNING w.id`,
				)
			: [];
		// n8n 1.x has no publish:workflow: there a workflow is made active with update:workflow
		const publish = (id: string) =>
			Number(runtime.version.split('.')[0]) < 2 ? ['update:workflow', `--id=${id}`, '--active=true'] : ['publish:workflow', `--id=${id}`];
		for (const id of ids) {
			if (published.some(([p]) => p === id)) continue;
			const r = await mainBox.cli(publish(id));
			if (r.code !== 0) throw new Error(`n8n ${publish(id).join(' ')} failed:\n${tailLines(r.stdout + r.stderr, 20)}`);
		}
		log(
			`imported ${opts.credentials.length} credential(s) and ${opts.workflows.length} workflow(s), published (${sec(Date.now() - t)})`,
		);

		const port = opts.port ?? (await freePort());
		const baseUrl = `http://127.0.0.1:${port}`;
		const echo = opts.echo ?? /\b(error|warn(ing)?)\b/i;
		const spawnN8n = async (box: N8nSandbox, name: string, args: string[], extra: NodeJS.ProcessEnv) =>
			startProcess({
				name,
				command: runtime.nodeBin,
				args: [runtime.n8nBin, ...args],
				cwd: box.userFolder,
				env: await box.env(extra),
				killAfterMs: 15_000,
				onLine: (line) => {
					// not echoed by default: stack frames, and n8n 2.41 failing to reach api.n8n.io (no internet here)
					if (!opts.echo && (/^\s+at |--trace-(warnings|deprecation)|api\.n8n\.io|A system task run failed/.test(line))) return;
					if (echo.test(line)) log(`  ${name}: ${line.slice(0, 300)}`);
				},
			});

		t = Date.now();
		main = await spawnN8n(mainBox, 'main', ['start'], {
			N8N_PORT: String(port),
			N8N_HOST: '127.0.0.1',
			N8N_PROTOCOL: 'http',
			WEBHOOK_URL: `${baseUrl}/`,
			N8N_EDITOR_BASE_URL: `${baseUrl}/`,
			N8N_SECURE_COOKIE: 'false',
		});
		await main.waitForOutput(READY_MAIN, 240_000);
		// n8n 2.41 activates published workflows in the background after "Editor is now accessible"
		await waitForWebhooks(baseUrl, opts.workflows, main, 120_000);
		log(`n8n ${runtime.version} main (${mode} mode) ready on ${baseUrl}, webhooks registered (${sec(Date.now() - t)})`);

		const concurrency = opts.workerConcurrency ? [`--concurrency=${opts.workerConcurrency}`] : [];
		const spawnWorker = async () => {
			const name = `worker-${++workerNumber}`;
			const worker = await spawnN8n(sandbox(name), name, ['worker', ...concurrency], {
				QUEUE_HEALTH_CHECK_ACTIVE: 'false',
				QUEUE_HEALTH_CHECK_PORT: String(await freePort()),
				N8N_PORT: String(await freePort()),
			});
			workers.push(worker);
			return worker;
		};
		if (workerCount) {
			t = Date.now();
			for (let i = 1; i <= workerCount; i++) await spawnWorker();
			await Promise.all(workers.map((w) => w.waitForOutput(READY_WORKER, 240_000)));
			log(
				`${workerCount} worker(s) ready (${sec(Date.now() - t)}; concurrency ${opts.workerConcurrency ?? 'default (10)'} each)`,
			);
		}

		const m = main;
		return {
			mode,
			version: runtime.version,
			baseUrl,
			webhookUrl: (webhookPath) => `${baseUrl}/webhook/${webhookPath}`,
			main: m,
			workers,
			postgres,
			redis,
			processes: () => [
				{ name: 'main', pid: m.pid },
				...workers.map((w) => ({ name: w.name, pid: w.pid })),
				...(postgres ? [{ name: 'postgres', pid: postgres.process.pid }] : []),
				...(redis ? [{ name: 'redis', pid: redis.pid }] : []),
			],
			addWorker: async () => {
				if (mode !== 'queue') throw new Error('addWorker needs queue mode');
				const started = Date.now();
				const worker = await spawnWorker();
				await worker.waitForOutput(READY_WORKER, 240_000);
				log(`${worker.name} ready (${sec(Date.now() - started)})`);
				return worker;
			},
			killWorker: async (worker) => {
				const i = workers.indexOf(worker);
				if (i < 0) throw new Error(`${worker.name} is not a running worker`);
				workers.splice(i, 1);
				killed.push(worker);
				try {
					process.kill(-worker.pid, 'SIGKILL');
				} catch {
					/* already gone */
				}
				await worker.exited;
			},
			importCredentials: async (credentials) => {
				await mainBox.importCredentials(credentials);
			},
			executionsByStatus: async (workflowId) => {
				if (!postgres) throw new Error('executionsByStatus needs queue mode (Postgres)');
				const rows = await postgres.query(
					`SELECT status, count(*) FROM execution_entity WHERE "workflowId" = '${workflowId.replace(/'/g, "''")}' GROUP BY status`,
				);
				return Object.fromEntries(rows.map(([status, n]) => [status, Number(n)]));
			},
			output: (lines = 40) =>
				[m, ...workers, ...killed].map((p) => `--- ${p.name} ---\n${tailLines(p.output(), lines)}`).join('\n'),
			stop,
		};
	} catch (e) {
		const out = [main, ...workers]
			.filter((p): p is ManagedProcess => !!p)
			.map((p) => `--- ${p.name} ---\n${tailLines(p.output(), 30)}`)
			.join('\n');
		await stop().catch(() => undefined);
		throw new Error(`${(e as Error).message}${out ? `\n${out}` : ''}`);
	}
}

const sec = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

/**
 * Until every production webhook of the workflows answers: a GET to a path registered for another
 * method gets n8n's "not registered for GET requests. Did you mean to make a POST request?"; a path
 * not registered yet gets "The requested webhook ... is not registered".
 */
async function waitForWebhooks(baseUrl: string, workflows: WorkflowJson[], main: ManagedProcess, timeoutMs: number): Promise<void> {
	const hooks = workflows.flatMap((wf) =>
		wf.nodes
			.filter((n) => n.type === 'n8n-nodes-base.webhook' && typeof n.parameters?.path === 'string')
			.map((n) => ({ path: n.parameters!.path as string, method: String(n.parameters!.httpMethod ?? 'GET').toUpperCase() })),
	);
	const until = Date.now() + timeoutMs;
	for (const hook of hooks) {
		const probe = hook.method === 'GET' ? 'DELETE' : 'GET';
		for (;;) {
			if (main.hasExited()) throw new Error('n8n exited while activating workflows');
			const text = await fetch(`${baseUrl}/webhook/${hook.path}`, { method: probe, signal: AbortSignal.timeout(10_000) })
				.then((r) => r.text())
				.catch(() => '');
			if (text.includes(`Did you mean to make a ${hook.method}`)) break;
			if (Date.now() > until) throw new Error(`the webhook ${hook.method} ${hook.path} was not registered within ${timeoutMs / 1000}s: ${text.slice(0, 200)}`);
			await new Promise((r) => setTimeout(r, 500));
		}
	}
}
