/** @type {import('jest').Config} */
module.exports = {
	testEnvironment: 'node',
	roots: ['<rootDir>/test'],
	testMatch: ['**/*.test.ts'],
	// The browser test drives a real n8n editor: `npm run test:browser` runs it on its own, in band.
	testPathIgnorePatterns: ['/node_modules/', '\\.browser\\.test\\.ts$'],
	transform: {
		'^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }],
	},
	testTimeout: 60000,
	forceExit: true,
};
