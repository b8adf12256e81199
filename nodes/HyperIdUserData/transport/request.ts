import type { IDataObject, IExecuteFunctions, IN8nHttpFullResponse, INode, JsonObject } from 'n8n-workflow';
import { NodeApiError, NodeError, NodeOperationError, sleep } from 'n8n-workflow';

import type { Connection, HyperIdContext } from './connection';
import { apiBaseFrom, CREDENTIAL_TYPE, fetchDiscovery, identityProvidersOf } from './connection';
import type { Endpoint, RequestSubject } from './resultCodes';
import { meaningOf, resultError } from './resultCodes';

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

function errorCode(error: unknown): string | undefined {
	let current = error as { code?: unknown; httpCode?: unknown; cause?: unknown; message?: unknown } | undefined;
	for (let depth = 0; current && depth < 5; depth++) {
		if (typeof current.code === 'string' && TRANSIENT_NETWORK_CODES.has(current.code)) return current.code;
		if (typeof current.httpCode === 'string' && TRANSIENT_NETWORK_CODES.has(current.httpCode)) return current.httpCode;
		if (typeof current.message === 'string') {
			if (/socket hang up/i.test(current.message)) return 'ECONNRESET';
			if (/timeout of \d+ms exceeded/i.test(current.message)) return 'ETIMEDOUT';
		}
		current = current.cause as typeof current;
	}
	return undefined;
}

function retryAfterMs(headers: IDataObject | undefined): number | undefined {
	const raw = headers?.['retry-after'];
	if (raw === undefined) return undefined;
	const seconds = Number(raw);
	if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
	const date = Date.parse(String(raw));
	return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** The HTTP status of a failed request (axios errors from the token endpoint), if any. */
function httpStatusOf(error: unknown): number | undefined {
	const candidate = error as { status?: unknown; response?: { status?: unknown } } | undefined;
	const status = candidate?.response?.status ?? candidate?.status;
	return typeof status === 'number' ? status : undefined;
}

function isAuthFailure(error: unknown): boolean {
	const text = JSON.stringify((error as { cause?: { body?: unknown } })?.cause?.body ?? '') + String((error as Error)?.message ?? '');
	return /invalid_grant|invalid_client|unauthorized_client|EAUTH|status 40[013]/i.test(text);
}

/**
 * A failure shared by several items (a run-wide credential failure, a combined read), told about
 * one of them: its own error object with that item's index (also where the message names the item
 * `fromIndex`), the same message, description, code and context. `body` is the error response
 * n8n keeps with it; by default the message.
 */
export function errorForItem(
	node: INode,
	error: NodeApiError,
	itemIndex: number,
	options: { body?: JsonObject; fromIndex?: number; httpCode?: string } = {},
): NodeApiError {
	const message =
		options.fromIndex === undefined ? error.message : error.message.replace(`(item ${options.fromIndex})`, `(item ${itemIndex})`);
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
		if (error.context.itemIndex === undefined) error.context.itemIndex = itemIndex;
		return error;
	}
	if (error instanceof NodeError) {
		return new NodeOperationError(ctx.getNode(), error, { itemIndex, description: error.description ?? undefined });
	}
	return new NodeOperationError(ctx.getNode(), error as Error, { itemIndex });
}

/**
 * One execution's connection to HyperID: the API base (discovery fetched at most once), the
 * refresh-once-and-resend rule shared by all requests in flight, and bounded retries.
 */
export class HyperIdSession {
	readonly stats: TransportStats = { requests: 0, retries: 0, refreshes: 0 };

	private discovery?: Promise<IDataObject | undefined>;

	private apiBase?: Promise<string>;

	/** Bumped by every successful refresh; a request knows which token generation it used. */
	private tokenGeneration = 0;

	private refreshing?: Promise<void>;

	private deadCredential?: NodeApiError;

	/** The token endpoint stayed unreachable through every retry: no item tries again this run. */
	private refreshUnavailable?: NodeApiError;

	constructor(
		readonly ctx: HyperIdContext,
		private readonly connection: Connection,
		readonly options: TransportOptions,
	) {}

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
		let refreshed = false;
		let attempt = 0;
		for (;;) {
			attempt++;
			if (this.deadCredential) throw this.deadCredentialFor(itemIndex);
			const generation = this.tokenGeneration;
			let outcome: IDataObject | 'auth' | TransientFault;
			try {
				outcome = await this.send(url, body);
			} catch (error) {
				const code = errorCode(error);
				if (!code || this.cancelled()) throw this.wrapUnexpected(error, endpoint, itemIndex);
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
				if (meaning === 'success' || meaning === 'notFound') return outcome;
				if (meaning === 'tokenInvalid' || meaning === 'tokenExpired') failure = 'auth';
				else if (meaning === 'serviceUnavailable') failure = 'transient';
				else throw resultError(this.ctx.getNode(), endpoint, outcome, subject, itemIndex);
			}

			if (failure === 'auth') {
				if (refreshed) {
					const answer = outcome === 'auth' ? { result: -1 } : (outcome as IDataObject);
					throw this.rejectedAfterRefresh(resultError(this.ctx.getNode(), endpoint, answer, subject, itemIndex), generation);
				}
				await this.refreshAfter(generation, itemIndex);
				refreshed = true;
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
			await sleep(this.backoff(attempt, retryAfter));
		}
	}

	/** One HTTP exchange: the parsed body, 'auth' for HTTP 401, or a transient fault. */
	private async send(url: string, body: IDataObject): Promise<IDataObject | 'auth' | TransientFault> {
		this.stats.requests++;
		const response = (await this.ctx.helpers.httpRequestWithAuthentication.call(this.ctx, CREDENTIAL_TYPE, {
			method: 'POST',
			url,
			// n8n drops an empty object body; HyperID wants a JSON object on every call (list-get, /user-wallets/get).
			body: Object.keys(body).length > 0 ? body : '{}',
			json: true,
			headers: { 'Content-Type': 'application/json' },
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
			timeout: this.options.timeoutMs,
		})) as IN8nHttpFullResponse;
		const status = response.statusCode;
		const data = response.body as IDataObject | string | undefined;
		if (status === 401) return 'auth';
		const retryAfter = retryAfterMs(response.headers as IDataObject);
		const hasResult = data !== null && typeof data === 'object' && typeof data.result === 'number';
		if (hasResult) {
			// API.md: parse the body whatever the status; its result code decides. Retry-After is
			// kept for the case that code says "try again".
			if (retryAfter !== undefined) retryAfterOf.set(data, retryAfter);
			return data;
		}
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
		const message = `HyperID answered HTTP ${String(status)} without a result code while trying to ${endpoint.action}`;
		const error = new NodeApiError(this.ctx.getNode(), { status: String(status) } as JsonObject, {
			message,
			description: `${url} did not answer like the HyperID API. Check the API URL (or the environment) in the HyperID credential.`,
			httpCode: String(status),
			itemIndex,
		});
		error.message = message;
		return error;
	}

	private cancelled(): boolean {
		const ctx = this.ctx as IExecuteFunctions;
		return typeof ctx.getExecutionCancelSignal === 'function' && ctx.getExecutionCancelSignal()?.aborted === true;
	}

	private backoff(attempt: number, retryAfter?: number): number {
		const exponential = Math.min(MAX_BACKOFF_MS, this.options.retryDelayMs * 2 ** (attempt - 1));
		// Jitter spreads the retries of concurrent requests apart.
		const jittered = exponential / 2 + Math.random() * (exponential / 2);
		return Math.min(MAX_BACKOFF_MS, Math.max(jittered, retryAfter ?? 0));
	}

	/**
	 * Refreshes the token once per expiry: requests that were sent with the same token wait for
	 * the same refresh; a request sent before a refresh that already happened just resends.
	 */
	private async refreshAfter(generation: number, itemIndex: number): Promise<void> {
		if (this.deadCredential) throw this.deadCredentialFor(itemIndex);
		if (this.refreshUnavailable) throw this.refreshUnavailableFor(itemIndex);
		if (generation !== this.tokenGeneration) return;
		this.refreshing ??= this.refreshWithRetries().finally(() => {
			this.refreshing = undefined;
		});
		try {
			await this.refreshing;
		} catch {
			// every waiting item gets its own error object, with its own index
			throw this.refreshUnavailableFor(itemIndex);
		}
		if (this.deadCredential) throw this.deadCredentialFor(itemIndex);
	}

	/** A temporary failure of the token endpoint is retried like any request; then the run gives up on it. */
	private async refreshWithRetries(): Promise<void> {
		for (let attempt = 1; ; attempt++) {
			try {
				await this.refresh();
				return;
			} catch (error) {
				if (attempt > this.options.retries || this.cancelled()) {
					const failure = error instanceof NodeApiError ? error : new NodeApiError(this.ctx.getNode(), error as JsonObject);
					this.refreshUnavailable = failure;
					throw failure;
				}
				this.stats.retries++;
				await sleep(this.backoff(attempt));
			}
		}
	}

	private refreshUnavailableFor(itemIndex: number): NodeApiError {
		return errorForItem(this.ctx.getNode(), this.refreshUnavailable as NodeApiError, itemIndex, {
			body: { error: 'refresh_unavailable' },
		});
	}

	private async refresh(): Promise<void> {
		this.stats.refreshes++;
		try {
			await this.ctx.helpers.refreshOAuth2Token.call(this.ctx, CREDENTIAL_TYPE);
			this.tokenGeneration++;
		} catch (error) {
			const code = errorCode(error);
			const status = httpStatusOf(error);
			const unavailable = status !== undefined && (status === 429 || status >= 500);
			if (isAuthFailure(error) || (!code && !unavailable)) {
				this.deadCredential = new NodeApiError(
					this.ctx.getNode(),
					{ error: 'refresh_failed' } as JsonObject,
					{
						message: 'The HyperID sign-in has expired and could not be renewed',
						description:
							'HyperID refused to refresh the access token (the refresh token expired, was revoked or was already used). Open the HyperID credential and click "Reconnect" to sign in again.',
						httpCode: 'invalid_grant',
					},
				);
				return;
			}
			const reason = code ?? `HTTP ${status}`;
			const message = 'Could not reach HyperID to renew the sign-in';
			const failure = new NodeApiError(this.ctx.getNode(), { error: reason } as JsonObject, {
				message,
				description: `The token endpoint did not answer (${reason}). Try again later.`,
				httpCode: code ?? String(status),
			});
			// NodeApiError swaps the message for n8n's generic text on Node.js error codes.
			failure.message = message;
			throw failure;
		}
	}

	/** A token refreshed in this execution and still rejected: the credential is dead for every item. */
	private rejectedAfterRefresh(error: NodeApiError, generation: number): NodeApiError {
		if (generation === this.tokenGeneration) this.deadCredential ??= error;
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
		return new NodeApiError(this.ctx.getNode(), { error: reason } as JsonObject, {
			message: `Could not ${endpoint.action}: ${reason}`,
			description: 'The request to HyperID failed before an answer arrived. Check the credential\'s URLs and the network.',
			itemIndex,
		});
	}
}
