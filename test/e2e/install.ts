/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/** `npm run test:e2e:install`: install every n8n of versions.json (or N8N_E2E_VERSIONS) into the cache, nothing else. */
import { CACHE_DIR, ensureN8n, loadVersions } from '../shared/n8n/install';

async function main(): Promise<void> {
	for (const v of loadVersions(undefined, 'all')) {
		const t = Date.now();
		const rt = await ensureN8n(v);
		console.log(`n8n ${v.n8n} (Node ${v.node}) ready in ${((Date.now() - t) / 1000).toFixed(1)}s: ${rt.installDir}`);
	}
	console.log(`cache: ${CACHE_DIR}`);
}

main().catch((err) => {
	console.error(err);
	process.exitCode = 1;
});
