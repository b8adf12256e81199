/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * `npm run dev`: the n8n editor on http://localhost:5678 with this package loaded (as an installed
 * community package), the HyperID emulator running, a "HyperID account" credential already
 * connected to it, and the example workflows imported.
 *
 *   N8N_VERSION=2.8.4 npm run dev     another n8n from test/shared/n8n/versions.json (default: the newest)
 *   N8N_PORT=5680 npm run dev         another editor port
 *   HYPERID_EMULATOR_PORT=8788        another emulator port (default 5679)
 *   N8N_DEV_FRESH=1 npm run dev       start from an empty n8n (forget hand-built workflows)
 *
 * n8n's data lives in .cache/dev/n8n-<version>/ so workflows built by hand survive restarts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { pickVersion, startEditor, type Editor } from '../test/shared/n8n/editor';
import { DEMO } from '../test/shared/n8n/hyperid';
import { CACHE_DIR, loadVersions } from '../test/shared/n8n/install';
import { clientCredential, SERVICE_CLIENT } from '../test/shared/n8n/signIn';
import { DEFAULT_CREDENTIAL_NAME } from '../test/shared/n8n/workflow';

const OWNER = { email: 'dev@example.com', firstName: 'Dev', lastName: 'User', password: 'HyperId-dev-1' };
const CREDENTIAL_ID = 'hyperIdDevCred01';
/** a second HyperID client application of the same user (examples/02 reads shared keys with it) */
const SECOND = { id: 'hyperIdDevCred02', name: 'HyperID second app', clientId: 'hyperid-second-app', clientSecret: 'second-secret' };

async function main(): Promise<void> {
	const version = pickVersion(process.env.N8N_VERSION, loadVersions());
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
		credentials: [{ id: CREDENTIAL_ID, name: DEFAULT_CREDENTIAL_NAME }, SECOND],
		// the service's own client, for the HyperID Sign-In node (examples/07)
		extraCredentials: (emulator) => [clientCredential(emulator)],
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
			`  n8n ${version.n8n} is ready:  open  ${baseUrl}`,
			`  sign in as  ${OWNER.email}  /  ${OWNER.password}` + (ownerState === 'exists' ? '   (unless you changed it)' : ''),
			`  credential "${DEFAULT_CREDENTIAL_NAME}" (HyperID OAuth2 API, environment Custom) is connected to`,
			`  the emulator at ${emulator.url} as user ${DEMO.email} ("${SECOND.name}": a second client app`,
			`  of the same user); the node is "HyperID User Data".`,
			`  credential "HyperID Client" (HyperID Client API, client ${SERVICE_CLIENT.clientId}) is your service's client for`,
			`  "HyperID Sign-In": publish examples/07 and open ${baseUrl}/webhook/hyperid-sign-in/start to sign in.`,
			examples.length ? `  example workflows imported: ${examples.map((e) => e.file).join(', ')}` : '',
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
