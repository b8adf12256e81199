/**
 * Authentication "Connected Account": every request is signed by n8n with the HyperID OAuth2
 * credential's stored token; a refused token is renewed through transport/refresh.ts (n8n's own
 * refresh, which alone can save the credential).
 */
import type { ICredentialDataDecryptedObject, IDataObject, IExecuteFunctions, IHttpRequestOptions, IN8nHttpFullResponse, JsonObject } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

import { subjectOf } from '../../shared/claims';
import type { HyperIdContext } from '../../shared/environment';
import type { Connection } from './connection';
import { accessTokenOf, CREDENTIAL_TYPE } from './connection';
import { errorForItem } from './itemError';
import type { Recovery } from './refresh';
import { DeadCredential, recoverToken } from './refresh';
import type { Refusal, TokenSigner } from './signer';
import { MAX_TOKEN_RECOVERIES } from './signer';

export interface ConnectedAccountOptions {
	retries: number;
	timeoutMs: number;
	backoff: (attempt: number) => number;
	onRefreshAttempt: () => void;
	onRetry: () => void;
}

/**
 * What n8n signs a request with: the stored credential without its refresh token. The node never
 * lets n8n refresh inside a request (answers are read whatever their status), and if n8n ever did,
 * it could only spend a refresh token read at the start of the run, which another execution may
 * have spent since: HyperID would end the sign-in. Without one, n8n's client stops before sending.
 */
function signingCopy(stored: ICredentialDataDecryptedObject): ICredentialDataDecryptedObject {
	const tokens = stored.oauthTokenData;
	if (tokens === null || typeof tokens !== 'object') return { ...stored };
	const signing = { ...(tokens as IDataObject) };
	delete signing.refresh_token;
	return { ...stored, oauthTokenData: signing };
}

export class ConnectedAccount implements TokenSigner {
	/** The newest access token this execution knows to be stored: read at start, then from each recovery and each request it signed that succeeded. */
	private knownToken?: string;

	/** Tokens this execution has seen replaced by a newer one: a request refused with one is just resent. */
	private readonly supersededTokens = new Set<string>();

	private deadCredential?: NodeApiError;

	/**
	 * The stored credential n8n signs with, read once and again after each recovery: n8n reads it
	 * from its database and decrypts it on every call otherwise (twice per request), the largest
	 * part of n8n's CPU per request after the TLS handshake.
	 */
	private signingCredentials?: Promise<ICredentialDataDecryptedObject>;

	/** The renewed token is another user's (n8n's End-user credentials, one credential ID for many users): no item may use it. */
	private subjectChanged?: NodeApiError;

	/** The token could not be renewed for another reason than `invalid_grant` (down through every retry, client refused, Login URL, network, saving): no item tries again this run. */
	private refreshUnavailable?: NodeApiError;

	/** Whose data this execution acts on: the user of the token stored when it started. */
	private readonly subjectAtStart?: string;

	constructor(
		private readonly ctx: HyperIdContext,
		connection: Connection,
		private readonly options: ConnectedAccountOptions,
	) {
		this.knownToken = connection.tokenAtStart;
		this.subjectAtStart = subjectOf(connection.tokenAtStart);
	}

	checkUsable(itemIndex: number): void {
		if (this.subjectChanged) throw errorForItem(this.ctx.getNode(), this.subjectChanged, itemIndex, { body: { error: 'subject_changed' } });
		if (this.deadCredential) throw this.deadCredentialFor(itemIndex);
		if (this.refreshUnavailable) throw this.refreshUnavailableFor(itemIndex);
	}

	/** `sent.token` is the token n8n signed with (n8n reads the credential through the context it is given, as n8n-core does). */
	async send(request: IHttpRequestOptions, itemIndex: number, sent: { token?: string }): Promise<IN8nHttpFullResponse> {
		const ctx = this.ctx;
		const stored = await this.storedCredentials(itemIndex);
		const signing = Object.create(ctx, {
			getCredentials: {
				value: async (type: string, index?: number) => {
					const credentials = type === CREDENTIAL_TYPE ? signingCopy(stored) : await ctx.getCredentials(type, index);
					sent.token = accessTokenOf(credentials);
					return credentials;
				},
			},
		}) as HyperIdContext;
		return (await ctx.helpers.httpRequestWithAuthentication.call(signing, CREDENTIAL_TYPE, request)) as IN8nHttpFullResponse;
	}

	/**
	 * The stored credential to sign with: read once, and again after each recovery. A token of
	 * another user than the one this execution started with is never signed with (n8n's End-user
	 * credentials can hand one credential ID to many users).
	 */
	private async storedCredentials(itemIndex: number): Promise<ICredentialDataDecryptedObject> {
		if (!this.signingCredentials) {
			const read = this.readForSigning(itemIndex);
			// a failed read is not kept: the next request reads again
			read.catch(() => this.signingCredentials === read && (this.signingCredentials = undefined));
			this.signingCredentials = read;
		}
		const read = this.signingCredentials;
		const credentials = await read;
		// a credential without a token (reconnected meanwhile) is read again by the next request
		if (accessTokenOf(credentials) === undefined && this.signingCredentials === read) this.signingCredentials = undefined;
		if (this.subjectChanged) this.checkUsable(itemIndex);
		return credentials;
	}

	/** One read of the stored credential, its token's user checked once for every request it signs. */
	private async readForSigning(itemIndex: number): Promise<ICredentialDataDecryptedObject> {
		const credentials = await this.ctx.getCredentials<ICredentialDataDecryptedObject>(CREDENTIAL_TYPE);
		const subject = subjectOf(accessTokenOf(credentials));
		if (this.subjectAtStart !== undefined && subject !== undefined && subject !== this.subjectAtStart) {
			this.subjectChanged ??= this.subjectChangedError(itemIndex);
		}
		return credentials;
	}

	/** Unless this execution saw `token` replaced, it is the newest known. */
	accepted(token: string | undefined): void {
		if (token === undefined || token === this.knownToken || this.supersededTokens.has(token)) return;
		this.replaceKnownToken(token);
	}

	async afterRefusal(refusal: Refusal): Promise<void> {
		const usedToken = refusal.usedToken ?? this.knownToken;
		const refreshed = refusal.request.refreshed;
		// A token this process just refreshed, refused again (or a request refused too often): no loop.
		const freshRefused = refreshed !== undefined && (usedToken === undefined || usedToken === refreshed.token);
		if (freshRefused || refusal.recoveries >= MAX_TOKEN_RECOVERIES) {
			const error = refusal.refusedError();
			if (usedToken === undefined || usedToken === this.knownToken) this.deadCredential ??= error;
			throw error;
		}
		let recovery: Recovery;
		try {
			recovery = await this.recover(usedToken, refusal);
		} finally {
			// the next request signs with what is stored now
			this.signingCredentials = undefined;
		}
		refusal.request.refreshed = recovery.how === 'refreshed' ? { token: recovery.token } : undefined;
	}

	private replaceKnownToken(token: string): void {
		if (this.knownToken !== undefined && this.knownToken !== token) this.supersededTokens.add(this.knownToken);
		this.knownToken = token;
	}

	/**
	 * A request was refused with `usedToken`: resend with a newer stored token, or refresh (shared
	 * with every request of this process refused with the same token: transport/refresh.ts).
	 */
	private async recover(usedToken: string | undefined, refusal: Refusal): Promise<Recovery> {
		const { itemIndex } = refusal;
		this.checkUsable(itemIndex);
		// This execution saw that token replaced already (another request recovered meanwhile): just resend.
		if (usedToken !== undefined && this.supersededTokens.has(usedToken) && this.knownToken !== undefined) {
			return { how: 'stored', token: this.knownToken };
		}
		const ctx = this.ctx as IExecuteFunctions;
		let recovery: Recovery;
		try {
			recovery = await recoverToken(this.ctx, usedToken, {
				retries: this.options.retries,
				timeoutMs: this.options.timeoutMs,
				backoff: this.options.backoff,
				signal: typeof ctx.getExecutionCancelSignal === 'function' ? ctx.getExecutionCancelSignal() : undefined,
				onRefreshAttempt: this.options.onRefreshAttempt,
				onRetry: this.options.onRetry,
			});
		} catch (error) {
			// every waiting item gets its own error object, with its own index
			if (error instanceof DeadCredential) {
				this.deadCredential ??= error;
				throw this.deadCredentialFor(itemIndex);
			}
			this.refreshUnavailable ??= error instanceof NodeApiError ? error : new NodeApiError(this.ctx.getNode(), error as JsonObject);
			throw this.refreshUnavailableFor(itemIndex);
		}
		if (recovery.how === 'cancelled') throw refusal.cancelledError();
		const before = subjectOf(usedToken);
		const after = subjectOf(recovery.token);
		if (before !== undefined && after !== undefined && before !== after) {
			this.subjectChanged ??= this.subjectChangedError(itemIndex);
			throw this.subjectChanged;
		}
		if (usedToken !== undefined && usedToken !== recovery.token) this.supersededTokens.add(usedToken);
		if (recovery.token !== undefined) this.replaceKnownToken(recovery.token);
		return recovery;
	}

	private subjectChangedError(itemIndex: number): NodeApiError {
		const message = `The renewed HyperID token belongs to another user than the one this execution started with (item ${itemIndex})`;
		const error = new NodeApiError(this.ctx.getNode(), { error: 'subject_changed' } as JsonObject, {
			message,
			description:
				"The credential's token was renewed or replaced by another user's (with n8n's End-user credentials, n8n renews one credential ID for many users). Nothing was sent with it; run again. To act for many users from one workflow, use Authentication \"Each User's Tokens\".",
			itemIndex,
		});
		error.message = message;
		error.context = { ...error.context, itemIndex, errorCode: 'TOKEN_SUBJECT_CHANGED' };
		return error;
	}

	private refreshUnavailableFor(itemIndex: number): NodeApiError {
		return errorForItem(this.ctx.getNode(), this.refreshUnavailable as NodeApiError, itemIndex, { body: { error: 'refresh_unavailable' } });
	}

	private deadCredentialFor(itemIndex: number): NodeApiError {
		const error = errorForItem(this.ctx.getNode(), this.deadCredential as NodeApiError, itemIndex, { body: { error: 'refresh_failed' } });
		error.context.fatal = true;
		return error;
	}
}
