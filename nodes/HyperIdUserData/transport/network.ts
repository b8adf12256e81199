/**
 * Failures below HTTP (no answer at all), and waits that end when the execution is cancelled:
 * shared by API requests and token refreshes.
 */
import * as n8nWorkflow from 'n8n-workflow';

/** Node.js error codes of faults that may pass: the request is retried. */
const TRANSIENT_NETWORK_CODES = new Set([
	'ECONNRESET',
	'ECONNREFUSED',
	'ECONNABORTED',
	'ETIMEDOUT',
	'ESOCKETTIMEDOUT',
	'EPIPE',
	'EAI_AGAIN',
	'ERR_SOCKET_CONNECTION_TIMEOUT',
]);

/** Faults after which the server may have carried the request out although no answer came. */
const UNCERTAIN_CODES = new Set(['ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'ESOCKETTIMEDOUT', 'EPIPE', 'ERR_SOCKET_CONNECTION_TIMEOUT']);

type ErrorChain = { code?: unknown; httpCode?: unknown; cause?: unknown; message?: unknown } | undefined;

/** The transient network code of an error (or of its causes), if any. */
export function transientCode(error: unknown): string | undefined {
	let current = error as ErrorChain;
	for (let depth = 0; current && depth < 5; depth++) {
		if (typeof current.code === 'string' && TRANSIENT_NETWORK_CODES.has(current.code)) return current.code;
		if (typeof current.httpCode === 'string' && TRANSIENT_NETWORK_CODES.has(current.httpCode)) return current.httpCode;
		if (typeof current.message === 'string') {
			if (/socket hang up/i.test(current.message)) return 'ECONNRESET';
			if (/timeout of \d+ms exceeded/i.test(current.message)) return 'ETIMEDOUT';
		}
		current = current.cause as ErrorChain;
	}
	return undefined;
}

/** Whether a request that failed with this code may still have been carried out. */
export function mayHaveArrived(code: string): boolean {
	return UNCERTAIN_CODES.has(code);
}

/**
 * Any Node.js network or TLS error code on the error chain (ENOTFOUND, CERT_HAS_EXPIRED, EPROTO,
 * ...), for failures that retrying will not mend.
 */
export function connectionCode(error: unknown): string | undefined {
	let current = error as ErrorChain;
	for (let depth = 0; current && depth < 5; depth++) {
		if (typeof current.code === 'string' && /^(E[A-Z]+|ERR_[A-Z_]+|CERT_[A-Z_]+|[A-Z_]*(CERT|SELF_SIGNED|VERIFY)[A-Z_]*)$/.test(current.code)) {
			if (current.code !== 'EAUTH' && current.code !== 'ESTATUS') return current.code;
		}
		current = current.cause as ErrorChain;
	}
	return undefined;
}

/** What a wait that the execution's cancellation ended throws. */
export class Cancelled extends Error {
	constructor() {
		super('The execution was cancelled');
	}
}

type SleepWithAbort = (ms: number, signal?: AbortSignal) => Promise<void>;

/** n8n-workflow's sleepWithAbort, where the n8n running the node has it. */
const n8nSleepWithAbort = (n8nWorkflow as { sleepWithAbort?: SleepWithAbort }).sleepWithAbort;

async function ownSleepWithAbort(ms: number, signal?: AbortSignal): Promise<void> {
	await new Promise<void>((resolve, reject) => {
		if (signal?.aborted) return reject(new Cancelled());
		const onAbort = () => {
			clearTimeout(timer);
			reject(new Cancelled());
		};
		const timer = setTimeout(() => {
			signal?.removeEventListener('abort', onAbort);
			resolve();
		}, ms);
		signal?.addEventListener('abort', onAbort, { once: true });
	});
}

/** Waits `ms`; throws Cancelled as soon as `signal` aborts. */
export async function sleepUnlessCancelled(ms: number, signal?: AbortSignal): Promise<void> {
	if (signal?.aborted) throw new Cancelled();
	try {
		await (typeof n8nSleepWithAbort === 'function' ? n8nSleepWithAbort(ms, signal) : ownSleepWithAbort(ms, signal));
	} catch (error) {
		if (signal?.aborted) throw new Cancelled();
		throw error;
	}
}

/**
 * `promise`, or Cancelled as soon as `signal` aborts (the promise itself goes on: whoever else
 * waits for it still gets its outcome).
 */
export async function unlessCancelled<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
	if (!signal) return await promise;
	if (signal.aborted) throw new Cancelled();
	let onAbort: () => void = () => undefined;
	const aborted = new Promise<never>((_resolve, reject) => {
		onAbort = () => reject(new Cancelled());
		signal.addEventListener('abort', onAbort, { once: true });
	});
	try {
		return await Promise.race([promise, aborted]);
	} finally {
		signal.removeEventListener('abort', onAbort);
	}
}
