/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * n8n's verification scanner, `@n8n/scan-community-package`: installed beside the package, in
 * .cache/scanner/<version>/ (an npm project of its own, never in our dependencies, so our own
 * toolchain keeps its one TypeScript), and run on a folder the way n8n runs it before verifying a
 * community package.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { CACHE_DIR, REPO_ROOT, ensureNpmProject } from '../shared/n8n/install';

const execFileAsync = promisify(execFile);

/** The version n8n publishes (`npm view @n8n/scan-community-package versions`: 0.32.0, the latest, on 2026-12-01). */
export const SCANNER_VERSION = '0.32.0';

const PINNED_BESIDE_IT = {
	// 0.32.0 depends on typescript 7.0.2, whose package has no compiler API: @typescript-eslint/parser needs 5.x
	typescript: '5.9.3',
	// node-connection-type-literal loads NodeConnectionTypes from n8n-workflow, a peer dependency of the rules;
	// 2.35.0 is the one its rules (@n8n/eslint-plugin-community-nodes 0.29.0) are built against
	'n8n-workflow': '2.35.0',
};

export interface ScanResult {
	passed: boolean;
	message?: string;
	/** ESLint's "stylish" report of the violations */
	details?: string;
	error?: string;
}

/** Which file set of the package: its source (SOURCE_FILE_PATTERNS) or its unpacked tarball (compiled .js, package.json). */
export type ScanLeg = 'source' | 'tarball';

type Log = (line: string) => void;

/** Installs the scanner the first time (about 300 packages, under a minute); returns the path of its scanner.mjs. */
export async function ensureScanner(log: Log): Promise<string> {
	const dir = path.join(CACHE_DIR, 'scanner', SCANNER_VERSION);
	const scannerFile = path.join(dir, 'node_modules', '@n8n', 'scan-community-package', 'scanner', 'scanner.mjs');
	const marker = path.join(dir, '.installed.json');
	const packageJson = {
		name: `n8n-scanner-cache-${SCANNER_VERSION.replace(/\W/g, '-')}`,
		private: true,
		description: "n8n's verification scanner for the tests of n8n-nodes-hyperid (written by test/scanner/scanner.ts)",
		dependencies: { '@n8n/scan-community-package': SCANNER_VERSION, 'n8n-workflow': PINNED_BESIDE_IT['n8n-workflow'] },
		overrides: { typescript: PINNED_BESIDE_IT.typescript },
	};
	const installedWith = () => {
		try {
			return JSON.stringify(JSON.parse(fs.readFileSync(marker, 'utf8')).packageJson);
		} catch {
			return undefined;
		}
	};
	await ensureNpmProject(
		{
			dir,
			packageJson,
			label: `npm install @n8n/scan-community-package@${SCANNER_VERSION}`,
			// a changed pin installs again
			ready: () => fs.existsSync(scannerFile) && installedWith() === JSON.stringify(packageJson),
			// nothing the scanner runs needs an install script (n8n-workflow's isolated-vm would compile for minutes)
			args: ['--ignore-scripts=true'],
			intro: `Installing n8n's scanner @n8n/scan-community-package@${SCANNER_VERSION} into ${dir} - first time only, under a minute`,
			after: (installSeconds) => {
				fs.writeFileSync(
					marker,
					JSON.stringify({ packageJson, installSeconds, at: new Date().toISOString() }, null, 2),
				);
				log(`  scanner ${SCANNER_VERSION} installed in ${installSeconds.toFixed(0)}s`);
			},
		},
		log,
	);
	return scannerFile;
}

/** `npm pack` of the package (its `files`: dist/), unpacked into `workDir`/package as npm would publish it. */
export async function packAndUnpack(workDir: string): Promise<{ dir: string; files: string[] }> {
	const { stdout } = await execFileAsync('npm', ['pack', '--json', '--pack-destination', workDir], {
		cwd: REPO_ROOT,
		maxBuffer: 16 * 1024 * 1024,
	});
	const [packed] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
	const dir = path.join(workDir, 'package');
	fs.mkdirSync(dir, { recursive: true });
	await execFileAsync('tar', ['-xzf', path.join(workDir, packed.filename), '-C', dir, '--strip-components=1']);
	return { dir, files: packed.files.map((f) => f.path) };
}

/**
 * The scanner's `analyzePackage` on `folder`, in a child process (test/scanner/analyze.mjs). `tmpDir` takes
 * the empty temporary folder the scanner makes when it is loaded.
 */
export async function scan(scannerFile: string, folder: string, leg: ScanLeg, tmpDir: string): Promise<ScanResult> {
	const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: tmpDir };
	// jest's NODE_ENV=test puts eslint-plugin-n8n-nodes-base in its own test mode (every file a node file)
	delete env.NODE_ENV;
	const { stdout } = await execFileAsync(
		process.execPath,
		[path.join(__dirname, 'analyze.mjs'), scannerFile, folder, leg],
		{ env, maxBuffer: 16 * 1024 * 1024 },
	);
	return JSON.parse(stdout) as ScanResult;
}
