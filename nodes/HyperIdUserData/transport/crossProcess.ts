/**
 * Before this process spends the Connected Account's refresh token: keep two n8n processes (queue-mode
 * workers) from spending the same one. HyperID (Keycloak) answers a spent refresh token presented
 * again by ending the session, so the second spend signs the credential out for every process.
 *
 * n8n 2.30.0 and later refresh under a cross-process lease in core (n8n-core `refreshOrFetchToken`,
 * `LockService.withLease`) and re-read the stored credential inside it: there nothing is done here.
 * Before 2.30 a node has no shared lock to take, only reads, so this narrows the window and cannot
 * close it (docs/queue-mode.md has the measured rates):
 * 1. wait a moment chosen by the execution's id (n8n numbers executions in order across every process):
 *    executions started close together get different slots SLOT_MS apart, so two workers that met
 *    the expiry together act apart (a random slot when the id is not a number);
 * 2. re-read the stored credential: a newer access token means another process already renewed it;
 * 3. ask HyperID whether the stored refresh token is still active (introspection spends nothing): if
 *    it is not, another process has spent it, so wait (up to WAIT_FOR_SAVE_MS) for that process to
 *    store the renewed pair instead of presenting the spent token.
 */
import type { ICredentialDataDecryptedObject, IDataObject, IHttpRequestOptions } from 'n8n-workflow';

import { ENDPOINT_PATHS } from '../../shared/hyperIdClient';
import type { HyperIdContext } from '../../shared/environment';
import { accessTokenOf, connectionFromCredentials, CREDENTIAL_TYPE } from './connection';
import { sleepUnlessCancelled } from '../../shared/network';

/** Slots an execution can wait before spending, SLOT_MS apart: longer than a refresh takes to reach HyperID, so the later slot sees it spent. */
export const SLOTS = 8;
export const SLOT_MS = 800;
/** How long to wait for the process that spent the refresh token to store the renewed pair. */
export const WAIT_FOR_SAVE_MS = 5000;
const POLL_MS = 250;
const INTROSPECTION_TIMEOUT_MS = 10_000;

/** The wait before spending (false: cancelled); replaceable so tests order two "processes" by conditions, not timing. */
export const spreading = {
	wait: async (signal: AbortSignal, executionId?: string): Promise<boolean> => await sleepUnlessCancelled(slotOf(executionId) * SLOT_MS, signal),
};

/** Consecutive execution ids get consecutive slots; two workers' executions collide only when their ids differ by a multiple of SLOTS. */
export function slotOf(executionId: string | undefined): number {
	return executionId !== undefined && /^\d{1,15}$/.test(executionId) ? Number(executionId) % SLOTS : Math.floor(Math.random() * SLOTS);
}

/**
 * n8n 2.30.0 added `getSecureEgressFilter` to the request helpers in the same release as the refresh
 * lease (n8n-core 2.27.3: neither; 2.30.0 and 2.41.1: both; 1.122.x under n8n 1.123: neither).
 */
export function coreCoordinatesRefreshes(ctx: HyperIdContext): boolean {
	return typeof (ctx.helpers as unknown as Record<string, unknown>).getSecureEgressFilter === 'function';
}

/** 'spend': go ahead and refresh; stored: another process renewed it; 'spent': the refresh token was spent and nothing renewed was stored. */
export type BeforeSpending = 'spend' | 'spent' | 'cancelled' | { stored: string };

interface StoredCredential {
	accessToken?: string;
	refreshToken?: string;
	introspection?: IHttpRequestOptions;
}

async function readStored(ctx: HyperIdContext): Promise<StoredCredential> {
	try {
		const credentials = await ctx.getCredentials<ICredentialDataDecryptedObject>(CREDENTIAL_TYPE);
		const refreshToken = (credentials.oauthTokenData as IDataObject | undefined)?.refresh_token;
		if (typeof refreshToken !== 'string' || refreshToken === '') return { accessToken: accessTokenOf(credentials) };
		const clientId = String(credentials.clientId ?? '');
		const clientSecret = String(credentials.clientSecret ?? '');
		// client_secret_post: Keycloak takes it from every confidential client, whatever the credential's token request uses
		const form = { token: refreshToken, token_type_hint: 'refresh_token', client_id: clientId, client_secret: clientSecret };
		return {
			accessToken: accessTokenOf(credentials),
			refreshToken,
			introspection: {
				method: 'POST',
				url: `${connectionFromCredentials(ctx, credentials).loginHost}${ENDPOINT_PATHS.introspection}`,
				headers: { 'content-type': 'application/x-www-form-urlencoded' },
				body: new URLSearchParams(form).toString(),
				json: true,
				timeout: INTROSPECTION_TIMEOUT_MS,
				// the body carries the client secret: a redirect is never followed
				disableFollowRedirect: true,
			},
		};
	} catch {
		return {};
	}
}

/** true / false: HyperID's answer; undefined: no answer to trust (then the refresh goes ahead, as without this check). */
async function stillActive(ctx: HyperIdContext, request: IHttpRequestOptions, signal: AbortSignal): Promise<boolean | undefined> {
	try {
		const answer = (await ctx.helpers.httpRequest({ ...request, abortSignal: signal })) as IDataObject | undefined;
		return typeof answer?.active === 'boolean' ? answer.active : undefined;
	} catch {
		return undefined;
	}
}

/**
 * Call just before spending the refresh token behind access token `replaced`. Never throws; ends
 * 'cancelled' as soon as `signal` aborts.
 */
export async function beforeSpending(ctx: HyperIdContext, replaced: string | undefined, signal: AbortSignal): Promise<BeforeSpending> {
	if (coreCoordinatesRefreshes(ctx)) return 'spend';
	const executionId = (ctx as { getExecutionId?: () => string | undefined }).getExecutionId?.();
	if (!(await spreading.wait(signal, typeof executionId === 'string' ? executionId : undefined))) return 'cancelled';
	const stored = await readStored(ctx);
	if (stored.accessToken !== undefined && replaced !== undefined && stored.accessToken !== replaced) return { stored: stored.accessToken };
	if (!stored.introspection) return 'spend';
	const active = await stillActive(ctx, stored.introspection, signal);
	if (signal.aborted) return 'cancelled';
	if (active !== false) return 'spend';
	for (let waited = 0; waited < WAIT_FOR_SAVE_MS; waited += POLL_MS) {
		if (!(await sleepUnlessCancelled(POLL_MS, signal))) return 'cancelled';
		const now = await readStored(ctx);
		if (now.refreshToken !== stored.refreshToken && now.accessToken !== undefined) return { stored: now.accessToken };
	}
	return 'spent';
}
