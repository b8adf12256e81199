/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * `npm run test:queue`: many executions at once against the HyperID emulator, in n8n queue mode
 * (Postgres, Redis, one main, 2 workers) and in regular mode (one `n8n start`), on every version in
 * test/shared/n8n/versions.json. Workflow: Webhook (answers when the last node finishes) -> HyperID
 * User Data (by Email, Set). Each case asserts on the emulator's store and request log:
 *
 *   queue: burst at expiry      N executions at once just after the access token expired (API 50 ms,
 *                               token endpoint 300 ms): all succeed, every value stored exactly once,
 *                               the credential works afterwards
 *   queue: sustained            M executions at a steady pace while tokens expire every 60 user-data
 *                               requests: none fails, every value stored
 *   queue: dead credential      the refresh token revoked: every execution of a burst fails with the
 *                               node's reconnect message; at most one refresh attempt per execution
 *   queue: worker killed        kill -9 one worker during a steady load, a replacement started: nothing
 *                               written twice, nothing lost without a failure report, the credential works
 *   queue: Redis restarted      redis-server stopped and started (same port and folder) during a burst
 *   queue: refresher killed     the worker is killed after its refresh was granted, before the answer:
 *                               measured what the credential does next, and after a reconnect
 *   regular: burst at expiry    the first case with one n8n process
 *
 * n8n's HTTP Request node (generic OAuth2 credential) takes the same bursts: reported, not asserted.
 * Ends with a table and one `[n8n <version>] PASS|FAIL <case>` line per case; exit 1 on a failure.
 *
 *   CI=true                      smaller sizes (see SIZES), the same cases
 *   N8N_QUEUE_SIZE=full|ci|small choose the sizes explicitly
 *   N8N_QUEUE_VERSIONS=2.8.4     only these versions (else N8N_E2E_VERSIONS, else versions.json)
 *   N8N_QUEUE_CASES=burst,dead   only cases whose name contains one of these
 *   N8N_QUEUE_WORKERS=2          workers in queue mode
 *   N8N_QUEUE_BURST=20,40        executions per burst (the burst cases), one burst per size
 *   N8N_QUEUE_REPEAT=5           the burst and the sustained load this many times in a row each
 *   N8N_QUEUE_API_LATENCY_MS=50 N8N_QUEUE_TOKEN_DELAY_MS=300   the emulator's delays
 *   N8N_QUEUE_NO_HTTP=1          skip the HTTP Request node's bursts
 *   N8N_QUEUE_VERBOSE=1          echo every n8n log line (default: errors and warnings)
 *   N8N_QUEUE_N8N_LOCKS=1        keep n8n's default job lock (else shortened: see LOCK_ENV)
 *   N8N_QUEUE_JSON=path          also write the figures as JSON
 */
import * as fs from 'node:fs';

import { INTROSPECT_PATH, REVOKE_PATH, TOKEN_PATH, type Emulator, type RequestLogEntry } from '../emulator/server';
import { webhookLoad, type WebhookLoadResult } from '../shared/n8n/burst';
import { connectedCredential, DEMO, startHyperIdEmulator, type ImportableCredential } from '../shared/n8n/hyperid';
import { ensureN8n, loadVersions, type N8nRuntime } from '../shared/n8n/install';
import { assertBuilt } from '../shared/n8n/n8n';
import { startDeployment, type Deployment } from '../shared/n8n/queue';
import { stopAll, stopAllOnSignals, type ManagedProcess } from '../shared/services/processes';
import { SET_BY_EMAIL_PATH, TOKEN_TABLE, httpRequestSetWorkflow, hyperIdSetWorkflow, tokenTableWorkflow, type CredentialRef } from './workflows';

// ---------------------------------------------------------------------------------------------
// Sizes and settings
// ---------------------------------------------------------------------------------------------

const SIZES = {
	full: { burst: 50, sustained: 300, sustainedSeconds: 30, dead: 50, killCount: 200, killSeconds: 20, redisBurst: 50, redisWaitSeconds: 120 },
	ci: { burst: 50, sustained: 120, sustainedSeconds: 12, dead: 20, killCount: 80, killSeconds: 12, redisBurst: 30, redisWaitSeconds: 20 },
	/** for developing the suite */
	small: { burst: 10, sustained: 30, sustainedSeconds: 6, dead: 5, killCount: 30, killSeconds: 6, redisBurst: 10, redisWaitSeconds: 20 },
};
const API_LATENCY_MS = envNumber('N8N_QUEUE_API_LATENCY_MS', 50);
const TOKEN_DELAY_MS = envNumber('N8N_QUEUE_TOKEN_DELAY_MS', 300);
const EXPIRE_EVERY_REQUESTS = 60;
/** past every access token's lifetime (the emulator's default, 1 hour) */
const EXPIRE_ALL_SECONDS = 3600 + 60;
const RECONNECT_MESSAGE = 'The HyperID sign-in has expired and could not be renewed';
/** n8n's default `n8n worker --concurrency` */
const WORKER_CONCURRENCY = 10;
/**
 * Bull's job lock (n8n: 60 s, renewed every 10 s, stalled jobs looked for every 30 s) shortened, so a
 * killed worker's executions are failed within seconds; N8N_QUEUE_N8N_LOCKS=1 keeps n8n's defaults.
 */
const LOCK_ENV: NodeJS.ProcessEnv = process.env.N8N_QUEUE_N8N_LOCKS
	? {}
	: { QUEUE_WORKER_LOCK_DURATION: '10000', QUEUE_WORKER_LOCK_RENEW_TIME: '2500', QUEUE_WORKER_STALLED_INTERVAL: '5000' };
/** the API's latency while a worker is killed: executions in flight on it when it dies */
const KILL_LATENCY_MS = 400;
/** how long the token endpoint holds its answer (the refresh already granted) while the worker that asked is killed */
const CRASH_TOKEN_DELAY_MS = 3000;
/** the whole run, then everything is stopped and the run fails */
const RUN_LIMIT_MS = 40 * 60_000;

function wholeNumber(name: string, text: string, min: number): number {
	const n = Number(text.trim());
	if (!Number.isInteger(n) || n < min) throw new Error(`${name}: ${text} is not a whole number >= ${min}`);
	return n;
}

function envNumber(name: string, dflt: number): number {
	const v = process.env[name];
	return v === undefined || v === '' ? dflt : wholeNumber(name, v, 0);
}

const sizeName = (process.env.N8N_QUEUE_SIZE ?? (process.env.CI ? 'ci' : 'full')) as keyof typeof SIZES;
if (!SIZES[sizeName]) throw new Error(`N8N_QUEUE_SIZE is full, ci or small, not ${sizeName}`);
const SIZE = SIZES[sizeName];
/** burst sizes: N8N_QUEUE_BURST=20,40 runs one burst of each (each after a fresh expiry) */
const BURSTS = process.env.N8N_QUEUE_BURST
	? process.env.N8N_QUEUE_BURST.split(',').map((v) => wholeNumber('N8N_QUEUE_BURST', v, 1))
	: [SIZE.burst];
const WORKERS = Number(process.env.N8N_QUEUE_WORKERS ?? 2);
/** the burst and the sustained load, each this many times in a row (a race lost 1 time in 20 is a dead credential a week) */
const REPEAT = Math.max(1, envNumber('N8N_QUEUE_REPEAT', 5));
const WITH_HTTP = !process.env.N8N_QUEUE_NO_HTTP;

const CASE_NAMES = {
	burst: 'queue: burst at expiry',
	sustained: 'queue: sustained, tokens expiring',
	dead: 'queue: dead credential',
	killworker: 'queue: worker killed during a steady load',
	redis: 'queue: Redis restarted during a burst',
	refresher: 'queue: refreshing worker killed before the save',
	table: 'queue: token table, two overlapping runs over the same users',
	regular: 'regular: burst at expiry',
} as const;
type CaseKey = keyof typeof CASE_NAMES;

function pickCases(): CaseKey[] {
	const all = Object.keys(CASE_NAMES) as CaseKey[];
	const filter = process.env.N8N_QUEUE_CASES?.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
	return filter?.length ? all.filter((k) => filter.some((f) => k.includes(f) || CASE_NAMES[k].includes(f))) : all;
}

// ---------------------------------------------------------------------------------------------
// Figures
// ---------------------------------------------------------------------------------------------

interface Row {
	version: string;
	mode: string;
	what: string;
	executions: number;
	failed: number;
	stored: number;
	storedOnce?: number;
	/** token-endpoint requests: answered with a token / refused */
	refreshOk: number;
	refreshRefused: number;
	seconds: number;
	/** executions by status in n8n's database (queue mode) */
	dbStatus?: Record<string, number>;
	note?: string;
}

interface CaseOutcome {
	version: string;
	name: string;
	pass: boolean;
	ms: number;
	problems: string[];
}

const rows: Row[] = [];
const outcomes: CaseOutcome[] = [];
const sec = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

function tokenRequests(log: RequestLogEntry[]) {
	const token = log.filter((r) => r.path === TOKEN_PATH);
	return { ok: token.filter((r) => r.status === 200).length, refused: token.filter((r) => r.status !== 200).length };
}

/** Successful set requests per key (result 0) in the request log. */
function setsPerKey(log: RequestLogEntry[]): Map<string, number> {
	const counts = new Map<string, number>();
	for (const r of log) {
		if (r.path !== SET_BY_EMAIL_PATH || r.result !== 0) continue;
		const key = (r.body as { value_key?: unknown } | undefined)?.value_key;
		if (typeof key === 'string') counts.set(key, (counts.get(key) ?? 0) + 1);
	}
	return counts;
}

// ---------------------------------------------------------------------------------------------
// One load against one webhook, measured
// ---------------------------------------------------------------------------------------------

/** A fault injected while a load runs (it starts with the load). */
interface LoadFault {
	run(progress: { answered: () => number; started: number }): Promise<void>;
	/** per webhook call [180 s] */
	timeoutMs?: number;
}

interface Measured {
	load: WebhookLoadResult;
	expected: Map<string, string>;
	/** keys[i]: the key of webhook call i */
	keys: string[];
	/** queue mode: the highest execution id before the load */
	lastIdBefore: number;
	/** keys whose expected value is in the emulator's store */
	storedKeys: Set<string>;
	stored: number;
	storedOnce: number;
	storedTwice: number;
	refresh: { ok: number; refused: number };
	log: RequestLogEntry[];
	dbStatus?: Record<string, number>;
}

async function measuredLoad(
	emulator: Emulator,
	deployment: Deployment,
	workflowId: string,
	webhookPath: string,
	keyPrefix: string,
	count: number,
	log: (l: string) => void,
	everyMs = 0,
	fault?: LoadFault,
): Promise<Measured> {
	const before = deployment.mode === 'queue' ? await deployment.executionsByStatus(workflowId) : undefined;
	const lastIdBefore = deployment.postgres ? await lastExecutionId(deployment) : 0;
	emulator.clearRequests();
	const expected = new Map<string, string>();
	for (let i = 0; i < count; i++) expected.set(`${keyPrefix}-${i}`, `value ${i} of ${keyPrefix}`);
	const keys = [...expected.keys()];
	const step = Math.max(1, Math.ceil(count / 4));
	let answered = 0;
	const loading = webhookLoad({
		url: deployment.webhookUrl(webhookPath),
		count,
		everyMs,
		timeoutMs: fault?.timeoutMs ?? 180_000,
		body: (i) => ({ key: keys[i], value: expected.get(keys[i]) }),
		onAnswer: (_call, done) => {
			answered = done;
			if (done % step === 0 || done === count) log(`    ${done}/${count} answered`);
		},
	});
	// the fault runs beside the load; the load is awaited first, so its failure is the one reported
	const faulting = fault?.run({ answered: () => answered, started: Date.now() }).then(
		() => undefined,
		(e: unknown) => e,
	);
	const load = await loading;
	const faultError = await faulting;
	if (faultError) throw faultError;
	const requestLog = emulator.requests();
	const perKey = setsPerKey(requestLog);
	const byEmail = emulator.store().data[DEMO.userId]?.['email'] ?? {};
	const storedKeys = new Set(keys.filter((k) => byEmail[k]?.value_data === expected.get(k)));
	let storedOnce = 0;
	let storedTwice = 0;
	for (const key of keys) {
		const n = perKey.get(key) ?? 0;
		if (n === 1) storedOnce++;
		if (n > 1) storedTwice++;
	}
	let dbStatus: Record<string, number> | undefined;
	if (before) {
		// the worker saves the execution before the main answers the webhook; allow a little lag
		const until = Date.now() + 15_000;
		do {
			const after = await deployment.executionsByStatus(workflowId);
			dbStatus = {};
			for (const [status, n] of Object.entries(after)) {
				const delta = n - (before[status] ?? 0);
				if (delta) dbStatus[status] = delta;
			}
			const finished = Object.entries(dbStatus)
				.filter(([s]) => s !== 'running' && s !== 'new' && s !== 'waiting')
				.reduce((a, [, n]) => a + n, 0);
			if (finished >= count) break;
			await new Promise((r) => setTimeout(r, 500));
		} while (Date.now() < until);
	}
	return {
		load,
		expected,
		keys,
		lastIdBefore,
		storedKeys,
		stored: storedKeys.size,
		storedOnce,
		storedTwice,
		refresh: tokenRequests(requestLog),
		log: requestLog,
		dbStatus,
	};
}

function rowOf(version: string, mode: string, what: string, m: Measured, note?: string): Row {
	return {
		version,
		mode,
		what,
		executions: m.load.results.length,
		failed: m.load.failed,
		stored: m.stored,
		storedOnce: m.storedOnce,
		refreshOk: m.refresh.ok,
		refreshRefused: m.refresh.refused,
		seconds: m.load.seconds,
		dbStatus: m.dbStatus,
		note,
	};
}

function failureSample(m: Measured): string {
	const failed = m.load.results.filter((r) => !r.ok);
	if (!failed.length) return '';
	const first = failed[0];
	return ` (first failure: HTTP ${first.status} ${JSON.stringify(first.body ?? first.error).slice(0, 200)})`;
}

// ---------------------------------------------------------------------------------------------
// The cases
// ---------------------------------------------------------------------------------------------

interface Setup {
	runtime: N8nRuntime;
	emulator: Emulator;
	deployment: Deployment;
	log: (l: string) => void;
	ids: { hyperId: string; http: string; dead: string; crash: string; table: string; tableClaim: string };
	runTag: string;
	crash: CrashCredential;
	/** a new sign-in stored over the HyperID credential (after a repetition ended its session) */
	reconnect(): Promise<void>;
}

/** Per version: repetitions of the burst and the sustained load, and how many ended with failures or a dead credential. */
interface Residual {
	version: string;
	what: 'burst' | 'regular burst' | 'sustained';
	runs: number;
	withFailures: number;
	failed: number;
	executions: number;
	credentialDead: number;
}
const residuals: Residual[] = [];
function residualOf(version: string, what: Residual['what']): Residual {
	let r = residuals.find((x) => x.version === version && x.what === what);
	if (!r) residuals.push((r = { version, what, runs: 0, withFailures: 0, failed: 0, executions: 0, credentialDead: 0 }));
	return r;
}

/** The credential the refresher-killed case spends; reconnect(): a new sign-in for it, importable. */
interface CrashCredential {
	reconnect(): ImportableCredential;
}

/** Expire every token, slow the API and the token endpoint: the state a burst at expiry meets. */
function expireAll(emulator: Emulator): void {
	emulator.setOptions({ latencyMs: API_LATENCY_MS, expireTokensEveryRequests: 0 });
	emulator.setFaults([{ path: TOKEN_PATH, delayMs: TOKEN_DELAY_MS, times: -1 }]);
	emulator.advanceClock(EXPIRE_ALL_SECONDS);
}

/** every burst writes keys of its own, so a value left by an earlier burst never counts */
let burstCounter = 0;

async function burstAtExpiry(s: Setup, what: 'hyperId' | 'http', count: number): Promise<{ measured: Measured; after?: boolean }> {
	const mode = s.deployment.mode;
	const path = what === 'hyperId' ? `hyperid-set` : `http-set`;
	s.log(`  ${what === 'hyperId' ? 'HyperID node' : 'HTTP Request node'}: ${count} executions at once, token just expired ...`);
	expireAll(s.emulator);
	const m = await measuredLoad(s.emulator, s.deployment, s.ids[what], path, `${s.runTag}-${mode}-${what}-burst${++burstCounter}x${count}`, count, s.log);
	let after: boolean | undefined;
	if (what === 'hyperId') {
		// the credential afterwards: one more execution works (with whatever token was stored last)
		const next = await measuredLoad(s.emulator, s.deployment, s.ids.hyperId, path, `${s.runTag}-${mode}-after${burstCounter}`, 1, () => undefined);
		after = next.load.failed === 0 && next.stored === 1;
	}
	rows.push(
		rowOf(
			s.runtime.version,
			mode,
			what === 'hyperId' ? 'HyperID node: burst at expiry' : 'HTTP Request node (alternative): burst at expiry',
			m,
			after === undefined
				? undefined
				: `credential afterwards: ${after ? 'works' : 'FAILS'}; introspections ${m.log.filter((r) => r.path === INTROSPECT_PATH).length}`,
		),
	);
	return { measured: m, after };
}

/** Executions that failed: n8n's own statuses where there are some (queue mode), else the webhook answers. */
function failedExecutions(m: Measured, count: number): number {
	return m.dbStatus ? count - (m.dbStatus.success ?? 0) : m.load.failed;
}

function checkBurst(m: Measured, count: number, after: boolean | undefined, problems: string[]): void {
	// n8n's main sometimes never answers a caller whose execution succeeded (seen on 2.8.4): counted by n8n's status and the store
	const unanswered = m.load.results.filter((r) => r.status === 0).length;
	const failed = m.dbStatus ? failedExecutions(m, count) : m.load.failed;
	if (failed || m.load.failed - unanswered) problems.push(`${Math.max(failed, m.load.failed - unanswered)} of ${count} executions failed${failureSample(m)}`);
	else if (unanswered) console.log(`    ${unanswered} of ${count} callers had no answer although n8n stored success and the value (not counted as failed)`);
	if (m.stored !== count) problems.push(`${m.stored} of ${count} values stored`);
	if (m.storedOnce !== count) problems.push(`${m.storedOnce} of ${count} values written exactly once (${m.storedTwice} more than once)`);
	if (m.dbStatus && (m.dbStatus.success ?? 0) !== count)
		problems.push(`n8n's database: ${JSON.stringify(m.dbStatus)} (expected ${count} success)`);
	if (after === false) problems.push('the credential did not work for the execution after the burst');
}

async function caseBurst(s: Setup): Promise<string[]> {
	const problems: string[] = [];
	const repeat = s.deployment.mode === 'queue' ? REPEAT : 1;
	for (let round = 1; round <= repeat; round++) {
		for (const size of BURSTS) {
			const { measured, after } = await burstAtExpiry(s, 'hyperId', size);
			const found: string[] = [];
			checkBurst(measured, size, after, found);
			problems.push(...found.map((p) => (repeat > 1 ? `burst ${round}/${repeat}: ${p}` : p)));
			const r = residualOf(s.runtime.version, s.deployment.mode === 'queue' ? 'burst' : 'regular burst');
			r.runs++;
			r.executions += size;
			const failed = failedExecutions(measured, size);
			r.failed += failed;
			if (failed) r.withFailures++;
			if (after === false) {
				r.credentialDead++;
				s.log(`    burst ${round}/${repeat}: the credential is dead; reconnecting it for the next round`);
				await s.reconnect();
			}
			if (WITH_HTTP && round === 1) await burstAtExpiry(s, 'http', size);
		}
	}
	return problems;
}

async function caseSustained(s: Setup): Promise<string[]> {
	const problems: string[] = [];
	const count = SIZE.sustained;
	const everyMs = Math.round((SIZE.sustainedSeconds * 1000) / count);
	s.log(`  ${count} executions, one every ${everyMs} ms, tokens expiring every ${EXPIRE_EVERY_REQUESTS} user-data requests ...`);
	s.emulator.setOptions({ latencyMs: API_LATENCY_MS, expireTokensEveryRequests: EXPIRE_EVERY_REQUESTS });
	s.emulator.setFaults([{ path: TOKEN_PATH, delayMs: TOKEN_DELAY_MS, times: -1 }]);
	try {
		for (let round = 1; round <= REPEAT; round++) {
			const at = REPEAT > 1 ? `sustained ${round}/${REPEAT}: ` : '';
			s.emulator.setOptions({ expireTokensEveryRequests: EXPIRE_EVERY_REQUESTS });
			const m = await measuredLoad(s.emulator, s.deployment, s.ids.hyperId, 'hyperid-set', `${s.runTag}-sustained${round}`, count, s.log, everyMs);
			s.emulator.setOptions({ expireTokensEveryRequests: 0 });
			const after = await credentialWorks(s, s.ids.hyperId, 'hyperid-set', `sustained${round}-after`);
			rows.push(rowOf(s.runtime.version, 'queue', `HyperID node: sustained, ${count} over ${SIZE.sustainedSeconds}s`, m, `credential afterwards: ${after.detail}`));
			const unanswered = m.load.results.filter((r) => r.status === 0).length;
			const failedNow = Math.max(failedExecutions(m, count), m.load.failed - unanswered);
			if (failedNow) problems.push(`${at}${failedNow} of ${count} executions failed${failureSample(m)}`);
			if (m.stored !== count) problems.push(`${at}${m.stored} of ${count} values stored`);
			if (m.storedOnce !== m.stored) problems.push(`${at}${m.stored - m.storedOnce} values written more than once`);
			if (m.dbStatus && (m.dbStatus.success ?? 0) !== count)
				problems.push(`${at}n8n's database: ${JSON.stringify(m.dbStatus)} (expected ${count} success)`);
			if (count >= 2 * EXPIRE_EVERY_REQUESTS && m.refresh.ok < 1) problems.push(`${at}no refresh happened: the case did not test expiry`);
			if (!after.works) problems.push(`${at}the credential afterwards: ${after.detail}`);
			const r = residualOf(s.runtime.version, 'sustained');
			r.runs++;
			r.executions += count;
			const failed = failedExecutions(m, count);
			r.failed += failed;
			if (failed) r.withFailures++;
			if (!after.works) {
				r.credentialDead++;
				s.log(`    ${at}the credential is dead; reconnecting it for the next round`);
				await s.reconnect();
			}
		}
	} finally {
		s.emulator.setOptions({ expireTokensEveryRequests: 0 });
	}
	return problems;
}

async function caseDead(s: Setup): Promise<string[]> {
	const problems: string[] = [];
	const count = SIZE.dead;
	s.log(`  ${count} executions at once with a revoked refresh token ...`);
	s.emulator.setOptions({ latencyMs: API_LATENCY_MS, expireTokensEveryRequests: 0 });
	s.emulator.setFaults([{ path: TOKEN_PATH, delayMs: TOKEN_DELAY_MS, times: -1 }]);
	const m = await measuredLoad(s.emulator, s.deployment, s.ids.dead, 'hyperid-dead-set', `${s.runTag}-dead`, count, s.log);
	const attempts = m.refresh.ok + m.refresh.refused;
	const withMessage = await executionsMentioning(s.deployment, s.ids.dead, RECONNECT_MESSAGE);
	rows.push(rowOf(s.runtime.version, 'queue', 'HyperID node: dead credential (refresh token revoked)', m, `${withMessage} with the reconnect message`));
	if (m.load.failed !== count) problems.push(`${count - m.load.failed} of ${count} executions succeeded with a revoked refresh token`);
	if (m.stored) problems.push(`${m.stored} values stored with a revoked refresh token`);
	if (m.dbStatus && (m.dbStatus.error ?? 0) !== count) problems.push(`n8n's database: ${JSON.stringify(m.dbStatus)} (expected ${count} error)`);
	if (withMessage !== count) problems.push(`${withMessage} of ${count} failed executions carry "${RECONNECT_MESSAGE}"`);
	if (m.refresh.ok) problems.push(`${m.refresh.ok} refreshes succeeded with a revoked refresh token`);
	if (attempts > count) problems.push(`${attempts} refresh attempts for ${count} executions (at most one each)`);
	return problems;
}

/** Executions of a workflow whose stored run data contains `text` (queue mode: Postgres). */
async function executionsMentioning(d: Deployment, workflowId: string, text: string): Promise<number> {
	if (!d.postgres) return NaN;
	const like = text.replace(/'/g, "''").replace(/[%_\\]/g, (c) => `\\${c}`);
	const rows = await d.postgres.query(
		`SELECT count(*) FROM execution_entity e JOIN execution_data d ON d."executionId" = e.id ` +
			`WHERE e."workflowId" = '${workflowId}' AND d.data LIKE '%${like}%'`,
	);
	return Number(rows[0]?.[0] ?? 0);
}

// ---------------------------------------------------------------------------------------------
// Faults: a worker killed, Redis restarted, the refreshing process killed before the save
// ---------------------------------------------------------------------------------------------

async function lastExecutionId(d: Deployment): Promise<number> {
	const rows = await d.postgres!.query('SELECT coalesce(max(id), 0) FROM execution_entity');
	return Number(rows[0]?.[0] ?? 0);
}

/** n8n stores run data with `flatted`: one JSON array, every string inside an object an index into it. */
export function unflatten(text: string): unknown {
	const list = JSON.parse(text) as unknown[];
	const done = new Map<number, unknown>();
	const at = (i: number): unknown => {
		if (done.has(i)) return done.get(i);
		const v = list[i];
		if (v === null || typeof v !== 'object') return v;
		const out: Record<string, unknown> = Array.isArray(v) ? ([] as unknown as Record<string, unknown>) : {};
		done.set(i, out);
		for (const [k, x] of Object.entries(v)) out[k] = typeof x === 'string' ? at(Number(x)) : x;
		return out;
	};
	return at(0);
}

interface ExecutionRecord {
	id: number;
	status: string;
	/** the webhook body's key, found in the stored data */
	key?: string;
	/** resultData.error.message, when n8n stored one */
	message?: string;
}

/** The executions of a workflow after `afterId` in Postgres: status, the key they were given, n8n's error message. */
async function executionRecords(d: Deployment, workflowId: string, afterId: number, keys: string[]): Promise<ExecutionRecord[]> {
	const rows = await d.postgres!.query(
		`SELECT e.id, e.status, coalesce(d.data, '') FROM execution_entity e LEFT JOIN execution_data d ON d."executionId" = e.id ` +
			`WHERE e."workflowId" = '${workflowId}' AND e.id > ${afterId} ORDER BY e.id`,
	);
	const known = new Set(keys);
	return rows.map(([id, status, data]) => {
		const key = [...(data ?? '').matchAll(/"([\w-]+)"/g)].map((m) => m[1]).find((k) => known.has(k));
		let message: string | undefined;
		try {
			const run = unflatten(data) as { resultData?: { error?: { message?: unknown } } };
			if (typeof run?.resultData?.error?.message === 'string') message = run.resultData.error.message;
		} catch {
			/* no data stored (e.g. an execution that never ran) */
		}
		return { id: Number(id), status, key, message };
	});
}

/** Every execution of a load accounted for: what the caller got, what n8n stored, what the emulator stored. */
interface Accounting {
	sent: number;
	/** webhook answered 2xx */
	answeredOk: number;
	/** webhook answered otherwise (status, or no answer), grouped: `HTTP 500 {...}` -> count */
	callerFailures: Record<string, number>;
	/** n8n's executions by status, and each failure's message: `error: message` -> count */
	n8nStatus: Record<string, number>;
	n8nFailures: Record<string, number>;
	/** calls with no execution in n8n's database */
	noExecution: number;
	stored: number;
	storedTwice: number;
	/** stored although the caller or n8n reported the execution failed */
	storedButFailed: number;
	/** neither stored nor reported failed (by the caller and by n8n): a lost value */
	lostSilently: string[];
}

async function account(d: Deployment, workflowId: string, m: Measured): Promise<Accounting> {
	// stalled jobs are failed by the lock check, a little after the caller gave up: allow that to land
	let records: ExecutionRecord[] = [];
	const until = Date.now() + 30_000;
	do {
		records = await executionRecords(d, workflowId, m.lastIdBefore, m.keys);
		if (records.every((r) => !['running', 'new'].includes(r.status))) break;
		await new Promise((r) => setTimeout(r, 1000));
	} while (Date.now() < until);
	const byKey = new Map(records.filter((r) => r.key).map((r) => [r.key!, r]));
	const perKey = setsPerKey(m.log);
	const a: Accounting = {
		sent: m.load.results.length,
		answeredOk: m.load.results.filter((r) => r.ok).length,
		callerFailures: {},
		n8nStatus: {},
		n8nFailures: {},
		noExecution: 0,
		stored: m.stored,
		storedTwice: m.storedTwice,
		storedButFailed: 0,
		lostSilently: [],
	};
	const bump = (o: Record<string, number>, k: string) => (o[k] = (o[k] ?? 0) + 1);
	a.noExecution = Math.max(0, a.sent - records.length);
	for (const r of records) {
		bump(a.n8nStatus, r.status);
		if (r.status !== 'success') bump(a.n8nFailures, `${r.status}: ${r.message ?? '(no message)'}`);
	}
	for (const call of m.load.results) {
		const key = m.keys[call.index];
		const rec = byKey.get(key);
		if (!call.ok) bump(a.callerFailures, call.status ? `HTTP ${call.status} ${JSON.stringify(call.body).slice(0, 120)}` : `no answer (${call.error})`);
		const reportedFailed = !call.ok || (rec !== undefined && rec.status !== 'success');
		const stored = (perKey.get(key) ?? 0) > 0 && m.storedKeys.has(key);
		if (stored && reportedFailed) a.storedButFailed++;
		if (!stored && !reportedFailed) a.lostSilently.push(key);
	}
	return a;
}

function accountingNote(a: Accounting): string {
	const list = (o: Record<string, number>) => Object.entries(o).map(([k, n]) => `${n}x ${k}`).join('; ');
	return [
		`caller: ${a.answeredOk} ok${Object.keys(a.callerFailures).length ? `, ${list(a.callerFailures)}` : ''}`,
		`n8n: ${list(a.n8nStatus) || 'none'}${Object.keys(a.n8nFailures).length ? ` (${list(a.n8nFailures)})` : ''}`,
		a.noExecution ? `${a.noExecution} calls with no execution in n8n` : '',
		`stored though reported failed: ${a.storedButFailed}`,
		`lost silently: ${a.lostSilently.length}`,
		a.storedTwice ? `written twice: ${a.storedTwice}` : '',
	]
		.filter(Boolean)
		.join('; ');
}

/** What holds for every fault case: nothing written twice (n8n 2.x), nothing lost without a report. */
function checkAccounting(a: Accounting, problems: string[], version: string): void {
	// n8n 1.x ran a killed worker's execution again from its start (measured on 1.123.81: a value written twice); reported in the table
	if (a.storedTwice && Number(version.split('.')[0]) >= 2) problems.push(`${a.storedTwice} values written more than once`);
	if (a.lostSilently.length)
		problems.push(`${a.lostSilently.length} values lost although neither the caller nor n8n reported a failure (${a.lostSilently.slice(0, 3).join(', ')})`);
}

/** One execution after a fault: whether the credential still works. */
async function credentialWorks(s: Setup, workflowId: string, webhookPath: string, tag: string): Promise<{ works: boolean; detail: string }> {
	const m = await measuredLoad(s.emulator, s.deployment, workflowId, webhookPath, `${s.runTag}-${tag}`, 1, () => undefined);
	const refresh = `${m.refresh.ok} refresh granted, ${m.refresh.refused} refused`;
	const works = m.load.failed === 0 && m.stored === 1;
	return { works, detail: works ? `works (${refresh})` : `FAILS${failureSample(m)} (${refresh})` };
}

/** When the last failed call of a load was answered, seconds after `fromMs` (ms since the load started). */
function lastFailureAfter(m: Measured, fromMs: number): string {
	const failed = m.load.results.filter((r) => !r.ok);
	return failed.length ? sec(Math.max(...failed.map((r) => r.startedMs + r.ms)) - fromMs) : '-';
}

const workerStarts = (w: ManagedProcess) => (w.output().match(/Worker started execution/g) ?? []).length;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** (a) kill -9 one worker a third into a steady load; its replacement starts at once, as a supervisor would. */
async function caseKillWorker(s: Setup): Promise<string[]> {
	const problems: string[] = [];
	const { killCount: count, killSeconds } = SIZE;
	const everyMs = Math.round((killSeconds * 1000) / count);
	const victim = s.deployment.workers[0];
	if (!victim || s.deployment.workers.length < 2) return ['needs 2 workers or more (N8N_QUEUE_WORKERS)'];
	// tokens stay valid here: a kill while a refresh is on its way is the refresher case's subject
	s.emulator.setOptions({ latencyMs: KILL_LATENCY_MS, expireTokensEveryRequests: 0 });
	s.emulator.clearFaults();
	s.log(
		`  ${count} executions, one every ${everyMs} ms, API latency ${KILL_LATENCY_MS} ms; kill -9 ${victim.name} after ` +
			`${(killSeconds / 4).toFixed(1)} s (once it runs an execution), then start a replacement ...`,
	);
	let replacement: ManagedProcess | undefined;
	let activeAtKill = 0;
	let replacementMs = 0;
	let killedAtMs = 0;
	const running = (w: ManagedProcess) => workerStarts(w) - (w.output().match(/Worker finished execution/g) ?? []).length;
	const m = await measuredLoad(s.emulator, s.deployment, s.ids.hyperId, 'hyperid-set', `${s.runTag}-kill`, count, s.log, everyMs, {
		timeoutMs: 120_000,
		run: async ({ started }) => {
			await pause(started + (killSeconds * 1000) / 4 - Date.now());
			const until = Date.now() + 5000;
			while (running(victim) < 1 && Date.now() < until) await pause(10);
			activeAtKill = running(victim);
			killedAtMs = Date.now() - started;
			await s.deployment.killWorker(victim);
			s.log(`    killed ${victim.name} (pid ${victim.pid}, about ${activeAtKill} executions running on it)`);
			const t = Date.now();
			replacement = await s.deployment.addWorker();
			replacementMs = Date.now() - t;
		},
	});
	s.emulator.setOptions({ latencyMs: API_LATENCY_MS });
	const a = await account(s.deployment, s.ids.hyperId, m);
	const after = await credentialWorks(s, s.ids.hyperId, 'hyperid-set', 'kill-after');
	const ranOnReplacement = replacement ? workerStarts(replacement) : 0;
	rows.push(
		rowOf(s.runtime.version, 'queue', `HyperID node: ${victim.name} killed during ${count} over ${killSeconds}s`, m,
			`${activeAtKill} running on it at the kill; ${accountingNote(a)}; the last failure answered ${lastFailureAfter(m, killedAtMs)} after the kill; replacement ready in ${sec(replacementMs)}, ran ${ranOnReplacement}; credential afterwards: ${after.detail}`),
	);
	s.log(`    ${accountingNote(a)}`);
	checkAccounting(a, problems, s.runtime.version);
	s.emulator.setOptions({ latencyMs: API_LATENCY_MS });
	const failed = a.sent - a.answeredOk;
	if (failed > WORKER_CONCURRENCY)
		problems.push(`${failed} executions failed; only the ${WORKER_CONCURRENCY} a worker runs at once were on the killed worker`);
	if (!after.works) problems.push(`the credential after the kill: ${after.detail}`);
	return problems;
}

/** (b) stop and start redis-server (same port, same folder) while a burst runs. */
async function caseRedisRestart(s: Setup): Promise<string[]> {
	const problems: string[] = [];
	const count = SIZE.redisBurst;
	const redis = s.deployment.redis!;
	s.emulator.setOptions({ latencyMs: API_LATENCY_MS, expireTokensEveryRequests: 0 });
	s.emulator.clearFaults();
	s.log(`  ${count} executions at once; Redis restarted when ${Math.ceil(count / 5)} have answered ...`);
	let downMs = 0;
	const keys = { before: '?', after: '?' };
	const dbsize = async () => (await redis.command(['DBSIZE'])).replace(/^:|\r\n$/g, '');
	const m = await measuredLoad(s.emulator, s.deployment, s.ids.hyperId, 'hyperid-set', `${s.runTag}-redis`, count, s.log, 0, {
		timeoutMs: SIZE.redisWaitSeconds * 1000,
		run: async ({ answered }) => {
			const until = Date.now() + 60_000;
			while (answered() < Math.ceil(count / 5) && Date.now() < until) await pause(20);
			keys.before = await dbsize();
			({ downMs } = await redis.restart());
			keys.after = await dbsize();
			s.log(`    Redis restarted on the same port (down ${downMs} ms; keys ${keys.before} before, ${keys.after} after)`);
		},
	});
	const a = await account(s.deployment, s.ids.hyperId, m);
	const after = await credentialWorks(s, s.ids.hyperId, 'hyperid-set', 'redis-after');
	rows.push(
		rowOf(s.runtime.version, 'queue', `HyperID node: Redis restarted during a burst of ${count}`, m,
			`Redis down ${downMs} ms, keys ${keys.before} before and ${keys.after} after; ${accountingNote(a)}; credential afterwards: ${after.detail}`),
	);
	s.log(`    ${accountingNote(a)}`);
	checkAccounting(a, problems, s.runtime.version);
	if (!after.works) problems.push(`the credential after the restart: ${after.detail}`);
	return problems;
}

/**
 * (c) The token endpoint grants a refresh and holds its answer; the worker that asked is killed meanwhile.
 * HyperID rotates refresh tokens, so the stored one is spent and the new one died with the worker. Measured:
 * the next execution (on a fresh worker), then a reconnect (a new sign-in stored over the credential).
 */
async function caseRefresherKilled(s: Setup, creds: CrashCredential): Promise<string[]> {
	const problems: string[] = [];
	const d = s.deployment;
	const before = d.workers.map(workerStarts);
	const tokenRequests = () => s.emulator.stats().requestsByPath[TOKEN_PATH] ?? 0;
	s.emulator.setOptions({ latencyMs: API_LATENCY_MS, expireTokensEveryRequests: 0 });
	// HyperID has granted the refresh (the stored refresh token is spent); the answer is on its way
	s.emulator.setFaults([{ path: TOKEN_PATH, answerDelayMs: CRASH_TOKEN_DELAY_MS, times: 1 }]);
	s.emulator.advanceClock(EXPIRE_ALL_SECONDS);
	s.log(`  1 execution with an expired token; the token endpoint grants the refresh and holds its answer ${CRASH_TOKEN_DELAY_MS} ms; kill -9 the worker that asked ...`);
	let victim: ManagedProcess | undefined;
	let replacement: Promise<ManagedProcess> | undefined;
	let killedAfterMs = 0;
	let killedAtMs = 0;
	const m = await measuredLoad(s.emulator, d, s.ids.crash, 'hyperid-crash-set', `${s.runTag}-crash`, 1, () => undefined, 0, {
		timeoutMs: 120_000,
		run: async ({ started }) => {
			const seen = tokenRequests();
			const until = Date.now() + 30_000;
			while (tokenRequests() === seen && Date.now() < until) await pause(25);
			if (tokenRequests() === seen) throw new Error('no refresh reached the token endpoint within 30 s');
			const t = Date.now();
			victim = d.workers.find((w, i) => workerStarts(w) > before[i]);
			if (!victim) throw new Error('no worker logged "Worker started execution" for the refreshing execution');
			killedAtMs = Date.now() - started;
			await d.killWorker(victim);
			killedAfterMs = Date.now() - t;
			s.log(`    ${victim.name} killed ${killedAfterMs} ms after its refresh request arrived`);
			replacement = d.addWorker();
		},
	});
	// the held answer is logged when it is sent (to nobody)
	const until = Date.now() + CRASH_TOKEN_DELAY_MS + 5000;
	while (!s.emulator.requests().some((r) => r.path === TOKEN_PATH) && Date.now() < until) await pause(50);
	const rotated = s.emulator.requests().filter((r) => r.path === TOKEN_PATH && r.status === 200).length;
	const a = await account(d, s.ids.crash, m);
	await replacement;
	s.emulator.clearFaults();
	const t = Date.now();
	const next = await credentialWorks(s, s.ids.crash, 'hyperid-crash-set', 'crash-next');
	const nextMs = Date.now() - t;
	const mentioning = await executionsMentioning(d, s.ids.crash, RECONNECT_MESSAGE);
	await d.importCredentials([creds.reconnect()]);
	const reconnected = await credentialWorks(s, s.ids.crash, 'hyperid-crash-set', 'crash-reconnected');
	rows.push(
		rowOf(s.runtime.version, 'queue', 'HyperID node: worker killed after its refresh was granted, before the answer', m,
			`${accountingNote(a)}; reported failed ${lastFailureAfter(m, killedAtMs)} after the kill; refresh granted to the dead worker: ${rotated}; next execution (${sec(nextMs)}): ${next.detail}` +
				`, with the reconnect message: ${mentioning}; after reconnecting: ${reconnected.detail}`),
	);
	s.log(`    next execution: ${next.detail}; after reconnecting: ${reconnected.detail}`);
	if (m.stored) problems.push('the killed execution stored its value');
	if (rotated !== 1) problems.push(`the token endpoint granted ${rotated} refreshes to the killed worker (expected 1: it finishes what it received)`);
	if (next.works) problems.push('the credential still worked after its rotated refresh token was lost: the case did not test the loss');
	if (mentioning < 1) problems.push(`no execution carries "${RECONNECT_MESSAGE}"`);
	if (!reconnected.works) problems.push(`after reconnecting the credential: ${reconnected.detail}`);
	return problems;
}

// ---------------------------------------------------------------------------------------------
// A service's token table (Each User's Tokens): two runs at once over the same users
// ---------------------------------------------------------------------------------------------

const TABLE_USERS = envNumber('N8N_QUEUE_TABLE_USERS', 100);
const TABLE_PG: CredentialRef = { id: 'qTablePostgres01', name: 'Token table (queue suite)' };
const TABLE_CLIENT: CredentialRef = { id: 'qTableClient0001', name: 'HyperID Client (queue suite)' };
const TABLE_SET_PATH = '/user-data/by-user-id/set';
const quoted = (text: string) => `'${text.replace(/'/g, "''")}'`;

async function introspectActive(emulator: Emulator, token: string): Promise<boolean> {
	const r = await fetch(`${emulator.url.replace(/\/+$/, '')}${INTROSPECT_PATH}`, {
		method: 'POST',
		headers: { 'content-type': 'application/x-www-form-urlencoded' },
		body: new URLSearchParams({ token, token_type_hint: 'refresh_token', client_id: DEMO.clientId, client_secret: DEMO.clientSecret }).toString(),
	});
	return ((await r.json()) as { active?: boolean }).active === true;
}

/**
 * Two executions of one workflow at once (two workers), each over the same TABLE_USERS users whose
 * access tokens have expired. Without a claim both hold every user's refresh token: measured (a
 * double spend per user ends that user's sign-in on HyperID). With the rows claimed in Postgres
 * (FOR UPDATE SKIP LOCKED on a lease column): asserted 0 users signed out, every value stored
 * once, every renewed pair written back.
 */
async function caseTokenTable(s: Setup): Promise<string[]> {
	const problems: string[] = [];
	const d = s.deployment;
	const pg = d.postgres!;
	await d.importCredentials([
		{ ...TABLE_PG, type: 'postgres', data: { host: pg.host, port: pg.port, database: pg.database, user: pg.user, password: '', ssl: 'disable', allowUnauthorizedCerts: false, sshTunnel: false } },
		{ ...TABLE_CLIENT, type: 'hyperIdClientApi', data: { environment: 'custom', loginUrl: s.emulator.url, apiUrl: s.emulator.url, clientId: DEMO.clientId, clientAuthentication: 'clientSecretPost', clientSecret: DEMO.clientSecret } },
	]);
	const users = Array.from({ length: TABLE_USERS }, (_, i) => `qt-user-${String(i + 1).padStart(3, '0')}`);
	for (const userId of users) s.emulator.addUser({ userId, email: `${userId}@example.com` });
	await pg.query(`CREATE TABLE IF NOT EXISTS ${TOKEN_TABLE} (user_id text PRIMARY KEY, access_token text NOT NULL, refresh_token text NOT NULL, claimed_until timestamptz, claimed_by text)`);
	for (const claim of [false, true]) {
		// every user signed in afresh, then every access token expired
		await pg.query(`DELETE FROM ${TOKEN_TABLE}`);
		const seeded = new Map<string, string>();
		const values: string[] = [];
		for (const userId of users) {
			const grant = s.emulator.createToken({ userId, clientId: DEMO.clientId });
			seeded.set(userId, grant.access_token);
			values.push(`(${quoted(userId)}, ${quoted(grant.access_token)}, ${quoted(grant.refresh_token)})`);
		}
		for (let i = 0; i < values.length; i += 20) await pg.query(`INSERT INTO ${TOKEN_TABLE} (user_id, access_token, refresh_token) VALUES ${values.slice(i, i + 20).join(',')}`);
		expireAll(s.emulator);
		s.emulator.clearRequests();
		const label = `${s.runTag}-table-${claim ? 'claimed' : 'plain'}`;
		const path = claim ? 'hyperid-table-claim' : 'hyperid-table';
		s.log(`  ${claim ? 'rows claimed' : 'no claim'}: 2 runs at once over ${users.length} users, every access token expired ...`);
		const startsBefore = d.workers.map(workerStarts);
		const load = await webhookLoad({ url: d.webhookUrl(path), count: 2, body: () => ({ value: label }), timeoutMs: 300_000 });
		const byWorker = d.workers.map((w, i) => workerStarts(w) - startsBefore[i]).join(' + ');
		const log = s.emulator.requests();
		const sets = log.filter((r) => r.path === TABLE_SET_PATH && r.result === 0).length;
		const store = s.emulator.store().data as Record<string, Record<string, Record<string, { value_data?: string }>>>;
		const withValue = users.filter((u) => Object.values(store[u] ?? {}).some((t) => t.plan?.value_data === label)).length;
		const table = new Map((await pg.query(`SELECT user_id, access_token, refresh_token, coalesce(claimed_by, '') FROM ${TOKEN_TABLE}`)).map(([u, a, r, c]) => [u, { a, r, c }]));
		let signedOut = 0;
		let writtenBack = 0;
		for (const userId of users) {
			const row = table.get(userId);
			if (!row || !(await introspectActive(s.emulator, row.r))) signedOut++;
			if (row && row.a !== seeded.get(userId)) writtenBack++;
		}
		const stillClaimed = [...table.values()].filter((r) => r.c !== '').length;
		const refresh = tokenRequests(log);
		const note =
			`runs answered ${load.results.map((r) => r.status).join(', ')} (${byWorker} executions per worker); ${withValue} of ${users.length} users have the value, ` +
			`${sets} sets with result 0; ${signedOut} users signed out; ${writtenBack} renewed pairs written back; refreshes ${refresh.ok} ok / ${refresh.refused} refused` +
			(claim ? `; ${stillClaimed} rows still claimed` : '');
		rows.push({
			version: s.runtime.version,
			mode: 'queue',
			what: `token table, ${claim ? 'rows claimed (lease, SKIP LOCKED)' : 'no claim'}: 2 runs x ${users.length} users at once`,
			executions: 2,
			failed: load.failed,
			stored: withValue,
			storedOnce: sets === withValue ? withValue : undefined,
			refreshOk: refresh.ok,
			refreshRefused: refresh.refused,
			seconds: load.seconds,
			note,
		});
		s.log(`    ${note}`);
		if (!claim) continue;
		if (load.failed) problems.push(`rows claimed: ${load.failed} of 2 runs failed${load.results.map((r) => ` ${JSON.stringify(r.body ?? r.error).slice(0, 150)}`).join('')}`);
		if (signedOut) problems.push(`rows claimed: ${signedOut} of ${users.length} users signed out`);
		if (withValue !== users.length) problems.push(`rows claimed: ${withValue} of ${users.length} users have the value`);
		if (sets !== users.length) problems.push(`rows claimed: ${sets} sets with result 0 for ${users.length} users (each once)`);
		if (writtenBack !== users.length) problems.push(`rows claimed: ${writtenBack} of ${users.length} renewed pairs written back`);
		if (stillClaimed) problems.push(`rows claimed: ${stillClaimed} rows still claimed after both runs`);
	}
	return problems;
}

// ---------------------------------------------------------------------------------------------
// Per version and mode
// ---------------------------------------------------------------------------------------------

/** The credentials of one deployment: fresh tokens from the emulator. */
function credentialsFor(emulator: Emulator, tag: string) {
	const hyperIdRef: CredentialRef = { id: `q${tag}HyperId00001`.slice(0, 16).padEnd(16, '0'), name: 'HyperID (queue suite)' };
	const deadRef: CredentialRef = { id: `q${tag}Dead000000001`.slice(0, 16).padEnd(16, '0'), name: 'HyperID, revoked (queue suite)' };
	const oauthRef: CredentialRef = { id: `q${tag}OAuth200000001`.slice(0, 16).padEnd(16, '0'), name: 'Generic OAuth2 (queue suite)' };
	const crashRef: CredentialRef = { id: `q${tag}Crash00000001`.slice(0, 16).padEnd(16, '0'), name: 'HyperID, refresher killed (queue suite)' };
	// its own client: the refresh token it loses is its own session's
	const crashSpec = { ...crashRef, clientId: 'queue-suite-crash-client', clientSecret: 'queue-suite-crash-secret' };
	const crashCredential = () => {
		const { id, name, type, data } = connectedCredential(emulator, crashSpec);
		return { id, name, type, data };
	};
	const hyperId = connectedCredential(emulator, { ...hyperIdRef });
	// its own client: revoking a refresh token ends every session of that user with that client
	const dead = connectedCredential(emulator, {
		...deadRef,
		clientId: 'queue-suite-revoked-client',
		clientSecret: 'queue-suite-revoked-secret',
	});
	const url = emulator.url.replace(/\/+$/, '');
	const scopes = 'openid email user-data-get user-data-set';
	const token = emulator.createToken({ scopes });
	const oauth2: ImportableCredential = {
		...oauthRef,
		type: 'oAuth2Api',
		data: {
			grantType: 'authorizationCode',
			authUrl: `${url}/auth/realms/HyperID/protocol/openid-connect/auth`,
			accessTokenUrl: `${url}${TOKEN_PATH}`,
			clientId: DEMO.clientId,
			clientSecret: DEMO.clientSecret,
			scope: scopes,
			authQueryParameters: '',
			authentication: 'body',
			oauthTokenData: {
				access_token: token.access_token,
				refresh_token: token.refresh_token,
				token_type: 'Bearer',
				expires_in: token.expires_in,
				scope: scopes,
			},
		},
	};
	return {
		hyperId,
		dead,
		oauth2,
		crash: crashCredential(),
		crashCredential: { reconnect: crashCredential },
		refs: { hyperId: hyperIdRef, dead: deadRef, oauth2: oauthRef, crash: crashRef },
	};
}

async function revoke(emulator: Emulator, refreshToken: string, clientId: string, clientSecret: string): Promise<void> {
	const r = await fetch(`${emulator.url.replace(/\/+$/, '')}${REVOKE_PATH}`, {
		method: 'POST',
		headers: { 'content-type': 'application/x-www-form-urlencoded' },
		body: new URLSearchParams({ token: refreshToken, token_type_hint: 'refresh_token', client_id: clientId, client_secret: clientSecret }).toString(),
	});
	if (r.status !== 200) throw new Error(`revoking the refresh token failed: HTTP ${r.status} ${await r.text()}`);
}

async function runMode(runtime: N8nRuntime, mode: 'queue' | 'regular', cases: CaseKey[], runTag: string): Promise<void> {
	const tag = `[n8n ${runtime.version}]`;
	const log = (line: string) => console.log(`${tag} ${line}`);
	const report = (name: string, started: number, problems: string[]) => {
		const ms = Date.now() - started;
		outcomes.push({ version: runtime.version, name, pass: problems.length === 0, ms, problems });
		// the PASS/FAIL lines themselves come once, at the end (CI counts them)
		if (problems.length) log(`done  ${name}: failed (${sec(ms)})\n${problems.map((p) => `        - ${p}`).join('\n')}`);
		else log(`done  ${name}: passed (${sec(ms)})`);
	};
	const started = Date.now();
	let emulator: Emulator | undefined;
	let deployment: Deployment | undefined;
	try {
		emulator = await startHyperIdEmulator();
		const creds = credentialsFor(emulator, mode === 'queue' ? 'Q' : 'R');
		const id16 = (name: string) => `q${mode[0]}${name}`.padEnd(16, '0').slice(0, 16);
		const ids = { hyperId: id16('HyperIdSet'), http: id16('HttpReqSet'), dead: id16('DeadCredSet'), crash: id16('CrashCredSet'), table: id16('TokenTable'), tableClaim: id16('TokenTableClm') };
		const workflows = [
			hyperIdSetWorkflow(ids.hyperId, 'hyperid-set', creds.refs.hyperId),
			httpRequestSetWorkflow(ids.http, 'http-set', creds.refs.oauth2, emulator.url),
			...(mode === 'queue'
				? [
						hyperIdSetWorkflow(ids.dead, 'hyperid-dead-set', creds.refs.dead),
						hyperIdSetWorkflow(ids.crash, 'hyperid-crash-set', creds.refs.crash),
						tokenTableWorkflow(ids.table, 'hyperid-table', TABLE_PG, TABLE_CLIENT, false),
						tokenTableWorkflow(ids.tableClaim, 'hyperid-table-claim', TABLE_PG, TABLE_CLIENT, true),
					]
				: []),
		];
		log(`${mode} mode: starting${mode === 'queue' ? ` Postgres, Redis, main and ${WORKERS} workers` : ' n8n'} (emulator on ${emulator.url}) ...`);
		deployment = await startDeployment({
			runtime,
			mode,
			workers: WORKERS,
			credentials: [creds.hyperId, creds.dead, creds.oauth2, creds.crash].map(({ id, name, type, data }) => ({ id, name, type, data })),
			env: mode === 'queue' ? LOCK_ENV : undefined,
			workflows,
			echo: process.env.N8N_QUEUE_VERBOSE ? /./ : undefined,
			log,
		});
		log(`${mode} mode up in ${sec(Date.now() - started)}`);
		const d = deployment;
		const reconnect = async () => {
			const { id, name, type, data } = connectedCredential(emulator!, { ...creds.refs.hyperId });
			await d.importCredentials([{ id, name, type, data }]);
		};
		const s: Setup = { runtime, emulator, deployment, log, ids, runTag, crash: creds.crashCredential, reconnect };

		// warm-up with a valid token: nodes loaded in every process before the measured bursts
		emulator.setOptions({ latencyMs: 0 });
		const warm = await measuredLoad(emulator, deployment, ids.hyperId, 'hyperid-set', `${runTag}-${mode}-warmup`, Math.max(2, WORKERS * 2), () => undefined);
		log(`warm-up: ${warm.load.results.length - warm.load.failed}/${warm.load.results.length} ok in ${warm.load.seconds.toFixed(1)}s`);
		if (mode === 'queue' && cases.includes('dead'))
			await revoke(emulator, creds.dead.meta.refreshToken, 'queue-suite-revoked-client', 'queue-suite-revoked-secret');

		const plan: Array<[CaseKey, (s: Setup) => Promise<string[]>]> =
			mode === 'queue'
				? [
						['burst', caseBurst],
						['sustained', caseSustained],
						['dead', caseDead],
						['killworker', caseKillWorker],
						['redis', caseRedisRestart],
						['refresher', (s) => caseRefresherKilled(s, s.crash)],
						['table', caseTokenTable],
					]
				: [['regular', caseBurst]];
		for (const [key, fn] of plan) {
			if (!cases.includes(key)) continue;
			const t = Date.now();
			log(`${CASE_NAMES[key]} ...`);
			let problems: string[];
			try {
				problems = await fn(s);
				if (deployment.main.hasExited() || deployment.workers.some((w) => w.hasExited()))
					problems.push(`an n8n process exited during the case:\n${deployment.output(20)}`);
			} catch (e) {
				problems = [(e as Error).stack ?? String(e)];
			}
			report(CASE_NAMES[key], t, problems);
		}
	} catch (e) {
		log(`ERROR ${mode} mode: ${(e as Error).stack ?? e}`);
		for (const key of cases.filter((k) => (mode === 'queue' ? k !== 'regular' : k === 'regular')))
			if (!outcomes.some((o) => o.version === runtime.version && o.name === CASE_NAMES[key]))
				report(CASE_NAMES[key], started, [`set-up failed: ${(e as Error).message.split('\n')[0]}`]);
	} finally {
		const t = Date.now();
		await deployment?.stop();
		await emulator?.close();
		log(`${mode} mode stopped (${sec(Date.now() - t)})`);
	}
}

// ---------------------------------------------------------------------------------------------
// Table and main
// ---------------------------------------------------------------------------------------------

export function formatTable(list: Row[]): string {
	const head = ['n8n', 'mode', 'what', 'executions', 'failed', 'stored', 'stored once', 'refreshes (ok / refused)', 'seconds', 'n8n DB status', 'note'];
	const lines = [
		`| ${head.join(' | ')} |`,
		`|${head.map(() => '---').join('|')}|`,
		...list.map(
			(r) =>
				`| ${[
					r.version,
					r.mode,
					r.what,
					r.executions,
					r.failed,
					r.stored,
					r.storedOnce ?? '-',
					`${r.refreshOk} / ${r.refreshRefused}`,
					r.seconds.toFixed(1),
					r.dbStatus ? Object.entries(r.dbStatus).map(([k, v]) => `${k} ${v}`).join(', ') || '-' : '-',
					r.note ?? '',
				].join(' | ')} |`,
		),
	];
	return lines.join('\n');
}

async function main(): Promise<void> {
	stopAllOnSignals();
	const allStarted = Date.now();
	const watchdog = setTimeout(() => {
		console.error(`queue suite: over ${RUN_LIMIT_MS / 60_000} minutes, stopping everything`);
		process.exitCode = 1;
		stopAll().finally(() => process.exit(1));
	}, RUN_LIMIT_MS);
	watchdog.unref();
	assertBuilt();
	const versions = loadVersions(process.env.N8N_QUEUE_VERSIONS ?? process.env.N8N_E2E_VERSIONS, 'queue');
	const cases = pickCases();
	console.log(
		`queue suite (${sizeName} sizes: burst ${BURSTS.join(', ')}, sustained ${SIZE.sustained} over ${SIZE.sustainedSeconds}s, dead ${SIZE.dead}; ` +
			`${WORKERS} workers): ${cases.map((c) => CASE_NAMES[c]).join(', ')} on n8n ${versions.map((v) => v.n8n).join(', ')}`,
	);
	const runTag = `r${Date.now().toString(36)}`;
	for (const v of versions) {
		const t = Date.now();
		const runtime = await ensureN8n(v);
		console.log(`n8n ${v.n8n} ready (${sec(Date.now() - t)})`);
		if (cases.some((c) => c !== 'regular')) await runMode(runtime, 'queue', cases, runTag);
		if (cases.includes('regular')) await runMode(runtime, 'regular', cases, runTag);
	}

	console.log(
		`\n=== queue suite figures (API latency ${API_LATENCY_MS} ms, token endpoint ${TOKEN_DELAY_MS} ms; ` +
			`queue mode: ${WORKERS} workers; a shared machine: seconds are noisy) ===\n${formatTable(rows)}`,
	);
	if (residuals.length) {
		console.log('\n=== repeated loads: runs with a failed execution, executions failed, credential ended (reconnected for the next run) ===');
		for (const r of residuals)
			console.log(`[n8n ${r.version}] ${r.what}: ${r.withFailures} of ${r.runs} runs with failures, ${r.failed} of ${r.executions} executions failed, credential dead after ${r.credentialDead} of ${r.runs}`);
	}
	const perVersion = new Map<string, number>();
	for (const o of outcomes) perVersion.set(o.version, (perVersion.get(o.version) ?? 0) + o.ms);
	for (const [version, ms] of perVersion) console.log(`[n8n ${version}] cases took ${sec(ms)}`);
	if (process.env.N8N_QUEUE_JSON) fs.writeFileSync(process.env.N8N_QUEUE_JSON, JSON.stringify({ size: sizeName, workers: WORKERS, rows, outcomes, residuals }, null, 2));
	const failed = outcomes.filter((o) => !o.pass);
	console.log('\n=== queue suite summary ===');
	for (const o of outcomes) {
		console.log(`[n8n ${o.version}] ${o.pass ? 'PASS' : 'FAIL'}  ${o.name}  (${sec(o.ms)})`);
		for (const p of o.problems) console.log(`        - ${p.split('\n')[0]}`);
	}
	console.log(`queue suite total ${sec(Date.now() - allStarted)}: ${failed.length ? `${failed.length} FAILED` : 'all passed'}`);
	process.exitCode = failed.length ? 1 : 0;
	// bounded to the end: should anything still hold the event loop, exit anyway
	setTimeout(() => {
		console.error('queue suite: something still ran 15 s after the summary; exiting');
		process.exit(process.exitCode ?? 1);
	}, 15_000).unref();
}

main().catch(async (err) => {
	console.error(err);
	await stopAll();
	process.exitCode = 1;
});
