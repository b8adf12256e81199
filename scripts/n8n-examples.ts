/**
 * `npm run examples`: runs every examples/*.json in the real n8n against the HyperID emulator and
 * prints each node's output as a table (the building block of `npm run demo`).
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
	let failed = 0;
	try {
		// one import for all (each n8n command costs ~2.5 s of start-up)
		const ids = await session.importWorkflowFiles(files.map((file) => ({ file })));
		for (let i = 0; i < files.length; i++) {
			const wf = loadWorkflowFile(files[i]);
			console.log(`▶ ${wf.name}  (${files[i]})`);
			const result = await session.execute(ids[i]);
			console.log(formatRun(result));
			console.log(`${result.ok ? '✓ succeeded' : '✗ failed'} in ${(result.ms / 1000).toFixed(1)}s\n`);
			// example 04 fails on purpose (its last node runs without Continue on Fail)
			if (!result.ok && !/continue-on-fail/.test(files[i])) failed++;
		}
	} finally {
		await session.close();
	}
	process.exitCode = failed ? 1 : 0;
}

main().catch((err) => {
	console.error(err);
	process.exitCode = 1;
});
