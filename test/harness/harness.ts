/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * In-process n8n harness: runs a node's real execute() through n8n-core's WorkflowExecute, with the
 * real request helpers (httpRequestWithAuthentication, OAuth2 signing, refreshOAuth2Token; real axios
 * HTTP) and an in-memory credentials helper (CredentialStore). No jest globals: usable from ts-node.
 *
 *   const store = new CredentialStore(hyperIdCustomCredentials('http://127.0.0.1:8787'));
 *   const r = await runNode({ nodeType: new HyperIdUserData(), parameters: {...}, inputItems: [{ key: 'a' }], credentials: store });
 *   r.outputs?.[0].map(i => i.json); r.error?.message; r.logs; store.saves; store.oauthTokenData;
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import os from 'node:os';
import path from 'node:path';

import { Logger } from '@n8n/backend-common';
import { Container } from '@n8n/di';
import {
	ErrorReporter,
	ExecutionLifecycleHooks,
	ExternalSecretsProxy,
	InstanceSettings,
	WorkflowExecute,
} from 'n8n-core';
import { ScheduledTaskManager } from 'n8n-core/dist/execution-engine/scheduled-task-manager';
import { SSHClientsManager } from 'n8n-core/dist/execution-engine/ssh-clients-manager';
import {
	LoggerProxy,
	Node as N8nNode,
	NodeHelpers,
	Workflow,
	type IConnections,
	type ICredentialDataDecryptedObject,
	type IDataObject,
	type IExecuteFunctions,
	type INode,
	type INodeExecutionData,
	type INodeParameters,
	type INodeType,
	type INodeTypes,
	type IRun,
	type ITaskData,
	type IVersionedNodeType,
	type IWorkflowBase,
	type IWorkflowExecuteAdditionalData,
	type LogMetadata,
	type WorkflowExecuteMode,
} from 'n8n-workflow';

import { CredentialStore, HYPERID_CREDENTIAL_TYPE } from './credentials';

export {
	CredentialStore,
	CredentialTypes,
	defaultCredentialTypes,
	resolveCredentialData,
	HYPERID_CREDENTIAL_TYPE,
} from './credentials';
export type { CredentialStoreOptions, ResolveCredentialOptions, GetDecryptedCall } from './credentials';

export const DEFAULT_NODE_TYPE_NAME = 'n8n-nodes-hyperid.hyperIdUserData';
export const START_NODE_NAME = 'Start';
export const DEFAULT_NODE_NAME = 'Node Under Test';
const START_NODE_TYPE = 'harness.start';

// ---------------------------------------------------------------------------------------------
// Logging: one global logger (n8n-core reads Container.get(Logger) and LoggerProxy), routed per run
// ---------------------------------------------------------------------------------------------

type Level = 'error' | 'warn' | 'info' | 'debug';
const logSink = new AsyncLocalStorage<string[]>();
/** Lines logged outside any runNode call (e.g. at start-up). */
export const strayLogs: string[] = [];
let echoLogs = process.env.HARNESS_ECHO_LOGS === '1';

/** Print every captured log line to stderr too (debugging). */
export function setLogEcho(on: boolean): void {
	echoLogs = on;
}

function formatMeta(meta?: LogMetadata): string {
	if (!meta || Object.keys(meta).length === 0) return '';
	try {
		return ' ' + JSON.stringify(meta, (_k, v: unknown) => (v instanceof Error ? v.message : v));
	} catch {
		return '';
	}
}

function makeLogger(): Record<Level, (message: string, meta?: LogMetadata) => void> & IDataObject {
	const write = (level: Level) => (message: string, meta?: LogMetadata) => {
		const line = `${level}: ${message}${formatMeta(meta)}`;
		(logSink.getStore() ?? strayLogs).push(line);
		if (echoLogs) process.stderr.write(line + '\n');
	};
	const logger = {
		error: write('error'),
		warn: write('warn'),
		info: write('info'),
		debug: write('debug'),
		scoped: () => logger,
		getInternalLogger: () => logger,
	};
	return logger;
}

// ---------------------------------------------------------------------------------------------
// One-time engine set-up: stub the DI services execution touches, so nothing is written to ~/.n8n
// and no interval timers are left behind (SSHClientsManager would start a 60 s cleanup interval).
// ---------------------------------------------------------------------------------------------

let engineReady = false;
/** Errors n8n-core handed to its ErrorReporter (unexpected errors inside node execution). */
export const reportedErrors: unknown[] = [];

export function initEngine(): void {
	if (engineReady) return;
	engineReady = true;
	const logger = makeLogger();
	Container.set(Logger, logger as unknown as Logger);
	LoggerProxy.init(logger);

	const n8nFolder = path.join(os.tmpdir(), 'n8n-harness-not-used');
	Container.set(InstanceSettings, {
		n8nFolder,
		staticCacheDir: path.join(n8nFolder, 'cache'),
		customExtensionDir: path.join(n8nFolder, 'custom'),
		nodesDownloadDir: path.join(n8nFolder, 'nodes'),
		instanceId: 'harness-instance',
		hostId: 'main-harness',
		hmacSignatureSecret: 'harness-hmac-secret',
		encryptionKey: 'harness-encryption-key',
		instanceType: 'main',
		instanceRole: 'leader',
		isMultiMain: false,
		isSingleMain: true,
		isWorker: false,
		isLeader: true,
		isFollower: false,
		isDocker: false,
	} as unknown as InstanceSettings);

	Container.set(ErrorReporter, {
		error: (e: unknown) => reportedErrors.push(e),
		warn: () => {},
		info: () => {},
	} as unknown as ErrorReporter);

	const unsupported = (what: string) => () => {
		throw new Error(`${what} is not available in the test harness`);
	};
	Container.set(SSHClientsManager, {
		getClient: unsupported('SSH tunnel'),
		updateLastUsed: () => {},
	} as unknown as SSHClientsManager);
	Container.set(ScheduledTaskManager, {
		registerCron: unsupported('Cron scheduling'),
		deregisterCrons: () => {},
		deregisterAllCrons: () => {},
	} as unknown as ScheduledTaskManager);
}

// ---------------------------------------------------------------------------------------------
// Node types
// ---------------------------------------------------------------------------------------------

/** Start node: outputs the json items given in its `itemsJson` parameter. */
class HarnessStart implements INodeType {
	description = {
		displayName: 'Harness Start',
		name: START_NODE_TYPE,
		group: ['input'],
		version: 1,
		description: 'Emits the harness input items',
		defaults: { name: START_NODE_NAME },
		inputs: ['main'],
		outputs: ['main'],
		properties: [
			{ displayName: 'Items', name: 'itemsJson', type: 'string', default: '[]' },
		],
	} as INodeType['description'];

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = JSON.parse(this.getNodeParameter('itemsJson', 0) as string) as IDataObject[];
		return [items.map((json) => ({ json, pairedItem: { item: 0 } }))];
	}
}
const harnessStart = new HarnessStart();

function concreteNodeType(type: INodeType | IVersionedNodeType, version?: number): INodeType {
	return NodeHelpers.getVersionedNodeType(type, version);
}

function defaultVersion(type: INodeType | IVersionedNodeType): number {
	if ('nodeVersions' in type) return type.currentVersion;
	const v = type.description.version;
	return Array.isArray(v) ? Math.max(...v) : v;
}

interface Capture {
	error?: unknown;
}

/** Same node type, but remembers the exact error its execute() throws (n8n-core only keeps a copy). */
function capturingNodeType(nodeType: INodeType, capture: Capture): INodeType {
	const original = nodeType.execute;
	if (!original) return nodeType;
	const wrapped = Object.create(nodeType) as INodeType;
	const isNewStyle = nodeType instanceof N8nNode;
	wrapped.execute = async function (this: unknown, ...args: unknown[]) {
		try {
			return await (original as (...a: unknown[]) => Promise<INodeExecutionData[][] | null>).apply(
				isNewStyle ? nodeType : this,
				args,
			);
		} catch (e) {
			capture.error = e;
			throw e;
		}
	} as INodeType['execute'];
	return wrapped;
}

// ---------------------------------------------------------------------------------------------
// runNode
// ---------------------------------------------------------------------------------------------

export interface RunNodeOptions {
	nodeType: INodeType | IVersionedNodeType;
	/** Default 'n8n-nodes-hyperid.hyperIdUserData'. */
	nodeTypeName?: string;
	/** Default: the node type's (highest / current) version. */
	typeVersion?: number;
	/** Node parameters; expressions ('={{ $json.key }}') are evaluated per item by the real engine. */
	parameters: INodeParameters;
	/** json of the items fed into the node (from the start node). Default [{}]. */
	inputItems?: IDataObject[];
	/** Credential store; the node gets `{ [store.type]: { id, name } }`. */
	credentials?: CredentialStore;
	/** node setting onError: 'continueRegularOutput'. */
	continueOnFail?: boolean;
	/** Node name in the workflow. Default 'Node Under Test'. */
	nodeName?: string;
	/** Default 'manual'. */
	mode?: WorkflowExecuteMode;
	/** Extra/overriding INode fields (e.g. alwaysOutputData, retryOnFail, executeOnce, onError). */
	nodeOverrides?: Partial<INode>;
	/** Called once the execution started, with what the editor's Stop button does (n8n cancels the execution). */
	onStarted?: (cancel: () => void) => void;
}

export interface RunNodeResult {
	/** The node's output (per output index), from the run data; undefined when the node failed. */
	outputs: INodeExecutionData[][] | undefined;
	/**
	 * The error the node's execute() threw (the original instance: NodeApiError / NodeOperationError ...,
	 * with message, description, context.itemIndex, httpCode ...), or, if the run failed elsewhere, the
	 * engine's error. Also set under continueOnFail when execute() threw anyway.
	 */
	error?: Error & Record<string, unknown>;
	/** Log lines ('debug: ...') written through n8n's Logger/LoggerProxy during this run. */
	logs: string[];
	/** 'success' | 'error' | ... of the whole execution. */
	status: IRun['status'];
	/** Task data of the node under test (hints, executionTime, error copy ...). */
	taskData?: ITaskData;
	/** The complete IRun. */
	run?: IRun;
	durationMs: number;
}

let runCounter = 0;

export async function runNode(opts: RunNodeOptions): Promise<RunNodeResult> {
	initEngine();
	const logs: string[] = [];
	return await logSink.run(logs, async () => {
		const started = performance.now();
		const nodeTypeName = opts.nodeTypeName ?? DEFAULT_NODE_TYPE_NAME;
		const typeVersion = opts.typeVersion ?? defaultVersion(opts.nodeType);
		const nodeName = opts.nodeName ?? DEFAULT_NODE_NAME;
		const mode = opts.mode ?? 'manual';
		const capture: Capture = {};
		const underTest = capturingNodeType(concreteNodeType(opts.nodeType, typeVersion), capture);

		const nodeTypes: INodeTypes = {
			getByName: (name) => (name === START_NODE_TYPE ? harnessStart : underTest),
			getByNameAndVersion: (name) => {
				if (name === START_NODE_TYPE) return harnessStart;
				if (name === nodeTypeName) return underTest;
				throw new Error(`Unknown node type "${name}"`);
			},
			getKnownTypes: () => ({}),
		};

		const startNode: INode = {
			id: 'harness-start',
			name: START_NODE_NAME,
			type: START_NODE_TYPE,
			typeVersion: 1,
			position: [0, 0],
			parameters: { itemsJson: JSON.stringify(opts.inputItems ?? [{}]) },
		};
		const testNode: INode = {
			id: 'harness-node',
			name: nodeName,
			type: nodeTypeName,
			typeVersion,
			position: [200, 0],
			parameters: opts.parameters,
			...(opts.credentials
				? { credentials: { [opts.credentials.type]: opts.credentials.nodeCredentials } }
				: {}),
			...(opts.continueOnFail ? { onError: 'continueRegularOutput' as const } : {}),
			...opts.nodeOverrides,
		};
		const connections: IConnections = {
			[START_NODE_NAME]: { main: [[{ node: nodeName, type: 'main', index: 0 }]] },
		};

		const executionId = `harness-${++runCounter}`;
		const workflowData: IWorkflowBase = {
			id: 'harness-workflow',
			name: 'Harness',
			active: false,
			isArchived: false,
			nodes: [startNode, testNode],
			connections,
			settings: { executionOrder: 'v1' },
			createdAt: new Date(),
			updatedAt: new Date(),
		} as IWorkflowBase;

		const workflow = new Workflow({
			id: workflowData.id,
			name: workflowData.name,
			nodes: workflowData.nodes,
			connections,
			active: false,
			nodeTypes,
			settings: { executionOrder: 'v1' },
		});

		const hooks = new ExecutionLifecycleHooks(mode, executionId, workflowData);
		const credentialsHelper = opts.credentials ?? new CredentialStore({}, { id: 'none' });
		const additionalData = {
			credentialsHelper,
			hooks,
			executionId,
			currentNodeExecutionIndex: 0,
			restApiUrl: 'http://localhost:5678/rest',
			instanceBaseUrl: 'http://localhost:5678/',
			formWaitingBaseUrl: 'http://localhost:5678/form-waiting',
			webhookBaseUrl: 'http://localhost:5678/webhook',
			webhookWaitingBaseUrl: 'http://localhost:5678/webhook-waiting',
			webhookTestBaseUrl: 'http://localhost:5678/webhook-test',
			variables: {},
			userId: 'harness-user',
			externalSecretsProxy: new ExternalSecretsProxy(),
			executeWorkflow: async () => {
				throw new Error('executeWorkflow is not available in the test harness');
			},
			getRunExecutionData: async () => undefined,
			logAiEvent: () => {},
			startRunnerTask: async () => {
				throw new Error('Task runners are not available in the test harness');
			},
		} as unknown as IWorkflowExecuteAdditionalData;

		let run: IRun | undefined;
		let engineError: unknown;
		try {
			const workflowExecute = new WorkflowExecute(additionalData, mode);
			const running = workflowExecute.run({ workflow, startNode });
			opts.onStarted?.(() => running.cancel());
			run = await running;
		} catch (e) {
			engineError = e; // e.g. WorkflowHasIssuesError (missing required parameters)
		}

		const taskData = run?.data.resultData.runData[nodeName]?.[0];
		const outputs = taskData?.data?.main as INodeExecutionData[][] | undefined;
		const runError = run?.data.resultData.error ?? taskData?.error;
		const error = (capture.error ?? engineError ?? runError) as
			| (Error & Record<string, unknown>)
			| undefined;
		return {
			outputs: taskData?.executionStatus === 'error' && !opts.continueOnFail ? undefined : outputs,
			error,
			logs,
			status: run?.status ?? 'error',
			taskData,
			run,
			durationMs: performance.now() - started,
		};
	});
}

// ---------------------------------------------------------------------------------------------
// Convenience
// ---------------------------------------------------------------------------------------------

/** Credential data for environment 'custom' pointing at a local emulator/server. */
export function hyperIdCustomCredentials(
	baseUrl: string,
	overrides: ICredentialDataDecryptedObject = {},
): ICredentialDataDecryptedObject {
	return {
		environment: 'custom',
		loginUrl: baseUrl,
		apiUrl: baseUrl,
		clientId: 'test-client',
		clientSecret: 'test-secret',
		scope: 'openid email user-data-get user-data-set',
		oauthTokenData: {
			access_token: 'access-0',
			refresh_token: 'refresh-0',
			token_type: 'Bearer',
			expires_in: 3600,
		},
		...overrides,
	};
}

/** Item json of the first output. */
export function jsonOf(result: RunNodeResult, output = 0): IDataObject[] {
	return (result.outputs?.[output] ?? []).map((i) => i.json);
}

export { HYPERID_CREDENTIAL_TYPE as CREDENTIAL_TYPE };
