import tseslint from 'typescript-eslint';
import n8nNodesBase from 'eslint-plugin-n8n-nodes-base';
import { configs as communityConfigs } from '@n8n/eslint-plugin-community-nodes';

// eslint-plugin-n8n-nodes-base ships legacy (eslintrc) configs: reuse their rule sets in flat config.
const n8nRules = (name) => n8nNodesBase.configs[name].rules;

export default [
	{
		ignores: [
			'dist/**',
			'node_modules/**',
			'.cache/**',
			'test/**',
			'bench/**',
			'scripts/**',
			'examples/**',
			'*.js',
			'*.mjs',
		],
	},
	{
		files: ['**/*.ts'],
		languageOptions: {
			parser: tseslint.parser,
			parserOptions: { project: './tsconfig.json', sourceType: 'module' },
		},
	},
	{
		// Parsed as n8n's verification scanner parses it (@typescript-eslint/parser): the package.json rules
		// of both plugins walk an ObjectExpression, which a JSON parser (jsonc-eslint-parser) never produces.
		files: ['package.json'],
		languageOptions: { parser: tseslint.parser },
		plugins: { 'n8n-nodes-base': n8nNodesBase },
		rules: n8nRules('community'),
	},
	{
		files: ['credentials/**/*.ts'],
		plugins: { 'n8n-nodes-base': n8nNodesBase },
		rules: {
			...n8nRules('credentials'),
			// The rule's own docs: "only applicable to nodes in the main repository" (internal doc slugs).
			'n8n-nodes-base/cred-class-field-documentation-url-miscased': 'off',
		},
	},
	{
		files: ['nodes/**/*.ts'],
		plugins: { 'n8n-nodes-base': n8nNodesBase },
		rules: {
			...n8nRules('nodes'),
			// Superseded by @n8n/community-nodes/node-connection-type-literal, which requires NodeConnectionTypes.
			'n8n-nodes-base/node-class-description-inputs-wrong-regular-node': 'off',
			'n8n-nodes-base/node-class-description-outputs-wrong': 'off',
		},
	},
	{
		...communityConfigs.recommended,
		files: ['package.json', 'credentials/**/*.ts', 'nodes/**/*.ts'],
	},
];
