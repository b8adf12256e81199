/**
 * Authentication "User's Tokens": each item acts for its own user, with the access token (and
 * optional refresh token) the workflow maps into the node, e.g. from the service's token table.
 * HyperID refresh tokens rotate: a refresh spends the one it used, so a refresh whose new pair
 * does not reach the workflow locks the user out.
 *
 * Bounds:
 * - a user's refresh goes through nodes/shared/tokenRefresh.ts: one token request per refresh token
 *   in this n8n process, never sent twice, and a pair renewed for another execution handed out
 *   only under its rules (same client, proven by HyperID now, same subject);
 * - at most MAX_REFRESHES_PER_USER refreshes per user per execution, and a token that a live
 *   refresh has just issued and HyperID refuses again fails that user's items (no loop);
 * - a token endpoint that refused without spending the token is retried `retries` times;
 * - when the run stops at a failure ("Stop Workflow"), no refresh token is spent before every
 *   item has had its first answer: items refused for their token wait (deferred); if any item
 *   failed, the run stops with no token renewed; else each waiting user's refresh token is checked
 *   at the introspection endpoint (which spends nothing; one this process has already sent counts
 *   as active, its outcome is kept) and, only if every one is still active, all are refreshed and the waiting items resent. A failure after that (a race, a resend refused
 *   for another reason) carries the renewed pairs on the thrown error.
 */
import { createHash } from 'node:crypto';

import type {
	ICredentialDataDecryptedObject,
	IDataObject,
	IExecuteFunctions,
	IHttpRequestOptions,
	IN8nHttpFullResponse,
	INodeExecutionData,
	JsonObject,
} from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import { isErrorOutputItem, SIGN_IN_ENDED } from '../../shared/failedItem';
import { withoutItem } from '../../shared/itemIndex';
import { tokenKindMistake, type TokenField } from '../../shared/tokenKind';
import { claimsOf, subjectOf } from '../../shared/claims';
import type { TokenSet } from '../../shared/hyperIdClient';
import { callClientEndpoint, CLIENT_CREDENTIAL_TYPE } from '../../shared/hyperIdClient';
import type { RefreshFailure } from '../../shared/tokenRefresh';
import { isSpentHere, refreshUserTokens, REMEMBER_MS } from '../../shared/tokenRefresh';
import type { HyperIdContext } from '../../shared/environment';
import type { Connection } from './connection';
import { connectionFromCredentials } from './connection';
import { refreshAsToolRefusal } from './asTool';
import type { Refusal, TokenSigner } from './signer';
import { MAX_TOKEN_RECOVERIES } from './signer';

export const AUTHENTICATION = { connectedAccount: 'connectedAccount', userTokens: 'userTokens' } as const;
export const DEFAULT_TOKENS_FIELD = 'hyperidTokens';

const MAX_REFRESHES_PER_USER = 2;
/** Token-endpoint calls in flight at once while renewing deferred users. */
const RENEWALS_IN_FLIGHT = 16;

/** An item refused for its token while refreshes wait for the whole run's first answers. */
export function isDeferred(error: unknown): boolean {
	return (error as NodeOperationError | undefined)?.context?.renewalDeferred === true;
}

/** What `errorCode` of a failed item says (json.errorCode, or json.error.errorCode on the error output of node version 1.2), to branch on. */
export type UserTokenErrorCode =
	| typeof SIGN_IN_ENDED
	| 'TOKEN_MISSING'
	| 'TOKEN_MALFORMED'
	| 'REFRESH_AS_AI_TOOL'
	| 'CLIENT_CREDENTIAL_MISSING'
	| 'TOKEN_OTHER_CLIENT'
	| 'TOKEN_EXPIRED'
	| 'TOKEN_INVALID'
	| 'TOKEN_REJECTED_AFTER_REFRESH'
	| 'CLIENT_REFUSED'
	| 'REFRESH_UNAVAILABLE'
	| 'TOKENS_RENEWED_ELSEWHERE'
	| 'TOKEN_SUBJECT_CHANGED';

/** RFC 6750 b64token: what an access or refresh token may contain. */
const TOKEN_SYNTAX = /^[A-Za-z0-9\-._~+/]+=*$/;

const hashOf = (token: string) => createHash('sha256').update(token).digest('base64url');

/** The HyperID Client credential as this mode needs it, when the node has one. */
export interface ClientInfo {
	clientId: string;
	data: ICredentialDataDecryptedObject;
}

/** Where HyperID lives in this mode: the client credential's environment, else production. */
export function userTokensConnection(ctx: HyperIdContext, client: ClientInfo | undefined): Connection {
	return connectionFromCredentials(ctx, client?.data ?? { environment: 'production' });
}

export async function readClient(ctx: HyperIdContext): Promise<ClientInfo | undefined> {
	if (!ctx.getNode().credentials?.[CLIENT_CREDENTIAL_TYPE]) return undefined;
	const data = await ctx.getCredentials(CLIENT_CREDENTIAL_TYPE);
	return { clientId: String(data.clientId ?? '').trim(), data };
}

/** An item's failure with its code in `json.errorCode` (Continue on Fail and the error output). */
function tokenError(
	ctx: HyperIdContext,
	itemIndex: number,
	errorCode: UserTokenErrorCode,
	message: string,
	description: string,
	/** The OAuth error or fault behind it (`context.code`): the failure is a NodeApiError. */
	api?: { code: string },
): NodeApiError | NodeOperationError {
	const text = `${message} (item ${itemIndex})`;
	const error = api
		? new NodeApiError(ctx.getNode(), { error: errorCode } as JsonObject, { message: text, description, itemIndex })
		: new NodeOperationError(ctx.getNode(), text, { description, itemIndex });
	// NodeApiError may put n8n's generic text in place of the message
	error.message = text;
	error.context = { ...error.context, itemIndex, errorCode, errorDetails: { errorCode }, ...(api ? { code: api.code } : {}) };
	return error;
}

/** The same failure for another item of the same user. */
function copyFor(ctx: HyperIdContext, template: NodeApiError | NodeOperationError, itemIndex: number) {
	const code = template.context.errorCode as UserTokenErrorCode;
	const message = withoutItem(template.message);
	return tokenError(ctx, itemIndex, code, message, template.description ?? '', template instanceof NodeApiError ? { code: String(template.context.code ?? code) } : undefined);
}

interface UserState {
	accessToken: string;
	refreshToken?: string;
	/** The newest pair from a refresh, for the user's output items. */
	refreshed?: TokenSet;
	/** Whether `accessToken` came from a refresh made now (not one remembered from earlier). */
	fresh: boolean;
	refreshes: number;
	pending?: Promise<void>;
	failure?: { error: NodeApiError | NodeOperationError; itemIndex: number };
	items: number[];
	/** Items whose requests share a batch or a write order: the same token pair. */
	key: string;
	/** Who the data belongs to: the token's subject when readable. */
	subject: string;
	/** Refused in the first pass of a run that stops at failures: renew before resending. */
	deferred?: boolean;
}

export interface UserTokensOptions {
	retries: number;
	backoff: (attempt: number) => number;
	timeoutMs: number;
	onRefreshAttempt: () => void;
}

/** One execution's users: their tokens per item, refreshed at most once each, and what to output. */
export class UserTokens implements TokenSigner {
	private readonly users = new Map<string, UserState>();

	private readonly userOfItem: Array<UserState | undefined> = [];

	/** While true, a refusal defers the item instead of spending its refresh token (see the top). */
	private deferring: boolean;

	constructor(
		private readonly ctx: IExecuteFunctions,
		private readonly client: ClientInfo | undefined,
		readonly outputField: string,
		private readonly options: UserTokensOptions,
		stopsAtFailure: boolean,
	) {
		this.deferring = stopsAtFailure;
	}

	/** Reads and checks an item's tokens before anything is sent; throws the item's error. */
	check(itemIndex: number): void {
		const accessToken = this.readToken(itemIndex, 'accessToken', 'Access Token', true) as string;
		const refreshToken = this.readToken(itemIndex, 'refreshToken', 'Refresh Token', false);
		const asTool = refreshToken === undefined ? undefined : refreshAsToolRefusal(this.ctx);
		if (asTool) throw tokenError(this.ctx, itemIndex, 'REFRESH_AS_AI_TOOL', asTool.message, asTool.description);
		if (refreshToken !== undefined && !this.client) {
			throw tokenError(
				this.ctx,
				itemIndex,
				'CLIENT_CREDENTIAL_MISSING',
				'A refresh token needs the HyperID Client credential',
				"HyperID renews a user's tokens only for the client application they were issued to, authenticated with its secret or key. Select a HyperID Client credential on the node, or leave Refresh Token empty.",
			);
		}
		const access = claimsOf(accessToken);
		if (this.client?.clientId) {
			for (const [token, label] of [
				[access, 'access token'],
				[claimsOf(refreshToken), 'refresh token'],
			] as const) {
				const azp = token?.azp;
				if (typeof azp === 'string' && azp !== this.client.clientId) {
					throw tokenError(
						this.ctx,
						itemIndex,
						'TOKEN_OTHER_CLIENT',
						`This ${label} was issued to another client application ("${azp}")`,
						`The HyperID Client credential is for client "${this.client.clientId}". A user's data and tokens belong to the client that signed them in: select that client's credential, or map this client's tokens.`,
					);
				}
			}
		}
		const key = `${hashOf(accessToken)} ${refreshToken === undefined ? '' : hashOf(refreshToken)}`;
		let user = this.users.get(key);
		if (!user) {
			const subject = typeof access?.sub === 'string' ? `sub:${access.sub}` : `token:${key}`;
			user = { accessToken, refreshToken, fresh: false, refreshes: 0, items: [], key, subject };
			this.users.set(key, user);
		}
		user.items.push(itemIndex);
		this.userOfItem[itemIndex] = user;
	}

	private readToken(itemIndex: number, name: string, label: string, required: boolean): string | undefined {
		const raw = this.ctx.getNodeParameter(name, itemIndex, '') as unknown;
		if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) {
			if (!required) return undefined;
			throw tokenError(
				this.ctx,
				itemIndex,
				'TOKEN_MISSING',
				`No ${label} for this item`,
				`Map the user's ${label.toLowerCase()} into ${label}, e.g. {{ $json.accessToken }}, from where your service stores it. Nothing was sent for this item.`,
			);
		}
		const fix = `${label} must be the token exactly as HyperID issued it (letters, digits and - . _ ~ + / =). Nothing was sent for this item.`;
		if (typeof raw !== 'string') {
			throw tokenError(this.ctx, itemIndex, 'TOKEN_MALFORMED', `${label} is not text but ${Array.isArray(raw) ? 'a list' : `a ${typeof raw}`}`, fix);
		}
		const token = raw.trim();
		if (/^bearer\s/i.test(token)) {
			throw tokenError(this.ctx, itemIndex, 'TOKEN_MALFORMED', `${label} starts with "Bearer "`, `Map the token alone: the node adds "Bearer " itself. ${fix}`);
		}
		if (!TOKEN_SYNTAX.test(token)) throw tokenError(this.ctx, itemIndex, 'TOKEN_MALFORMED', `${label} is not a token`, fix);
		const mistake = tokenKindMistake(token, name as TokenField);
		if (mistake) throw tokenError(this.ctx, itemIndex, 'TOKEN_MALFORMED', mistake.message, mistake.description);
		return token;
	}

	private userOf(itemIndex: number): UserState {
		const user = this.userOfItem[itemIndex];
		if (!user) throw new NodeOperationError(this.ctx.getNode(), `No tokens were read for item ${itemIndex}`, { itemIndex });
		return user;
	}

	/** The token to send an item's request with: the newest this execution has for its user. */
	tokenFor(itemIndex: number): string {
		return this.userOf(itemIndex).accessToken;
	}

	/** Items with the same key share a combined read. */
	batchKey(itemIndex: number): string {
		return this.userOf(itemIndex).key;
	}

	/** Whose stored data an item changes (writes to one user's value are ordered; other users' are not). */
	subjectOf(itemIndex: number): string {
		return this.userOf(itemIndex).subject;
	}

	checkUsable(): void {
		// a user's failure is that user's: the run goes on for the others
	}

	/** One request signed with the item's user's access token (a parameter, not a stored credential). */
	async send(request: IHttpRequestOptions, itemIndex: number, sent: { token?: string }): Promise<IN8nHttpFullResponse> {
		const accessToken = this.tokenFor(itemIndex);
		sent.token = accessToken;
		return (await this.ctx.helpers.httpRequest({
			...request,
			headers: { ...request.headers, Authorization: `Bearer ${accessToken}` },
			// n8n-core adds the execution's cancel signal only to requests it authenticates itself
			abortSignal: this.ctx.getExecutionCancelSignal?.(),
		})) as IN8nHttpFullResponse;
	}

	accepted(): void {
		// the newest token of each user is already known: the one this execution sent
	}

	/**
	 * HyperID refused `usedToken` for an item: resolves once a newer token is there to resend with,
	 * or throws the item's error (no refresh token, sign-in ended, refused again after a refresh).
	 */
	async afterRefusal({ itemIndex, usedToken, expired, recoveries, refusedError }: Refusal): Promise<void> {
		if (recoveries >= MAX_TOKEN_RECOVERIES) throw refusedError();
		const user = this.userOf(itemIndex);
		if (user.failure) throw copyFor(this.ctx, user.failure.error, itemIndex);
		if (usedToken !== undefined && usedToken !== user.accessToken) return;
		if (!user.pending) {
			if (user.refreshToken === undefined) {
				throw tokenError(
					this.ctx,
					itemIndex,
					expired ? 'TOKEN_EXPIRED' : 'TOKEN_INVALID',
					`HyperID refused this user's access token (${expired ? 'expired' : 'invalid'}) and no refresh token is mapped`,
					"Map the user's refresh token into Refresh Token (with a HyperID Client credential) so the node renews it, or sign the user in again.",
				);
			}
			if (this.deferring) {
				user.deferred = true;
				const waiting = new NodeOperationError(this.ctx.getNode(), `Item ${itemIndex} waits for its user's tokens to be renewed`, { itemIndex });
				waiting.context.renewalDeferred = true;
				throw waiting;
			}
			if (user.fresh || user.refreshes >= MAX_REFRESHES_PER_USER) {
				const error = tokenError(
					this.ctx,
					itemIndex,
					'TOKEN_REJECTED_AFTER_REFRESH',
					"HyperID refused this user's access token even after renewing it",
					'The renewed token was refused too: the user may have withdrawn consent or lost a scope (user-data-get, user-data-set, email). Sign the user in again.',
				);
				user.failure = { error, itemIndex };
				throw error;
			}
			user.pending = this.renew(user, itemIndex).finally(() => (user.pending = undefined));
		}
		await user.pending;
		// set by renew() meanwhile
		const failure = user.failure as UserState['failure'];
		if (failure) throw copyFor(this.ctx, failure.error, itemIndex);
	}

	/**
	 * The first pass is over with no failure: renew every deferred user, unless one of their refresh
	 * tokens is no longer active (then those users fail and nobody's token is spent). Afterwards
	 * refusals renew at once. Resolves when the deferred items can be resent.
	 */
	async renewDeferred(): Promise<void> {
		this.deferring = false;
		const waiting = [...this.users.values()].filter((user) => user.deferred && !user.failure);
		const ended: UserState[] = [];
		await this.bounded(waiting, async (user) => {
			if (!(await this.stillActive(user))) ended.push(user);
		});
		for (const user of ended) user.failure = { itemIndex: user.items[0], error: this.signInEnded(user.items[0]) };
		if (ended.length) return;
		await this.bounded(waiting, async (user) => {
			// a cancelled run spends no more refresh tokens
			if (!this.ctx.getExecutionCancelSignal?.()?.aborted) await this.renew(user, user.items[0]);
		});
	}

	/** Items of users whose renewal failed: their errors, in item order. */
	failuresOfDeferred(): Array<{ itemIndex: number; error: Error }> {
		const failures: Array<{ itemIndex: number; error: Error }> = [];
		for (const user of this.users.values()) {
			if (!user.deferred || !user.failure) continue;
			for (const itemIndex of user.items) failures.push({ itemIndex, error: copyFor(this.ctx, user.failure.error, itemIndex) });
		}
		return failures.sort((a, b) => a.itemIndex - b.itemIndex);
	}

	private async bounded(users: UserState[], work: (user: UserState) => Promise<void>): Promise<void> {
		let next = 0;
		const worker = async () => {
			while (next < users.length) await work(users[next++]);
		};
		await Promise.all(Array.from({ length: Math.min(RENEWALS_IN_FLIGHT, users.length) }, worker));
	}

	/**
	 * Whether HyperID still accepts the user's refresh token; spends nothing. Unknown (no answer)
	 * counts as active, and so does a token this process has sent: its outcome is kept here.
	 */
	private async stillActive(user: UserState): Promise<boolean> {
		const refreshToken = user.refreshToken as string;
		if (await isSpentHere(this.ctx, user.items[0], refreshToken)) return true;
		try {
			const { body } = await callClientEndpoint(
				this.ctx,
				'introspection',
				{ token: refreshToken, token_type_hint: 'refresh_token' },
				{ itemIndex: user.items[0], timeoutMs: this.options.timeoutMs },
			);
			// sent meanwhile by another execution of this process: its outcome is kept
			return (body as IDataObject | undefined)?.active !== false || (await isSpentHere(this.ctx, user.items[0], refreshToken));
		} catch {
			// the refresh itself will tell (and spends nothing when it fails)
			return true;
		}
	}

	private signInEnded(itemIndex: number) {
		return tokenError(
			this.ctx,
			itemIndex,
			SIGN_IN_ENDED,
			"This user's HyperID sign-in has ended; they must sign in again",
			'HyperID refused to renew their tokens (invalid_grant): the user withdrew consent or signed out, or the refresh token expired or was already used. Send the user through your sign-in again and store the new tokens; branch on its errorCode "SIGN_IN_ENDED".',
			{ code: 'invalid_grant' },
		);
	}

	private async renew(user: UserState, itemIndex: number): Promise<void> {
		user.refreshes++;
		const refreshToken = user.refreshToken as string;
		const result = await refreshUserTokens(
			{
				ctx: this.ctx,
				itemIndex,
				clientId: this.client?.clientId ?? '',
				subject: subjectOf(user.accessToken),
				timeoutMs: this.options.timeoutMs,
				retries: this.options.retries,
				backoff: this.options.backoff,
				onAttempt: this.options.onRefreshAttempt,
			},
			refreshToken,
		);
		if ('failure' in result) {
			user.failure = { itemIndex, error: this.refreshFailure(result.failure, result.error?.kind, itemIndex) };
			return;
		}
		const tokens = result.tokens;
		user.accessToken = tokens.accessToken;
		user.refreshToken = tokens.refreshToken;
		user.refreshed = tokens;
		user.fresh = !result.fromMemory;
	}

	private refreshFailure(failure: RefreshFailure, kind: string | undefined, itemIndex: number): NodeApiError | NodeOperationError {
		switch (failure) {
			case 'ended':
				return this.signInEnded(itemIndex);
			case 'renewedElsewhere':
				return tokenError(
					this.ctx,
					itemIndex,
					'TOKENS_RENEWED_ELSEWHERE',
					"This user's tokens were renewed moments ago by another execution: read their stored tokens again",
					'The refresh token this item carries was already spent by this n8n process, and its new pair is handed only to the same client application, proven by HyperID, for the same user, while that pair is still active. Read the user\'s newest tokens from where your service stores them and run again; nothing was sent for this item.',
				);
			case 'subjectChanged':
				return tokenError(
					this.ctx,
					itemIndex,
					'TOKEN_SUBJECT_CHANGED',
					"The renewed access token belongs to another user than this item's token",
					'HyperID answered the renewal with a token for another subject; it was not used and nothing was sent. Check that Access Token and Refresh Token are mapped from the same row of your token table.',
				);
			case 'noAnswer':
			case 'answerPending':
				return tokenError(
					this.ctx,
					itemIndex,
					'REFRESH_UNAVAILABLE',
					"HyperID's answer to the renewal of this user's sign-in did not arrive in time",
					failure === 'answerPending'
						? `The refresh token was sent and HyperID may have renewed the tokens; its answer is still awaited and will be kept in this n8n process for ${REMEMBER_MS / 60_000} minutes. Run again in a moment with the same tokens, or raise "Timeout". The refresh token is not sent again.`
						: 'The refresh token was sent and HyperID may have renewed the tokens, but no answer came. The refresh token is not sent again (HyperID would end the session): if your service has no newer tokens for this user, sign them in again.',
					{ code: 'timeout' },
				);
			case 'cancelled':
				return tokenError(this.ctx, itemIndex, 'REFRESH_UNAVAILABLE', "The execution was cancelled while renewing this user's tokens", 'The renewal goes on for other executions of this n8n process; its outcome is kept for them.');
			case 'unavailable':
				return tokenError(
					this.ctx,
					itemIndex,
					'REFRESH_UNAVAILABLE',
					"Could not reach HyperID to renew this user's sign-in",
					`The token endpoint did not answer (${kind ?? 'network'}). Their tokens are unchanged: try again later.`,
					{ code: kind ?? 'network' },
				);
			default:
				return tokenError(
					this.ctx,
					itemIndex,
					'CLIENT_REFUSED',
					"HyperID refused the HyperID Client credential while renewing this user's sign-in",
					`The token endpoint answered ${kind ?? 'an error'}. Check the client ID and its secret or private key in the HyperID Client credential; the user's tokens are unchanged.`,
					{ code: String(kind ?? 'error') },
				);
		}
	}

	/** What an item's output carries once its user's tokens were renewed. */
	refreshedFor(itemIndex: number): IDataObject | undefined {
		const tokens = this.userOfItem[itemIndex]?.refreshed;
		if (!tokens) return undefined;
		const sub = subjectOf(tokens.accessToken);
		const output: IDataObject = {};
		if (sub !== undefined) output.userId = sub;
		output.accessToken = tokens.accessToken;
		output.refreshToken = tokens.refreshToken;
		if (tokens.expiresAt) output.expiresAt = tokens.expiresAt;
		if (tokens.refreshExpiresAt) output.refreshExpiresAt = tokens.refreshExpiresAt;
		return output;
	}

	/**
	 * Every output item of a user whose tokens were renewed carries the new pair: at the top of its
	 * json, or inside `error` for an item in the error-output shape (node version 1.2). An item of
	 * such a user with no item that can carry it (nothing found, or only items that carry the error
	 * itself, whose json n8n-core sets to {error: message}: versions 1 and 1.1) gets one on the
	 * success output with only the pair.
	 */
	addRefreshedTokens(output: INodeExecutionData[], itemCount: number): INodeExecutionData[] {
		const byItem = new Map<number, INodeExecutionData[]>();
		for (const item of output) {
			const paired = item.pairedItem as { item: number };
			const list = byItem.get(paired.item) ?? [];
			list.push(item);
			byItem.set(paired.item, list);
		}
		const field = this.outputField;
		const rewritten = (item: INodeExecutionData) => item.error !== undefined;
		const withPair = (item: INodeExecutionData, tokens: IDataObject): INodeExecutionData => {
			if (rewritten(item)) return item;
			if (isErrorOutputItem(item)) return { ...item, json: { error: { ...(item.json.error as IDataObject), [field]: tokens } } };
			return { ...item, json: { ...item.json, [field]: tokens } };
		};
		const result: INodeExecutionData[] = [];
		for (let itemIndex = 0; itemIndex < itemCount; itemIndex++) {
			const tokens = this.refreshedFor(itemIndex);
			const own = byItem.get(itemIndex) ?? [];
			if (tokens && own.every(rewritten)) result.push({ json: { [field]: tokens }, pairedItem: { item: itemIndex } });
			for (const item of own) result.push(tokens ? withPair(item, tokens) : item);
		}
		return result;
	}

	/**
	 * The run stops at `error`: the tokens renewed before it go with it (n8n keeps the error's
	 * context in the execution and hands it to the Error Workflow), so a renewal is never lost.
	 */
	withRefreshedTokens<E extends Error>(error: E): E {
		const renewed: IDataObject[] = [];
		for (const user of this.users.values()) {
			if (!user.refreshed) continue;
			renewed.push({ items: [...user.items], ...this.refreshedFor(user.items[0]) });
		}
		if (renewed.length === 0) return error;
		const failure = error as unknown as { context?: IDataObject; description?: string | null };
		// the same place the HyperID Sign-In node puts them
		failure.context = { ...(failure.context ?? {}), renewedTokens: renewed };
		failure.description = `${failure.description ?? ''} Before this failure the tokens of ${renewed.length} user(s) were renewed: store them from this error's context "renewedTokens" (e.g. in an Error Workflow: $json.execution.error.context.renewedTokens); running again in this n8n process within ${REMEMBER_MS / 60_000} minutes with the same HyperID Client credential also gets them back.`.trim();
		return error;
	}
}

/** The user's-tokens part of a run, or undefined in Connected Account mode. */
export function authenticationOf(ctx: IExecuteFunctions): string {
	return ctx.getNodeParameter('authentication', 0, AUTHENTICATION.connectedAccount) as string;
}
