/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * The n8n editor as a user gets it from `npm run dev`, and the browser test from startDevEnv():
 * `n8n start` (the real n8n from the e2e cache) with this package linked in as an installed
 * community package, the HyperID emulator, connected HyperID credentials, the example workflows and
 * an owner account. Resolves once the editor really serves its UI and the owner is set up.
 *
 *   const editor = await startEditor({ credentials: [{ id, name }], owner, stdio: 'capture' });
 *   ... editor.baseUrl ...
 *   await editor.stop();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';

import { connectedCredential, startHyperIdEmulator, type CredentialSpec, type Emulator } from './hyperid';
import { REPO_ROOT, ensureN8n, loadVersions, type N8nRuntime, type VersionEntry } from './install';
import { freePort } from '../services/ports';
import { N8nSandbox, assertBuilt, tail } from './n8n';
import { bindWorkflow, loadWorkflowFile, type CredentialRef } from './workflow';

type Log = (line: string) => void;

export interface Owner {
	email: string;
	firstName: string;
	lastName: string;
	password: string;
}

export interface ImportedExample {
	id: string;
	file: string;
	name: string;
}

export interface StartEditorOptions {
	/** default: pickVersion() */
	version?: VersionEntry;
	/** n8n's N8N_USER_FOLDER; kept as it is (persistent). Default: a temp folder, removed by stop(). */
	userFolder?: string;
	/** editor port; default: a free one */
	port?: number;
	/** emulator port; default: a free one */
	emulatorPort?: number;
	/**
	 * Connected HyperID credentials to import (re-imported on every start: the emulator forgets its
	 * tokens when it stops). The first is the default one example workflows are bound to, and the one
	 * the editor gives a new node.
	 */
	credentials: CredentialSpec[];
	/** more credentials to import, made once the emulator is up (e.g. the HyperID Client of the sign-in example) */
	extraCredentials?: (emulator: Emulator) => Array<{ id: string; name: string; type: string; data: Record<string, unknown> }>;
	/** import examples/*.json; ids are idPrefix + a counter, 16 characters in all (n8n's id length) */
	importExamples?: false | { idPrefix: string };
	/** created unless n8n already has an owner (a persistent user folder) */
	owner: Owner;
	/** 'inherit': n8n writes to this terminal; 'capture': kept for output() (and error messages) */
	stdio: 'inherit' | 'capture';
	/** more environment for `n8n start` (e.g. N8N_LISTEN_ADDRESS, N8N_LOG_LEVEL) */
	env?: NodeJS.ProcessEnv;
	/** aborting it during start-up stops everything and rejects */
	signal?: AbortSignal;
	log?: Log;
}

export interface Editor {
	version: VersionEntry;
	runtime: N8nRuntime;
	baseUrl: string;
	emulator: Emulator;
	sandbox: N8nSandbox;
	examples: ImportedExample[];
	/** 'created' now, or 'exists' (the user folder had an owner; its password may have been changed) */
	ownerState: 'created' | 'exists';
	/** resolves when n8n exits (for whatever reason) */
	exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
	/** the environment n8n was started with */
	env: NodeJS.ProcessEnv;
	/** n8n's output so far ('' with stdio 'inherit') */
	output(): string;
	/** SIGTERM to n8n (SIGKILL after 8 s), close the emulator, remove a temp user folder. Idempotent. */
	stop(): Promise<void>;
}

/** The n8n version to use: N8N_VERSION (must be in the list, by default test/shared/n8n/versions.json), else the newest listed. */
export function pickVersion(wanted = process.env.N8N_VERSION, versions = loadVersions('')): VersionEntry {
	// a version kept out of the defaults (its `suites`) can still be asked for by name
	const entry = wanted
		? (versions.find((v) => v.n8n === wanted) ?? loadVersions('', 'all').find((v) => v.n8n === wanted))
		: versions[versions.length - 1];
	if (!entry) throw new Error(`N8N_VERSION=${wanted} is not in test/shared/n8n/versions.json`);
	return entry;
}

/** Rejects when something listens on `port` (any interface): n8n would fail, or we would talk to the other one. */
function assertPortFree(port: number, what: string): Promise<void> {
	return new Promise((resolve, reject) => {
		const srv = net.createServer();
		srv.once('error', (e: NodeJS.ErrnoException) =>
			reject(new Error(`${what} port ${port} is in use${e.code === 'EADDRINUSE' ? '' : ` (${e.message})`}`)),
		);
		srv.listen(port, () => srv.close(() => resolve()));
	});
}

export async function startEditor(opts: StartEditorOptions): Promise<Editor> {
	const log = opts.log ?? ((l: string) => console.log(l));
	assertBuilt();
	const version = opts.version ?? pickVersion();
	const runtime = await ensureN8n(version, log);
	const port = opts.port ?? (await freePort());
	await assertPortFree(port, 'the n8n editor');
	const baseUrl = `http://localhost:${port}`;
	const sandbox = new N8nSandbox(runtime, { userFolder: opts.userFolder });
	let emulator: Emulator | undefined;

	let child: ChildProcess | undefined;
	let exited = false;
	let out = '';
	let onExit: (r: { code: number | null; signal: NodeJS.Signals | null }) => void = () => undefined;
	const exitedP = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => (onExit = r));
	const output = () => out;
	const why = () =>
		opts.stdio === 'capture' ? `:\n${tail(out, 40)}` : ' (see its output above)';

	let stopping: Promise<void> | undefined;
	const stop = () =>
		(stopping ??= (async () => {
			if (child && !exited) {
				child.kill('SIGTERM');
				const timer = setTimeout(() => child!.kill('SIGKILL'), 8000);
				await exitedP;
				clearTimeout(timer);
			}
			await emulator?.close();
			sandbox.dispose();
		})());

	const checkAborted = () => {
		if (opts.signal?.aborted) throw new Error('start-up interrupted');
	};

	/** GET `url` until it answers 2xx with a body `ready` accepts. */
	const waitFor = async (url: string, timeoutMs: number, ready: (body: string) => boolean = () => true) => {
		const until = Date.now() + timeoutMs;
		while (Date.now() < until) {
			checkAborted();
			if (exited) throw new Error(`n8n exited during start-up${why()}`);
			try {
				const r = await fetch(url, { signal: AbortSignal.timeout(5000) });
				if (r.ok && ready(await r.text())) return;
			} catch {
				/* not up yet */
			}
			await new Promise((r) => setTimeout(r, 500));
		}
		throw new Error(`n8n did not answer ${url} within ${timeoutMs / 1000}s${why()}`);
	};

	try {
		emulator = await startHyperIdEmulator(opts.emulatorPort ? { port: opts.emulatorPort } : {});
		log(`HyperID emulator on ${emulator.url}`);

		const examplesDir = path.join(REPO_ROOT, 'examples');
		const files =
			opts.importExamples && fs.existsSync(examplesDir)
				? fs.readdirSync(examplesDir).filter((f) => f.endsWith('.json')).sort()
				: [];
		const extra = opts.extraCredentials?.(emulator) ?? [];
		log(
			`importing ${[...opts.credentials, ...extra].map((c) => `"${c.name}"`).join(', ')}` +
				(files.length ? ` and ${files.length} example workflows` : '') +
				' into n8n ...',
		);
		// n8n's editor gives a new node the credential with the newest updatedAt (NodeCredentials.vue),
		// so the first of opts.credentials, the connected account, is stamped as updated last
		const [first, ...others] = opts.credentials.map((c) => connectedCredential(emulator!, c));
		const ordered = [...extra, ...others, first];
		const now = Date.now();
		await sandbox.importCredentials(
			ordered.map((c, i) => ({ ...c, updatedAt: new Date(now - (ordered.length - 1 - i) * 1000).toISOString() })),
		);
		const examples: ImportedExample[] = [];
		if (files.length && opts.importExamples) {
			const { idPrefix } = opts.importExamples;
			// a credential named in a workflow file binds to the credential of that name, else to the first
			const byName: Record<string, CredentialRef> = {};
			for (const c of [...opts.credentials].reverse()) byName[c.name] = { id: c.id, name: c.name };
			byName['*'] = { id: opts.credentials[0].id, name: opts.credentials[0].name };
			const bound = files.map((f, i) => {
				const id = idPrefix + String(i + 1).padStart(16 - idPrefix.length, '0');
				const wf = bindWorkflow(loadWorkflowFile(path.join(examplesDir, f)), id, byName, version.n8n);
				examples.push({ id, file: f, name: wf.name });
				return wf;
			});
			await sandbox.importWorkflows(bound);
		}

		checkAborted();
		const env = await sandbox.env({
			N8N_PORT: String(port),
			N8N_HOST: 'localhost',
			N8N_PROTOCOL: 'http',
			// webhook URLs follow from N8N_PROTOCOL/HOST/PORT; n8n 2.41 calls WEBHOOK_URL deprecated
			N8N_EDITOR_BASE_URL: `${baseUrl}/`,
			N8N_SECURE_COOKIE: 'false',
			...opts.env,
		});
		log(`starting n8n ${version.n8n} (Node ${version.node}) on ${baseUrl} ...`);
		child = spawn(runtime.nodeBin, [runtime.n8nBin, 'start'], {
			cwd: sandbox.userFolder,
			env,
			stdio: opts.stdio === 'inherit' ? 'inherit' : ['ignore', 'pipe', 'pipe'],
		});
		child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
		child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
		child.on('error', (e) => {
			out += `\n(could not start n8n: ${e.message})`;
			if (opts.stdio === 'inherit') log(`could not start n8n: ${e.message}`);
			exited = true;
			onExit({ code: null, signal: null });
		});
		child.on('exit', (code, signal) => {
			out += `\n(n8n exited: code ${code}${signal ? `, signal ${signal}` : ''})`;
			exited = true;
			onExit({ code, signal });
		});

		await waitFor(`${baseUrl}/healthz`, 150_000);
		// For a while after /healthz n8n answers every URL with HTTP 200 and a "n8n is starting up.
		// Please wait" page, the REST API included: wait for JSON from the API and the real editor UI.
		const t = Date.now();
		await waitFor(`${baseUrl}/rest/settings`, 180_000, isJson);
		await waitFor(`${baseUrl}/signin`, 180_000, (html) => !/n8n is starting up/i.test(html));
		log(`n8n editor ready (${((Date.now() - t) / 1000).toFixed(1)}s after /healthz)`);

		const ownerState = await setUpOwner(baseUrl, opts.owner);
		return {
			version,
			runtime,
			baseUrl,
			emulator,
			sandbox,
			examples,
			ownerState,
			env,
			exited: exitedP,
			output,
			stop,
		};
	} catch (e) {
		await stop().catch(() => undefined);
		throw e;
	}
}

function isJson(text: string): boolean {
	try {
		JSON.parse(text);
		return true;
	} catch {
		return false;
	}
}

async function ownerIsSetUp(baseUrl: string): Promise<boolean | undefined> {
	const r = await fetch(`${baseUrl}/rest/settings`, { signal: AbortSignal.timeout(15_000) });
	const text = await r.text();
	let settings: { data?: { userManagement?: { showSetupOnFirstLoad?: boolean } } };
	try {
		settings = JSON.parse(text);
	} catch {
		throw new Error(`n8n's /rest/settings is not JSON (HTTP ${r.status}): ${text.slice(0, 200)}`);
	}
	const flag = settings.data?.userManagement?.showSetupOnFirstLoad;
	return flag === undefined ? undefined : !flag;
}

/** Create the owner unless there is one already. */
async function setUpOwner(baseUrl: string, owner: Owner): Promise<'created' | 'exists'> {
	if ((await ownerIsSetUp(baseUrl)) === true) return 'exists';
	const r = await fetch(`${baseUrl}/rest/owner/setup`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify(owner),
		signal: AbortSignal.timeout(30_000),
	});
	const body = await r.text();
	if (!r.ok) {
		// set up in the meantime (or the settings did not say): fine as long as n8n has an owner now
		if ((await ownerIsSetUp(baseUrl)) === true) return 'exists';
		throw new Error(`owner setup failed: HTTP ${r.status} ${body.slice(0, 500)}`);
	}
	if (/^\s*</.test(body)) throw new Error(`owner setup answered with an HTML page, not the API: ${body.slice(0, 200)}`);
	if ((await ownerIsSetUp(baseUrl)) === false)
		throw new Error('n8n still asks for an owner after /rest/owner/setup');
	return 'created';
}
