/** @type {import('jest').Config} */
module.exports = {
	...require('./jest.config.js'),
	testMatch: ['**/*.browser.test.ts'],
	testPathIgnorePatterns: ['/node_modules/'],
	testTimeout: 600000,
};
