/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * Workflow files (examples/*.json) -> something n8n can import with known ids, and n8n's run data ->
 * per-node outputs that tests assert on and `npm run demo` prints.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { REPO_ROOT } from './install';
import type { IRunLike, N8nSandbox } from './n8n';

export const CREDENTIAL_TYPE = 'hyperIdOAuth2Api';
/** The name example workflows use to reference the credential (an editor user picks their own). */
export const DEFAULT_CREDENTIAL_NAME = 'HyperID account';

export interface WorkflowJson {
	id?: string;
	name: string;
	nodes: Array<{
		name: string;
		type: string;
		parameters?: Record<string, unknown>;
		credentials?: Record<string, { id?: string; name: string }>;
		[k: string]: unknown;
	}>;
	connections: Record<string, unknown>;
	[k: string]: unknown;
}

export function loadWorkflowFile(file: string): WorkflowJson {
	const abs = path.isAbsolute(file) ? file : path.join(REPO_ROOT, file);
	return JSON.parse(fs.readFileSync(abs, 'utf8')) as WorkflowJson;
}

export interface CredentialRef {
	id: string;
	name: string;
}

/**
 * A copy of `wf` with the given id, every HyperID credential reference pointed at a real credential
 * (by the name used in the file; `*` matches any), and active=false. With `n8nVersion`, what that
 * n8n reads differently from the files (written for n8n 2.x) is rewritten (see forN8nVersion).
 */
export function bindWorkflow(
	wf: WorkflowJson,
	id: string,
	credentials: Record<string, CredentialRef>,
	n8nVersion?: string,
): WorkflowJson {
	const copy = forN8nVersion(JSON.parse(JSON.stringify(wf)) as WorkflowJson, n8nVersion);
	copy.id = id;
	copy.active = false;
	for (const node of copy.nodes) {
		for (const [type, ref] of Object.entries(node.credentials ?? {})) {
			if (type !== CREDENTIAL_TYPE) continue;
			const target = credentials[ref.name] ?? credentials['*'];
			if (!target)
				throw new Error(`workflow "${wf.name}", node "${node.name}": no credential bound for "${ref.name}"`);
			node.credentials![type] = { id: target.id, name: target.name };
		}
	}
	return copy;
}

/** Whether version `a` (x.y.z) is `b` or later. */
export function versionAtLeast(a: string, b: string): boolean {
	const [pa, pb] = [a, b].map((v) => v.split('.').map(Number));
	for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) > (pb[i] ?? 0);
	return true;
}

/**
 * Why `wf` cannot run on n8n `n8nVersion` (its `meta.requiresN8n: {atLeast, why}`), or undefined
 * when it can: `npm run demo` skips such an example with this reason instead of failing in n8n.
 */
export function unsupportedReason(wf: WorkflowJson, n8nVersion: string): string | undefined {
	const requires = (wf.meta as { requiresN8n?: { atLeast: string; why: string } } | undefined)?.requiresN8n;
	if (!requires || versionAtLeast(n8nVersion, requires.atLeast)) return undefined;
	return `needs n8n ${requires.atLeast} or later, since ${requires.why}`;
}

const TOOL_EXECUTOR = '@n8n/n8n-nodes-langchain.toolExecutor';

/**
 * n8n 1.x's Tool Executor hands its whole query to the tool as the tool's arguments; 2.x reads the
 * arguments under the tool's name ({"My_Tool": {...}}), as the example files write them. For 1.x a
 * query of that one shape is unwrapped. `wf` is changed in place and returned.
 */
export function forN8nVersion(wf: WorkflowJson, n8nVersion?: string): WorkflowJson {
	if (!n8nVersion || Number(n8nVersion.split('.')[0]) >= 2) return wf;
	for (const node of wf.nodes) {
		if (node.type !== TOOL_EXECUTOR || typeof node.parameters?.query !== 'string') continue;
		let query: unknown;
		try {
			query = JSON.parse(node.parameters.query);
		} catch {
			continue;
		}
		const entries = query && typeof query === 'object' && !Array.isArray(query) ? Object.entries(query) : [];
		const [name, args] = entries[0] ?? [];
		const named = node.parameters.toolName ? node.parameters.toolName === name : true;
		if (entries.length === 1 && named && args && typeof args === 'object')
			node.parameters.query = JSON.stringify(args);
	}
	return wf;
}

export interface NodeRun {
	node: string;
	runIndex: number;
	status?: string;
	/** the node's error (e.g. NodeApiError) when it failed */
	error?: { message?: string; description?: string; name?: string; [k: string]: unknown };
	/** output items' json per connection type and output index, e.g. outputs.main[0] */
	outputs: Record<string, Array<Array<Record<string, unknown>>>>;
	/** raw items (json + pairedItem + error) of main output 0 */
	items: Array<{ json: Record<string, unknown>; pairedItem?: unknown; error?: unknown }>;
	executionTime?: number;
}

export interface WorkflowRunResult {
	ok: boolean;
	/** the execution's error (when it failed) */
	error?: IRunLike['data']['resultData']['error'];
	/** node name -> its runs in order */
	nodes: Record<string, NodeRun[]>;
	/** json of main output 0 of the last run of `node` ([] when it did not run) */
	json(node: string, output?: number): Array<Record<string, unknown>>;
	lastNodeExecuted?: string;
	raw: IRunLike | null;
	ms: number;
	stdout: string;
	stderr: string;
}

export function summarizeRun(
	run: IRunLike | null,
	ok: boolean,
	extra: { ms: number; stdout: string; stderr: string },
): WorkflowRunResult {
	const nodes: Record<string, NodeRun[]> = {};
	const runData = run?.data?.resultData?.runData ?? {};
	for (const [node, tasks] of Object.entries(runData)) {
		nodes[node] = tasks.map((t, runIndex) => {
			const outputs: NodeRun['outputs'] = {};
			for (const [type, outs] of Object.entries(t.data ?? {})) {
				outputs[type] = (outs ?? []).map((items) => (items ?? []).map((i) => i.json));
			}
			return {
				node,
				runIndex,
				status: t.executionStatus,
				error: t.error,
				outputs,
				items: (t.data?.main?.[0] ?? []) as NodeRun['items'],
				executionTime: t.executionTime,
			};
		});
	}
	return {
		ok,
		error: run?.data?.resultData?.error,
		nodes,
		json(node: string, output = 0) {
			const runs = nodes[node];
			if (!runs?.length) return [];
			const last = runs[runs.length - 1];
			return last.outputs.main?.[output] ?? [];
		},
		lastNodeExecuted: run?.data?.resultData?.lastNodeExecuted,
		raw: run,
		...extra,
	};
}

/** Execute an imported workflow and return per-node outputs. */
export async function executeWorkflow(sandbox: N8nSandbox, id: string): Promise<WorkflowRunResult> {
	const r = await sandbox.execute(id);
	if (!r.run && r.ok)
		throw new Error(`n8n execute --id=${id} printed no execution JSON:\n${r.cli.stdout.slice(-2000)}`);
	return summarizeRun(r.run, r.ok, { ms: r.cli.ms, stdout: r.cli.stdout, stderr: r.cli.stderr });
}

/**
 * Run one workflow file end to end in a sandbox that already has its credentials imported:
 * bind credentials, import, execute. For `npm run demo`.
 */
export async function runWorkflowFile(
	sandbox: N8nSandbox,
	file: string,
	credentials: Record<string, CredentialRef>,
	id = 'wf' + Math.random().toString(36).slice(2, 12),
): Promise<WorkflowRunResult> {
	const wf = bindWorkflow(loadWorkflowFile(file), id, credentials);
	await sandbox.importWorkflows([wf]);
	return executeWorkflow(sandbox, id);
}

/** Plain-text table of each node's output items (for `npm run demo` and failing-test reports). */
/** `failureExpected`: why this workflow is meant to fail (the failure is then printed as intended, not as ✗). */
export function formatRun(result: WorkflowRunResult, opts: { maxWidth?: number; failureExpected?: string } = {}): string {
	const maxWidth = opts.maxWidth ?? 60;
	const out: string[] = [];
	for (const [node, runs] of Object.entries(result.nodes)) {
		for (const r of runs) {
			const title = `${node}${runs.length > 1 ? ` (run ${r.runIndex + 1})` : ''}`;
			if (r.error) {
				out.push(`■ ${title}: ERROR ${r.error.message ?? ''}${r.error.description ? ` - ${r.error.description}` : ''}`);
				continue;
			}
			for (const [type, outputs] of Object.entries(r.outputs)) {
				outputs.forEach((items, oi) => {
					const label = `${title}${type !== 'main' ? ` [${type}]` : ''}${outputs.length > 1 ? ` output ${oi}` : ''}`;
					out.push(`■ ${label}: ${items.length} item${items.length === 1 ? '' : 's'}`);
					if (items.length) out.push(table(items, maxWidth));
				});
			}
		}
	}
	if (!result.ok && result.error) {
		out.push(
			opts.failureExpected
				? `■ the execution stopped here, as designed (${opts.failureExpected}): ${result.error.message ?? ''}`
				: `✗ execution failed: ${result.error.message ?? ''}`,
		);
	}
	return out.join('\n');
}

export function table(input: Array<Record<string, unknown>>, maxWidth = 60): string {
	// an item's json may be a bare value (e.g. a tool's text answer)
	const rows = input.map((r) => (r !== null && typeof r === 'object' && !Array.isArray(r) ? r : { value: r }));
	if (rows.every((r) => Object.keys(r).length === 0)) return rows.map(() => '  │ (empty item)').join('\n');
	const cols: string[] = [];
	for (const r of rows) for (const k of Object.keys(r)) if (!cols.includes(k)) cols.push(k);
	const cell = (v: unknown) => {
		const s = v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
		return s.length > maxWidth ? s.slice(0, maxWidth - 1) + '…' : s;
	};
	const cells = rows.map((r) => cols.map((c) => cell(r[c])));
	const widths = cols.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i].length)));
	const line = (vals: string[]) => '  │ ' + vals.map((v, i) => v.padEnd(widths[i])).join(' │ ') + ' │';
	const sep = '  ├─' + widths.map((w) => '─'.repeat(w)).join('─┼─') + '─┤';
	return [line(cols), sep, ...cells.map(line)].join('\n');
}
