/**
 * HyperID's OpenID Connect endpoints as the service's own client calls them (credential
 * `hyperIdClientApi`): token, introspection, revocation, logout and userinfo. The credential's
 * `authenticate` adds the client authentication, so this module never reads the secret or the key.
 * Errors name what failed and never carry a secret or a token.
 */
import type { ICredentialDataDecryptedObject, IDataObject, IExecuteFunctions, IN8nHttpFullResponse } from 'n8n-workflow';

import { OPENID_CONNECT_PATH } from '../../credentials/common/environment';
import { whereHyperIdLives } from './environment';
import { mayHaveArrived, transientCode } from './network';

export const CLIENT_CREDENTIAL_TYPE = 'hyperIdClientApi';

/** The endpoints under the realm's openid-connect path (API.md "OAuth2 / OpenID Connect"). */
export const ENDPOINT_PATHS = {
	authorization: `${OPENID_CONNECT_PATH}/auth`,
	token: `${OPENID_CONNECT_PATH}/token`,
	introspection: `${OPENID_CONNECT_PATH}/token/introspect`,
	revocation: `${OPENID_CONNECT_PATH}/revoke`,
	logout: `${OPENID_CONNECT_PATH}/logout`,
	userinfo: `${OPENID_CONNECT_PATH}/userinfo`,
} as const;

export type EndpointName = keyof typeof ENDPOINT_PATHS;

/** How long a call waits for HyperID's answer unless the node's Timeout option says otherwise. */
export const DEFAULT_TIMEOUT_MS = 30_000;

export interface TokenSet {
	accessToken: string;
	refreshToken?: string;
	idToken?: string;
	/** ISO time the access token expires (from expires_in). */
	expiresAt?: string;
	/** ISO time the refresh token expires (from refresh_expires_in). */
	refreshExpiresAt?: string;
	scope?: string;
	tokenType?: string;
}

export type TokenErrorKind =
	| 'invalid_grant'
	| 'invalid_client'
	| 'unauthorized_client'
	| 'invalid_request'
	| 'not_found'
	| 'network'
	| 'timeout'
	| 'server';

/** A refused or failed call to one of HyperID's OpenID Connect endpoints. */
export class TokenEndpointError extends Error {
	kind: TokenErrorKind;

	/** The OAuth error code HyperID answered, e.g. invalid_grant. */
	oauthError?: string;

	httpStatus?: number;

	/** HyperID's error_description, with any value of the request blanked out. */
	oauthDescription?: string;

	/** For a network fault: whether the request may have reached HyperID although no answer came. */
	mayHaveArrived?: boolean;

	constructor(
		message: string,
		kind: TokenErrorKind,
		details: { oauthError?: string; httpStatus?: number; oauthDescription?: string } = {},
	) {
		super(message);
		this.name = 'TokenEndpointError';
		this.kind = kind;
		this.oauthError = details.oauthError;
		this.httpStatus = details.httpStatus;
		this.oauthDescription = details.oauthDescription;
	}
}

export interface EndpointCallOptions {
	itemIndex: number;
	timeoutMs?: number;
	/** Ends the request early, beside the execution's own cancel signal. */
	abortSignal?: AbortSignal;
}

/**
 * The login host of the item's client credential (https, or http on loopback only). A credential
 * that names no usable host is a TokenEndpointError of kind invalid_client, like any other fault of it.
 */
export async function loginHostOf(ctx: IExecuteFunctions, itemIndex: number): Promise<string> {
	let failure: TokenEndpointError | undefined;
	try {
		const credentials = await ctx.getCredentials<ICredentialDataDecryptedObject>(CLIENT_CREDENTIAL_TYPE, itemIndex);
		return whereHyperIdLives(ctx, credentials).loginHost;
	} catch (error) {
		const { message, description } = error as { message?: string; description?: string | null };
		failure = new TokenEndpointError(`${String(message ?? error)}${description ? `. ${description}` : ''}`, 'invalid_client');
	}
	throw failure;
}

export async function endpointUrl(ctx: IExecuteFunctions, endpoint: EndpointName, itemIndex: number): Promise<string> {
	return `${await loginHostOf(ctx, itemIndex)}${ENDPOINT_PATHS[endpoint]}`;
}

const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH']);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ECONNABORTED', 'ESOCKETTIMEDOUT', 'ERR_SOCKET_CONNECTION_TIMEOUT']);

function failureKind(error: unknown): 'network' | 'timeout' | 'aborted' | undefined {
	let current = error as { code?: unknown; httpCode?: unknown; name?: unknown; message?: unknown; cause?: unknown } | undefined;
	for (let depth = 0; current && depth < 6; depth++) {
		// n8n-core's NodeApiError keeps the Node.js error code as httpCode, without a cause
		const code = typeof current.code === 'string' ? current.code : typeof current.httpCode === 'string' ? current.httpCode : undefined;
		if (code === 'ERR_CANCELED' || current.name === 'AbortError' || current.name === 'CanceledError') return 'aborted';
		if (code && TIMEOUT_CODES.has(code)) return 'timeout';
		if (code && NETWORK_CODES.has(code)) return 'network';
		if (typeof current.message === 'string') {
			if (/timeout of \d+ms exceeded/i.test(current.message)) return 'timeout';
			if (/socket hang up|ECONNREFUSED|ECONNRESET|ENOTFOUND/i.test(current.message)) return 'network';
		}
		current = current.cause as typeof current;
	}
	return undefined;
}

/** Blanks every value the request carried (tokens, codes, verifiers) out of a text HyperID sent back. */
function scrubbed(text: string, form: Record<string, string>): string {
	let result = text;
	for (const value of Object.values(form)) {
		if (value.length >= 8) result = result.split(value).join('[redacted]');
	}
	return result.length > 300 ? `${result.slice(0, 300)}…` : result;
}

const WHAT: Record<EndpointName, string> = {
	authorization: 'authorization',
	token: 'token request',
	introspection: 'token introspection',
	revocation: 'token revocation',
	logout: 'logout',
	userinfo: 'user info request',
};

function endpointError(
	endpoint: EndpointName,
	status: number,
	body: unknown,
	form: Record<string, string>,
): TokenEndpointError {
	const what = WHAT[endpoint];
	const data = body !== null && typeof body === 'object' ? (body as IDataObject) : undefined;
	const oauthError = typeof data?.error === 'string' ? data.error : undefined;
	const rawDescription = typeof data?.error_description === 'string' ? data.error_description : undefined;
	const oauthDescription = rawDescription === undefined ? undefined : scrubbed(rawDescription, form);
	const details = { oauthError, httpStatus: status, oauthDescription };
	const said = oauthError ? `: ${oauthError}${oauthDescription ? ` (${oauthDescription})` : ''}` : '';
	if (oauthError === 'invalid_grant') {
		return new TokenEndpointError(`HyperID refused the ${what}${said}`, 'invalid_grant', details);
	}
	if (oauthError === 'invalid_client' || (status === 401 && endpoint !== 'userinfo')) {
		return new TokenEndpointError(
			`HyperID did not accept the client's authentication (HTTP ${status}${said})`,
			'invalid_client',
			details,
		);
	}
	if (oauthError === 'unauthorized_client') {
		return new TokenEndpointError(`HyperID does not allow this client the ${what}${said}`, 'unauthorized_client', details);
	}
	if (status === 404) {
		return new TokenEndpointError(`HyperID's ${what} endpoint was not found (HTTP 404)`, 'not_found', details);
	}
	if (status >= 500 || status === 429) {
		return new TokenEndpointError(`HyperID answered the ${what} with HTTP ${status}${said}`, 'server', details);
	}
	if (status === 401) {
		return new TokenEndpointError(`HyperID refused the access token (HTTP 401${said})`, 'invalid_grant', details);
	}
	return new TokenEndpointError(`HyperID refused the ${what} (HTTP ${status}${said})`, 'invalid_request', details);
}

/** The execution's cancel signal, joined with the caller's own, for one request. */
function withAbortSignal(ctx: IExecuteFunctions, abortSignal: AbortSignal | undefined): IExecuteFunctions {
	if (!abortSignal) return ctx;
	const own = typeof ctx.getExecutionCancelSignal === 'function' ? ctx.getExecutionCancelSignal() : undefined;
	const joined = own ? AbortSignal.any([own, abortSignal]) : abortSignal;
	return Object.create(ctx, { getExecutionCancelSignal: { value: () => joined } }) as IExecuteFunctions;
}

async function send(
	ctx: IExecuteFunctions,
	endpoint: EndpointName,
	request: { url: string; method: 'GET' | 'POST'; body?: string; headers: Record<string, string>; authenticate: boolean },
	form: Record<string, string>,
	opts: EndpointCallOptions,
): Promise<IN8nHttpFullResponse> {
	const caller = withAbortSignal(ctx, opts.abortSignal);
	const options = {
		method: request.method,
		url: request.url,
		headers: request.headers,
		body: request.body,
		json: true,
		returnFullResponse: true,
		ignoreHttpStatusErrors: true,
		timeout: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
	};
	let failure: TokenEndpointError | undefined;
	try {
		const response = request.authenticate
			? await caller.helpers.httpRequestWithAuthentication.call(caller, CLIENT_CREDENTIAL_TYPE, options)
			: await caller.helpers.httpRequest.call(caller, { ...options, abortSignal: caller.getExecutionCancelSignal?.() });
		return response as IN8nHttpFullResponse;
	} catch (error) {
		failure = transportFailure(error, endpoint, form, opts);
	}
	throw failure;
}

/** A request that got no answer, or that the client credential refused to build, as a TokenEndpointError. */
function transportFailure(
	error: unknown,
	endpoint: EndpointName,
	form: Record<string, string>,
	opts: EndpointCallOptions,
): TokenEndpointError {
	if (error instanceof TokenEndpointError) return error;
	const what = WHAT[endpoint];
	const kind = failureKind(error);
	const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
	if (kind === 'aborted') return new TokenEndpointError(`The ${what} to HyperID was cancelled`, 'timeout');
	if (kind === 'timeout') return new TokenEndpointError(`HyperID did not answer the ${what} within ${timeoutMs} ms`, 'timeout');
	if (kind === 'network') {
		const failure = new TokenEndpointError(`Could not reach HyperID's login host for the ${what}`, 'network');
		const code = transientCode(error);
		failure.mayHaveArrived = code !== undefined && mayHaveArrived(code);
		return failure;
	}
	// the client credential refused to build the request (no client ID, no secret, bad key, plain http)
	const message = error instanceof Error ? error.message : String(error);
	return new TokenEndpointError(scrubbed(message, form), 'invalid_client');
}

/** POSTs a form with the client's authentication to one of the client endpoints; the parsed answer (or '' for none). */
export async function callClientEndpoint(
	ctx: IExecuteFunctions,
	endpoint: Exclude<EndpointName, 'authorization' | 'userinfo'>,
	form: Record<string, string>,
	opts: EndpointCallOptions,
): Promise<{ status: number; body: unknown }> {
	const url = await endpointUrl(ctx, endpoint, opts.itemIndex);
	const response = await send(
		ctx,
		endpoint,
		{
			url,
			method: 'POST',
			body: new URLSearchParams(form).toString(),
			headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
			authenticate: true,
		},
		form,
		opts,
	);
	const status = response.statusCode;
	if (status < 200 || status >= 300) throw endpointError(endpoint, status, response.body, form);
	return { status, body: response.body };
}

function isoIn(seconds: unknown, now: number): string | undefined {
	const value = Number(seconds);
	return typeof seconds !== 'boolean' && seconds !== null && seconds !== '' && Number.isFinite(value) && value > 0
		? new Date(now + value * 1000).toISOString()
		: undefined;
}

/** A token endpoint answer as a TokenSet; throws when it carries no access token. */
export function tokenSetOf(body: unknown, now = Date.now()): TokenSet {
	const data = body !== null && typeof body === 'object' ? (body as IDataObject) : {};
	if (typeof data.access_token !== 'string' || data.access_token === '') {
		throw new TokenEndpointError('HyperID answered the token request without an access token', 'server');
	}
	const set: TokenSet = { accessToken: data.access_token };
	if (typeof data.refresh_token === 'string' && data.refresh_token !== '') set.refreshToken = data.refresh_token;
	if (typeof data.id_token === 'string' && data.id_token !== '') set.idToken = data.id_token;
	const expiresAt = isoIn(data.expires_in, now);
	if (expiresAt) set.expiresAt = expiresAt;
	const refreshExpiresAt = isoIn(data.refresh_expires_in, now);
	if (refreshExpiresAt) set.refreshExpiresAt = refreshExpiresAt;
	if (typeof data.scope === 'string') set.scope = data.scope;
	if (typeof data.token_type === 'string') set.tokenType = data.token_type;
	return set;
}

/** POST to the token endpoint with the client's authentication; form holds grant_type etc. */
export async function requestTokens(
	ctx: IExecuteFunctions,
	form: Record<string, string>,
	opts: EndpointCallOptions,
): Promise<TokenSet> {
	const started = Date.now();
	const { body } = await callClientEndpoint(ctx, 'token', form, opts);
	return tokenSetOf(body, started);
}

/** GET userinfo with the user's access token (no client authentication: the token is the authority). */
export async function requestUserInfo(
	ctx: IExecuteFunctions,
	accessToken: string,
	opts: EndpointCallOptions,
): Promise<IDataObject> {
	const url = await endpointUrl(ctx, 'userinfo', opts.itemIndex);
	const response = await send(
		ctx,
		'userinfo',
		{ url, method: 'GET', headers: { Authorization: `Bearer ${accessToken}` }, authenticate: false },
		{ accessToken },
		opts,
	);
	const status = response.statusCode;
	if (status < 200 || status >= 300) throw endpointError('userinfo', status, response.body, { accessToken });
	const body = response.body;
	if (body === null || typeof body !== 'object' || Array.isArray(body)) {
		throw new TokenEndpointError('HyperID answered the user info request without a JSON object', 'server', { httpStatus: status });
	}
	return body as IDataObject;
}
