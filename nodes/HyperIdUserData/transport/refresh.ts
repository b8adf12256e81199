/**
 * Token refresh for every request that uses one HyperID credential, across executions and n8n
 * processes. HyperID refresh tokens rotate: a refresh spends the refresh token it used, so two
 * refreshes from the same stored token cannot both succeed, and the loser is told `invalid_grant`
 * although the credential is fine.
 *
 * Bounds:
 * - one process: requests (of any execution) that failed with the same token share one refresh
 *   per credential; n8n 2.30+ also does this in core, and the two single flights simply nest;
 * - before refreshing, the stored token is re-read: if another execution or process has already
 *   stored a newer one, the request is resent with it and no refresh token is spent;
 * - each token request is waited for at most the node's Timeout, and a token endpoint that does
 *   not answer or is down is tried at most Retries + 1 times (n8n's own OAuth2 client would wait
 *   300 s); a token request given up on goes on in the background, and n8n saves its token if it
 *   succeeds late (a later attempt of the same refresh also takes it);
 * - after an `invalid_grant`, the stored token is re-read REREAD_DELAYS_MS.length times over at
 *   most REREAD_WAIT_MS: a newer token means another process won the race (resend); a token that
 *   stays the same means the sign-in has ended (the user must reconnect);
 * - an execution that is cancelled stops waiting at once; the shared refresh goes on for the
 *   other executions waiting for it, and stops only when none is left;
 * - at most one token request per process per expired token (plus the bounded retries above);
 *   callers resend a request at most a fixed number of times.
 */
import type { ICredentialDataDecryptedObject, IDataObject, IExecuteFunctions, JsonObject } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

import type { HyperIdContext } from '../../shared/environment';
import { accessTokenOf, CREDENTIAL_TYPE } from './connection';
import { httpStatusOnly } from './itemError';
import { beforeSpending } from './crossProcess';
import { connectionCode, sleepUnlessCancelled, transientCode, unlessCancelled } from '../../shared/network';

/** Re-reads after a refused refresh, waiting for another process to store its refreshed token. */
export const REREAD_DELAYS_MS = [150, 350, 750, 1250];
export const REREAD_WAIT_MS = REREAD_DELAYS_MS.reduce((sum, delay) => sum + delay, 0);

/** How a request whose token was refused may be resent. */
export interface Recovery {
	/**
	 * 'refreshed': this process refreshed; 'stored': another execution or process had already;
	 * 'cancelled': the waiting execution was cancelled (nothing to resend).
	 */
	how: 'refreshed' | 'stored' | 'cancelled';
	/** The access token to expect on the resend, when known. */
	token?: string;
}

export interface RefreshOptions {
	retries: number;
	/** Longest wait for one token request. */
	timeoutMs: number;
	/** Backoff before the given retry (1-based). */
	backoff: (attempt: number) => number;
	/** The waiting execution's cancel signal: it stops waiting, the shared refresh goes on for others. */
	signal?: AbortSignal;
	/** Counts token requests and their retries. */
	onRefreshAttempt: () => void;
	onRetry: () => void;
}

/** One refresh shared by every request of this process refused with the same token. */
interface Flight {
	promise: Promise<Recovery>;
	waiting: number;
	/** Ends the refresh's own waits once no execution waits for it any more. */
	stop: AbortController;
}

/** Refreshes in flight in this n8n process, per credential and the token they replace. */
const flights = new Map<string, Flight>();

function credentialKey(ctx: HyperIdContext): string {
	const reference = ctx.getNode().credentials?.[CREDENTIAL_TYPE];
	return reference?.id ?? `name:${reference?.name ?? ''}`;
}

async function storedToken(ctx: HyperIdContext): Promise<string | undefined> {
	try {
		return accessTokenOf(await ctx.getCredentials<ICredentialDataDecryptedObject>(CREDENTIAL_TYPE));
	} catch {
		return undefined;
	}
}

/** The token endpoint refused the refresh token (`invalid_grant`), and no other execution stored a newer one. */
export class DeadCredential extends NodeApiError {}

function refreshError(ctx: HyperIdContext, code: string, message: string, description: string): NodeApiError {
	const failure = new NodeApiError(ctx.getNode(), { error: code } as JsonObject, { message, description, httpCode: httpStatusOnly(code) });
	// NodeApiError swaps the message for n8n's generic text on Node.js error codes.
	failure.message = message;
	// an OAuth error or a network fault's code: not an HTTP status
	failure.context.code = code;
	return failure;
}

function deadCredential(ctx: HyperIdContext): DeadCredential {
	const failure = new DeadCredential(ctx.getNode(), { error: 'refresh_failed' } as JsonObject, {
		message: 'The HyperID sign-in has expired and could not be renewed',
		description:
			'HyperID refused to refresh the access token (the refresh token expired, was revoked or was already used). Open the HyperID credential and click "Reconnect" to sign in again.',
	});
	failure.context.code = 'invalid_grant';
	return failure;
}

/** What one token request came to: the new access token, or why there is none and whether to try again. */
type RefreshResult = { token?: string } | { failure: NodeApiError; retry: boolean };

const OAUTH_ERROR_CODES = new Set(['invalid_request', 'invalid_client', 'invalid_grant', 'unauthorized_client', 'unsupported_grant_type', 'invalid_scope']);

interface TokenEndpointError {
	message?: unknown;
	status?: unknown;
	body?: unknown;
	code?: unknown;
	isAxiosError?: unknown;
	response?: { status?: unknown };
	failure?: { cause?: unknown };
}

/** The OAuth2 error code in a token endpoint's answer (RFC 6749 5.2), or whatever `error` it named. */
function oauthErrorOf(error: TokenEndpointError): string | undefined {
	const body = typeof error.body === 'string' ? safeJson(error.body) : error.body;
	const code = (body as IDataObject | undefined)?.error;
	return typeof code === 'string' ? code : undefined;
}

function safeJson(text: string): unknown {
	try {
		return JSON.parse(text) as unknown;
	} catch {
		return undefined;
	}
}

/** Why a token request failed, in the user's words, and whether trying again may help. */
function classify(ctx: HyperIdContext, error: unknown): RefreshResult {
	const failure = (error ?? {}) as TokenEndpointError;
	const text = String(failure.message ?? '');
	const oauthError = oauthErrorOf(failure);
	// n8n 2.41+ turns invalid_grant into its own "needs to be reconnected" error
	if (oauthError === 'invalid_grant' || failure.failure?.cause === 'credential-invalid' || /needs to be reconnected/i.test(text)) {
		return { failure: deadCredential(ctx), retry: false };
	}
	if (oauthError === 'invalid_client' || oauthError === 'unauthorized_client') {
		return {
			retry: false,
			failure: refreshError(
				ctx,
				oauthError,
				'HyperID refused the credential\'s client ID or client secret',
				`The token endpoint answered "${oauthError}" when renewing the sign-in. Open the HyperID credential and check Client ID and Client Secret against your application in the HyperID dashboard (the secret may have been changed or rotated).`,
			),
		};
	}
	const transient = transientCode(error);
	if (transient) {
		return {
			retry: true,
			failure: refreshError(
				ctx,
				transient,
				`Could not reach HyperID to renew the sign-in (${transient})`,
				`The token endpoint did not answer (${transient}). Try again later; if it persists, check the Login URL in the HyperID credential and the network between n8n and HyperID.`,
			),
		};
	}
	const status = Number(failure.response?.status ?? failure.status);
	if (status === 429 || status >= 500) {
		return {
			retry: true,
			failure: refreshError(ctx, String(status), 'Could not reach HyperID to renew the sign-in', `The token endpoint answered HTTP ${status}. Try again later.`),
		};
	}
	if (oauthError && OAUTH_ERROR_CODES.has(oauthError)) {
		return {
			retry: false,
			failure: refreshError(
				ctx,
				oauthError,
				`HyperID refused to renew the sign-in (${oauthError})`,
				'The token endpoint refused the refresh request. Check the HyperID credential\'s settings (Client ID, Scope); if they are right, reconnect the credential.',
			),
		};
	}
	if (Number.isFinite(status) && status > 0) {
		return {
			retry: false,
			failure: refreshError(
				ctx,
				String(status),
				`HyperID's token URL answered HTTP ${status} when renewing the sign-in`,
				'The token URL did not answer like HyperID\'s token endpoint. Open the HyperID credential and check the Login URL (the environment\'s sign-in server, without a path).',
			),
		};
	}
	if (oauthError !== undefined) {
		return {
			retry: false,
			failure: refreshError(
				ctx,
				oauthError,
				`HyperID's token URL answered "${oauthError}" when renewing the sign-in`,
				'The token URL did not answer like HyperID\'s token endpoint (for example a path that does not exist). Open the HyperID credential and check the Login URL (the environment\'s sign-in server, without a path).',
			),
		};
	}
	const connection = connectionCode(error);
	if (connection) {
		return {
			retry: false,
			failure: refreshError(
				ctx,
				connection,
				`Could not connect to HyperID's token endpoint to renew the sign-in (${connection})`,
				/CERT|SSL|TLS|SELF_SIGNED|VERIFY|EPROTO/.test(connection)
					? 'The secure connection failed (TLS). Check the Login URL in the HyperID credential; a proxy or server with an untrusted certificate can cause this.'
					: 'The sign-in server could not be found or reached. Check the Login URL in the HyperID credential and the network (DNS, proxy, firewall) between n8n and HyperID.',
			),
		};
	}
	if (/not connected/i.test(text)) {
		return {
			retry: false,
			failure: refreshError(ctx, 'not_connected', 'The HyperID credential is not connected', 'Open the HyperID credential and click "Connect my account" to sign in.'),
		};
	}
	// Not the token exchange (its failures all carry a status, an OAuth2 body or a network code): n8n's side, after it.
	return {
		retry: false,
		failure: refreshError(
			ctx,
			'save_failed',
			`HyperID renewed the sign-in, but n8n could not save the new token: ${text || 'unknown error'}`,
			'n8n reported this error while storing the renewed token in its credential store (for example its database was unavailable). Check n8n\'s logs and database, then run the workflow again; if it then says the sign-in has expired, reconnect the HyperID credential.',
		),
	};
}

/** One token request through n8n (which saves the rotated tokens). Never rejects. */
async function refreshOnce(ctx: HyperIdContext): Promise<RefreshResult> {
	try {
		const data = (await (ctx as IExecuteFunctions).helpers.refreshOAuth2Token.call(ctx, CREDENTIAL_TYPE)) as
			| IDataObject
			| undefined;
		return { token: typeof data?.access_token === 'string' ? data.access_token : undefined };
	} catch (error) {
		return classify(ctx, error);
	}
}

/** Resolves when `request` succeeds; never when it fails (a late success still counts). */
const successOf = async (request: Promise<RefreshResult>) =>
	await new Promise<RefreshResult>((resolve) => void request.then((result) => !('failure' in result) && resolve(result)));

/** The first of: the promises given, `ms` passing (then `onTimeout()`), or undefined once `signal` aborts. */
async function firstOf<T>(promises: Array<Promise<T>>, ms: number, onTimeout: () => T, signal: AbortSignal): Promise<T | undefined> {
	const stopTimer = new AbortController();
	const timeout = sleepUnlessCancelled(ms, stopTimer.signal).then(async (elapsed) => (elapsed ? onTimeout() : await new Promise<T>(() => undefined)));
	try {
		return (await unlessCancelled(Promise.race([...promises, timeout]), signal))?.value;
	} finally {
		stopTimer.abort();
	}
}

/** Failures after the request may have been sent (an answer, a refused or unresolved connection would say otherwise). */
const MAY_HAVE_REACHED = new Set(['ETIMEDOUT', 'ECONNRESET', 'ECONNABORTED', 'ESOCKETTIMEDOUT', 'EPIPE']);

/** The Retries' time spent waiting for the request already sent instead of sending another: its late success, else `failure`. */
async function waitForLate(late: Array<Promise<RefreshResult>>, failure: RefreshResult, ms: number, signal: AbortSignal): Promise<RefreshResult | 'cancelled'> {
	if (ms <= 0) return failure;
	const result = await firstOf(late, ms, () => failure, signal);
	return result ?? 'cancelled';
}

/**
 * A token endpoint that is down (an answer: 429, 5xx; or no connection) is tried again like a
 * request; a refusal is final. A request that may have reached HyperID (no answer in time, a reset
 * connection) is not sent again: the rest of the Retries' time waits for its late answer.
 */
async function refreshWithRetries(ctx: HyperIdContext, options: RefreshOptions, signal: AbortSignal): Promise<RefreshResult | 'cancelled'> {
	const late: Array<Promise<RefreshResult>> = [];
	for (let attempt = 1; ; attempt++) {
		options.onRefreshAttempt();
		const request = refreshOnce(ctx);
		const result = await firstOf([request, ...late], options.timeoutMs, () => timedOut(ctx, options.timeoutMs), signal);
		if (result === undefined) return 'cancelled';
		if (!('failure' in result)) return result;
		if (result.failure.context.code === 'ETIMEDOUT') late.push(successOf(request));
		// a refresh that may have reached HyperID is never re-sent: HyperID ends the sign-in of a refresh token presented again
		if (!result.retry || MAY_HAVE_REACHED.has(String(result.failure.context.code)) || attempt > options.retries) {
			return late.length > 0 ? await waitForLate(late, result, options.timeoutMs * (options.retries + 1 - attempt), signal) : result;
		}
		options.onRetry();
		// an earlier request that succeeds during the backoff is the answer
		const landed = await Promise.race([...late, sleepUnlessCancelled(options.backoff(attempt), signal)]);
		if (landed === false) return 'cancelled';
		if (landed !== true) return landed;
	}
}

function timedOut(ctx: HyperIdContext, timeoutMs: number): RefreshResult {
	return {
		retry: true,
		failure: refreshError(
			ctx,
			'ETIMEDOUT',
			`HyperID's token endpoint did not answer within ${timeoutMs} ms when renewing the sign-in`,
			'The token endpoint accepted the request but did not answer in time; it is not sent again (HyperID would end the sign-in). Raise "Timeout" or "Retries" in the node options (the node waits Timeout × (Retries + 1) for the answer). If HyperID renews the sign-in later, n8n still saves the new token.',
		),
	};
}

/** After a refused refresh: did another execution or process store a newer token meanwhile? */
async function newerTokenStored(ctx: HyperIdContext, replaced: string | undefined, signal: AbortSignal): Promise<string | undefined> {
	for (const delay of REREAD_DELAYS_MS) {
		if (!(await sleepUnlessCancelled(delay, signal))) return undefined;
		const stored = await storedToken(ctx);
		if (stored !== undefined && stored !== replaced) return stored;
	}
	return undefined;
}

async function recoverFrom(ctx: HyperIdContext, replaced: string | undefined, options: RefreshOptions, signal: AbortSignal): Promise<Recovery> {
	const stored = await storedToken(ctx);
	if (stored !== undefined && replaced !== undefined && stored !== replaced) return { how: 'stored', token: stored };
	const before = await beforeSpending(ctx, replaced ?? stored, signal);
	if (before === 'cancelled') return { how: 'cancelled' };
	if (before === 'spent') throw deadCredential(ctx);
	if (before !== 'spend') return { how: 'stored', token: before.stored };
	const result = await refreshWithRetries(ctx, options, signal);
	if (result === 'cancelled') return { how: 'cancelled' };
	if (!('failure' in result)) return { how: 'refreshed', token: result.token };
	if (result.failure instanceof DeadCredential) {
		const newer = await newerTokenStored(ctx, replaced ?? stored, signal);
		if (newer !== undefined) return { how: 'stored', token: newer };
		if (signal.aborted) return { how: 'cancelled' };
	}
	throw result.failure;
}

/** How many requests of this process wait on a shared refresh right now (for tests and diagnostics). */
export function refreshWaiters(): number {
	let waiting = 0;
	for (const flight of flights.values()) waiting += flight.waiting;
	return waiting;
}

/**
 * A request was refused with the access token `replaced` (undefined when unknown): get a token to
 * resend with, sharing the work with every request of this process that was refused with the same
 * token. Gives 'cancelled' as soon as `options.signal` aborts; throws DeadCredential on
 * `invalid_grant`, or a NodeApiError saying what else to fix (client ID and secret, Login URL,
 * network, saving).
 */
export async function recoverToken(ctx: HyperIdContext, replaced: string | undefined, options: RefreshOptions): Promise<Recovery> {
	const key = `${credentialKey(ctx)}\u0000${replaced ?? ''}`;
	let flight = flights.get(key);
	if (!flight) {
		const stop = new AbortController();
		const started: Flight = {
			stop,
			waiting: 0,
			promise: recoverFrom(ctx, replaced, options, stop.signal).finally(() => {
				if (flights.get(key) === started) flights.delete(key);
			}),
		};
		// a flight nobody waits for any more may end unobserved
		started.promise.catch(() => undefined);
		flights.set(key, started);
		flight = started;
	}
	flight.waiting++;
	try {
		return (await unlessCancelled(flight.promise, options.signal))?.value ?? { how: 'cancelled' };
	} finally {
		flight.waiting--;
		if (flight.waiting === 0 && options.signal?.aborted) {
			// the last execution waiting left: stop the refresh's retries and waits, let a new one start
			if (flights.get(key) === flight) flights.delete(key);
			flight.stop.abort();
		}
	}
}
