/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * `npm run examples`: runs every examples/*.json in the real n8n against the HyperID emulator and
 * prints each node's output as a table (the building block of `npm run demo`), then one line per
 * example saying whether it behaved as designed: each example declares its expected outcome in its
 * `meta` (`expectedOutcome`: "succeeds" or "fails"; for a failure, `expectedFailure`: {node, why}).
 *
 *   N8N_VERSION=2.8.4 npm run examples       another n8n from test/shared/n8n/versions.json
 *   npm run examples -- examples/01-*.json   only these files
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { REPO_ROOT } from '../test/shared/n8n/install';
import { assertBuilt } from '../test/shared/n8n/n8n';
import { openSession } from '../test/shared/n8n/session';
import { formatRun, loadWorkflowFile } from '../test/shared/n8n/workflow';
import type { WorkflowRunResult } from '../test/shared/n8n/workflow';

interface Expectation {
	outcome: 'succeeds' | 'fails';
	/** for "fails": the node that is meant to stop the execution, and why */
	failure?: { node?: string; why?: string };
}

function expectationOf(file: string): Expectation {
	const meta = (loadWorkflowFile(file) as { meta?: Record<string, unknown> }).meta ?? {};
	const outcome = meta.expectedOutcome === 'fails' ? 'fails' : 'succeeds';
	if (meta.expectedOutcome !== undefined && meta.expectedOutcome !== 'succeeds' && meta.expectedOutcome !== 'fails') {
		throw new Error(`${file}: meta.expectedOutcome must be "succeeds" or "fails", not ${JSON.stringify(meta.expectedOutcome)}`);
	}
	return { outcome, failure: meta.expectedFailure as Expectation['failure'] };
}

/** One summary line: whether the example behaved as designed, and if not, what happened instead. */
function verdict(file: string, expected: Expectation, result: WorkflowRunResult): { asDesigned: boolean; line: string } {
	const name = path.basename(file);
	const message = result.error?.message ?? '';
	const failedAt = result.error?.node?.name ?? result.lastNodeExecuted;
	if (expected.outcome === 'succeeds') {
		return result.ok
			? { asDesigned: true, line: `✓ ${name}: succeeded, as designed` }
			: { asDesigned: false, line: `✗ ${name}: FAILED, but is designed to succeed (${failedAt ?? 'unknown node'}: ${message})` };
	}
	if (result.ok) return { asDesigned: false, line: `✗ ${name}: succeeded, but is designed to fail at ${expected.failure?.node ?? 'a node'}` };
	if (expected.failure?.node && failedAt !== expected.failure.node) {
		return { asDesigned: false, line: `✗ ${name}: failed at ${failedAt ?? 'an unknown node'}, but is designed to fail at ${expected.failure.node} (${message})` };
	}
	return { asDesigned: true, line: `✓ ${name}: failed as designed at ${failedAt}${expected.failure?.why ? `: ${expected.failure.why}` : ''} ("${message}")` };
}

async function main(): Promise<void> {
	assertBuilt();
	const args = process.argv.slice(2);
	const files = args.length
		? args
		: fs
				.readdirSync(path.join(REPO_ROOT, 'examples'))
				.filter((f) => f.endsWith('.json'))
				.sort()
				.map((f) => path.join('examples', f));
	const session = await openSession({ version: process.env.N8N_VERSION, log: (l) => console.log(l) });
	console.log(`n8n ${session.runtime.version} with n8n-nodes-hyperid, emulator at ${session.emulator.url}\n`);
	const summary: string[] = [];
	let notAsDesigned = 0;
	try {
		// one import for all (each n8n command costs ~2.5 s of start-up)
		const ids = await session.importWorkflowFiles(files.map((file) => ({ file })));
		for (let i = 0; i < files.length; i++) {
			const wf = loadWorkflowFile(files[i]);
			const expected = expectationOf(files[i]);
			console.log(`▶ ${wf.name}  (${files[i]})${expected.outcome === 'fails' ? `  - designed to fail: ${expected.failure?.why ?? ''}` : ''}`);
			const result = await session.execute(ids[i]);
			console.log(formatRun(result, { failureExpected: expected.outcome === 'fails' ? 'this example fails on purpose' : undefined }));
			const { asDesigned, line } = verdict(files[i], expected, result);
			console.log(`${line}  [${(result.ms / 1000).toFixed(1)}s]\n`);
			summary.push(line);
			if (!asDesigned) notAsDesigned++;
		}
	} finally {
		await session.close();
	}
	console.log(`Examples on n8n ${session.runtime.version}: ${summary.length - notAsDesigned} of ${summary.length} behaved as designed`);
	for (const line of summary) console.log(`  ${line}`);
	process.exitCode = notAsDesigned ? 1 : 0;
}

main().catch((err) => {
	console.error(err);
	process.exitCode = 1;
});
