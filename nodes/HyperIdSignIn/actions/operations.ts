/**
 * The sign-in steps, one function per operation. Each reads and checks its item's parameters in
 * `prepare` (so a bad item fails before anything is sent for it) and returns `send`, which talks
 * to HyperID through nodes/shared/hyperIdClient.ts.
 */
import { createHash, randomBytes } from 'crypto';
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import type { TokenSet } from '../../shared/hyperIdClient';
import {
	callClientEndpoint,
	CLIENT_CREDENTIAL_TYPE,
	DEFAULT_TIMEOUT_MS,
	endpointUrl,
	requestTokens,
	requestUserInfo,
	TokenEndpointError,
} from '../../shared/hyperIdClient';

export type Operation =
	| 'getAuthorizationUrl'
	| 'exchangeCode'
	| 'logOut'
	| 'refresh'
	| 'introspect'
	| 'revoke'
	| 'getInfo';

/** Whether sending the item spends something that cannot be spent again (a code, a refresh token). */
export const SPENDS_TOKEN: ReadonlySet<Operation> = new Set<Operation>(['exchangeCode', 'refresh']);

export interface Prepared {
	send: () => Promise<IDataObject>;
}

/** RFC 7636: 43-128 characters of the unreserved set. */
const CODE_VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

/** What an operation needs to read its item. */
interface Item {
	ctx: IExecuteFunctions;
	itemIndex: number;
	options: IDataObject;
	timeoutMs: number;
}

function invalid(item: Item, message: string, description: string): NodeOperationError {
	return new NodeOperationError(item.ctx.getNode(), `${message} (item ${item.itemIndex})`, {
		description,
		itemIndex: item.itemIndex,
	});
}

/** A text parameter of the item, trimmed; `required` fails an empty one, naming the field. */
function text(item: Item, name: string, label: string, required: boolean, hint: string): string {
	const raw = item.ctx.getNodeParameter(name, item.itemIndex, '') as unknown;
	if (raw !== undefined && raw !== null && typeof raw !== 'string') {
		throw invalid(item, `${label} must be text, not ${Array.isArray(raw) ? 'a list' : typeof raw}`, hint);
	}
	const value = (raw ?? '').trim();
	if (required && value === '') throw invalid(item, `${label} is empty`, hint);
	return value;
}

function option(item: Item, name: string): string {
	const raw = item.options[name];
	return raw === undefined || raw === null ? '' : String(raw).trim();
}

const base64url = (data: Buffer) => data.toString('base64url');

function absoluteUrl(item: Item, value: string): string {
	let parsed: URL;
	try {
		parsed = new URL(value);
	} catch {
		throw invalid(item, `Redirect URI "${value}" is not a URL`, 'Enter the full URL HyperID sends the user back to, e.g. https://n8n.example.com/webhook/hyperid-sign-in.');
	}
	if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
		throw invalid(item, `Redirect URI "${value}" is not an http(s) URL`, 'Enter the http(s) URL of your Webhook node, e.g. https://n8n.example.com/webhook/hyperid-sign-in.');
	}
	return value;
}

/** The claims of a JWT without checking its signature: for a token HyperID's token endpoint just sent over TLS (OIDC Core 3.1.3.7). */
function claimsOf(jwt: string | undefined): IDataObject | undefined {
	const payload = jwt?.split('.')[1];
	if (!payload) return undefined;
	try {
		const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as unknown;
		return claims !== null && typeof claims === 'object' && !Array.isArray(claims) ? (claims as IDataObject) : undefined;
	} catch {
		return undefined;
	}
}

/** The token set as output fields, in the names the README's token table uses. */
function tokenFields(set: TokenSet): IDataObject {
	const out: IDataObject = { accessToken: set.accessToken };
	if (set.refreshToken !== undefined) out.refreshToken = set.refreshToken;
	if (set.idToken !== undefined) out.idToken = set.idToken;
	if (set.expiresAt !== undefined) out.expiresAt = set.expiresAt;
	if (set.refreshExpiresAt !== undefined) out.refreshExpiresAt = set.refreshExpiresAt;
	if (set.scope !== undefined) out.scope = set.scope;
	if (set.tokenType !== undefined) out.tokenType = set.tokenType;
	return out;
}

function getAuthorizationUrl(item: Item): Prepared {
	const redirectUri = absoluteUrl(item, text(item, 'redirectUri', 'Redirect URI', true, 'Enter the URL HyperID sends the user back to (your Webhook node\'s production URL).'));
	const scopes = text(item, 'scopes', 'Scopes', true, 'Enter space-separated scopes, e.g. openid email user-data-get user-data-set.')
		.split(/\s+/)
		.join(' ');
	const state = text(item, 'state', 'State', false, 'Enter text, or leave State empty to generate one.') || base64url(randomBytes(24));
	const usePkce = item.ctx.getNodeParameter('usePkce', item.itemIndex, true) !== false;
	const identityProvider = option(item, 'identityProvider');
	let flowMode = item.options.flowMode === undefined || item.options.flowMode === '' ? undefined : Number(item.options.flowMode);
	if (flowMode !== undefined && !Number.isInteger(flowMode)) {
		throw invalid(item, `Flow Mode must be a number, not ${JSON.stringify(item.options.flowMode)}`, 'Pick a Flow Mode from the list (0 Web2 sign-in, 3 wallet sign-in, 4 wallet get, 6 guest upgrade, 9 identity provider).');
	}
	if (identityProvider !== '') {
		if (flowMode !== undefined && flowMode !== 9) {
			throw invalid(item, 'Identity Provider needs Flow Mode "Identity Provider"', 'Set Flow Mode to Identity Provider, or remove the Identity Provider option.');
		}
		flowMode = 9;
	}
	const nonce = option(item, 'nonce');
	return {
		send: async () => {
			const url = new URL(await endpointUrl(item.ctx, 'authorization', item.itemIndex));
			const query = url.searchParams;
			query.set('response_type', 'code');
			query.set('client_id', await clientIdOf(item));
			query.set('redirect_uri', redirectUri);
			query.set('scope', scopes);
			query.set('state', state);
			const out: IDataObject = {};
			if (usePkce) {
				const codeVerifier = base64url(randomBytes(48));
				query.set('code_challenge', base64url(createHash('sha256').update(codeVerifier).digest()));
				query.set('code_challenge_method', 'S256');
				out.codeVerifier = codeVerifier;
			}
			if (flowMode !== undefined) query.set('flow_mode', String(flowMode));
			if (identityProvider !== '') query.set('identity_provider', identityProvider);
			const loginHint = option(item, 'loginHint');
			if (loginHint !== '') query.set('login_hint', loginHint);
			if (nonce !== '') query.set('nonce', nonce);
			if (item.options.selectAccount === true) query.set('prompt', 'select_account');
			const uiLocales = option(item, 'uiLocales');
			if (uiLocales !== '') query.set('ui_locales', uiLocales);
			return { authorizationUrl: url.toString(), state, ...out, ...(nonce !== '' ? { nonce } : {}), redirectUri };
		},
	};
}

/** The client ID is not a secret: the authorization URL carries it in the clear. */
async function clientIdOf(item: Item): Promise<string> {
	const credentials = await item.ctx.getCredentials(CLIENT_CREDENTIAL_TYPE, item.itemIndex);
	const clientId = String(credentials.clientId ?? '').trim();
	if (clientId === '') {
		throw new TokenEndpointError('The HyperID Client credential has no Client ID: enter the ID of your HyperID client', 'invalid_client');
	}
	return clientId;
}

function exchangeCode(item: Item): Prepared {
	const code = text(item, 'code', 'Code', true, 'Map the code from the redirect\'s query, e.g. {{ $json.query.code }}.');
	const redirectUri = absoluteUrl(item, text(item, 'redirectUri', 'Redirect URI', true, 'Enter the same Redirect URI as in Get Authorization URL.'));
	const codeVerifier = text(item, 'codeVerifier', 'Code Verifier', false, 'Map the code verifier Get Authorization URL returned.');
	if (codeVerifier !== '' && !CODE_VERIFIER.test(codeVerifier)) {
		throw invalid(item, 'Code Verifier is not a PKCE code verifier (43 to 128 letters, digits and -._~)', 'Map the codeVerifier field Get Authorization URL returned for this sign-in, unchanged.');
	}
	const expectedState = option(item, 'expectedState');
	const receivedState = option(item, 'receivedState');
	if ((expectedState !== '' || receivedState !== '') && expectedState !== receivedState) {
		throw invalid(
			item,
			'The state the redirect carried is not the state of this sign-in; the code was not used',
			'Someone may be replaying another sign-in. Map Expected State from where you stored the state of Get Authorization URL, and Received State from the redirect ({{ $json.query.state }}).',
		);
	}
	const expectedNonce = option(item, 'expectedNonce');
	return {
		send: async () => {
			const form: Record<string, string> = { grant_type: 'authorization_code', code, redirect_uri: redirectUri };
			if (codeVerifier !== '') form.code_verifier = codeVerifier;
			const set = await requestTokens(item.ctx, form, { itemIndex: item.itemIndex, timeoutMs: item.timeoutMs });
			// From here the code is spent: nothing below may fail the item, or its tokens would be lost.
			const claims = claimsOf(set.idToken) ?? {};
			const out: IDataObject = {};
			if (typeof claims.sub === 'string') out.userId = claims.sub;
			if (typeof claims.email === 'string') out.email = claims.email;
			if (out.userId === undefined || out.email === undefined) {
				try {
					const info = await requestUserInfo(item.ctx, set.accessToken, { itemIndex: item.itemIndex, timeoutMs: item.timeoutMs });
					if (out.userId === undefined && typeof info.sub === 'string') out.userId = info.sub;
					if (out.email === undefined && typeof info.email === 'string') out.email = info.email;
				} catch {
					// the tokens are what matters; the user info can be read later with Get Info
				}
			}
			// told, not failed: the code is spent and these are the tokens HyperID issued to this client
			if (expectedNonce !== '') out.nonceMatches = claims.nonce === expectedNonce;
			return { ...out, ...tokenFields(set) };
		},
	};
}

/** The refreshes of one run, by a SHA-256 of the refresh token: HyperID ends the sign-in of a refresh token presented twice. */
const refreshesOfRun = new WeakMap<IExecuteFunctions, Map<string, Promise<IDataObject>>>();

function refresh(item: Item): Prepared {
	const refreshToken = text(item, 'refreshToken', 'Refresh Token', true, 'Map the user\'s stored refresh token, e.g. {{ $json.refreshToken }}.');
	return {
		send: async () => {
			const runs = refreshesOfRun.get(item.ctx) ?? new Map<string, Promise<IDataObject>>();
			refreshesOfRun.set(item.ctx, runs);
			const key = createHash('sha256').update(refreshToken).digest('hex');
			// items with the same refresh token share its one refresh: the same new pair, or the same failure
			let outcome = runs.get(key);
			if (outcome === undefined) {
				outcome = requestTokens(
					item.ctx,
					{ grant_type: 'refresh_token', refresh_token: refreshToken },
					{ itemIndex: item.itemIndex, timeoutMs: item.timeoutMs },
				).then((set) => {
					const sub = claimsOf(set.idToken)?.sub ?? claimsOf(set.accessToken)?.sub;
					return { ...(typeof sub === 'string' ? { userId: sub } : {}), ...tokenFields(set) };
				});
				runs.set(key, outcome);
			}
			return { ...(await outcome) };
		},
	};
}

function logOut(item: Item): Prepared {
	const refreshToken = text(item, 'refreshToken', 'Refresh Token', true, 'Map the user\'s stored refresh token, e.g. {{ $json.refreshToken }}.');
	return {
		send: async () => {
			await callClientEndpoint(item.ctx, 'logout', { refresh_token: refreshToken }, { itemIndex: item.itemIndex, timeoutMs: item.timeoutMs });
			return { loggedOut: true };
		},
	};
}

function introspect(item: Item): Prepared {
	const token = text(item, 'token', 'Token', true, 'Map the access or refresh token to check.');
	const tokenTypeHint = String(item.ctx.getNodeParameter('tokenTypeHint', item.itemIndex, 'access_token'));
	return {
		send: async () => {
			const { body } = await callClientEndpoint(
				item.ctx,
				'introspection',
				{ token, token_type_hint: tokenTypeHint },
				{ itemIndex: item.itemIndex, timeoutMs: item.timeoutMs },
			);
			const data = body !== null && typeof body === 'object' ? (body as IDataObject) : {};
			if (typeof data.active !== 'boolean') {
				throw new TokenEndpointError('HyperID answered the token introspection without "active"', 'server');
			}
			return data;
		},
	};
}

function revoke(item: Item): Prepared {
	const token = text(item, 'token', 'Token', true, 'Map the token to revoke, e.g. the user\'s refresh token.');
	const tokenTypeHint = String(item.ctx.getNodeParameter('tokenTypeHint', item.itemIndex, 'refresh_token'));
	return {
		send: async () => {
			// RFC 7009: an unknown or already dead token is answered 200 as well: it is revoked either way
			await callClientEndpoint(
				item.ctx,
				'revocation',
				{ token, token_type_hint: tokenTypeHint },
				{ itemIndex: item.itemIndex, timeoutMs: item.timeoutMs },
			);
			return { revoked: true, tokenType: tokenTypeHint === 'refresh_token' ? 'refreshToken' : 'accessToken' };
		},
	};
}

function getInfo(item: Item): Prepared {
	const accessToken = text(item, 'accessToken', 'Access Token', true, 'Map the user\'s access token, e.g. {{ $json.accessToken }}.');
	return {
		send: async () => await requestUserInfo(item.ctx, accessToken, { itemIndex: item.itemIndex, timeoutMs: item.timeoutMs }),
	};
}

const OPERATIONS: Record<Operation, (item: Item) => Prepared> = {
	getAuthorizationUrl,
	exchangeCode,
	logOut,
	refresh,
	introspect,
	revoke,
	getInfo,
};

export function isOperation(value: string): value is Operation {
	return Object.prototype.hasOwnProperty.call(OPERATIONS, value);
}

export function prepare(ctx: IExecuteFunctions, operation: Operation, itemIndex: number): Prepared {
	const options = ctx.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const item: Item = { ctx, itemIndex, options, timeoutMs: DEFAULT_TIMEOUT_MS };
	if (options.timeout !== undefined && options.timeout !== '') {
		const timeoutMs = Number(options.timeout);
		if (!Number.isFinite(timeoutMs) || timeoutMs < 1) {
			throw invalid(item, `The option "Timeout (Ms)" must be a positive number, not ${JSON.stringify(options.timeout)}`, 'Set "Timeout (Ms)" to the milliseconds to wait for HyperID, e.g. 30000.');
		}
		item.timeoutMs = Math.floor(timeoutMs);
	}
	return OPERATIONS[operation](item);
}
