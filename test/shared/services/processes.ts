/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * Long-running child processes for tests (n8n main and workers, Postgres, Redis): started in their
 * own process group, their output kept (the last 256 KiB), stopped with SIGTERM then SIGKILL, and
 * all of them stopped when the test process ends, on failure and on Ctrl-C too
 * (`stopAllOnSignals()` in the entry point). Also reads a process tree's memory and CPU from /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';

const KEEP_OUTPUT_BYTES = 256 * 1024;
const CLOCK_TICKS = 100; // USER_HZ on Linux

export interface ProcessSpec {
	name: string;
	command: string;
	args: string[];
	env?: NodeJS.ProcessEnv;
	cwd?: string;
	/** the signal that asks it to stop [SIGTERM] */
	stopSignal?: NodeJS.Signals;
	/** after stopSignal, SIGKILL after this long [10 s] */
	killAfterMs?: number;
	/** called per output line (stdout and stderr) */
	onLine?: (line: string) => void;
	/**
	 * Kills what the process group kill cannot reach (e.g. a server running as another user under
	 * runuser), synchronously: used when the test process exits.
	 */
	killExtra?: () => void;
}

export interface ManagedProcess {
	readonly name: string;
	readonly pid: number;
	readonly child: ChildProcess;
	/** resolves when it has exited, for whatever reason */
	readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
	hasExited(): boolean;
	/** the last 256 KiB of its stdout and stderr */
	output(): string;
	/** resolves when `pattern` appears in its output; rejects when it exits first or after timeoutMs */
	waitForOutput(pattern: RegExp, timeoutMs: number): Promise<void>;
	/** stopSignal to the process group, SIGKILL after killAfterMs; idempotent */
	stop(): Promise<void>;
}

const running = new Set<{ killNow(): void; stop(): Promise<void> }>();

export function startProcess(spec: ProcessSpec): ManagedProcess {
	const child = spawn(spec.command, spec.args, {
		cwd: spec.cwd,
		env: spec.env ?? process.env,
		stdio: ['ignore', 'pipe', 'pipe'],
		// its own process group: one signal reaches what it spawns (n8n's task runner), and a Ctrl-C
		// in the terminal reaches the test runner only, which then stops everything in order
		detached: true,
	});
	if (child.pid === undefined) throw new Error(`could not start ${spec.name} (${spec.command})`);
	const pid = child.pid;
	let out = '';
	let partial = '';
	let exitedFlag = false;
	const waiters = new Set<() => void>();
	const onData = (b: Buffer) => {
		const text = b.toString();
		out += text;
		if (out.length > KEEP_OUTPUT_BYTES) out = out.slice(-KEEP_OUTPUT_BYTES);
		if (spec.onLine) {
			const lines = (partial + text).split('\n');
			partial = lines.pop() ?? '';
			for (const line of lines) spec.onLine(line);
		}
		for (const w of waiters) w();
	};
	child.stdout!.on('data', onData);
	child.stderr!.on('data', onData);
	const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
		child.on('error', (e) => {
			out += `\n(${spec.name} could not start: ${e.message})`;
			exitedFlag = true;
			resolve({ code: null, signal: null });
		});
		child.on('exit', (code, signal) => {
			out += `\n(${spec.name} exited: code ${code}${signal ? `, signal ${signal}` : ''})`;
			exitedFlag = true;
			resolve({ code, signal });
		});
	});
	const signalGroup = (signal: NodeJS.Signals) => {
		try {
			process.kill(-pid, signal);
		} catch {
			/* already gone */
		}
	};
	const entry = {
		killNow() {
			if (!exitedFlag) signalGroup('SIGKILL');
			try {
				spec.killExtra?.();
			} catch {
				/* best effort on exit */
			}
		},
		stop: () => stop(),
	};
	running.add(entry);
	ensureExitHook();
	exited.then(() => {
		for (const w of waiters) w();
	});

	let stopping: Promise<void> | undefined;
	const stop = () =>
		(stopping ??= (async () => {
			if (!exitedFlag) {
				signalGroup(spec.stopSignal ?? 'SIGTERM');
				const timer = setTimeout(() => signalGroup('SIGKILL'), spec.killAfterMs ?? 10_000);
				await exited;
				clearTimeout(timer);
			}
			// what it started in its group and left behind (a task runner)
			signalGroup('SIGKILL');
			running.delete(entry);
		})());

	const waitForOutput = (pattern: RegExp, timeoutMs: number) =>
		new Promise<void>((resolve, reject) => {
			const check = () => {
				if (pattern.test(out)) {
					done();
					resolve();
				} else if (exitedFlag) {
					done();
					reject(new Error(`${spec.name} exited before printing ${pattern}:\n${tailLines(out, 30)}`));
				}
			};
			const timer = setTimeout(() => {
				done();
				reject(new Error(`${spec.name} did not print ${pattern} within ${timeoutMs / 1000}s:\n${tailLines(out, 30)}`));
			}, timeoutMs);
			const done = () => {
				clearTimeout(timer);
				waiters.delete(check);
			};
			waiters.add(check);
			check();
		});

	return {
		name: spec.name,
		pid,
		child,
		exited,
		hasExited: () => exitedFlag,
		output: () => out,
		waitForOutput,
		stop,
	};
}

/** Stop every process started here that is still running (in reverse start order). */
export async function stopAll(): Promise<void> {
	for (const entry of [...running].reverse()) await entry.stop().catch(() => undefined);
}

const exitCleanups = new Set<() => void>();
/** A synchronous clean-up (e.g. removing a temp folder) run when the test process exits; returns its removal. */
export function onExitCleanup(fn: () => void): () => void {
	ensureExitHook();
	exitCleanups.add(fn);
	return () => exitCleanups.delete(fn);
}

let exitHook = false;
/** On exit (normal, error or signal), SIGKILL whatever is still running and run the clean-ups. */
function ensureExitHook(): void {
	if (exitHook) return;
	exitHook = true;
	process.on('exit', () => {
		for (const entry of running) entry.killNow();
		for (const c of exitCleanups) {
			try {
				c();
			} catch {
				/* best effort */
			}
		}
	});
}

let installed = false;
/**
 * For entry points: on SIGINT/SIGTERM stop every process (bounded: 20 s), then exit 130/143.
 */
export function stopAllOnSignals(): void {
	if (installed) return;
	installed = true;
	let signalled = false;
	const onSignal = (signal: NodeJS.Signals) => {
		if (signalled) return;
		signalled = true;
		process.stderr.write(`\n${signal}: stopping n8n, Postgres, Redis and the emulator ...\n`);
		const hard = setTimeout(() => process.exit(signal === 'SIGINT' ? 130 : 143), 20_000);
		hard.unref();
		stopAll().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
	};
	process.on('SIGINT', onSignal);
	process.on('SIGTERM', onSignal);
	ensureExitHook();
}

export function tailLines(s: string, n: number): string {
	return s.trimEnd().split('\n').slice(-n).join('\n');
}

// ---------------------------------------------------------------------------------------------
// /proc: memory and CPU of a process tree
// ---------------------------------------------------------------------------------------------

interface ProcStat {
	pid: number;
	ppid: number;
	/** utime + stime + cutime + cstime, in seconds */
	cpuSeconds: number;
	/** utime + stime, in seconds */
	ownCpuSeconds: number;
}

function readStat(pid: number): ProcStat | undefined {
	let text: string;
	try {
		text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
	} catch {
		return undefined;
	}
	// the command name (field 2) may contain spaces: the fields after it start after the last ')'
	const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
	const num = (i: number) => Number(fields[i - 3]);
	return {
		pid,
		ppid: num(4),
		cpuSeconds: (num(14) + num(15) + num(16) + num(17)) / CLOCK_TICKS,
		ownCpuSeconds: (num(14) + num(15)) / CLOCK_TICKS,
	};
}

/** ppid -> child pids, of every live process. */
function childrenMap(): Map<number, number[]> {
	const children = new Map<number, number[]>();
	for (const name of fs.readdirSync('/proc')) {
		if (!/^\d+$/.test(name)) continue;
		const st = readStat(Number(name));
		if (!st) continue;
		const list = children.get(st.ppid) ?? [];
		list.push(st.pid);
		children.set(st.ppid, list);
	}
	return children;
}

/** The pid and every live descendant. */
export function processTree(rootPid: number, children = childrenMap()): number[] {
	const out: number[] = [];
	const walk = (pid: number) => {
		out.push(pid);
		for (const c of children.get(pid) ?? []) walk(c);
	};
	if (fs.existsSync(`/proc/${rootPid}`)) walk(rootPid);
	return out;
}

function statusField(pid: number, field: string): number | undefined {
	try {
		const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
		return m ? Number(m[1]) / 1024 : undefined;
	} catch {
		return undefined;
	}
}

/** Proportional set size (shared pages split between the processes sharing them), MiB. */
function pssMiB(pid: number): number | undefined {
	try {
		const m = /^Pss:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
		return m ? Number(m[1]) / 1024 : undefined;
	} catch {
		return undefined;
	}
}

export interface TreeUsage {
	/** CPU seconds of the tree: every live process and the children they have reaped */
	cpuSeconds: number;
	/** RSS of the root process alone, MiB */
	rssMiB: number;
	/** peak RSS of the root process alone (VmHWM), MiB */
	hwmMiB: number;
	/** sum over the tree of each process's PSS, MiB (shared memory counted once) */
	treePssMiB: number;
	processes: number;
}

export function treeUsage(rootPid: number, children = childrenMap(), alone = false): TreeUsage | undefined {
	const pids = alone ? (fs.existsSync(`/proc/${rootPid}`) ? [rootPid] : []) : processTree(rootPid, children);
	if (!pids.length) return undefined;
	let cpu = 0;
	let pss = 0;
	for (const pid of pids) {
		const st = readStat(pid);
		// alone: its own CPU, not its reaped children's (for the test process itself, whose children are measured apart)
		cpu += (alone ? st?.ownCpuSeconds : st?.cpuSeconds) ?? 0;
		pss += pssMiB(pid) ?? 0;
	}
	return {
		cpuSeconds: cpu,
		rssMiB: statusField(rootPid, 'VmRSS') ?? 0,
		hwmMiB: statusField(rootPid, 'VmHWM') ?? 0,
		treePssMiB: pss,
		processes: pids.length,
	};
}

export interface UsageSample {
	name: string;
	/** CPU seconds used between start() and stop() */
	cpuSeconds: number;
	/** the root process's peak RSS (VmHWM, over its whole life), MiB */
	peakRssMiB: number;
	/** the highest sampled sum of PSS over the tree, MiB */
	peakTreePssMiB: number;
}

/**
 * Samples the trees of several processes every `everyMs` between start and stop: CPU used in that
 * window, peak memory. The last sample is taken at stop(), while the processes still run.
 */
export function sampleUsage(roots: Array<{ name: string; pid: number; /** this process only, not its descendants */ alone?: boolean }>, everyMs = 500) {
	const first = new Map<string, number>();
	const last = new Map<string, TreeUsage>();
	const peakPss = new Map<string, number>();
	const read = () => {
		const children = childrenMap();
		for (const r of roots) {
			const u = treeUsage(r.pid, children, r.alone);
			if (!u) continue;
			if (!first.has(r.name)) first.set(r.name, u.cpuSeconds);
			last.set(r.name, u);
			peakPss.set(r.name, Math.max(peakPss.get(r.name) ?? 0, u.treePssMiB));
		}
	};
	read();
	const timer = setInterval(read, everyMs);
	timer.unref();
	return {
		stop(): UsageSample[] {
			read();
			clearInterval(timer);
			return roots.map((r) => ({
				name: r.name,
				cpuSeconds: (last.get(r.name)?.cpuSeconds ?? 0) - (first.get(r.name) ?? 0),
				peakRssMiB: last.get(r.name)?.hwmMiB ?? 0,
				peakTreePssMiB: peakPss.get(r.name) ?? 0,
			}));
		},
	};
}
