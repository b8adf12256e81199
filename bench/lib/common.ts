/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/** Shared bits of the benchmark: paths, statistics, process memory, small formatting helpers. */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const BENCH_DIR = path.join(REPO_ROOT, 'bench');
export const RESULTS_DIR = path.join(BENCH_DIR, 'results');

export function percentile(sorted: number[], p: number): number | undefined {
	if (sorted.length === 0) return undefined;
	const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
	return sorted[idx];
}

export function median(values: Array<number | undefined | null>): number | undefined {
	const v = values.filter((x): x is number => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
	if (v.length === 0) return undefined;
	const mid = Math.floor(v.length / 2);
	return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** A bounded latency recorder (milliseconds). */
export class LatencyRecorder {
	private readonly values: Float64Array;
	private count = 0;
	dropped = 0;

	constructor(capacity = 200_000) {
		this.values = new Float64Array(capacity);
	}

	add(ms: number): void {
		if (this.count < this.values.length) this.values[this.count++] = ms;
		else this.dropped++;
	}

	clear(): void {
		this.count = 0;
		this.dropped = 0;
	}

	summary(): { n: number; p50?: number; p99?: number; max?: number } {
		const sorted = Array.from(this.values.subarray(0, this.count)).sort((a, b) => a - b);
		return { n: this.count, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] };
	}
}

/** VmHWM (peak resident set) and VmRSS of a process, in MiB; undefined once it is gone. */
export function procMemory(pid: number | 'self'): { hwmMiB: number; rssMiB: number } | undefined {
	try {
		const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
		const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
		return { hwmMiB: kb('VmHWM') / 1024, rssMiB: kb('VmRSS') / 1024 };
	} catch {
		return undefined;
	}
}

/** Samples a child's VmHWM every `everyMs` until stop(); keeps the highest value seen. */
export function sampleMemory(pid: number, everyMs = 50): { stop(): number | undefined } {
	let peak: number | undefined;
	const read = () => {
		const m = procMemory(pid);
		if (m && Number.isFinite(m.hwmMiB)) peak = Math.max(peak ?? 0, m.hwmMiB);
	};
	read();
	const timer = setInterval(read, everyMs);
	return {
		stop() {
			read();
			clearInterval(timer);
			return peak;
		},
	};
}

export function fmt(n: number | undefined | null, digits = 0): string {
	if (n === undefined || n === null || !Number.isFinite(n)) return '-';
	return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function fmtRatio(n: number | undefined): string {
	if (n === undefined || !Number.isFinite(n)) return '-';
	return n >= 10 ? `${n.toFixed(0)}x` : `${n.toFixed(2)}x`;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
