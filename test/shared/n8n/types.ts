import type { CredentialMeta, CredentialSpec, Emulator } from './hyperid';
import type { N8nRuntime } from './install';
import type { N8nSandbox } from './n8n';
import type { CredentialRef, WorkflowRunResult } from './workflow';

export interface CaseContext {
	runtime: N8nRuntime;
	sandbox: N8nSandbox;
	emulator: Emulator;
	/** credential key (see CREDENTIALS in cases/index.ts) -> its id and name in n8n */
	credentials: Record<string, CredentialRef>;
	/** credential key -> the tokens it was imported with */
	credentialMeta: Record<string, CredentialMeta>;
	/** the workflow id this case's workflow was imported with */
	workflowId: string;
	log: (line: string) => void;
}

export interface E2ECase {
	name: string;
	/** workflow file, relative to the repo root (examples/*.json or test/e2e/fixtures/*.json) */
	workflow: string;
	/** credential name used in the file -> credential key; default { '*': 'main' } */
	credentials?: Record<string, string>;
	/** needs dist/nodes/HyperIdUserData (skipped with a warning while the node is not built) */
	requiresNode?: boolean;
	/** n8n versions to skip, with the reason */
	skip?: (ctx: Pick<CaseContext, 'runtime'>) => string | undefined;
	/**
	 * Instead of `n8n execute`: a case that needs a running n8n (webhooks) starts it and returns
	 * the result itself; its workflow is then not imported into the sandbox.
	 */
	execute?: (ctx: CaseContext) => Promise<WorkflowRunResult>;
	/** runs right before the execution (emulator request log already cleared) */
	before?: (ctx: CaseContext) => void | Promise<void>;
	/** assertions (node:assert); may run more n8n commands through ctx.sandbox */
	check: (result: WorkflowRunResult, ctx: CaseContext) => void | Promise<void>;
	/** always runs after the case (undo emulator settings) */
	after?: (ctx: CaseContext) => void | Promise<void>;
}

export type CredentialSpecs = Record<string, Omit<CredentialSpec, 'id'>>;
