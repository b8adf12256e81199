import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Tests, bench and scripts: Node.js tooling, never shipped. `n8n-node lint` (strict mode, its fixed default
// eslint.config.mjs) lints every .ts file with n8n's node rules, so each of these files opens with a blanket
// eslint-disable for it; `npm run lint:tests` runs this config with --no-inline-config, which ignores that line.
export default tseslint.config({
	files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
	extends: [js.configs.recommended, tseslint.configs.recommended],
	rules: {
		// lazy and cache-busting require() of the built package and of n8n's own modules
		'@typescript-eslint/no-require-imports': 'off',
		'@typescript-eslint/no-unused-vars': [
			'error',
			{ argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
		],
		// a best-effort probe (is that process alive? is there a lock holder?) that may fail
		'no-empty': ['error', { allowEmptyCatch: true }],
		// a handler declared before start-up reads the variable start-up assigns later
		'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
	},
});
