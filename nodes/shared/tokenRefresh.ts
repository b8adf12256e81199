/**
 * THE refresh of a user's tokens by the service's own client (HyperID Client credential), for User
 * Data's "Each User's Tokens" and the Sign-In node's Refresh. HyperID is Keycloak: refresh tokens
 * rotate, and a spent refresh token presented again ends the user's session.
 *
 * Bounds:
 * - one token request per refresh token in this n8n process: a single flight keyed by a SHA-256
 *   of the token (never the token) and of the login host it goes to, so a credential aimed at
 *   another host (a custom Login URL) never meets, nor is handed, what HyperID's own answer brought. The request carries no caller's cancel signal and waits at most
 *   max(the caller's Timeout, FLIGHT_TIMEOUT_MS): a caller that is cancelled or runs out of time
 *   stops waiting; the answer still lands and is kept for whoever comes next;
 * - a refresh token whose request may have reached HyperID is never sent again by this process
 *   (its hash is kept SPENT_MS); only a request HyperID refused without spending the token (no
 *   connection, HTTP 429/5xx) is retried, at most `retries` times;
 * - a renewed pair is remembered REMEMBER_MS (at most MEMORY_MAX entries) and leaves the memory only
 *   for a caller of the same client ID, holding a token of the same subject, whose client
 *   authentication HyperID accepts for this hand-out: the new refresh token is introspected with
 *   the caller's credential (spends nothing, proves the secret, shows the pair is still active).
 *   Anyone else, and everyone once the pair is spent or revoked, gets `renewedElsewhere`, never
 *   `ended`. REMEMBER_MS is the longest of the cases that need the pair: executions arriving while
 *   the answer is on its way or just after it (seconds), a caller that stopped waiting (Timeout,
 *   cancel) or a run that stopped at a failure after a renewal, run again by Retry On Fail (n8n
 *   waits at most 5 x 5 s) or by hand (minutes);
 * - the new access token must have the subject of the caller's token, or the refresh fails
 *   (`subjectChanged`) and the caller gets no token.
 */
import { createHash } from 'node:crypto';

import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { subjectOf } from './claims';
import type { TokenSet } from './hyperIdClient';
import { callClientEndpoint, loginHostOf, requestTokens, TokenEndpointError } from './hyperIdClient';
import { sleepUnlessCancelled, unlessCancelled } from './network';

export const REMEMBER_MS = 5 * 60_000;
const SPENT_MS = 24 * 60 * 60_000;
const MEMORY_MAX = 50_000;
/** The shortest wait of a token request no caller can abort. */
const FLIGHT_TIMEOUT_MS = 60_000;

/** Why a caller got no tokens. */
export type RefreshFailure =
	/** HyperID refused the refresh token (invalid_grant): the user must sign in again. */
	| 'ended'
	/** This process spent the token; its new pair is not for this caller, or no longer active. */
	| 'renewedElsewhere'
	/** The renewed access token is another user's. */
	| 'subjectChanged'
	/** The request may have reached HyperID and no answer came: the token is not sent again. */
	| 'noAnswer'
	/** The caller stopped waiting (its Timeout) while the answer is still on its way; it will be kept. */
	| 'answerPending'
	/** HyperID could not be asked (tokens unchanged). */
	| 'unavailable'
	/** HyperID refused the client's authentication (tokens unchanged). */
	| 'clientRefused'
	/** The caller's execution was cancelled. */
	| 'cancelled';

export type RefreshResult = { tokens: TokenSet; fromMemory: boolean } | { failure: RefreshFailure; error?: TokenEndpointError };

export interface RefreshCaller {
	ctx: IExecuteFunctions;
	itemIndex: number;
	/** The client ID of the caller's HyperID Client credential. */
	clientId: string;
	/** Whom the caller's tokens belong to (the subject of its access token, else of its refresh token). */
	subject: string | undefined;
	timeoutMs: number;
	retries: number;
	backoff: (attempt: number) => number;
	/** Counts token requests sent. */
	onAttempt?: () => void;
}

type Landed =
	| { renewed: TokenSet; clientId: string; subject: string | undefined; pairUntil: number }
	/** Renewed here, its pair no longer kept. */
	| { spent: true }
	| { ended: true }
	| { noAnswer: TokenEndpointError }
	/** HyperID refused without spending the token: forgotten at once, so the next caller may try. */
	| { notSpent: TokenEndpointError };

interface Entry {
	flight?: Promise<Landed>;
	landed?: Landed;
	until: number;
	waiting: number;
}

/** Refreshes of this process, in flight or landed, by hash of the refresh token they spent. */
const entries = new Map<string, Entry>();

/** The memory's key: the refresh token at the login host the caller's credential sends it to. */
async function keyOf(ctx: IExecuteFunctions, itemIndex: number, refreshToken: string): Promise<string> {
	const host = await loginHostOf(ctx, itemIndex);
	return createHash('sha256').update(`${host}\n${refreshToken}`).digest('base64url');
}

let lastSweep = 0;

/** Drops what has run out: whole entries after SPENT_MS, pairs after REMEMBER_MS, the oldest over MEMORY_MAX. */
function sweep(now: number): void {
	// a walk over the whole memory at most once a second
	if (now - lastSweep < 1000 && entries.size <= MEMORY_MAX) return;
	lastSweep = now;
	for (const [key, entry] of entries) {
		if (entry.flight) continue;
		if (entry.until <= now || entries.size > MEMORY_MAX) entries.delete(key);
		else if (entry.landed && 'renewed' in entry.landed && entry.landed.pairUntil <= now) entry.landed = { spent: true };
	}
}

/** How many callers wait on a refresh in flight right now (for tests and diagnostics). */
export function refreshesWaited(): number {
	let waiting = 0;
	for (const entry of entries.values()) if (entry.flight) waiting += entry.waiting;
	return waiting;
}

/** Whether this process has sent (or is sending) this refresh token to the caller's HyperID: it must not be sent again. */
export async function isSpentHere(ctx: IExecuteFunctions, itemIndex: number, refreshToken: string): Promise<boolean> {
	let key: string;
	try {
		key = await keyOf(ctx, itemIndex, refreshToken);
	} catch {
		return false;
	}
	const entry = entries.get(key);
	return entry !== undefined && (entry.flight !== undefined || entry.until > Date.now());
}

/** A token request that may have reached HyperID although no answer came. */
function mayHaveSpent(error: TokenEndpointError): boolean {
	if (error.kind === 'timeout') return true;
	if (error.kind === 'network') return error.mayHaveArrived === true;
	// HTTP 2xx without an access token: HyperID spent the token
	return error.kind === 'server' && (error.httpStatus === undefined || error.httpStatus < 300);
}

async function fly(caller: RefreshCaller, refreshToken: string): Promise<Landed> {
	// nobody's cancel signal: the answer must land even if every caller stops waiting
	const detached = Object.create(caller.ctx, { getExecutionCancelSignal: { value: () => undefined } }) as IExecuteFunctions;
	const timeoutMs = Math.max(caller.timeoutMs, FLIGHT_TIMEOUT_MS);
	for (let attempt = 1; ; attempt++) {
		caller.onAttempt?.();
		try {
			const tokens = await requestTokens(
				detached,
				{ grant_type: 'refresh_token', refresh_token: refreshToken },
				{ itemIndex: caller.itemIndex, timeoutMs },
			);
			// HyperID always rotates; a server that does not keeps the refresh token it was given
			const renewed = { ...tokens, refreshToken: tokens.refreshToken ?? refreshToken };
			return { renewed, clientId: caller.clientId, subject: subjectOf(renewed.accessToken), pairUntil: Date.now() + REMEMBER_MS };
		} catch (caught) {
			const error = caught instanceof TokenEndpointError ? caught : new TokenEndpointError(String(caught), 'timeout');
			if (error.kind === 'invalid_grant') return { ended: true };
			if (mayHaveSpent(error)) return { noAnswer: error };
			const retryable = error.kind === 'network' || error.kind === 'server';
			if (!retryable || attempt > caller.retries) return { notSpent: error };
			await sleepUnlessCancelled(caller.backoff(attempt));
		}
	}
}

function start(caller: RefreshCaller, refreshToken: string, key: string): Entry {
	const entry: Entry = { until: Number.POSITIVE_INFINITY, waiting: 0 };
	entry.flight = fly(caller, refreshToken).then((landed) => {
		entry.flight = undefined;
		entry.landed = landed;
		if ('notSpent' in landed) {
			if (entries.get(key) === entry) entries.delete(key);
		} else {
			entry.until = Date.now() + SPENT_MS;
		}
		return landed;
	});
	entries.set(key, entry);
	sweep(Date.now());
	return entry;
}

/** The landed outcome, or why the caller stopped waiting. */
async function waitFor(entry: Entry, caller: RefreshCaller): Promise<Landed | 'cancelled' | 'answerPending'> {
	if (entry.landed) return entry.landed;
	const cancel = caller.ctx.getExecutionCancelSignal?.();
	const done = new AbortController();
	const waited = caller.timeoutMs * (caller.retries + 1);
	entry.waiting++;
	try {
		const timer = sleepUnlessCancelled(waited, cancel ? AbortSignal.any([cancel, done.signal]) : done.signal).then(() => 'answerPending' as const);
		const result = await unlessCancelled(Promise.race([entry.flight as Promise<Landed>, timer]), cancel);
		return result === undefined ? 'cancelled' : result.value;
	} finally {
		entry.waiting--;
		done.abort();
	}
}

function failureOf(error: TokenEndpointError): RefreshResult {
	const refused = error.kind === 'invalid_client' || error.kind === 'unauthorized_client' || error.kind === 'invalid_request' || error.kind === 'not_found';
	return { failure: refused ? 'clientRefused' : 'unavailable', error };
}

/**
 * A pair this process renewed for someone else's request, to `caller` only if HyperID still
 * serves it with the caller's own client authentication (see the top).
 */
async function handOut(caller: RefreshCaller, landed: Extract<Landed, { renewed: TokenSet }>): Promise<RefreshResult> {
	if (caller.clientId === '' || caller.clientId !== landed.clientId) return { failure: 'renewedElsewhere' };
	if (caller.subject === undefined || caller.subject !== landed.subject) return { failure: 'renewedElsewhere' };
	const token = landed.renewed.refreshToken as string;
	let answer: IDataObject;
	try {
		const { body } = await callClientEndpoint(
			caller.ctx,
			'introspection',
			{ token, token_type_hint: 'refresh_token' },
			{ itemIndex: caller.itemIndex, timeoutMs: caller.timeoutMs },
		);
		answer = body !== null && typeof body === 'object' ? (body as IDataObject) : {};
	} catch (caught) {
		return failureOf(caught instanceof TokenEndpointError ? caught : new TokenEndpointError(String(caught), 'network'));
	}
	const issuedTo = answer.client_id ?? answer.azp;
	if (answer.active !== true) {
		// spent or revoked since: never handed out again
		for (const entry of entries.values()) if (entry.landed === landed) entry.landed = { spent: true };
		return { failure: 'renewedElsewhere' };
	}
	if (issuedTo !== caller.clientId || (answer.sub !== undefined && answer.sub !== caller.subject)) return { failure: 'renewedElsewhere' };
	return { tokens: landed.renewed, fromMemory: true };
}

/**
 * Renews a user's tokens with `refreshToken`, sharing one token request with every caller of this
 * process that holds the same token; the rules of the top say who gets the new pair.
 */
export async function refreshUserTokens(caller: RefreshCaller, refreshToken: string): Promise<RefreshResult> {
	let key: string;
	try {
		key = await keyOf(caller.ctx, caller.itemIndex, refreshToken);
	} catch (caught) {
		return failureOf(caught instanceof TokenEndpointError ? caught : new TokenEndpointError(String(caught), 'invalid_client'));
	}
	// a cancelled execution starts nothing: a token request, once sent, cannot be taken back
	if (caller.ctx.getExecutionCancelSignal?.()?.aborted) return { failure: 'cancelled' };
	const now = Date.now();
	let entry = entries.get(key);
	if (entry && !entry.flight && entry.until <= now) {
		entries.delete(key);
		entry = undefined;
	}
	const own = entry === undefined;
	entry ??= start(caller, refreshToken, key);
	const landed = await waitFor(entry, caller);
	if (landed === 'cancelled' || landed === 'answerPending') return { failure: landed };
	if ('notSpent' in landed) return failureOf(landed.notSpent);
	if ('ended' in landed) return { failure: 'ended' };
	if ('noAnswer' in landed) return { failure: 'noAnswer', error: landed.noAnswer };
	if ('spent' in landed) return { failure: 'renewedElsewhere' };
	if (landed.pairUntil <= Date.now()) return { failure: 'renewedElsewhere' };
	if (!own) return await handOut(caller, landed);
	if (caller.subject !== undefined && landed.subject !== caller.subject) return { failure: 'subjectChanged' };
	return { tokens: landed.renewed, fromMemory: false };
}
