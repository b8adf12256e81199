/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * One ready-to-use real n8n + emulator: what `npm run demo`/`npm run examples` and the e2e runner
 * build on. Installs n8n if needed, starts the emulator, imports connected credentials.
 *
 *   const s = await openSession({ version: '2.41.1' });
 *   const result = await s.runWorkflowFile('examples/01-set-get-by-idp-and-wallet.json');
 *   console.log(formatRun(result));
 *   await s.close();
 */
import { connectedCredential, startHyperIdEmulator, type CredentialMeta, type CredentialSpec, type Emulator } from './hyperid';
import { ensureN8n, loadVersions, type N8nRuntime } from './install';
import { N8nSandbox } from './n8n';
import {
	DEFAULT_CREDENTIAL_NAME,
	bindWorkflow,
	executeWorkflow,
	loadWorkflowFile,
	type CredentialRef,
	type WorkflowJson,
	type WorkflowRunResult,
} from './workflow';

export interface SessionOptions {
	/** n8n version from versions.json (default: the newest listed) */
	version?: string;
	/** credentials to import, by key (default: main "HyperID account" and second "HyperID second app") */
	credentials?: Record<string, Omit<CredentialSpec, 'id'>>;
	log?: (line: string) => void;
}

export interface Session {
	runtime: N8nRuntime;
	sandbox: N8nSandbox;
	emulator: Emulator;
	credentials: Record<string, CredentialRef>;
	credentialMeta: Record<string, CredentialMeta>;
	/** import + execute one workflow file; credential names in the file map to keys via `map` (default: by name, else main) */
	runWorkflowFile(file: string, map?: Record<string, string>): Promise<WorkflowRunResult>;
	/** import many workflows with one n8n start; returns their ids in order */
	importWorkflowFiles(files: Array<{ file: string; map?: Record<string, string> }>): Promise<string[]>;
	execute(id: string): Promise<WorkflowRunResult>;
	close(): Promise<void>;
}

export const DEFAULT_SESSION_CREDENTIALS: Record<string, Omit<CredentialSpec, 'id'>> = {
	main: { name: DEFAULT_CREDENTIAL_NAME },
	second: { name: 'HyperID second app', clientId: 'hyperid-second-app', clientSecret: 'second-secret' },
};

let counter = 0;

export async function openSession(opts: SessionOptions = {}): Promise<Session> {
	const versions = loadVersions();
	const entry = opts.version ? versions.find((v) => v.n8n === opts.version) : versions[versions.length - 1];
	if (!entry) throw new Error(`n8n ${opts.version} is not in test/shared/n8n/versions.json (or N8N_E2E_VERSIONS)`);
	const runtime = await ensureN8n(entry, opts.log);
	const emulator = await startHyperIdEmulator();
	const sandbox = new N8nSandbox(runtime, { log: opts.log });
	const specs = opts.credentials ?? DEFAULT_SESSION_CREDENTIALS;
	const credentials: Record<string, CredentialRef> = {};
	const credentialMeta: Record<string, CredentialMeta> = {};
	try {
		const importable = Object.entries(specs).map(([key, spec], i) => {
			const id = `hyperIdCred${String(i + 1).padStart(5, '0')}`;
			credentials[key] = { id, name: spec.name };
			const c = connectedCredential(emulator, { id, ...spec });
			credentialMeta[key] = c.meta;
			return c;
		});
		await sandbox.importCredentials(importable);
	} catch (err) {
		await emulator.close();
		sandbox.dispose();
		throw err;
	}

	/** name in file -> credential: explicit map, else a credential with that name, else main */
	const bindingFor = (wf: WorkflowJson, map?: Record<string, string>): Record<string, CredentialRef> => {
		const out: Record<string, CredentialRef> = {};
		for (const node of wf.nodes)
			for (const ref of Object.values(node.credentials ?? {})) {
				const key = map?.[ref.name] ?? Object.keys(credentials).find((k) => credentials[k].name === ref.name) ?? 'main';
				out[ref.name] = credentials[key];
			}
		return out;
	};

	const session: Session = {
		runtime,
		sandbox,
		emulator,
		credentials,
		credentialMeta,
		async importWorkflowFiles(files) {
			const ids = files.map(() => `hyperIdWf${String(++counter).padStart(7, '0')}`);
			const wfs = files.map(({ file, map }, i) => {
				const wf = loadWorkflowFile(file);
				return bindWorkflow(wf, ids[i], bindingFor(wf, map));
			});
			await sandbox.importWorkflows(wfs);
			return ids;
		},
		execute: (id) => executeWorkflow(sandbox, id),
		async runWorkflowFile(file, map) {
			const [id] = await session.importWorkflowFiles([{ file, map }]);
			return executeWorkflow(sandbox, id);
		},
		async close() {
			await emulator.close();
			sandbox.dispose();
		},
	};
	return session;
}
