/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * The real n8n for paths (a) and (b): the e2e installation (test/shared/n8n: ensureN8n, N8nSandbox,
 * connectedCredential, parseFirstJson, summarizeRun), one sandbox per bench run, one
 * `n8n execute --id` per measured case with the main process's peak RSS sampled from /proc.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import type { IDataObject } from 'n8n-workflow';

import { connectedCredential } from '../../test/shared/n8n/hyperid';
import { ensureN8n, loadVersions, type N8nRuntime } from '../../test/shared/n8n/install';
import { N8nSandbox, PACKAGE_NAME, assertBuilt, linkPackage, parseFirstJson, tail, type IRunLike } from '../../test/shared/n8n/n8n';
import { summarizeRun, type WorkflowRunResult } from '../../test/shared/n8n/workflow';
import { sampleMemory } from './common';
import { DEMO, demoToken, type Emulator } from './emulator';

export const N8N_VERSION = '2.8.4';
export const NODE_UNDER_TEST = 'Under Test';
export const HTTP_REQUEST_VERSION = 4.4;

const HYPERID_CRED = { id: 'benchHyperIdCred', name: 'HyperID (bench)' };
const OAUTH2_CRED = { id: 'benchOAuth2Cred1', name: 'Generic OAuth2 (bench)' };

export interface N8nEnv {
	runtime: N8nRuntime;
	sandbox: N8nSandbox;
	/** added to every `n8n execute` (the TLS profile's NODE_EXTRA_CA_CERTS) */
	extraEnv?: NodeJS.ProcessEnv;
	/** Node.js flags before n8n's own (the TLS profile's --cpu-prof, which NODE_OPTIONS may not carry) */
	nodeArgs?: string[];
	dispose(): void;
}

export interface PrepareOptions {
	/** where n8n reaches HyperID [the emulator's own URL]; the TLS profile's relay */
	url?: string;
	extraEnv?: NodeJS.ProcessEnv;
	nodeArgs?: string[];
	/** the n8n version (an entry of test/e2e's versions.json) [N8N_VERSION] */
	version?: string;
	/** a directory holding another build of this package (the TLS profile's baseline), linked instead of this checkout */
	packageDir?: string;
}

export async function prepareN8n(emulator: Emulator, log: (line: string) => void, opts: PrepareOptions = {}): Promise<N8nEnv> {
	assertBuilt('all');
	const entry = loadVersions(opts.version ?? N8N_VERSION)[0];
	const runtime = await ensureN8n(entry, log);
	const sandbox = new N8nSandbox(runtime, {});
	if (opts.packageDir) {
		const link = linkPackage(sandbox.userFolder);
		fs.rmSync(link, { recursive: true, force: true });
		fs.symlinkSync(path.resolve(opts.packageDir), link, 'dir');
	}
	const hyperId = connectedCredential(emulator, { ...HYPERID_CRED });
	const url = (opts.url ?? emulator.url).replace(/\/+$/, '');
	Object.assign(hyperId.data as object, { loginUrl: url, apiUrl: url });
	const scopes = 'openid email user-data-get user-data-set';
	const oauth2 = {
		...OAUTH2_CRED,
		type: 'oAuth2Api',
		data: {
			grantType: 'authorizationCode',
			authUrl: `${url}/auth/realms/HyperID/protocol/openid-connect/auth`,
			accessTokenUrl: `${url}/auth/realms/HyperID/protocol/openid-connect/token`,
			clientId: DEMO.clientId,
			clientSecret: DEMO.clientSecret,
			scope: scopes,
			authQueryParameters: '',
			authentication: 'header',
			oauthTokenData: { access_token: demoToken(emulator), token_type: 'Bearer', expires_in: 3600, scope: scopes },
		},
	};
	await sandbox.importCredentials([{ id: hyperId.id, name: hyperId.name, type: hyperId.type, data: hyperId.data }, oauth2]);
	return { runtime, sandbox, extraEnv: opts.extraEnv, nodeArgs: opts.nodeArgs, dispose: () => sandbox.dispose() };
}

/** Start → Code (builds the input items) → the node under test. */
export function benchWorkflow(
	id: string,
	name: string,
	inputCode: string,
	node: { kind: 'hyperid'; parameters: IDataObject; typeVersion: number } | { kind: 'http'; parameters: IDataObject },
): object {
	const underTest =
		node.kind === 'hyperid'
			? {
					name: NODE_UNDER_TEST,
					type: `${PACKAGE_NAME}.hyperIdUserData`,
					typeVersion: node.typeVersion,
					parameters: node.parameters,
					credentials: { hyperIdOAuth2Api: HYPERID_CRED },
				}
			: {
					name: NODE_UNDER_TEST,
					type: 'n8n-nodes-base.httpRequest',
					typeVersion: HTTP_REQUEST_VERSION,
					parameters: node.parameters,
					credentials: { oAuth2Api: OAUTH2_CRED },
				};
	return {
		id,
		name,
		active: false,
		nodes: [
			{ id: `${id}-1`, name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
			{
				id: `${id}-2`,
				name: 'Input',
				type: 'n8n-nodes-base.code',
				typeVersion: 2,
				position: [220, 0],
				parameters: { jsCode: inputCode },
			},
			{ id: `${id}-3`, position: [440, 0], ...underTest },
		],
		connections: {
			Start: { main: [[{ node: 'Input', type: 'main', index: 0 }]] },
			Input: { main: [[{ node: NODE_UNDER_TEST, type: 'main', index: 0 }]] },
		},
		settings: { executionOrder: 'v1' },
	};
}

export interface N8nExecution {
	ok: boolean;
	error?: string;
	/** the node under test's executionTime (n8n's own measure), ms */
	nodeMs?: number;
	outputs: number;
	/** the whole `n8n execute` process, ms */
	wallMs: number;
	peakRssMiB?: number;
	run: WorkflowRunResult;
}

/** `n8n execute --id=<id> --rawOutput` with the process's VmHWM sampled (N8nSandbox.cli hides the pid). */
export async function executeMeasured(env: N8nEnv, id: string, timeoutMs: number): Promise<N8nExecution> {
	const { runtime, sandbox } = env;
	const processEnv = { ...(await sandbox.env()), ...(env.extraEnv ?? {}) };
	const started = Date.now();
	const { code, stdout, stderr, peak } = await new Promise<{ code: number | null; stdout: string; stderr: string; peak?: number }>(
		(resolve, reject) => {
			const child = spawn(runtime.nodeBin, [...(env.nodeArgs ?? []), runtime.n8nBin, 'execute', `--id=${id}`, '--rawOutput'], {
				cwd: sandbox.userFolder,
				env: processEnv,
				stdio: ['ignore', 'pipe', 'pipe'],
			});
			const sampler = sampleMemory(child.pid!, 50);
			const out: Buffer[] = [];
			const err: Buffer[] = [];
			child.stdout.on('data', (b: Buffer) => out.push(b));
			child.stderr.on('data', (b: Buffer) => err.push(b));
			// the peak is read while the process still exists: on exit its /proc entry is gone
			child.on('exit', () => undefined);
			const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
			child.on('error', (e) => {
				clearTimeout(timer);
				sampler.stop();
				reject(e);
			});
			child.on('close', (exitCode) => {
				clearTimeout(timer);
				const peakMiB = sampler.stop();
				resolve({
					code: exitCode,
					stdout: Buffer.concat(out).toString(),
					stderr: Buffer.concat(err).toString(),
					peak: peakMiB,
				});
			});
		},
	);
	const wallMs = Date.now() - started;
	const raw = parseFirstJson(stdout) as IRunLike | null;
	const run = summarizeRun(raw, code === 0, { ms: wallMs, stdout, stderr });
	const task = run.nodes[NODE_UNDER_TEST]?.[0];
	const error =
		code === 0 && !task?.error
			? undefined
			: (task?.error?.message ?? run.error?.message ?? `n8n exited ${code}: ${tail(stdout + stderr, 15)}`);
	return {
		ok: code === 0 && !task?.error && !!task,
		error,
		nodeMs: task?.executionTime,
		outputs: task?.items.length ?? 0,
		wallMs,
		peakRssMiB: peak,
		run,
	};
}
