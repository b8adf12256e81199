/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * `npm run dev`: the n8n editor on http://localhost:5678 with this package loaded (as an installed
 * community package), the HyperID emulator running, a "HyperID account" credential already
 * connected to it (new HyperID User Data nodes take it), a "HyperID Client" credential for the
 * HyperID Sign-In node, and the example workflows imported (test/shared/n8n/devSetup.ts).
 *
 *   N8N_VERSION=2.8.4 npm run dev     the n8n `npm run demo` installs (default: the newest listed, 2.41.1)
 *   N8N_PORT=5680 npm run dev         another editor port
 *   HYPERID_EMULATOR_PORT=8788        another emulator port (default 5679)
 *   N8N_DEV_FRESH=1 npm run dev       start from an empty n8n (forget hand-built workflows)
 *
 * n8n's data lives in .cache/dev/n8n-<version>/ so workflows built by hand survive restarts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { pickVersion, startEditor, type Editor } from '../test/shared/n8n/editor';
import { DEV_START_PATH, devCredentialLines, devCredentials } from '../test/shared/n8n/devSetup';
import { CACHE_DIR, loadVersions, n8nInstalled } from '../test/shared/n8n/install';

const OWNER = { email: 'dev@example.com', firstName: 'Dev', lastName: 'User', password: 'HyperId-dev-1' };
/** the n8n `npm run demo` uses (package.json) */
const DEMO_N8N = '2.8.4';

/** Before anything starts: which n8n, and whether it must be installed first (and how long that takes). */
function intro(version: { n8n: string; node: string }, installed: boolean, demoInstalled: boolean): string {
	const node = version.node === 'system' ? `Node ${process.versions.node}` : `Node ${version.node}`;
	const lines = [`npm run dev: n8n ${version.n8n} on ${node}` + (installed ? ', installed already.' : '.')];
	if (!installed) {
		lines.push(
			`  n8n ${version.n8n} is not installed yet: installing it into ${path.join(CACHE_DIR, 'n8n', version.n8n)} first`,
			`  (first time only: ~3 GB, 3-4 minutes on an idle machine, longer on a busy one${version.node === 'system' ? '' : `; Node ${version.node} from npm too`}).`,
		);
		if (version.n8n !== DEMO_N8N)
			lines.push(
				`  N8N_VERSION=${DEMO_N8N} npm run dev uses the n8n \`npm run demo\` installs instead` +
					(demoInstalled ? ` (installed already: starts at once).` : '.'),
			);
	}
	return lines.join('\n');
}

async function main(): Promise<void> {
	const versions = loadVersions();
	const version = pickVersion(process.env.N8N_VERSION, versions);
	const demoVersion = versions.find((v) => v.n8n === DEMO_N8N);
	console.log(intro(version, n8nInstalled(version), !!demoVersion && n8nInstalled(demoVersion)));
	const userFolder = path.join(CACHE_DIR, 'dev', `n8n-${version.n8n}`);
	if (process.env.N8N_DEV_FRESH) fs.rmSync(userFolder, { recursive: true, force: true });

	// Ctrl+C during start-up stops what has been started; afterwards it stops n8n and the emulator
	const abort = new AbortController();
	let editor: Editor | undefined;
	let stopping = false;
	const stop = () => {
		if (stopping) return;
		stopping = true;
		console.log('\nStopping n8n and the emulator ...');
		if (!editor) return abort.abort();
		void editor.stop().then(() => process.exit(0));
	};
	process.on('SIGINT', stop);
	process.on('SIGTERM', stop);

	editor = await startEditor({
		version,
		userFolder,
		port: Number(process.env.N8N_PORT || 5678),
		emulatorPort: Number(process.env.HYPERID_EMULATOR_PORT || 5679),
		...devCredentials(),
		importExamples: { idPrefix: 'hyperIdDevWf' },
		owner: OWNER,
		stdio: 'inherit',
		env: { N8N_LOG_LEVEL: process.env.N8N_LOG_LEVEL || 'info' },
		signal: abort.signal,
	}).catch((err) => {
		if (abort.signal.aborted) process.exit(0);
		throw err;
	});
	const { baseUrl, emulator, examples, ownerState } = editor;
	// n8n ending by itself ends `npm run dev` too
	void editor.exited.then(async ({ code }) => {
		if (stopping) return;
		await editor!.stop();
		process.exit(code ?? 0);
	});

	const bar = '='.repeat(78);
	console.log(
		[
			'',
			bar,
			`  n8n ${version.n8n} is ready:  open  ${baseUrl}${DEV_START_PATH}`,
			`  sign in as  ${OWNER.email}  /  ${OWNER.password}` + (ownerState === 'exists' ? '   (unless you changed it)' : ''),
			examples.length ? `  the workflows list shows the examples: ${examples.map((e) => e.file.replace(/\.json$/, '')).join(', ')}` : '',
			...devCredentialLines(emulator.url, baseUrl, version.n8n),
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
