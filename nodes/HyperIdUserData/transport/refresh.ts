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
 * - after a refused refresh, the stored token is re-read REREAD_DELAYS_MS.length times over at
 *   most REREAD_WAIT_MS: a newer token means another process won the race (resend); a token that
 *   stays the same means the credential is dead (the user must reconnect);
 * - at most one token request per process per expired token (plus bounded retries when the token
 *   endpoint is down); callers resend a request at most a fixed number of times.
 */
import type { ICredentialDataDecryptedObject, IDataObject, IExecuteFunctions, JsonObject } from 'n8n-workflow';
import { NodeApiError, sleep } from 'n8n-workflow';

import type { HyperIdContext } from './connection';
import { accessTokenOf, CREDENTIAL_TYPE } from './connection';

/** Re-reads after a refused refresh, waiting for another process to store its refreshed token. */
export const REREAD_DELAYS_MS = [150, 350, 750, 1250];
export const REREAD_WAIT_MS = REREAD_DELAYS_MS.reduce((sum, delay) => sum + delay, 0);

/** How a request whose token was refused may be resent. */
export interface Recovery {
	/** 'refreshed': this process refreshed; 'stored': another execution or process had already. */
	how: 'refreshed' | 'stored';
	/** The access token to expect on the resend, when known. */
	token?: string;
}

export interface RefreshOptions {
	retries: number;
	/** Backoff before the given retry (1-based). */
	backoff: (attempt: number) => number;
	cancelled: () => boolean;
	/** Counts token requests and their retries. */
	onRefreshAttempt: () => void;
	onRetry: () => void;
}

/** Refreshes in flight in this n8n process, per credential and the token they replace. */
const flights = new Map<string, Promise<Recovery>>();

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

/** The HTTP status of a failed request (axios errors from the token endpoint), if any. */
function httpStatusOf(error: unknown): number | undefined {
	const candidate = error as { status?: unknown; response?: { status?: unknown } } | undefined;
	const status = candidate?.response?.status ?? candidate?.status;
	return typeof status === 'number' ? status : undefined;
}

function isRefusal(error: unknown): boolean {
	const text =
		JSON.stringify((error as { cause?: { body?: unknown } })?.cause?.body ?? '') + String((error as Error)?.message ?? '');
	return /invalid_grant|invalid_client|unauthorized_client|EAUTH|status 40[013]/i.test(text);
}

/** The token endpoint refused the refresh token, and no other execution stored a newer one. */
export class DeadCredential extends NodeApiError {}

function deadCredential(ctx: HyperIdContext): DeadCredential {
	return new DeadCredential(ctx.getNode(), { error: 'refresh_failed' } as JsonObject, {
		message: 'The HyperID sign-in has expired and could not be renewed',
		description:
			'HyperID refused to refresh the access token (the refresh token expired, was revoked or was already used). Open the HyperID credential and click "Reconnect" to sign in again.',
		httpCode: 'invalid_grant',
	});
}

function unavailable(ctx: HyperIdContext, code: string | undefined, status: number | undefined): NodeApiError {
	const reason = code ?? `HTTP ${status}`;
	const message = 'Could not reach HyperID to renew the sign-in';
	const failure = new NodeApiError(ctx.getNode(), { error: reason } as JsonObject, {
		message,
		description: `The token endpoint did not answer (${reason}). Try again later.`,
		httpCode: code ?? String(status),
	});
	// NodeApiError swaps the message for n8n's generic text on Node.js error codes.
	failure.message = message;
	return failure;
}

/** What one token request came to: the new access token, or why there is none. */
type RefreshResult = { token?: string } | { failure: NodeApiError };

/** One token request through n8n (which saves the rotated tokens). */
async function refreshOnce(
	ctx: HyperIdContext,
	networkCode: (error: unknown) => string | undefined,
): Promise<RefreshResult> {
	try {
		const data = (await (ctx as IExecuteFunctions).helpers.refreshOAuth2Token.call(ctx, CREDENTIAL_TYPE)) as
			| IDataObject
			| undefined;
		return { token: typeof data?.access_token === 'string' ? data.access_token : undefined };
	} catch (error) {
		const code = networkCode(error);
		const status = httpStatusOf(error);
		const down = status !== undefined && (status === 429 || status >= 500);
		if (isRefusal(error) || (!code && !down)) return { failure: deadCredential(ctx) };
		return { failure: unavailable(ctx, code, status) };
	}
}

/** A token endpoint that is down is retried like a request; a refusal is final. */
async function refreshWithRetries(
	ctx: HyperIdContext,
	options: RefreshOptions,
	networkCode: (error: unknown) => string | undefined,
): Promise<RefreshResult> {
	for (let attempt = 1; ; attempt++) {
		options.onRefreshAttempt();
		const result = await refreshOnce(ctx, networkCode);
		if (!('failure' in result)) return result;
		if (result.failure instanceof DeadCredential || attempt > options.retries || options.cancelled()) return result;
		options.onRetry();
		await sleep(options.backoff(attempt));
	}
}

/** After a refused refresh: did another execution or process store a newer token meanwhile? */
async function newerTokenStored(ctx: HyperIdContext, replaced: string | undefined): Promise<string | undefined> {
	for (const delay of REREAD_DELAYS_MS) {
		await sleep(delay);
		const stored = await storedToken(ctx);
		if (stored !== undefined && stored !== replaced) return stored;
	}
	return undefined;
}

async function recoverFrom(
	ctx: HyperIdContext,
	replaced: string | undefined,
	options: RefreshOptions,
	networkCode: (error: unknown) => string | undefined,
): Promise<Recovery> {
	const stored = await storedToken(ctx);
	if (stored !== undefined && replaced !== undefined && stored !== replaced) return { how: 'stored', token: stored };
	const result = await refreshWithRetries(ctx, options, networkCode);
	if (!('failure' in result)) return { how: 'refreshed', token: result.token };
	if (result.failure instanceof DeadCredential) {
		const newer = await newerTokenStored(ctx, replaced ?? stored);
		if (newer !== undefined) return { how: 'stored', token: newer };
	}
	throw result.failure;
}

/**
 * A request was refused with the access token `replaced` (undefined when unknown): get a token to
 * resend with, sharing the work with every request of this process that was refused with the same
 * token. Throws DeadCredential, or a NodeApiError when the token endpoint stays unreachable.
 */
export async function recoverToken(
	ctx: HyperIdContext,
	replaced: string | undefined,
	options: RefreshOptions,
	networkCode: (error: unknown) => string | undefined,
): Promise<Recovery> {
	const key = `${credentialKey(ctx)}\u0000${replaced ?? ''}`;
	let flight = flights.get(key);
	if (!flight) {
		flight = recoverFrom(ctx, replaced, options, networkCode).finally(() => flights.delete(key));
		flights.set(key, flight);
	}
	return await flight;
}
