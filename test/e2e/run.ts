/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * `npm run test:e2e`: the built package inside the real n8n, on every version in versions.json.
 *
 *   N8N_E2E_VERSIONS=2.8.4            only this listed version
 *   N8N_E2E_VERSIONS=2.50.0@24.21.0   an unlisted n8n on Node 24.21.0 (or @system)
 *   N8N_E2E_CASES=refresh,tool        only cases whose name contains one of these
 *   N8N_E2E_PARALLEL=1                all versions at once (default: one after the other; on 2 cores
 *                                     parallel was slower: each n8n start is CPU-bound)
 *   N8N_E2E_PRINT=1                   print every node's output as a table
 *   N8N_E2E_VERBOSE=1                 print every n8n CLI call and its duration
 *   N8N_E2E_KEEP=1                    keep the temp n8n user folders
 *   N8N_E2E_CACHE_DIR=/path           where n8n is installed (default <repo>/.cache)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { CASES, CREDENTIALS } from './cases';
import { connectedCredential, startHyperIdEmulator, type Emulator } from '../shared/n8n/hyperid';
import { CACHE_DIR, REPO_ROOT, ensureN8n, loadVersions, type N8nRuntime, type VersionEntry } from '../shared/n8n/install';
import { N8nSandbox, assertBuilt } from '../shared/n8n/n8n';
import type { CaseContext, E2ECase } from '../shared/n8n/types';
import { bindWorkflow, executeWorkflow, formatRun, loadWorkflowFile, type CredentialRef } from '../shared/n8n/workflow';

const NODE_FILE = path.join(REPO_ROOT, 'dist', 'nodes', 'HyperIdUserData', 'HyperIdUserData.node.js');

interface CaseOutcome {
	name: string;
	status: 'pass' | 'fail' | 'skip';
	ms: number;
	detail?: string;
}
interface VersionOutcome {
	entry: VersionEntry;
	cases: CaseOutcome[];
	setupMs: number;
	totalMs: number;
	executeMs: number[];
	error?: string;
}

const sec = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

function pickCases(): E2ECase[] {
	const filter = process.env.N8N_E2E_CASES?.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
	return filter?.length ? CASES.filter((c) => filter.some((f) => c.name.toLowerCase().includes(f))) : CASES;
}

async function runVersion(runtime: N8nRuntime, cases: E2ECase[], nodeBuilt: boolean): Promise<VersionOutcome> {
	const tag = `[n8n ${runtime.version}]`;
	const log = (line: string) => console.log(`${tag} ${line}`);
	const started = Date.now();
	const outcome: VersionOutcome = { entry: runtime.entry, cases: [], setupMs: 0, totalMs: 0, executeMs: [] };
	let emulator: Emulator | undefined;
	const sandbox = new N8nSandbox(runtime, { log: process.env.N8N_E2E_VERBOSE ? log : undefined });
	try {
		emulator = await startHyperIdEmulator();
		log(`emulator on ${emulator.url}; n8n user folder ${sandbox.userFolder}`);

		// credentials: one import for all
		const credRefs: Record<string, CredentialRef> = {};
		const credMeta: CaseContext['credentialMeta'] = {};
		const importable = Object.entries(CREDENTIALS).map(([key, spec], i) => {
			const id = `e2eCred${String(i + 1).padStart(9, '0')}`;
			credRefs[key] = { id, name: spec.name };
			const cred = connectedCredential(emulator!, { id, ...spec });
			credMeta[key] = cred.meta;
			return cred;
		});

		// workflows: one import for all runnable cases
		const plan: Array<{ c: E2ECase; id: string; skip?: string }> = cases.map((c, i) => {
			const skip =
				c.requiresNode && !nodeBuilt
					? 'the node is not built yet (dist/nodes/HyperIdUserData)'
					: c.skip?.({ runtime });
			return { c, id: `e2eWorkflow${String(i + 1).padStart(5, '0')}`, skip };
		});
		const workflows = plan
			.filter((p) => !p.skip && !p.c.execute)
			.map((p) => {
				const map: Record<string, CredentialRef> = {};
				for (const [nameInFile, key] of Object.entries(p.c.credentials ?? { '*': 'main' })) {
					if (!credRefs[key]) throw new Error(`case "${p.c.name}": unknown credential key ${key}`);
					map[nameInFile] = credRefs[key];
				}
				return bindWorkflow(loadWorkflowFile(p.c.workflow), p.id, map);
			});

		let t = Date.now();
		await sandbox.importCredentials(importable);
		log(`imported ${importable.length} credential(s) in ${sec(Date.now() - t)}`);
		t = Date.now();
		if (workflows.length) await sandbox.importWorkflows(workflows);
		log(`imported ${workflows.length} workflow(s) in ${sec(Date.now() - t)}`);
		outcome.setupMs = Date.now() - started;

		for (const p of plan) {
			if (p.skip) {
				log(`SKIP  ${p.c.name} (${p.skip})`);
				outcome.cases.push({ name: p.c.name, status: 'skip', ms: 0, detail: p.skip });
				continue;
			}
			const ctx: CaseContext = {
				runtime,
				sandbox,
				emulator,
				credentials: credRefs,
				credentialMeta: credMeta,
				workflowId: p.id,
				log,
			};
			const caseStarted = Date.now();
			let result: Awaited<ReturnType<typeof executeWorkflow>> | undefined;
			try {
				emulator.clearRequests();
				await p.c.before?.(ctx);
				result = p.c.execute ? await p.c.execute(ctx) : await executeWorkflow(sandbox, p.id);
				outcome.executeMs.push(result.ms);
				if (process.env.N8N_E2E_PRINT) log(`${p.c.name}:\n${indent(formatRun(result))}`);
				await p.c.check(result, ctx);
				const ms = Date.now() - caseStarted;
				log(`PASS  ${p.c.name}  (${sec(ms)}; n8n execute ${sec(result.ms)})`);
				outcome.cases.push({ name: p.c.name, status: 'pass', ms });
			} catch (err) {
				const ms = Date.now() - caseStarted;
				const msg = (err as Error).stack ?? String(err);
				log(`FAIL  ${p.c.name}  (${sec(ms)})\n${indent(msg)}`);
				if (result) {
					log(`      node outputs:\n${indent(formatRun(result))}`);
					if (!result.ok) log(`      n8n output (tail):\n${indent(lastLines(result.stdout + result.stderr, 30))}`);
				}
				const reqs = emulator.requests();
				log(
					`      emulator request log (${reqs.length}):\n${indent(
						reqs.map((q) => `${q.method} ${q.path} -> ${q.status}${q.result !== undefined ? ` result ${q.result}` : ''} ${JSON.stringify(q.body ?? '')}`).join('\n') || '(none)',
					)}`,
				);
				outcome.cases.push({ name: p.c.name, status: 'fail', ms, detail: (err as Error).message });
			} finally {
				try {
					await p.c.after?.(ctx);
				} catch (err) {
					log(`      after() of ${p.c.name} failed: ${(err as Error).message}`);
				}
			}
		}
	} catch (err) {
		outcome.error = (err as Error).stack ?? String(err);
		log(`ERROR ${outcome.error}`);
	} finally {
		await emulator?.close();
		sandbox.dispose();
	}
	outcome.totalMs = Date.now() - started;
	return outcome;
}

const indent = (s: string) =>
	s
		.split('\n')
		.map((l) => '        ' + l)
		.join('\n');
const lastLines = (s: string, n: number) => s.trimEnd().split('\n').slice(-n).join('\n');

function dirSize(dir: string): number {
	let total = 0;
	const walk = (d: string) => {
		let entries: fs.Dirent[];
		try {
			entries = fs.readdirSync(d, { withFileTypes: true });
		} catch {
			return;
		}
		for (const e of entries) {
			const p = path.join(d, e.name);
			if (e.isDirectory()) walk(p);
			else if (e.isFile()) total += fs.statSync(p).size;
		}
	};
	walk(dir);
	return total;
}

async function main(): Promise<void> {
	const allStarted = Date.now();
	assertBuilt('credentials');
	const nodeBuilt = fs.existsSync(NODE_FILE);
	const versions = loadVersions();
	const cases = pickCases();
	console.log(
		`e2e: ${cases.length} case(s) on n8n ${versions.map((v) => `${v.n8n} (Node ${v.node})`).join(', ')}; cache ${CACHE_DIR}`,
	);

	// installs one after the other (CPU- and disk-heavy)
	const runtimes: N8nRuntime[] = [];
	for (const v of versions) {
		const t = Date.now();
		const rt = await ensureN8n(v);
		console.log(`n8n ${v.n8n} ready (${sec(Date.now() - t)}) - ${rt.installDir}`);
		runtimes.push(rt);
	}

	const serial = !process.env.N8N_E2E_PARALLEL;
	const outcomes: VersionOutcome[] = [];
	if (serial) for (const rt of runtimes) outcomes.push(await runVersion(rt, cases, nodeBuilt));
	else outcomes.push(...(await Promise.all(runtimes.map((rt) => runVersion(rt, cases, nodeBuilt)))));

	// summary
	console.log('\n=== e2e summary ===');
	let failed = 0;
	for (const o of outcomes) {
		const pass = o.cases.filter((c) => c.status === 'pass').length;
		const fail = o.cases.filter((c) => c.status === 'fail').length;
		const skip = o.cases.filter((c) => c.status === 'skip').length;
		failed += fail + (o.error ? 1 : 0);
		const ex = o.executeMs;
		const avg = ex.length ? ex.reduce((a, b) => a + b, 0) / ex.length : 0;
		console.log(
			`n8n ${o.entry.n8n} (Node ${o.entry.node}): ${pass} passed, ${fail} failed, ${skip} skipped${o.error ? ', SETUP ERROR' : ''}; ` +
				`total ${sec(o.totalMs)}, setup ${sec(o.setupMs)}, n8n execute avg ${sec(avg)} (min ${sec(Math.min(...ex, 0) || Math.min(...ex))}, max ${sec(Math.max(0, ...ex))})`,
		);
		for (const c of o.cases.filter((c) => c.status !== 'pass'))
			console.log(`   ${c.status.toUpperCase()} ${c.name}: ${c.detail?.split('\n')[0]}`);
	}
	if (process.env.N8N_E2E_DISK) console.log(`cache size: ${(dirSize(CACHE_DIR) / 1e9).toFixed(2)} GB (${CACHE_DIR})`);
	console.log(`e2e total ${sec(Date.now() - allStarted)}: ${failed ? `${failed} FAILED` : 'all passed'}`);
	process.exitCode = failed ? 1 : 0;
}

main().catch((err) => {
	console.error(err);
	process.exitCode = 1;
});
