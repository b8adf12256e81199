/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * What `npm run demo` checks of an example, as its `meta.demo` states it, and what it observed at the
 * emulator and in n8n's run: an example whose check does not hold is not "as designed".
 *
 *   "meta": { "demo": {
 *     "tokenExpiresAfterRequests": 3,               the emulator expires the access token n8n holds after 3 more requests
 *     "checks": {
 *       "refreshes": 1,                             refresh grants HyperID answered 200
 *       "codeExchanges": 0,                         authorization-code grants HyperID answered 200
 *       "valuesStored": 6,                          set requests answered 0 (one value each)
 *       "results": { "0": 12 },                     user-data requests by HyperID result code
 *       "items": { "Read Visits Back": 6 },         items on a node's first output
 *       "outputs": { "Get Nickname After Delete": [{}] }   a node's first output, exactly
 *   } } }
 */
import { isDeepStrictEqual } from 'node:util';

import type { Emulator } from './hyperid';
import { apiCalls, callWithToken, tokenCalls } from './requests';
import type { WorkflowJson, WorkflowRunResult } from './workflow';

export interface DemoChecks {
	refreshes?: number;
	codeExchanges?: number;
	valuesStored?: number;
	results?: Record<string, number>;
	items?: Record<string, number>;
	outputs?: Record<string, unknown[]>;
}

export interface DemoSpec {
	/** the access token n8n holds expires after this many more user-data requests (mid-run) */
	tokenExpiresAfterRequests?: number;
	checks: DemoChecks;
}

const CHECK_NAMES = ['refreshes', 'codeExchanges', 'valuesStored', 'results', 'items', 'outputs'];

/** The example's `meta.demo`, checked for shape: a typo in a check name must not pass silently. */
export function demoSpecOf(wf: WorkflowJson, file: string): DemoSpec {
	const demo = (wf.meta as { demo?: Partial<DemoSpec> } | undefined)?.demo;
	if (!demo || typeof demo.checks !== 'object' || demo.checks === null || Object.keys(demo.checks).length === 0) {
		throw new Error(`${file}: meta.demo.checks must state what the demo checks (${CHECK_NAMES.join(', ')})`);
	}
	const unknown = Object.keys(demo.checks).filter((k) => !CHECK_NAMES.includes(k));
	if (unknown.length) throw new Error(`${file}: meta.demo.checks has unknown ${unknown.join(', ')} (known: ${CHECK_NAMES.join(', ')})`);
	const after = demo.tokenExpiresAfterRequests;
	if (after !== undefined && !(Number.isInteger(after) && after > 0)) {
		throw new Error(`${file}: meta.demo.tokenExpiresAfterRequests must be a whole number above 0`);
	}
	return demo as DemoSpec;
}

/** What the emulator saw since its request log was last cleared. */
export interface Observed {
	refreshes: number;
	codeExchanges: number;
	valuesStored: number;
	results: Record<string, number>;
}

export function observe(emulator: Emulator): Observed {
	const grants = tokenCalls(emulator).filter((c) => c.status === 200);
	const calls = apiCalls(emulator);
	const results: Record<string, number> = {};
	for (const c of calls) if (c.result !== undefined) results[String(c.result)] = (results[String(c.result)] ?? 0) + 1;
	return {
		refreshes: grants.filter((g) => g.grantType === 'refresh_token').length,
		codeExchanges: grants.filter((g) => g.grantType === 'authorization_code').length,
		valuesStored: calls.filter((c) => c.path.endsWith('/set') && c.result === 0).length,
		results,
	};
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/**
 * The checks that failed (empty: all hold) and one line of what was checked, e.g. "1 refresh, 6
 * values stored, 12 requests answered 0". `run` is absent for an example served by a running n8n.
 */
export function evaluate(checks: DemoChecks, seen: Observed, run?: WorkflowRunResult): { failures: string[]; summary: string } {
	const failures: string[] = [];
	const said: string[] = [];
	const count = (name: 'refreshes' | 'codeExchanges' | 'valuesStored', text: (n: number) => string) => {
		const want = checks[name];
		if (want === undefined) return;
		said.push(text(seen[name]));
		if (seen[name] !== want) failures.push(`${text(seen[name])}, designed: ${want}`);
	};
	count('refreshes', (n) => plural(n, 'refresh', 'refreshes'));
	count('codeExchanges', (n) => plural(n, 'code exchange'));
	count('valuesStored', (n) => `${plural(n, 'value')} stored`);
	for (const [code, want] of Object.entries(checks.results ?? {})) {
		const got = seen.results[code] ?? 0;
		said.push(`${plural(got, 'request')} answered ${code}`);
		if (got !== want) failures.push(`${plural(got, 'request')} answered ${code}, designed: ${want}`);
	}
	const others = Object.entries(seen.results).filter(([code]) => checks.results && !(code in checks.results));
	for (const [code, got] of others) failures.push(`${plural(got, 'request')} answered ${code}, designed: none`);
	for (const [node, want] of Object.entries(checks.items ?? {})) {
		if (!run) {
			failures.push(`${node}: items cannot be checked in an example served by a running n8n`);
			continue;
		}
		const got = run.json(node).length;
		said.push(`${node}: ${plural(got, 'item')}`);
		if (got !== want) failures.push(`${node}: ${plural(got, 'item')}, designed: ${want}`);
	}
	for (const [node, want] of Object.entries(checks.outputs ?? {})) {
		if (!run) {
			failures.push(`${node}: output cannot be checked in an example served by a running n8n`);
			continue;
		}
		const got = run.json(node);
		said.push(`${node}: output as designed`);
		if (!isDeepStrictEqual(got, want)) failures.push(`${node} output ${JSON.stringify(got)}, designed: ${JSON.stringify(want)}`);
	}
	return { failures, summary: said.join(', ') };
}

/**
 * Makes the access token the emulator issued at `issuedAtServed` (its userDataServed counter then)
 * expire after `after` more successful user-data requests, while a token issued from now on lives
 * for at least `minLifetime` requests. The emulator's expireTokensEveryRequests counts from each
 * token's issue across all tokens, so the counter is first warmed up with a throwaway token where
 * needed. Clears the request log; undo with setOptions({ expireTokensEveryRequests: 0 }).
 */
export async function expireTokenAfterRequests(
	emulator: Emulator,
	token: { issuedAtServed: number; userId: string; clientId: string },
	after: number,
	minLifetime: number,
): Promise<void> {
	emulator.setOptions({ expireTokensEveryRequests: 0 });
	const throwaway = emulator.createToken({ userId: token.userId, clientId: token.clientId });
	// bounded: each call raises userDataServed by one
	for (let i = 0; i < minLifetime && emulator.stats().userDataServed - token.issuedAtServed + after < minLifetime; i++) {
		await callWithToken(emulator, throwaway.access_token, '/user-data/by-user-id/list-get', {});
	}
	emulator.clearRequests();
	emulator.setOptions({ expireTokensEveryRequests: emulator.stats().userDataServed - token.issuedAtServed + after });
}
