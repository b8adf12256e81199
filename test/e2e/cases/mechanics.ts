/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/** The plumbing alone: built-in nodes run headless, and a hyperIdOAuth2Api credential survives import/export. */
import assert from 'node:assert/strict';

import type { E2ECase } from '../../shared/n8n/types';

export const mechanics: E2ECase = {
	name: 'mechanics: built-in nodes run; credential import/export round trip',
	workflow: 'test/e2e/fixtures/mechanics.json',
	async check(r, ctx) {
		assert.equal(r.ok, true, 'execution succeeded');
		assert.deepEqual(r.json('Start'), [{}]);
		assert.deepEqual(r.json('Code'), [
			{ n: 1, word: 'one' },
			{ n: 2, word: 'two' },
		]);
		assert.deepEqual(r.json('Set'), [
			{ n: 1, word: 'one', double: 2 },
			{ n: 2, word: 'two', double: 4 },
		]);
		const cred = await ctx.sandbox.exportCredential(ctx.credentials.main.id);
		assert.equal(cred.type, 'hyperIdOAuth2Api');
		assert.equal(cred.name, ctx.credentials.main.name);
		assert.equal(cred.data.environment, 'custom');
		assert.equal(cred.data.loginUrl, ctx.emulator.url.replace(/\/+$/, ''));
		const token = cred.data.oauthTokenData as Record<string, unknown>;
		assert.equal(typeof token.access_token, 'string');
		assert.equal(typeof token.refresh_token, 'string');
	},
};
