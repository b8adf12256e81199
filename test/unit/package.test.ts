/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

import type { INode, INodeProperties, INodePropertyOptions } from 'n8n-workflow';
import { NodeHelpers } from 'n8n-workflow';

import { FAMILIES, WALLET_RESOURCE } from '../../nodes/HyperIdUserData/actions/families';
import { HyperIdUserData } from '../../nodes/HyperIdUserData/HyperIdUserData.node';

const root = resolve(__dirname, '../..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

function filesUnder(dir: string): string[] {
	return readdirSync(dir).flatMap((name) => {
		const path = join(dir, name);
		return statSync(path).isDirectory() ? filesUnder(path) : [path];
	});
}

describe('package.json as n8n community-node verification reads it', () => {
	test('names, licence, keyword and n8n block', () => {
		expect(pkg.name).toBe('n8n-nodes-hyperid');
		expect(pkg.license).toBe('MIT');
		expect(pkg.keywords).toContain('n8n-community-node-package');
		expect(pkg.n8n.n8nNodesApiVersion).toBe(1);
		expect(pkg.n8n.credentials).toEqual([
			'dist/credentials/HyperIdOAuth2Api.credentials.js',
			'dist/credentials/HyperIdClientApi.credentials.js',
		]);
		expect(pkg.n8n.nodes).toEqual(['dist/nodes/HyperIdUserData/HyperIdUserData.node.js', 'dist/nodes/HyperIdSignIn/HyperIdSignIn.node.js']);
		// not all of dist: n8n-node build also copies every .png/.svg of the repository (docs/screenshots) into it
		expect(pkg.files).toEqual(['dist/nodes', 'dist/credentials', 'dist/icons']);
	});

	test('no runtime dependencies; n8n-workflow only as a peer', () => {
		expect(pkg.dependencies ?? {}).toEqual({});
		expect(pkg.peerDependencies).toEqual({ 'n8n-workflow': '*' });
	});

	test('npm pack ships only dist, README, LICENSE and package.json', () => {
		const packed = JSON.parse(
			execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' }),
		);
		const paths: string[] = packed[0].files.map((file: { path: string }) => file.path);
		const outside = paths.filter((path) => !path.startsWith('dist/'));
		expect(outside.sort()).toEqual(['LICENSE', 'README.md', 'package.json']);
		for (const entry of [...pkg.n8n.credentials, ...pkg.n8n.nodes]) expect(paths).toContain(entry);
		expect(paths).toEqual(expect.arrayContaining(['dist/icons/hyperid.svg', 'dist/icons/hyperid.dark.svg']));
		expect(paths).toContain('dist/nodes/HyperIdUserData/HyperIdUserData.node.json');
		expect(paths.filter((path) => /test|emulator|harness/i.test(path))).toEqual([]);
		expect(paths.filter((path) => /\.png$/.test(path))).toEqual([]);
	});
});

describe('node and credential code', () => {
	const sources = [...filesUnder(join(root, 'nodes')), ...filesUnder(join(root, 'credentials'))].filter((path) =>
		path.endsWith('.ts'),
	);

	test.each(sources.map((path) => [path.slice(root.length + 1), path]))(
		'%s reads no environment and no files, and disables no lint rule',
		(_name, path) => {
			const text = readFileSync(path, 'utf8');
			expect(text).not.toMatch(/process\.env|from 'fs'|from 'node:fs'|require\(['"](node:)?fs['"]\)|eslint-disable/);
		},
	);
});

describe('node description', () => {
	const { properties } = new HyperIdUserData().description;
	const byName = (name: string) => properties.filter((property) => property.name === name);

	test('resources are the five families of the API plus wallets', () => {
		const [resource] = byName('resource');
		const values = (resource.options as INodePropertyOptions[]).map((option) => option.value);
		expect(values.sort()).toEqual([...FAMILIES.map((family) => family.resource), WALLET_RESOURCE].sort());
	});

	test('each family offers exactly its operations, in every node version', () => {
		const { description } = new HyperIdUserData();
		for (const typeVersion of description.version as number[]) {
			for (const family of FAMILIES) {
				const parameters = { resource: family.resource };
				const node = { typeVersion } as INode;
				const operations = byName('operation').filter((property) => NodeHelpers.displayParameter(parameters, property, node, description));
				expect(operations).toHaveLength(1);
				const values = (operations[0].options as INodePropertyOptions[]).map((option) => option.value);
				expect(values.sort()).toEqual([...family.operations].sort());
			}
		}
	});

	test('options are sorted by name, as n8n sorts them', () => {
		const check = (list: INodeProperties[]) => {
			for (const property of list) {
				if (property.type === 'options' && property.options) {
					const names = (property.options as INodePropertyOptions[]).map((option) => option.name);
					expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b)));
				}
			}
		};
		check(properties);
		const [options] = byName('options');
		const names = (options.options as INodeProperties[]).map((option) => option.displayName);
		expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b)));
		check(options.options as INodeProperties[]);
	});

	test('usable as a tool', () => {
		expect(new HyperIdUserData().description.usableAsTool).toBe(true);
	});
});
