/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/** What `npm run demo` checks of each example (meta.demo), against the emulator, without n8n. */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { startHyperIdEmulator, DEMO, type Emulator } from './hyperid';
import { demoSpecOf, evaluate, expireTokenAfterRequests, observe } from './exampleChecks';
import { REPO_ROOT } from './install';
import { callWithToken } from './requests';
import { loadWorkflowFile, summarizeRun } from './workflow';

const examples = fs
	.readdirSync(path.join(REPO_ROOT, 'examples'))
	.filter((f) => f.endsWith('.json'))
	.map((f) => path.join('examples', f));

describe('meta.demo of the examples', () => {
	it.each(examples)('%s states what the demo checks', (file) => {
		expect(Object.keys(demoSpecOf(loadWorkflowFile(file), file).checks).length).toBeGreaterThan(0);
	});

	it('03 (a token refreshed on the way) makes its token expire mid-run and checks one refresh', () => {
		const spec = demoSpecOf(loadWorkflowFile('examples/03-token-refresh.json'), '03');
		expect(spec.tokenExpiresAfterRequests).toBeGreaterThan(0);
		expect(spec.checks.refreshes).toBe(1);
	});

	it('a missing or misspelt check is refused', () => {
		const wf = (meta: unknown) => ({ name: 'x', nodes: [], connections: {}, meta });
		expect(() => demoSpecOf(wf({}), 'x.json')).toThrow('meta.demo.checks must state what the demo checks');
		expect(() => demoSpecOf(wf({ demo: { checks: { refresh: 1 } } }), 'x.json')).toThrow('unknown refresh');
	});
});

describe('the demo checks against the emulator', () => {
	let emulator: Emulator;
	beforeAll(async () => {
		emulator = await startHyperIdEmulator({ log: true });
	});
	afterAll(async () => emulator.close());

	it('a token set to expire after 3 requests answers -2 on the 4th; a check of no refresh then fails, naming what happened', async () => {
		const servedAtIssue = emulator.stats().userDataServed;
		const token = emulator.createToken({ userId: DEMO.userId, clientId: DEMO.clientId });
		await expireTokenAfterRequests(emulator, { issuedAtServed: servedAtIssue, userId: DEMO.userId, clientId: DEMO.clientId }, 3, 20);
		const answers: Array<number | undefined> = [];
		for (let i = 0; i < 4; i++) {
			answers.push(await callWithToken(emulator, token.access_token, '/user-data/by-user-id/set', { value_key: `k${i}`, value_data: 'v', access_scope: 0 }));
		}
		emulator.setOptions({ expireTokensEveryRequests: 0 });
		expect(answers).toEqual([0, 0, 0, -2]);

		const seen = observe(emulator);
		expect(seen).toEqual({ refreshes: 0, codeExchanges: 0, valuesStored: 3, results: { '0': 3, '-2': 1 } });
		expect(evaluate({ refreshes: 0, valuesStored: 3, results: { '0': 3, '-2': 1 } }, seen)).toEqual({
			failures: [],
			summary: '0 refreshes, 3 values stored, 3 requests answered 0, 1 request answered -2',
		});
		expect(evaluate({ refreshes: 1, results: { '0': 3 } }, seen).failures).toEqual([
			'0 refreshes, designed: 1',
			'1 request answered -2, designed: none',
		]);
	});

	it("items and outputs are read from n8n's run; an example served by a running n8n cannot check them", () => {
		const run = summarizeRun(
			{ data: { resultData: { runData: { Get: [{ data: { main: [[{ json: { key: 'a', value: 'b' } }]] } }] } } } } as never,
			true,
			{ ms: 0, stdout: '', stderr: '' },
		);
		const seen = { refreshes: 0, codeExchanges: 0, valuesStored: 0, results: {} };
		expect(evaluate({ items: { Get: 1 }, outputs: { Get: [{ key: 'a', value: 'b' }] } }, seen, run)).toEqual({ failures: [], summary: 'Get: 1 item, Get: output as designed' });
		expect(evaluate({ items: { Get: 2 }, outputs: { Get: [{}] } }, seen, run).failures).toEqual([
			'Get: 1 item, designed: 2',
			'Get output [{"key":"a","value":"b"}], designed: [{}]',
		]);
		expect(evaluate({ items: { Get: 1 } }, seen).failures).toEqual(['Get: items cannot be checked in an example served by a running n8n']);
	});
});
