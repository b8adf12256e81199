/**
 * The environment `npm run dev` gives a user, started for a browser test: the real n8n from the
 * e2e cache (test/e2e/lib/install.ts) in a temp user folder, on a free port, with this package
 * linked in as an installed community package, the HyperID emulator, a connected "HyperID account"
 * credential, the example workflows and an owner account.
 *
 * Everything listens on loopback only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { connectedCredential, startHyperIdEmulator, type Emulator } from '../../e2e/lib/hyperid';
import { REPO_ROOT, ensureN8n, loadVersions, type VersionEntry } from '../../e2e/lib/install';
import { N8nSandbox, assertBuilt, freePort, tail } from '../../e2e/lib/n8n';
import { DEFAULT_CREDENTIAL_NAME, bindWorkflow, loadWorkflowFile } from '../../e2e/lib/workflow';

export const OWNER = {
	email: 'browser-test@example.com',
	firstName: 'Browser',
	lastName: 'Test',
	password: 'HyperId-browser-1',
};
export const CREDENTIAL_ID = 'hyperIdBrowserCr1';

export interface ImportedExample {
	id: string;
	file: string;
	name: string;
}

export interface DevEnv {
	version: VersionEntry;
	baseUrl: string;
	emulator: Emulator;
	sandbox: N8nSandbox;
	examples: ImportedExample[];
	/** n8n's output so far (for failure messages) */
	output(): string;
	stop(): Promise<void>;
}

type Log = (line: string) => void;

/** The n8n version to use: N8N_VERSION (must be in test/e2e/versions.json), else the newest listed. */
export function pickVersion(wanted = process.env.N8N_VERSION): VersionEntry {
	const versions = loadVersions('');
	const entry = wanted ? versions.find((v) => v.n8n === wanted) : versions[versions.length - 1];
	if (!entry) throw new Error(`N8N_VERSION=${wanted} is not in test/e2e/versions.json`);
	return entry;
}

async function waitFor(
	url: string,
	timeoutMs: number,
	alive: () => boolean,
	what: () => string,
	ready: (body: string) => boolean = () => true,
): Promise<void> {
	const until = Date.now() + timeoutMs;
	while (Date.now() < until) {
		if (!alive()) throw new Error(`n8n exited during start-up:\n${tail(what(), 40)}`);
		try {
			const r = await fetch(url, { signal: AbortSignal.timeout(5000) });
			if (r.ok && ready(await r.text())) return;
		} catch {
			/* not up yet */
		}
		await new Promise((r) => setTimeout(r, 500));
	}
	throw new Error(`n8n did not answer ${url} within ${timeoutMs / 1000}s:\n${tail(what(), 40)}`);
}

export async function startDevEnv(opts: { log?: Log; version?: VersionEntry } = {}): Promise<DevEnv> {
	const log = opts.log ?? ((l: string) => console.log(l));
	assertBuilt();
	const version = opts.version ?? pickVersion();
	const runtime = await ensureN8n(version, log);
	// jest sets NODE_ENV=test; n8n must not see it (its CLI then uses other settings and `n8n start`
	// exits silently with code 1). spawn() leaves out variables whose value is undefined.
	const sandbox = new N8nSandbox(runtime, { extraEnv: { NODE_ENV: undefined } });
	const emulator = await startHyperIdEmulator();

	let child: ChildProcess | undefined;
	let exited = false;
	let out = '';
	const stop = async () => {
		if (child && !exited) {
			const gone = new Promise<void>((r) => child!.once('exit', () => r()));
			child.kill('SIGTERM');
			const timer = setTimeout(() => child!.kill('SIGKILL'), 8000);
			await gone;
			clearTimeout(timer);
		}
		await emulator.close();
		sandbox.dispose();
	};

	try {
		await sandbox.importCredentials([
			connectedCredential(emulator, { id: CREDENTIAL_ID, name: DEFAULT_CREDENTIAL_NAME }),
		]);
		const examplesDir = path.join(REPO_ROOT, 'examples');
		const files = fs.existsSync(examplesDir)
			? fs.readdirSync(examplesDir).filter((f) => f.endsWith('.json')).sort()
			: [];
		const examples: ImportedExample[] = [];
		if (files.length) {
			const bound = files.map((f, i) => {
				const id = `hyperIdBrowser${String(i + 1).padStart(2, '0')}`;
				const wf = bindWorkflow(loadWorkflowFile(path.join(examplesDir, f)), id, {
					'*': { id: CREDENTIAL_ID, name: DEFAULT_CREDENTIAL_NAME },
				});
				examples.push({ id, file: f, name: wf.name });
				return wf;
			});
			await sandbox.importWorkflows(bound);
		}

		const port = await freePort();
		const baseUrl = `http://localhost:${port}`;
		const env = await sandbox.env({
			N8N_PORT: String(port),
			N8N_LISTEN_ADDRESS: '127.0.0.1',
			N8N_HOST: 'localhost',
			N8N_PROTOCOL: 'http',
			N8N_EDITOR_BASE_URL: `${baseUrl}/`,
			WEBHOOK_URL: `${baseUrl}/`,
			N8N_SECURE_COOKIE: 'false',
			N8N_HIRING_BANNER_ENABLED: 'false',
		});
		for (const k of Object.keys(env)) if (k.startsWith('JEST_')) delete env[k];
		log(`starting n8n ${version.n8n} on ${baseUrl} (emulator ${emulator.url})`);
		child = spawn(runtime.nodeBin, [runtime.n8nBin, 'start'], {
			cwd: sandbox.userFolder,
			env,
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
		child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
		child.on('error', (e) => {
			out += `\n(could not start n8n: ${e.message})`;
			exited = true;
		});
		child.on('exit', (code, signal) => {
			out += `\n(n8n exited: code ${code}${signal ? `, signal ${signal}` : ''})`;
			exited = true;
		});

		await waitFor(`${baseUrl}/healthz`, 150_000, () => !exited, () => out);
		await waitFor(`${baseUrl}/rest/settings`, 60_000, () => !exited, () => out);
		// the editor UI comes up after the REST API ("n8n is starting up. Please wait" until then)
		const t = Date.now();
		await waitFor(`${baseUrl}/signin`, 180_000, () => !exited, () => out, (html) => !/n8n is starting up/i.test(html));
		log(`n8n editor ready (${((Date.now() - t) / 1000).toFixed(1)}s after its REST API)`);

		const r = await fetch(`${baseUrl}/rest/owner/setup`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify(OWNER),
		});
		if (!r.ok) throw new Error(`owner setup failed: HTTP ${r.status} ${await r.text()}`);

		const settings = (await (await fetch(`${baseUrl}/rest/settings`)).json()) as {
			data?: { userManagement?: { showSetupOnFirstLoad?: boolean } };
		};
		if (settings.data?.userManagement?.showSetupOnFirstLoad !== false)
			throw new Error(`n8n still asks for an owner after /rest/owner/setup: ${JSON.stringify(settings.data?.userManagement)}`);

		return { version, baseUrl, emulator, sandbox, examples, output: () => out, stop };
	} catch (e) {
		await stop().catch(() => undefined);
		throw e;
	}
}
