/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * n8n's verification scanner on this package, as n8n runs it before it verifies a community package:
 * `analyzePackage` on the source (package.json, nodes/, credentials/) and on the `npm pack` tarball
 * (compiled .js and the published package.json). A violation here fails verification, so it fails CI.
 *
 * Needs dist/ (`npm test` builds first; alone: `npm run test:scanner`).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from '../shared/n8n/install';
import { ensureScanner, packAndUnpack, scan, SCANNER_VERSION, type ScanResult } from './scanner';

// the first run installs the scanner (under a minute, slower on a busy machine)
const INSTALL_TIMEOUT_MS = 10 * 60_000;
const SCAN_TIMEOUT_MS = 3 * 60_000;

const log = (line: string) => process.stderr.write(`[scanner] ${line}\n`);

function expectPassed(result: ScanResult): void {
	if (!result.passed) {
		throw new Error(
			`n8n's scanner ${SCANNER_VERSION} would refuse the package: ${result.message}\n${result.details ?? result.error ?? ''}`,
		);
	}
	// a scan that found nothing to lint also "passes"
	expect(result.message).toBeUndefined();
}

describe(`n8n's verification scanner (@n8n/scan-community-package ${SCANNER_VERSION})`, () => {
	let scannerFile: string;
	let workDir: string;
	let tarball: { dir: string; files: string[] };

	beforeAll(async () => {
		workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hyperid-scanner-'));
		scannerFile = await ensureScanner(log);
		tarball = await packAndUnpack(workDir);
	}, INSTALL_TIMEOUT_MS);

	afterAll(() => {
		if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
	});

	it('the tarball holds the compiled node and credential (else there is nothing to scan)', () => {
		const { n8n } = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
			n8n: { nodes: string[]; credentials: string[] };
		};
		const missing = [...n8n.nodes, ...n8n.credentials].filter((file) => !tarball.files.includes(file));
		if (missing.length) throw new Error(`npm pack left out ${missing.join(', ')}: run \`npm run build\` first`);
	});

	it(
		'passes the npm pack tarball (compiled .js and package.json)',
		async () => {
			expectPassed(await scan(scannerFile, tarball.dir, 'tarball', workDir));
		},
		SCAN_TIMEOUT_MS,
	);

	it(
		'passes the source (package.json, nodes/, credentials/)',
		async () => {
			expectPassed(await scan(scannerFile, REPO_ROOT, 'source', workDir));
		},
		SCAN_TIMEOUT_MS,
	);

	it(
		'refuses a package.json whose author has no email (the scan can fail)',
		async () => {
			const broken = path.join(workDir, 'author-without-email');
			fs.mkdirSync(broken, { recursive: true });
			const packageJson = JSON.parse(fs.readFileSync(path.join(tarball.dir, 'package.json'), 'utf8'));
			delete packageJson.author.email;
			fs.writeFileSync(path.join(broken, 'package.json'), JSON.stringify(packageJson, null, 2));

			const result = await scan(scannerFile, broken, 'tarball', workDir);
			expect(result.passed).toBe(false);
			expect(result.details).toContain('@n8n/community-nodes/valid-author');
		},
		SCAN_TIMEOUT_MS,
	);
});
