/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * The package is built and linted by n8n's own toolchain (@n8n/node-cli) in strict mode: the state
 * `n8n-node cloud-support` reports as eligible for n8n Cloud verification, with both of n8n's rule sets
 * (eslint-plugin-n8n-nodes-base, @n8n/eslint-plugin-community-nodes) in force on nodes/ and credentials/.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '../..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

/** Rule ids ESLint reports for `code` as if it were the file at `filePath`, with the package's eslint.config.mjs. */
function ruleIdsFor(filePath: string, code: string): string[] {
	const env = { ...process.env };
	// jest's NODE_ENV=test puts eslint-plugin-n8n-nodes-base in its own test mode (every file a node file)
	delete env.NODE_ENV;
	let stdout: string;
	try {
		stdout = execFileSync(
			join(root, 'node_modules', '.bin', 'eslint'),
			['--format', 'json', '--stdin', '--stdin-filename', filePath],
			{ cwd: root, env, input: code, encoding: 'utf8' },
		);
	} catch (error) {
		// ESLint exits 1 when it reports errors; its JSON report is still on stdout
		stdout = (error as { stdout: string }).stdout;
	}
	const [report] = JSON.parse(stdout) as Array<{
		messages: Array<{ ruleId: string | null; message: string }>;
	}>;
	return report.messages.map((message) => message.ruleId ?? message.message);
}

describe("n8n's node toolchain", () => {
	test('strict mode with the CLI default ESLint config (what n8n-node cloud-support reports as eligible)', () => {
		expect(pkg.n8n.strict).toBe(true);
		const config = readFileSync(join(root, 'eslint.config.mjs'), 'utf8')
			.replace(/\s+/g, ' ')
			.trim();
		expect(config).toBe("import { config } from '@n8n/node-cli/eslint'; export default config;");
		expect(pkg.scripts.build).toBe('n8n-node build');
		expect(pkg.scripts.lint).toMatch(/^n8n-node lint\b/);
		expect(pkg.devDependencies['@n8n/node-cli']).toMatch(/^[~^]?0\.48\./);
	});

	test('a local npm publish is refused; the release workflow publishes through n8n-node release', () => {
		expect(pkg.scripts.prepublishOnly).toBe('n8n-node prerelease');
		expect(pkg.scripts.release).toBe('n8n-node release');
		// .npmrc's ignore-scripts=true skips prepublishOnly: npm refuses provenance outside CI whatever the scripts
		expect(pkg.publishConfig).toEqual({ provenance: true });
	});

	test("both of n8n's rule sets are in force on nodes/", () => {
		const node = `
import type { INodeType, INodeTypeDescription } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

export class LintProbe implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Lint Probe',
		name: 'lintProbe',
		icon: { light: 'file:../../icons/hyperid.svg', dark: 'file:../../icons/hyperid.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{$parameter["field"]}}',
		description: 'Probe',
		defaults: { name: 'Lint Probe' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		properties: [{ displayName: 'my field', name: 'field', type: 'string', default: '' }],
	};
	readonly region = process.env.REGION;
}
`;
		const ruleIds = ruleIdsFor('nodes/LintProbe/LintProbe.node.ts', node);
		expect(ruleIds).toEqual(
			expect.arrayContaining([
				'n8n-nodes-base/node-param-display-name-miscased',
				'@n8n/community-nodes/no-restricted-globals',
			]),
		);
	});

	test("both of n8n's rule sets are in force on credentials/", () => {
		const credential = `
import type { ICredentialType, INodeProperties } from 'n8n-workflow';
import { readFileSync } from 'fs';

export class LintProbeApi implements ICredentialType {
	name = 'lintProbeApi';
	displayName = 'Lint Probe';
	icon = { light: 'file:../icons/hyperid.svg', dark: 'file:../icons/hyperid.dark.svg' } as const;
	documentationUrl = 'https://example.com';
	properties: INodeProperties[] = [{ displayName: 'Region', name: 'region', type: 'string', default: readFileSync('r', 'utf8') }];
}
`;
		const ruleIds = ruleIdsFor('credentials/LintProbeApi.credentials.ts', credential);
		expect(ruleIds).toEqual(
			expect.arrayContaining([
				'n8n-nodes-base/cred-class-field-display-name-missing-api',
				'@n8n/community-nodes/no-restricted-imports',
			]),
		);
	});

	test("both of n8n's rule sets are in force on package.json", () => {
		const broken = { ...pkg, keywords: ['n8n'], author: { name: pkg.author.name } };
		const ruleIds = ruleIdsFor('package.json', JSON.stringify(broken, null, 2));
		expect(ruleIds).toEqual(
			expect.arrayContaining([
				'n8n-nodes-base/community-package-json-keywords-without-official-tag',
				'@n8n/community-nodes/valid-author',
			]),
		);
	});
});
