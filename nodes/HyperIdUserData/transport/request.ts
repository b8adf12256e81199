import type { IDataObject, IExecuteFunctions, IHttpRequestOptions, IN8nHttpFullResponse, INode, JsonObject } from 'n8n-workflow';
import { NodeApiError, NodeError, NodeOperationError } from 'n8n-workflow';

import { nameItem, namingItem } from '../../shared/itemIndex';
import type { Connection, HyperIdContext } from './connection';
import { accessTokenOf, apiBaseFrom, CREDENTIAL_TYPE, fetchDiscovery, identityProvidersOf } from './connection';
import { mayHaveArrived, sleepUnlessCancelled, transientCode } from './network';
import type { InFlightLimit } from './inFlight';
import type { Recovery } from './refresh';
import { DeadCredential, recoverToken } from './refresh';
import type { Endpoint, RequestSubject } from './resultCodes';
import { meaningOf, resultError } from './resultCodes';
import type { UserTokens } from './userTokens';
import { sendWithUserToken } from './userTokens';

export interface TransportOptions {
	/** Retries after the first attempt for transient faults (-4, HTTP 429/5xx, dropped connections, timeouts). */
	retries: number;
	/** First backoff delay; doubles per retry. */
	retryDelayMs: number;
	timeoutMs: number;
}

const MAX_BACKOFF_MS = 30_000;

/** A request refused for its token is resent at most this often (each time with a newer token). */
const MAX_TOKEN_RECOVERIES = 3;

/** Retry-After of an answer that carried a result code (kept beside it, not in the output). */
const retryAfterOf = new WeakMap<object, number>();

/** Answers to a request resent after an attempt that may have been carried out (timeout, dropped connection). */
const resentAfterUncertainAttempt = new WeakSet<object>();

/**
 * Whether this answer came to a resend after an attempt that got no answer but may have reached
 * HyperID: what the answer calls "not found" may be what that attempt did (e.g. a delete).
 */
export function answersResendAfterUncertainAttempt(answer: IDataObject): boolean {
	return resentAfterUncertainAttempt.has(answer);
}

export interface TransportStats {
	requests: number;
	retries: number;
	refreshes: number;
}

/** A transient fault that may be retried, with what to tell the user if retries run out. */
class TransientFault {
	constructor(
		readonly message: string,
		readonly description: string,
		readonly code: string,
		readonly retryAfterMs?: number,
		readonly response?: IDataObject,
	) {}
}

function retryAfterMs(headers: IDataObject | undefined): number | undefined {
	const raw = headers?.['retry-after'];
	if (raw === undefined) return undefined;
	const seconds = Number(raw);
	if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
	const date = Date.parse(String(raw));
	return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/**
 * A failure shared by several items (a run-wide credential failure, a combined read), told about
 * one of them: its own error object with that item's index (its message names this item, see
 * shared/itemIndex.ts), the same description, code and context. `body` is the error response
 * n8n keeps with it; by default the message.
 */
export function errorForItem(
	node: INode,
	error: NodeApiError,
	itemIndex: number,
	options: { body?: JsonObject; httpCode?: string } = {},
): NodeApiError {
	const message = namingItem(error.message, itemIndex);
	const copy = new NodeApiError(node, options.body ?? { error: message }, {
		message,
		description: error.description ?? undefined,
		httpCode: error.httpCode ?? options.httpCode,
		itemIndex,
	});
	// NodeApiError puts n8n's generic text in place of the message for Node.js error codes
	copy.message = message;
	copy.context = { ...error.context, itemIndex };
	return copy;
}

/** Any failure as the node's own error, carrying the item it belongs to. */
export function toNodeError(ctx: HyperIdContext, error: unknown, itemIndex: number): NodeApiError | NodeOperationError {
	if (error instanceof NodeApiError || error instanceof NodeOperationError) {
		if (error.context.itemIndex !== undefined) return error;
		error.context.itemIndex = itemIndex;
		return nameItem(error, itemIndex);
	}
	if (error instanceof NodeError) {
		return nameItem(new NodeOperationError(ctx.getNode(), error, { itemIndex, description: error.description ?? undefined }), itemIndex);
	}
	return nameItem(new NodeOperationError(ctx.getNode(), error as Error, { itemIndex }), itemIndex);
}

/**
 * One execution's connection to HyperID: the API base (discovery fetched at most once), the
 * refresh-once-and-resend rule shared by all requests in flight, and bounded retries.
 */
export class HyperIdSession {
	readonly stats: TransportStats = { requests: 0, retries: 0, refreshes: 0 };

	/** The run's requests in flight, told how fast HyperID answers and when it asks to slow down. */
	inFlight?: InFlightLimit;

	private discovery?: Promise<IDataObject | undefined>;

	private apiBase?: Promise<string>;

	/** The newest access token this execution knows to be stored: read at start, then from each recovery and each request it signed that succeeded. */
	private knownToken?: string;

	/** Tokens this execution has seen replaced by a newer one: a request refused with one is just resent. */
	private readonly supersededTokens = new Set<string>();

	private deadCredential?: NodeApiError;

	/** The token could not be renewed for another reason than `invalid_grant` (down through every retry, client refused, Login URL, network, saving): no item tries again this run. */
	private refreshUnavailable?: NodeApiError;

	constructor(
		readonly ctx: HyperIdContext,
		private readonly connection: Connection,
		readonly options: TransportOptions,
		/** Authentication "User's Tokens": each item's own token, refreshed per user (transport/userTokens.ts). */
		readonly userTokens?: UserTokens,
	) {
		this.knownToken = connection.tokenAtStart;
	}

	async getDiscovery(): Promise<IDataObject | undefined> {
		this.discovery ??= fetchDiscovery(this.ctx, this.connection, this.options.timeoutMs);
		return await this.discovery;
	}

	/** The identity providers HyperID knows, or undefined when discovery cannot be loaded. */
	async identityProviders(): Promise<string[] | undefined> {
		return identityProvidersOf(await this.getDiscovery());
	}

	async getApiBase(): Promise<string> {
		this.apiBase ??= this.connection.apiBase
			? Promise.resolve(this.connection.apiBase)
			: this.getDiscovery().then((discovery) => apiBaseFrom(this.ctx, this.connection, discovery));
		return await this.apiBase;
	}

	/**
	 * POSTs `body` to the endpoint and returns HyperID's JSON answer when its result is a success
	 * (0, or 1 where "not found" is a success); otherwise throws the node's own error.
	 */
	async call(endpoint: Endpoint, body: IDataObject, subject: RequestSubject, itemIndex: number): Promise<IDataObject> {
		const url = `${await this.getApiBase()}${endpoint.path}`;
		let recovered: Recovery | undefined;
		let recoveries = 0;
		let attempt = 0;
		// an earlier attempt got no answer but may have reached HyperID
		let uncertain = false;
		for (;;) {
			attempt++;
			if (this.cancelled()) throw this.cancelledError(endpoint, itemIndex);
			if (this.deadCredential) throw this.deadCredentialFor(itemIndex);
			if (this.refreshUnavailable) throw this.refreshUnavailableFor(itemIndex);
			const sent: { token?: string } = {};
			let outcome: IDataObject | 'auth' | TransientFault;
			try {
				outcome = await this.send(url, body, sent, itemIndex);
			} catch (error) {
				if (this.cancelled()) throw this.cancelledError(endpoint, itemIndex);
				const code = transientCode(error);
				if (!code) throw this.wrapUnexpected(error, endpoint, itemIndex);
				if (mayHaveArrived(code)) uncertain = true;
				const timedOut = code === 'ETIMEDOUT' || code === 'ECONNABORTED' || code === 'ESOCKETTIMEDOUT';
				outcome = timedOut
					? new TransientFault(
							`HyperID did not answer within ${this.options.timeoutMs} ms`,
							'The request timed out. Try again later, or raise "Timeout" or "Retries" in the node options.',
							code,
						)
					: new TransientFault(
							`The connection to HyperID failed (${code})`,
							'The network or HyperID dropped the connection. Try again later, or raise "Retries" in the node options.',
							code,
						);
			}

			// What HyperID answered, as one of: done, refresh-and-resend, retry later, or an error.
			let failure: 'auth' | 'transient';
			if (outcome === 'auth') {
				failure = 'auth';
			} else if (outcome instanceof TransientFault) {
				failure = 'transient';
			} else {
				const result = Number(outcome.result);
				if (Number.isNaN(result)) throw this.notHyperId(url, outcome.httpStatus, endpoint, itemIndex);
				const meaning = meaningOf(endpoint, result);
				if (meaning === 'success' || meaning === 'notFound') {
					this.signedSuccessfully(sent.token);
					if (uncertain) resentAfterUncertainAttempt.add(outcome);
					return outcome;
				}
				if (meaning === 'tokenInvalid' || meaning === 'tokenExpired') failure = 'auth';
				else if (meaning === 'serviceUnavailable') failure = 'transient';
				else throw resultError(this.ctx.getNode(), endpoint, outcome, subject, itemIndex);
			}

			if (failure === 'auth' && this.userTokens) {
				if (recoveries >= MAX_TOKEN_RECOVERIES) {
					throw resultError(this.ctx.getNode(), endpoint, outcome === 'auth' ? { result: -1 } : (outcome as IDataObject), subject, itemIndex);
				}
				const expired = outcome !== 'auth' && meaningOf(endpoint, Number((outcome as IDataObject).result)) === 'tokenExpired';
				await this.userTokens.afterRefusal(itemIndex, sent.token, expired);
				recoveries++;
				attempt--;
				continue;
			}
			if (failure === 'auth') {
				const usedToken = sent.token ?? this.knownToken;
				// A token this process just refreshed, refused again (or a request refused too often): no loop.
				const freshRefused = recovered?.how === 'refreshed' && (usedToken === undefined || usedToken === recovered.token);
				if (freshRefused || recoveries >= MAX_TOKEN_RECOVERIES) {
					const answer = outcome === 'auth' ? { result: -1 } : (outcome as IDataObject);
					throw this.rejectedAfterRefresh(resultError(this.ctx.getNode(), endpoint, answer, subject, itemIndex), usedToken);
				}
				recovered = await this.recover(usedToken, endpoint, itemIndex);
				recoveries++;
				attempt--;
				continue;
			}
			const fault = outcome instanceof TransientFault ? outcome : undefined;
			const retryAfter = fault ? fault.retryAfterMs : retryAfterOf.get(outcome as IDataObject);
			// Asked to wait longer than the longest backoff: retrying earlier would only be refused again.
			const tooLong = retryAfter !== undefined && retryAfter > MAX_BACKOFF_MS;
			if (attempt > this.options.retries || tooLong) {
				const error = fault
					? this.transientError(fault, endpoint, subject, itemIndex, attempt)
					: resultError(this.ctx.getNode(), endpoint, outcome as IDataObject, subject, itemIndex, attempt);
				if (tooLong) {
					error.description = `${error.description ?? ''} HyperID asked to wait ${Math.ceil(retryAfter / 1000)} s before trying again (Retry-After), longer than the node waits (${MAX_BACKOFF_MS / 1000} s): run the workflow again later.`.trim();
				}
				throw error;
			}
			this.stats.retries++;
			if (!(await sleepUnlessCancelled(this.backoff(attempt, retryAfter), this.signal))) throw this.cancelledError(endpoint, itemIndex);
		}
	}

	/** A request signed with `token` succeeded: unless this execution saw it replaced, it is the newest known. */
	private signedSuccessfully(token: string | undefined): void {
		if (token === undefined || token === this.knownToken || this.supersededTokens.has(token)) return;
		this.replaceKnownToken(token);
	}

	private replaceKnownToken(token: string): void {
		if (this.knownToken !== undefined && this.knownToken !== token) this.supersededTokens.add(this.knownToken);
		this.knownToken = token;
	}

	/**
	 * One HTTP exchange: the parsed body, 'auth' for HTTP 401, or a transient fault. `sent.token`
	 * tells which access token n8n signed it with (where n8n reads the credential through the
	 * context it is given, as n8n-core does), so a refused token can be told from a newer stored one.
	 */
	private async send(url: string, body: IDataObject, sent: { token?: string }, itemIndex: number): Promise<IDataObject | 'auth' | TransientFault> {
		this.stats.requests++;
		const ctx = this.ctx;
		const request: IHttpRequestOptions = {
			method: 'POST',
			url,
			// n8n sends no body at all for an empty object. HyperID takes that as {} too (its SDKs send none),
			// but an explicit JSON object is what its REST reference documents: send "{}".
			body: Object.keys(body).length > 0 ? body : '{}',
			json: true,
			headers: { 'Content-Type': 'application/json' },
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
			timeout: this.options.timeoutMs,
		};
		let response: IN8nHttpFullResponse;
		const sentAt = Date.now();
		if (this.userTokens) {
			sent.token = this.userTokens.tokenFor(itemIndex);
			response = await sendWithUserToken(ctx, request, sent.token);
		} else {
			const signing = Object.create(ctx, {
				getCredentials: {
					value: async (type: string, index?: number) => {
						const credentials = await ctx.getCredentials(type, index);
						sent.token = accessTokenOf(credentials);
						return credentials;
					},
				},
			}) as HyperIdContext;
			response = (await ctx.helpers.httpRequestWithAuthentication.call(signing, CREDENTIAL_TYPE, request)) as IN8nHttpFullResponse;
		}
		const status = response.statusCode;
		const data = response.body as IDataObject | string | undefined;
		const retryAfter = retryAfterMs(response.headers as IDataObject);
		this.inFlight?.answered(Date.now() - sentAt, status === 429 || status === 503 || retryAfter !== undefined);
		const hasResult = data !== null && typeof data === 'object' && typeof data.result === 'number';
		if (hasResult) {
			// API.md: parse the body whatever the status (a 401 too); its result code decides.
			// Retry-After is kept for the case that code says "try again".
			if (retryAfter !== undefined) retryAfterOf.set(data, retryAfter);
			return data;
		}
		if (status === 401) return 'auth';
		if (status === 429 || status >= 500) {
			return new TransientFault(
				status === 429 ? 'HyperID is receiving too many requests' : `HyperID answered with HTTP ${status}`,
				status === 429
					? 'HyperID asked to slow down. Lower "Concurrency" in the node options, or try again later.'
					: 'HyperID had a server error. Try again later, or raise "Retries" in the node options.',
				String(status),
				retryAfter,
			);
		}
		return {
			result: Number.NaN,
			httpStatus: status,
		};
	}

	/** An answer without a result code: most likely the API URL points somewhere else. */
	private notHyperId(url: string, status: unknown, endpoint: Endpoint, itemIndex: number): NodeApiError {
		const message = `HyperID answered HTTP ${String(status)} without a result code while trying to ${endpoint.action} (item ${itemIndex})`;
		const error = new NodeApiError(this.ctx.getNode(), { status: String(status) } as JsonObject, {
			message,
			description: `${url} did not answer like the HyperID API. Check the API URL (or the environment) in the HyperID credential.`,
			httpCode: String(status),
			itemIndex,
		});
		error.message = message;
		return error;
	}

	/** The execution's cancel signal (none where n8n gives none, e.g. while loading options). */
	get signal(): AbortSignal | undefined {
		const ctx = this.ctx as IExecuteFunctions;
		return typeof ctx.getExecutionCancelSignal === 'function' ? ctx.getExecutionCancelSignal() : undefined;
	}

	cancelled(): boolean {
		return this.signal?.aborted === true;
	}

	private cancelledError(endpoint: Endpoint, itemIndex: number): NodeOperationError {
		return new NodeOperationError(this.ctx.getNode(), `The execution was cancelled while trying to ${endpoint.action} (item ${itemIndex})`, {
			description: 'Nothing more was sent to HyperID after the cancellation; a request already on its way may have been carried out.',
			itemIndex,
		});
	}

	private backoff(attempt: number, retryAfter?: number): number {
		const exponential = Math.min(MAX_BACKOFF_MS, this.options.retryDelayMs * 2 ** (attempt - 1));
		// Jitter spreads the retries of concurrent requests apart.
		const jittered = exponential / 2 + Math.random() * (exponential / 2);
		return Math.min(MAX_BACKOFF_MS, Math.max(jittered, retryAfter ?? 0));
	}

	/**
	 * A request was refused with `usedToken`: resend with a newer stored token, or refresh (shared
	 * with every request of this process refused with the same token: transport/refresh.ts).
	 */
	private async recover(usedToken: string | undefined, endpoint: Endpoint, itemIndex: number): Promise<Recovery> {
		if (this.deadCredential) throw this.deadCredentialFor(itemIndex);
		if (this.refreshUnavailable) throw this.refreshUnavailableFor(itemIndex);
		// This execution saw that token replaced already (another request recovered meanwhile): just resend.
		if (usedToken !== undefined && this.supersededTokens.has(usedToken) && this.knownToken !== undefined) {
			return { how: 'stored', token: this.knownToken };
		}
		let recovery: Recovery;
		try {
			recovery = await recoverToken(this.ctx, usedToken, {
				retries: this.options.retries,
				timeoutMs: this.options.timeoutMs,
				backoff: (attempt) => this.backoff(attempt),
				signal: this.signal,
				onRefreshAttempt: () => this.stats.refreshes++,
				onRetry: () => this.stats.retries++,
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
		if (recovery.how === 'cancelled') throw this.cancelledError(endpoint, itemIndex);
		if (usedToken !== undefined && usedToken !== recovery.token) this.supersededTokens.add(usedToken);
		if (recovery.token !== undefined) this.replaceKnownToken(recovery.token);
		return recovery;
	}

	private refreshUnavailableFor(itemIndex: number): NodeApiError {
		return errorForItem(this.ctx.getNode(), this.refreshUnavailable as NodeApiError, itemIndex, {
			body: { error: 'refresh_unavailable' },
		});
	}

	/** A token refreshed in this process and still refused: the credential is dead for every item (unless a newer token came since). */
	private rejectedAfterRefresh(error: NodeApiError, usedToken: string | undefined): NodeApiError {
		if (usedToken === undefined || usedToken === this.knownToken) this.deadCredential ??= error;
		return error;
	}

	private deadCredentialFor(itemIndex: number): NodeApiError {
		const error = errorForItem(this.ctx.getNode(), this.deadCredential as NodeApiError, itemIndex, {
			body: { error: 'refresh_failed' },
			httpCode: 'invalid_grant',
		});
		error.context.fatal = true;
		return error;
	}

	private transientError(
		fault: TransientFault,
		endpoint: Endpoint,
		subject: RequestSubject,
		itemIndex: number,
		attempts: number,
	): NodeApiError {
		const message = `${fault.message} while trying to ${endpoint.action} (item ${itemIndex})`;
		const error = new NodeApiError(this.ctx.getNode(), { error: fault.code } as JsonObject, {
			message,
			description: `${fault.description} (${attempts} attempt(s) made${subject.key !== undefined ? `, key "${subject.key}"` : ''}.)`,
			httpCode: fault.code,
			itemIndex,
		});
		// NodeApiError swaps the message for n8n's generic text when httpCode is a Node.js error code
		// (ECONNRESET, ECONNABORTED, ...): keep the message that names the fault and the operation.
		error.message = message;
		return error;
	}

	private wrapUnexpected(error: unknown, endpoint: Endpoint, itemIndex: number): NodeApiError {
		if (error instanceof NodeApiError && error.context.itemIndex !== undefined) return error;
		const reason = String((error as Error)?.message ?? error);
		const message = `Could not ${endpoint.action} (item ${itemIndex}): ${reason}`;
		const failure = new NodeApiError(this.ctx.getNode(), { error: reason } as JsonObject, {
			message,
			description: 'The request to HyperID failed before an answer arrived. Check the credential\'s URLs and the network.',
			itemIndex,
		});
		// NodeApiError may put n8n's generic text in place of the message
		failure.message = message;
		return failure;
	}
}
