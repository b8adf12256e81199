/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * One n8n "instance" for tests: a temp N8N_USER_FOLDER with this package linked in as an installed
 * community package, driven through n8n's CLI (import:credentials, import:workflow, execute --id,
 * export:credentials --decrypted). Every CLI call is a fresh n8n process (~2.5 s of start-up).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { freePort } from '../services/ports';
import { REPO_ROOT, type N8nRuntime } from './install';

export const PACKAGE_NAME = 'n8n-nodes-hyperid';
/** Fixed so stored credentials stay readable across runs (test-only key). */
export const E2E_ENCRYPTION_KEY = 'n8n-nodes-hyperid-e2e-not-a-secret';

export interface CliResult {
	code: number | null;
	stdout: string;
	stderr: string;
	ms: number;
	args: string[];
}

/** Symlink the repo as `<userFolder>/.n8n/nodes/node_modules/n8n-nodes-hyperid` (how n8n sees an installed community package). */
export function linkPackage(userFolder: string): string {
	const nodesDir = path.join(userFolder, '.n8n', 'nodes');
	const link = path.join(nodesDir, 'node_modules', PACKAGE_NAME);
	fs.mkdirSync(path.dirname(link), { recursive: true });
	if (!fs.existsSync(path.join(nodesDir, 'package.json'))) {
		fs.writeFileSync(
			path.join(nodesDir, 'package.json'),
			JSON.stringify({ name: 'installed-nodes', private: true, dependencies: { [PACKAGE_NAME]: 'file:' + REPO_ROOT } }, null, 2),
		);
	}
	try {
		const cur = fs.readlinkSync(link);
		if (path.resolve(path.dirname(link), cur) === REPO_ROOT) return link;
		fs.rmSync(link, { recursive: true, force: true });
	} catch {
		fs.rmSync(link, { recursive: true, force: true });
	}
	fs.symlinkSync(REPO_ROOT, link, 'dir');
	return link;
}

export function assertBuilt(what: 'all' | 'credentials' = 'all'): void {
	const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
		n8n: { nodes: string[]; credentials: string[] };
	};
	const missing = [...pkg.n8n.credentials, ...(what === 'all' ? pkg.n8n.nodes : [])].filter((f) => !fs.existsSync(path.join(REPO_ROOT, f)));
	if (missing.length)
		throw new Error(`The package is not built (missing ${missing.join(', ')}). Run \`npm run build\` first.`);
}

export interface SandboxOptions {
	userFolder?: string;
	/** keep the user folder after dispose() (for debugging); also N8N_E2E_KEEP=1 */
	keep?: boolean;
	extraEnv?: NodeJS.ProcessEnv;
	/** print each CLI call and its duration */
	log?: (line: string) => void;
}

export class N8nSandbox {
	readonly userFolder: string;
	readonly timings: Array<{ args: string; ms: number }> = [];
	private brokerPort = 0;
	private readonly tmp: boolean;

	constructor(
		readonly runtime: N8nRuntime,
		private readonly opts: SandboxOptions = {},
	) {
		this.tmp = !opts.userFolder;
		this.userFolder =
			opts.userFolder ?? fs.mkdtempSync(path.join(os.tmpdir(), `n8n-e2e-${runtime.version.replace(/\W/g, '_')}-`));
		fs.mkdirSync(this.userFolder, { recursive: true });
		linkPackage(this.userFolder);
	}

	async env(extra: NodeJS.ProcessEnv = {}): Promise<NodeJS.ProcessEnv> {
		if (!this.brokerPort) this.brokerPort = await freePort();
		const env: NodeJS.ProcessEnv = {};
		// a clean environment: nothing of an outer npm run, jest or a developer's own n8n settings.
		// NODE_ENV in particular: jest sets it to "test", and then `n8n start` exits silently with code 1.
		for (const [k, v] of Object.entries(process.env)) {
			if (/^(npm_|N8N_|DB_|EXECUTIONS_|QUEUE_|GENERIC_|WEBHOOK_URL|NODE_OPTIONS|NODE_ENV$|JEST_)/i.test(k)) continue;
			env[k] = v;
		}
		return {
			...env,
			PATH: this.runtime.pathEnv,
			N8N_USER_FOLDER: this.userFolder,
			N8N_ENCRYPTION_KEY: E2E_ENCRYPTION_KEY,
			DB_TYPE: 'sqlite',
			N8N_DIAGNOSTICS_ENABLED: 'false',
			N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
			N8N_PERSONALIZATION_ENABLED: 'false',
			N8N_TEMPLATES_ENABLED: 'false',
			N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'false',
			N8N_RUNNERS_BROKER_PORT: String(this.brokerPort),
			N8N_LOG_LEVEL: 'info',
			N8N_LOG_OUTPUT: 'console',
			N8N_NO_COLOR: '1',
			NO_COLOR: '1',
			...this.runtime.entry.env,
			...this.opts.extraEnv,
			...extra,
		};
	}

	/** Run `n8n <args>` to completion. */
	async cli(args: string[], timeoutMs = 120_000): Promise<CliResult> {
		const env = await this.env();
		const started = Date.now();
		return new Promise((resolve, reject) => {
			const child = spawn(this.runtime.nodeBin, [this.runtime.n8nBin, ...args], {
				cwd: this.userFolder,
				env,
				stdio: ['ignore', 'pipe', 'pipe'],
			});
			let stdout = '';
			let stderr = '';
			child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
			child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
			const timer = setTimeout(() => {
				child.kill('SIGKILL');
			}, timeoutMs);
			child.on('error', (e) => {
				clearTimeout(timer);
				reject(e);
			});
			child.on('close', (code) => {
				clearTimeout(timer);
				const ms = Date.now() - started;
				this.timings.push({ args: args.join(' '), ms });
				this.opts.log?.(`    n8n ${args.join(' ')} -> exit ${code} in ${(ms / 1000).toFixed(1)}s`);
				resolve({ code, stdout, stderr, ms, args });
			});
		});
	}

	private writeTemp(name: string, content: unknown): string {
		const dir = path.join(this.userFolder, 'e2e-input');
		fs.mkdirSync(dir, { recursive: true });
		const file = path.join(dir, name);
		fs.writeFileSync(file, JSON.stringify(content, null, 2));
		return file;
	}

	private check(r: CliResult, what: string): CliResult {
		if (r.code !== 0)
			throw new Error(`${what} failed (exit ${r.code}):\n${tail(r.stdout, 40)}\n${tail(r.stderr, 40)}`);
		return r;
	}

	/** import:credentials with plain `data` (n8n encrypts it with N8N_ENCRYPTION_KEY). */
	async importCredentials(
		creds: Array<{ id: string; name: string; type: string; data: object; updatedAt?: string }>,
	): Promise<void> {
		const plain = creds.map(({ id, name, type, data, updatedAt }) => ({ id, name, type, data, ...(updatedAt ? { updatedAt } : {}) }));
		const file = this.writeTemp(`credentials-${Date.now()}.json`, plain);
		this.check(await this.cli(['import:credentials', `--input=${file}`]), 'n8n import:credentials');
	}

	/** import:workflow for many workflows with one n8n start. */
	async importWorkflows(workflows: object[]): Promise<void> {
		const dir = path.join(this.userFolder, 'e2e-input', `workflows-${Date.now()}`);
		fs.mkdirSync(dir, { recursive: true });
		workflows.forEach((wf, i) => fs.writeFileSync(path.join(dir, `${i}.json`), JSON.stringify(wf, null, 2)));
		this.check(await this.cli(['import:workflow', '--separate', `--input=${dir}`]), 'n8n import:workflow');
	}

	/** `n8n execute --id --rawOutput`; `run` is the parsed execution (null when nothing parseable was printed). */
	async execute(id: string): Promise<{ ok: boolean; run: IRunLike | null; cli: CliResult }> {
		const cli = await this.cli(['execute', `--id=${id}`, '--rawOutput']);
		const run = parseFirstJson(cli.stdout) as IRunLike | null;
		return { ok: cli.code === 0, run, cli };
	}

	/** export:credentials --decrypted for one credential id. */
	async exportCredential(id: string): Promise<{ id: string; name: string; type: string; data: Record<string, unknown> }> {
		const out = path.join(this.userFolder, 'e2e-input', `export-${id}-${Date.now()}.json`);
		this.check(
			await this.cli(['export:credentials', `--id=${id}`, '--decrypted', `--output=${out}`]),
			'n8n export:credentials',
		);
		const parsed = JSON.parse(fs.readFileSync(out, 'utf8'));
		return Array.isArray(parsed) ? parsed[0] : parsed;
	}

	dispose(): void {
		if (this.tmp && !this.opts.keep && !process.env.N8N_E2E_KEEP)
			fs.rmSync(this.userFolder, { recursive: true, force: true });
	}
}

export interface IRunLike {
	finished?: boolean;
	status?: string;
	mode?: string;
	data: {
		resultData: {
			runData: Record<string, Array<IRunTaskLike>>;
			error?: { message?: string; description?: string; name?: string; node?: { name: string }; [k: string]: unknown };
			lastNodeExecuted?: string;
		};
	};
}
export interface IRunTaskLike {
	startTime?: number;
	executionTime?: number;
	executionStatus?: string;
	error?: { message?: string; description?: string; name?: string; [k: string]: unknown };
	data?: Record<string, Array<Array<{ json: Record<string, unknown>; pairedItem?: unknown; error?: unknown }> | null>>;
}

/** Parse the first JSON document in n8n's output: from the first line starting with `{` to a line starting with `}`. */
export function parseFirstJson(text: string): unknown {
	const lines = text.split('\n');
	const start = lines.findIndex((l) => l.startsWith('{'));
	if (start < 0) return null;
	for (let end = lines.length - 1; end >= start; end--) {
		if (!lines[end].startsWith('}')) continue;
		try {
			return JSON.parse(lines.slice(start, end + 1).join('\n'));
		} catch {
			/* try a shorter slice */
		}
	}
	return null;
}

export function tail(s: string, n: number): string {
	return s.split('\n').slice(-n).join('\n');
}
