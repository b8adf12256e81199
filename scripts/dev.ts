/**
 * `npm run dev`: the n8n editor on http://localhost:5678 with this package loaded (as an installed
 * community package), the HyperID emulator running, a "HyperID account" credential already
 * connected to it, and the example workflows imported.
 *
 *   N8N_VERSION=2.8.4 npm run dev     another n8n from test/e2e/versions.json (default: the newest)
 *   N8N_PORT=5680 npm run dev         another editor port
 *   HYPERID_EMULATOR_PORT=8788        another emulator port (default 5679)
 *   N8N_DEV_FRESH=1 npm run dev       start from an empty n8n (forget hand-built workflows)
 *
 * n8n's data lives in .cache/dev/n8n-<version>/ so workflows built by hand survive restarts.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { DEMO, connectedCredential, startHyperIdEmulator } from '../test/e2e/lib/hyperid';
import { CACHE_DIR, REPO_ROOT, ensureN8n, loadVersions } from '../test/e2e/lib/install';
import { N8nSandbox, assertBuilt } from '../test/e2e/lib/n8n';
import { DEFAULT_CREDENTIAL_NAME, bindWorkflow, loadWorkflowFile } from '../test/e2e/lib/workflow';

const OWNER = { email: 'dev@example.com', firstName: 'Dev', lastName: 'User', password: 'HyperId-dev-1' };
const CREDENTIAL_ID = 'hyperIdDevCred01';
/** a second HyperID client application of the same user (examples/02 reads shared keys with it) */
const SECOND = { id: 'hyperIdDevCred02', name: 'HyperID second app', clientId: 'hyperid-second-app', clientSecret: 'second-secret' };

async function waitFor(url: string, timeoutMs: number, alive: () => boolean): Promise<void> {
	const until = Date.now() + timeoutMs;
	while (Date.now() < until) {
		if (!alive()) throw new Error('n8n exited during start-up (see its output above)');
		try {
			const r = await fetch(url);
			if (r.ok) return;
		} catch {}
		await new Promise((r) => setTimeout(r, 500));
	}
	throw new Error(`n8n did not answer ${url} within ${timeoutMs / 1000}s`);
}

async function setUpOwner(base: string): Promise<'created' | 'exists'> {
	const settings = (await (await fetch(`${base}/rest/settings`)).json()) as {
		data?: { userManagement?: { showSetupOnFirstLoad?: boolean } };
	};
	if (settings.data?.userManagement?.showSetupOnFirstLoad === false) return 'exists';
	const r = await fetch(`${base}/rest/owner/setup`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify(OWNER),
	});
	if (!r.ok) throw new Error(`owner setup failed: HTTP ${r.status} ${await r.text()}`);
	return 'created';
}

async function main(): Promise<void> {
	assertBuilt();
	const versions = loadVersions();
	const wanted = process.env.N8N_VERSION;
	const entry = wanted ? versions.find((v) => v.n8n === wanted) : versions[versions.length - 1];
	if (!entry) throw new Error(`N8N_VERSION=${wanted} is not in test/e2e/versions.json`);
	const runtime = await ensureN8n(entry);

	const port = Number(process.env.N8N_PORT || 5678);
	const emulatorPort = Number(process.env.HYPERID_EMULATOR_PORT || 5679);
	const userFolder = path.join(CACHE_DIR, 'dev', `n8n-${entry.n8n}`);
	if (process.env.N8N_DEV_FRESH) fs.rmSync(userFolder, { recursive: true, force: true });
	const sandbox = new N8nSandbox(runtime, { userFolder });

	const emulator = await startHyperIdEmulator({ port: emulatorPort });
	console.log(`HyperID emulator on ${emulator.url}`);

	// a connected credential (re-imported each start: the emulator forgets its tokens when it stops)
	console.log('Importing the "HyperID account" credential and the example workflows into n8n ...');
	await sandbox.importCredentials([
		connectedCredential(emulator, { id: CREDENTIAL_ID, name: DEFAULT_CREDENTIAL_NAME }),
		connectedCredential(emulator, SECOND),
	]);
	const examplesDir = path.join(REPO_ROOT, 'examples');
	const examples = fs.existsSync(examplesDir)
		? fs.readdirSync(examplesDir).filter((f) => f.endsWith('.json')).sort()
		: [];
	if (examples.length) {
		await sandbox.importWorkflows(
			examples.map((f, i) =>
				bindWorkflow(loadWorkflowFile(path.join(examplesDir, f)), `hyperIdDevWf${String(i + 1).padStart(4, '0')}`, {
					[SECOND.name]: { id: SECOND.id, name: SECOND.name },
					'*': { id: CREDENTIAL_ID, name: DEFAULT_CREDENTIAL_NAME },
				}),
			),
		);
	}

	const env = await sandbox.env({
		N8N_PORT: String(port),
		N8N_HOST: 'localhost',
		N8N_PROTOCOL: 'http',
		N8N_EDITOR_BASE_URL: `http://localhost:${port}/`,
		WEBHOOK_URL: `http://localhost:${port}/`,
		N8N_SECURE_COOKIE: 'false',
		N8N_LOG_LEVEL: process.env.N8N_LOG_LEVEL || 'info',
	});
	console.log(`Starting n8n ${entry.n8n} (Node ${entry.node}) ...`);
	const child = spawn(runtime.nodeBin, [runtime.n8nBin, 'start'], { cwd: userFolder, env, stdio: 'inherit' });
	let exited = false;
	child.on('exit', (code) => {
		exited = true;
		void emulator.close().then(() => process.exit(code ?? 0));
	});
	const stop = () => {
		console.log('\nStopping n8n and the emulator ...');
		if (!exited) child.kill('SIGTERM');
		setTimeout(() => process.exit(0), 8000).unref();
	};
	process.on('SIGINT', stop);
	process.on('SIGTERM', stop);

	const base = `http://localhost:${port}`;
	await waitFor(`${base}/healthz`, 120_000, () => !exited);
	await waitFor(`${base}/rest/settings`, 60_000, () => !exited);
	const owner = await setUpOwner(base);

	const bar = '='.repeat(78);
	console.log(
		[
			'',
			bar,
			`  n8n ${entry.n8n} is ready:  open  ${base}`,
			owner === 'created' || owner === 'exists'
				? `  sign in as  ${OWNER.email}  /  ${OWNER.password}` +
					(owner === 'exists' ? '   (unless you changed it)' : '')
				: '',
			`  credential "${DEFAULT_CREDENTIAL_NAME}" (HyperID OAuth2 API, environment Custom) is connected to`,
			`  the emulator at ${emulator.url} as user ${DEMO.email} ("${SECOND.name}": a second client app`,
			`  of the same user); the node is "HyperID User Data".`,
			examples.length ? `  example workflows imported: ${examples.join(', ')}` : '',
			`  emulator controls: ${emulator.url}/__emulator/requests (request log), /__emulator/store`,
			`  n8n data: ${userFolder}  (N8N_DEV_FRESH=1 to start empty)`,
			'  stop: Ctrl+C',
			bar,
			'',
		]
			.filter(Boolean)
			.join('\n'),
	);
}

main().catch((err) => {
	console.error(err);
	process.exit(1);
});
