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

type SleepWithAbort = (ms: number, signal?: AbortSignal) => Promise<void>;

/**
 * n8n-workflow's sleepWithAbort where the n8n running the node has it (1.x to 2.8 do); n8n 2.41's
 * n8n-workflow has none, but its `sleep` takes the signal itself. Older ones ignore the signal:
 * the wait below still ends on it, their timer just runs out unobserved.
 */
const n8nSleepWithAbort = (n8nWorkflow as { sleepWithAbort?: SleepWithAbort }).sleepWithAbort;
const abortableSleep: SleepWithAbort = typeof n8nSleepWithAbort === 'function' ? n8nSleepWithAbort : (n8nWorkflow.sleep as SleepWithAbort);

/**
 * `promise`'s value, or undefined as soon as `signal` aborts (the promise itself goes on: whoever
 * else waits for it still gets its outcome). A rejection of `promise` is passed on.
 */
export async function unlessCancelled<T>(promise: Promise<T>, signal?: AbortSignal): Promise<{ value: T } | undefined> {
	if (!signal) return { value: await promise };
	if (signal.aborted) return undefined;
	let onAbort: () => void = () => undefined;
	const aborted = new Promise<undefined>((resolve) => {
		onAbort = () => resolve(undefined);
		signal.addEventListener('abort', onAbort, { once: true });
	});
	try {
		return await Promise.race([promise.then((value) => ({ value })), aborted]);
	} finally {
		signal.removeEventListener('abort', onAbort);
	}
}

/** Waits `ms`: true once they passed, false as soon as `signal` aborts (at once if it already has). */
export async function sleepUnlessCancelled(ms: number, signal?: AbortSignal): Promise<boolean> {
	if (signal?.aborted) return false;
	const slept = abortableSleep(ms, signal).then(
		() => true,
		() => false,
	);
	return (await unlessCancelled(slept, signal))?.value === true;
}
