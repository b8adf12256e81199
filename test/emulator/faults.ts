/** Fault rules: answers a test asks the emulator to give instead of (or before) the real one. */
import { EmulatorError, type ActiveFault, type FaultRule } from './model';
import type { EmulatorState } from './state';
import { isPlainObject, mulberry32 } from './util';

/** Replaces the fault rules (checked first: a bad rule changes nothing); a seed makes `probability` repeatable. */
export function setFaults(st: EmulatorState, rules: FaultRule[], seedValue?: number): void {
	if (!Array.isArray(rules)) throw new EmulatorError(400, 'rules must be an array');
	if (seedValue !== undefined && (typeof seedValue !== 'number' || !Number.isFinite(seedValue))) {
		throw new EmulatorError(400, 'seed must be a number');
	}
	const next: ActiveFault[] = rules.map((input, i) => {
		const where = `rules[${i}]`;
		if (!isPlainObject(input)) throw new EmulatorError(400, `${where} must be an object`);
		const r = input as FaultRule;
		if (r.path !== undefined && (typeof r.path !== 'string' || !r.path.startsWith('/'))) {
			throw new EmulatorError(400, `${where}.path must be a path starting with /`);
		}
		const times: number = r.times ?? 1;
		if (!Number.isInteger(times) || (times < 1 && times !== -1)) throw new EmulatorError(400, `${where}.times must be an integer >= 1 or -1`);
		const skip: number = r.skip ?? 0;
		if (!Number.isInteger(skip) || skip < 0) throw new EmulatorError(400, `${where}.skip must be an integer >= 0`);
		if (r.result !== undefined && !Number.isInteger(r.result)) throw new EmulatorError(400, `${where}.result must be an integer`);
		if (r.status !== undefined && (!Number.isInteger(r.status) || (r.status as number) < 200 || (r.status as number) > 599)) {
			throw new EmulatorError(400, `${where}.status must be an HTTP status`);
		}
		if (r.delayMs !== undefined && (typeof r.delayMs !== 'number' || r.delayMs < 0)) throw new EmulatorError(400, `${where}.delayMs must be >= 0`);
		if (r.answerDelayMs !== undefined && (typeof r.answerDelayMs !== 'number' || r.answerDelayMs < 0)) {
			throw new EmulatorError(400, `${where}.answerDelayMs must be >= 0`);
		}
		if (r.reset !== undefined && typeof r.reset !== 'boolean') throw new EmulatorError(400, `${where}.reset must be a boolean`);
		if (r.retryAfter !== undefined && (typeof r.retryAfter !== 'string' || r.status === undefined)) {
			throw new EmulatorError(400, `${where}.retryAfter must be a string, given with status`);
		}
		if (r.probability !== undefined && (typeof r.probability !== 'number' || r.probability < 0 || r.probability > 1)) {
			throw new EmulatorError(400, `${where}.probability must be within 0..1`);
		}
		if (r.result === undefined && r.status === undefined && r.delayMs === undefined && r.answerDelayMs === undefined && r.reset !== true) {
			throw new EmulatorError(400, `${where} needs result, status, delayMs, answerDelayMs or reset`);
		}
		return { ...r, times, remaining: times, skipRemaining: skip };
	});
	st.faultRules = next;
	if (seedValue !== undefined) st.rng = mulberry32(seedValue);
}

/** The first live rule for this request, used up by one (after its `skip`); a rule without a path matches every user-data path. */
export function pickFault(st: EmulatorState, path: string, isUserData: boolean): ActiveFault | undefined {
	for (const rule of st.faultRules) {
		if (rule.remaining === 0) continue;
		const matches = rule.path !== undefined ? rule.path === path : isUserData;
		if (!matches) continue;
		if (rule.skipRemaining > 0) {
			rule.skipRemaining--;
			continue;
		}
		if (rule.probability !== undefined && rule.probability < 1 && !(st.rng() < rule.probability)) continue;
		if (rule.remaining > 0) rule.remaining--;
		st.stats.faultsApplied++;
		st.faultRules = st.faultRules.filter((r) => r.remaining !== 0);
		return rule;
	}
	return undefined;
}

/** Each emulator's request bucket for `rateLimitPerSecond` (kept here: the limit is a fault HyperID may answer with). */
const buckets = new WeakMap<EmulatorState, { tokens: number; at: number; rate: number }>();

/**
 * Whether this user-data request is over the rate limit; if so, the seconds to wait (Retry-After).
 * A bucket of N requests refilled at N per second, so bursts of up to N pass.
 */
export function rateLimited(st: EmulatorState, nowMs: number): number | undefined {
	const rate = st.opts.rateLimitPerSecond;
	if (!(rate > 0)) return undefined;
	let bucket = buckets.get(st);
	if (!bucket || bucket.rate !== rate) {
		bucket = { tokens: rate, at: nowMs, rate };
		buckets.set(st, bucket);
	}
	bucket.tokens = Math.min(rate, bucket.tokens + ((nowMs - bucket.at) / 1000) * rate);
	bucket.at = nowMs;
	if (bucket.tokens >= 1) {
		bucket.tokens -= 1;
		return undefined;
	}
	return Math.max(1, Math.ceil((1 - bucket.tokens) / rate));
}
