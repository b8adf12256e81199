import type { IDataObject, IExecuteFunctions, IHttpRequestOptions, JsonObject } from 'n8n-workflow';
import { NodeApiError, NodeError, NodeOperationError } from 'n8n-workflow';

import { nameItem } from '../../shared/itemIndex';
import type { HyperIdContext } from '../../shared/environment';
import { apiBaseFrom, fetchDiscovery, identityProvidersOf } from '../../shared/environment';
import type { Connection } from './connection';
import { httpStatusOnly } from './itemError';
import { ConnectedAccount } from './connectedAccount';
import type { InFlightLimit } from './inFlight';
import { mayHaveArrived, sleepUnlessCancelled, transientCode } from '../../shared/network';
import type { Endpoint, RequestSubject } from './resultCodes';
import { meaningOf, resultError } from './resultCodes';
import type { Refusal, TokenSigner } from './signer';
import type { UserTokens } from './userTokens';

export interface TransportOptions {
	/** Retries after the first attempt for transient faults (-4, HTTP 429/5xx, dropped connections, timeouts). */
	retries: number;
	/** First backoff delay; doubles per retry. */
	retryDelayMs: number;
	timeoutMs: number;
}

const MAX_BACKOFF_MS = 30_000;

/** Retry-After of an answer that carried a result code (kept beside it, not in the output). */
const retryAfterOf = new WeakMap<object, number>();

/** Answers in which HyperID asked to slow down (HTTP 429, 503, Retry-After). */
const askedToSlowDown = new WeakSet<object>();

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

	constructor(
		readonly ctx: HyperIdContext,
		private readonly connection: Connection,
		readonly options: TransportOptions,
		/** Authentication "User's Tokens": each item's own token, refreshed per user (transport/userTokens.ts). */
		readonly userTokens?: UserTokens,
	) {
		this.signer =
			userTokens ??
			new ConnectedAccount(ctx, connection, {
				retries: options.retries,
				timeoutMs: options.timeoutMs,
				backoff: (attempt) => this.backoff(attempt),
				onRefreshAttempt: () => this.stats.refreshes++,
				onRetry: () => this.stats.retries++,
			});
	}

	/** Whose token signs each request: the authentication mode. */
	private readonly signer: TokenSigner;

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
		// what earlier refusals of this request left (the signer's own note)
		const request: Refusal['request'] = {};
		let recoveries = 0;
		let attempt = 0;
		// an earlier attempt got no answer but may have reached HyperID
		let uncertain = false;
		for (;;) {
			attempt++;
			if (this.cancelled()) throw this.cancelledError(endpoint, itemIndex);
			// a place taken before HyperID asked to slow down: sent only once it is within the lowered limit
			if (attempt === 1 && this.inFlight?.holdsBack && !(await this.aside(async () => true, 'turn'))) {
				throw this.cancelledError(endpoint, itemIndex);
			}
			this.signer.checkUsable(itemIndex);
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
					this.signer.accepted(sent.token);
					if (uncertain) resentAfterUncertainAttempt.add(outcome);
					return outcome;
				}
				if (meaning === 'tokenInvalid' || meaning === 'tokenExpired') failure = 'auth';
				else if (meaning === 'serviceUnavailable') failure = 'transient';
				else throw resultError(this.ctx.getNode(), endpoint, outcome, subject, itemIndex);
			}

			if (failure === 'auth') {
				const answer = outcome === 'auth' ? { result: -1 } : (outcome as IDataObject);
				await this.signer.afterRefusal({
					itemIndex,
					usedToken: sent.token,
					expired: outcome !== 'auth' && meaningOf(endpoint, Number(answer.result)) === 'tokenExpired',
					recoveries,
					refusedError: () => resultError(this.ctx.getNode(), endpoint, answer, subject, itemIndex),
					cancelledError: () => this.cancelledError(endpoint, itemIndex),
					request,
				});
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
			const backoff = this.backoff(attempt, retryAfter);
			const reason = askedToSlowDown.has(outcome as object) ? 'slowDown' : 'resend';
			if (!(await this.aside(async () => await sleepUnlessCancelled(backoff, this.signal), reason, attempt))) throw this.cancelledError(endpoint, itemIndex);
		}
	}

	/**
	 * One HTTP exchange: the parsed body, 'auth' for HTTP 401, or a transient fault. `sent.token`
	 * tells which access token signed it, so a refused token can be told from a newer one.
	 */
	private async send(url: string, body: IDataObject, sent: { token?: string }, itemIndex: number): Promise<IDataObject | 'auth' | TransientFault> {
		this.stats.requests++;
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
		const sentAt = Date.now();
		const response = await this.signer.send(request, itemIndex, sent);
		const status = response.statusCode;
		const data = response.body as IDataObject | string | undefined;
		const retryAfter = retryAfterMs(response.headers as IDataObject);
		const slowDown = status === 429 || status === 503 || retryAfter !== undefined;
		this.inFlight?.answered(Date.now() - sentAt, slowDown);
		const hasResult = data !== null && typeof data === 'object' && typeof data.result === 'number';
		if (hasResult) {
			// API.md: parse the body whatever the status (a 401 too); its result code decides.
			// Retry-After is kept for the case that code says "try again".
			if (retryAfter !== undefined) retryAfterOf.set(data, retryAfter);
			if (slowDown) askedToSlowDown.add(data);
			return data;
		}
		if (status === 401) return 'auth';
		if (status === 429 || status >= 500) {
			const fault = new TransientFault(
				status === 429 ? 'HyperID is receiving too many requests' : `HyperID answered with HTTP ${status}`,
				status === 429
					? 'HyperID asked to slow down. Lower "Concurrency" in the node options, or try again later.'
					: 'HyperID had a server error. Try again later, or raise "Retries" in the node options.',
				String(status),
				retryAfter,
			);
			if (slowDown) askedToSlowDown.add(fault);
			return fault;
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

	/**
	 * Waits for `wait` without holding the item's place among the requests in flight, and takes one
	 * again before going on (transport/inFlight.ts). False when cancelled. Outside a run's items
	 * (e.g. loading options) there is no place to give back.
	 */
	async aside(wait: () => Promise<boolean>, reason?: 'resend' | 'slowDown' | 'turn', refused?: number): Promise<boolean> {
		return this.inFlight ? await this.inFlight.aside(wait, this.signal, reason, refused) : await wait();
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
			httpCode: httpStatusOnly(fault.code),
			itemIndex,
		});
		error.context.code = fault.code;
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
