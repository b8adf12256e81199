/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * The login host, as Keycloak runs it for HyperID: OpenID discovery, the authorization endpoint,
 * token (code exchange, refresh), userinfo, logout, revocation (RFC 7009), introspection (RFC 7662).
 *
 * Signing a user in from a test (the test plays the user's browser with plain HTTP):
 *   1. GET the authorization URL with fetch(url, { redirect: 'manual' }). There is no login page: the
 *      emulator signs the user in at once and answers 302 to redirect_uri with code, state,
 *      session_state and iss (errors: error, error_description, state, iss; a bad client or
 *      redirect URI is a 400 HTML page, never a redirect).
 *   2. Who signs in: the user queued by POST /__emulator/sign-in {userId | email} (one per sign-in,
 *      first in first out); else the user login_hint names (user id or email); else, for an unknown
 *      email in login_hint, a new user with that email; else the demo user.
 *   3. Hand the Location's code to the service (e.g. GET the n8n webhook with its query), which
 *      exchanges it at the token endpoint (redirect_uri and, after a code_challenge, code_verifier).
 * Many users without the browser: POST /__emulator/users {count, clientId?} -> [{userId, email,
 * accessToken, refreshToken, expiresIn, refreshExpiresIn}], each pair issued to that client.
 */
import type * as http from 'node:http';
import * as crypto from 'node:crypto';
import {
	AUTH_PATH,
	CLIENT_SCOPES_DEFAULT,
	CODE_CHALLENGE_METHODS,
	DEMO,
	DISCOVERY_PATH,
	EmulatorError,
	IDENTITY_PROVIDERS,
	INTROSPECT_PATH,
	LOGOUT_PATH,
	OIDC_PATH,
	REVOKE_PATH,
	SUPPORTED_SCOPES,
	TOKEN_PATH,
	USERINFO_PATH,
	type User,
} from './model';
import { authenticateClient } from './clientAuth';
import { finish, record, sendJson, type Ctx, type Handler } from './http';
import type { ClientRecord, EmulatorState } from './state';
import { accessExpired, accessRecordOf, authenticate, detachSession, endSession, issue, refreshRecordOf, startSession, verifyJwt } from './tokens';
import { escapeHtml, isAbsoluteHttpUrl, isPkceString, isPlainObject, parseScopes, randomId, s256, walletKey } from './util';

const CERTS_PATH = `${OIDC_PATH}/certs`;

/** The login host's endpoint for this request, if it is one. */
export function loginHandler(method: string, path: string): Handler | undefined {
	const get = method === 'GET';
	const post = method === 'POST';
	if (get && path === DISCOVERY_PATH) return (st, ctx, res) => sendJson(st, ctx, res, 200, discovery(st));
	if (get && path === AUTH_PATH) return handleAuth;
	if (post && path === TOKEN_PATH) return handleToken;
	if (post && path === LOGOUT_PATH) return handleLogout;
	if (post && path === REVOKE_PATH) return handleRevoke;
	if (post && path === INTROSPECT_PATH) return handleIntrospect;
	if ((get || post) && path === USERINFO_PATH) return handleUserinfo;
	if (get && path === CERTS_PATH) return (st, ctx, res) => sendJson(st, ctx, res, 200, { keys: [] });
	return undefined;
}

export function discovery(st: EmulatorState): Record<string, unknown> {
	const authMethods = ['client_secret_post', 'client_secret_basic', 'client_secret_jwt', 'private_key_jwt'];
	return {
		issuer: st.issuer(),
		authorization_endpoint: `${st.baseUrl}${AUTH_PATH}`,
		token_endpoint: `${st.baseUrl}${TOKEN_PATH}`,
		introspection_endpoint: `${st.baseUrl}${INTROSPECT_PATH}`,
		userinfo_endpoint: `${st.baseUrl}${USERINFO_PATH}`,
		end_session_endpoint: `${st.baseUrl}${LOGOUT_PATH}`,
		revocation_endpoint: `${st.baseUrl}${REVOKE_PATH}`,
		jwks_uri: `${st.baseUrl}${CERTS_PATH}`,
		rest_api_token_endpoint: st.baseUrl,
		rest_api_public_endpoint: st.baseUrl,
		identity_providers: [...IDENTITY_PROVIDERS],
		scopes_supported: [...SUPPORTED_SCOPES],
		client_scopes_default: [...CLIENT_SCOPES_DEFAULT],
		client_scopes_optional: SUPPORTED_SCOPES.filter((s) => s !== 'openid' && s !== 'email'),
		response_types_supported: ['code'],
		response_modes_supported: ['query'],
		grant_types_supported: ['authorization_code', 'refresh_token'],
		subject_types_supported: ['public'],
		id_token_signing_alg_values_supported: ['HS256'],
		token_endpoint_auth_methods_supported: [...authMethods],
		token_endpoint_auth_signing_alg_values_supported: ['HS256', 'RS256'],
		revocation_endpoint_auth_methods_supported: [...authMethods],
		introspection_endpoint_auth_methods_supported: [...authMethods],
		code_challenge_methods_supported: [...CODE_CHALLENGE_METHODS],
		authorization_response_iss_parameter_supported: true,
		userinfo_signing_alg_values_supported: ['none'],
		claims_supported: ['sub', 'email', 'email_verified', 'azp', 'scope', 'nonce', 'wallet_address', 'wallet_chain_id'],
		wallet_family: { ethereum: 0, solana: 1 },
		wallet_source: { mpc: 0, external: 1 },
		wallet_chain: { '1': 'Ethereum', '137': 'Polygon', '56': 'BNB Smart Chain' },
	};
}

// ---------------------------------------------------------------------------------------------
// Sign-in: who signs in, the authorization endpoint, userinfo
// ---------------------------------------------------------------------------------------------

/** The next authorization request signs in this user (created when unknown), before any login_hint. */
export function signInNext(st: EmulatorState, input: { userId?: string; email?: string }): User {
	if (!isPlainObject(input)) throw new EmulatorError(400, 'body must be an object');
	const { userId, email } = input;
	if (userId !== undefined && (typeof userId !== 'string' || userId === '')) throw new EmulatorError(400, 'userId must be a non-empty string');
	if (email !== undefined && (typeof email !== 'string' || email === '')) throw new EmulatorError(400, 'email must be a non-empty string');
	if (userId === undefined && email === undefined) throw new EmulatorError(400, 'userId or email is required');
	let user = userId !== undefined ? st.users.get(userId) : st.findUser(email as string);
	if (!user) user = st.addUser({ userId: userId ?? crypto.randomUUID(), email });
	st.nextSignIns.push(user.userId);
	return structuredClone(user);
}

/**
 * Keycloak's redirect URI check (services/src/main/java/org/keycloak/protocol/oidc/utils/RedirectUtils.java,
 * verifyRedirectUri): exact, or a registered prefix ending in `*`; on http://localhost and
 * http://127.0.0.1 the port is ignored (RFC 8252 loopback). No registered URI accepts nothing.
 */
export function redirectUriAllowed(client: ClientRecord, uri: string): boolean {
	if (!isAbsoluteHttpUrl(uri)) return false;
	const matches = (u: string) => client.redirectUris.some((r) => (r.endsWith('*') ? u.startsWith(r.slice(0, -1)) : u === r));
	if (matches(uri)) return true;
	const loopback = /^(http:\/\/(?:localhost|127\.0\.0\.1)):\d+(.*)$/.exec(uri);
	return loopback !== null && matches(`${loopback[1]}${loopback[2]}`);
}

/**
 * Who signs in, with no login page: the user queued by signInNext; else the user login_hint names
 * (user id or email); else, for an unknown email, a new user with that email (a sign-up); else the demo user.
 */
function signingInUser(st: EmulatorState, hint: string | null): User {
	const queued = st.nextSignIns.shift();
	let userId = queued ?? (hint ? st.findUser(hint)?.userId : undefined);
	if (userId === undefined && hint && /^[^\s@]+@[^\s@]+$/.test(hint)) userId = st.addUser({ userId: crypto.randomUUID(), email: hint }).userId;
	userId ??= DEMO.userId;
	if (!st.users.has(userId)) st.addUser(userId === DEMO.userId ? { userId, email: DEMO.email } : { userId });
	// the stored record, not addUser's copy: signing in may link an identity provider to it
	return st.users.get(userId) as User;
}

/**
 * The authorization endpoint as Keycloak answers it, signing the user in at once (no login page).
 * A bad client or redirect URI is a 400 page; every later error is redirected with error, error_description, state and iss.
 */
function handleAuth(st: EmulatorState, ctx: Ctx, res: http.ServerResponse): void {
	const q = ctx.url.searchParams;
	const page = (status: number, title: string, text: string) =>
		finish(
			st,
			ctx,
			res,
			status,
			`<!doctype html><html><head><title>${escapeHtml(title)}</title></head><body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p></body></html>`,
			'text/html; charset=UTF-8',
		);
	const clientId = q.get('client_id');
	if (!clientId) {
		page(400, 'Invalid parameter', 'Missing parameter: client_id');
		return;
	}
	const client = st.clients.get(clientId);
	if (!client) {
		page(400, 'Invalid client', `Client not found: ${clientId}`);
		return;
	}
	const redirectUriParam = q.get('redirect_uri') ?? undefined;
	// RedirectUtils.verifyRedirectUri: without redirect_uri, an OAuth2 request gets the client's only registered
	// URI (exactly one, no wildcard); OpenID Connect requires the parameter (AuthorizationEndpointChecker.checkRedirectUri)
	const oidc = parseScopes(q.get('scope') ?? '').includes('openid');
	const only = !oidc && client.redirectUris.length === 1 && !client.redirectUris[0].includes('*') ? client.redirectUris[0] : undefined;
	const redirectUri = redirectUriParam ?? only;
	if (redirectUri === undefined || !redirectUriAllowed(client, redirectUri)) {
		page(400, 'Invalid parameter', 'Invalid parameter: redirect_uri');
		return;
	}
	const state = q.get('state');
	const redirect = (params: Record<string, string>, inFragment = false) => {
		const target = new URL(redirectUri);
		const answer = new URLSearchParams(inFragment ? '' : target.search);
		for (const [k, v] of Object.entries(params)) answer.set(k, v);
		if (state !== null) answer.set('state', state);
		answer.set('iss', st.issuer());
		if (inFragment) target.hash = answer.toString();
		else target.search = answer.toString();
		finish(st, ctx, res, 302, '', 'text/plain', { Location: target.toString() });
	};
	const fail = (error: string, description?: string) => redirect(description === undefined ? { error } : { error, error_description: description });

	const responseType = q.get('response_type');
	if (responseType === null) return fail('invalid_request', 'Missing parameter: response_type');
	const types = responseType.split(' ').filter((t) => t !== '');
	if (types.length === 0 || types.some((t) => !['code', 'token', 'id_token'].includes(t))) return fail('unsupported_response_type');
	// AuthorizationEndpointChecker: implicit and hybrid flows are off for the client; their answer goes in the fragment
	if (types.includes('token') || types.includes('id_token')) {
		return redirect(
			{ error: 'unauthorized_client', error_description: 'Client is not allowed to initiate browser login with given response_type. Implicit flow is disabled for the client.' },
			true,
		);
	}
	const requested = parseScopes(q.get('scope') ?? '');
	const unknown = requested.filter((sc) => !SUPPORTED_SCOPES.includes(sc));
	if (unknown.length > 0) return fail('invalid_scope', `Invalid scopes: ${q.get('scope')}`);
	// PKCE as Keycloak checks it for a client that does not enforce it: a method needs a challenge; plain by default
	const challenge = q.get('code_challenge') ?? undefined;
	const method = q.get('code_challenge_method') ?? undefined;
	if (challenge === undefined && method !== undefined) return fail('invalid_request', 'Missing parameter: code_challenge');
	if (method !== undefined && !CODE_CHALLENGE_METHODS.includes(method)) return fail('invalid_request', 'Invalid parameter: code_challenge_method');
	if (challenge !== undefined && !isPkceString(challenge)) return fail('invalid_request', 'Invalid parameter: code_challenge');

	const user = signingInUser(st, q.get('login_hint'));
	// signing in through an identity provider (flow_mode 9) links it to the user, so by-idp data for it exists
	const idp = q.get('identity_provider');
	if (idp !== null && IDENTITY_PROVIDERS.includes(idp) && !user.identityProviders.includes(idp)) user.identityProviders.push(idp);
	const sid = startSession(st, user.userId, clientId);
	const code = randomId(20);
	const now = st.nowSec();
	for (const [k, c] of st.codes) if (c.exp <= now) st.codes.delete(k);
	st.codes.set(code, {
		userId: user.userId,
		clientId,
		redirectUriParam,
		// no scope asked for: the client's default scopes (discovery's client_scopes_default)
		scopes: requested.length > 0 ? requested : [...CLIENT_SCOPES_DEFAULT],
		exp: now + st.opts.codeLifetime,
		sid,
		nonce: q.get('nonce') ?? undefined,
		codeChallenge: challenge,
		codeChallengeMethod: challenge === undefined ? undefined : (method ?? 'plain'),
		used: false,
	});
	redirect({ code, session_state: sid });
}

/**
 * Keycloak's userinfo (services/src/main/java/org/keycloak/protocol/oidc/endpoints/UserInfoEndpoint.java):
 * the Bearer token in the header (or `access_token` in a POST form). Errors are OAuth2Error.json(false):
 * an empty body, the error only in WWW-Authenticate. No token: a bare challenge; a forged, expired or
 * revoked token: invalid_token "Token verification failed"; no openid scope: 403 insufficient_scope;
 * the token of a sign-in that ended (logout, revocation, reuse): "User session not found ...".
 */
function handleUserinfo(st: EmulatorState, ctx: Ctx, res: http.ServerResponse): void {
	const challenge = (status: number, error?: string, description?: string) =>
		finish(st, ctx, res, status, '', 'text/plain', {
			'WWW-Authenticate': error === undefined ? 'Bearer realm="HyperID"' : `Bearer realm="HyperID", error="${error}", error_description="${description}"`,
		});
	const fromForm = ctx.method === 'POST' && ctx.headers.authorization === undefined ? oauthParams(ctx).access_token : undefined;
	const header = fromForm !== undefined ? `Bearer ${fromForm}` : ctx.headers.authorization;
	const token = header === undefined ? undefined : /^Bearer\s+(\S+)\s*$/i.exec(header.trim())?.[1];
	if (token === undefined) return challenge(401);
	const payload = verifyJwt(st, token);
	if (!payload || payload.typ !== 'Bearer' || typeof payload.exp !== 'number' || payload.exp <= st.nowSec()) {
		return challenge(401, 'invalid_token', 'Token verification failed');
	}
	if (!String(payload.scope ?? '').split(' ').includes('openid')) return challenge(403, 'insufficient_scope', 'Missing openid scope');
	const session = typeof payload.sid === 'string' ? st.sessions.get(payload.sid) : undefined;
	if (!session || session.detached) return challenge(401, 'invalid_token', "User session not found or doesn't have client attached on it");
	const auth = authenticate(st, `Bearer ${token}`);
	// the session lives but this token does not: revoked alone, or expired by expireTokensEveryRequests
	if (!auth.ok) return challenge(401, 'invalid_token', 'Token verification failed');
	const user = st.users.get(auth.rec.sub);
	const info: Record<string, unknown> = { sub: auth.rec.sub, email: user?.email, email_verified: true, is_guest: false };
	const wallet = auth.rec.wallet === undefined ? undefined : user?.wallets.find((w) => walletKey(w.address) === walletKey(auth.rec.wallet as string));
	if (auth.rec.wallet !== undefined) {
		Object.assign(info, {
			wallet_address: auth.rec.wallet,
			wallet_chain_id: wallet?.chain ?? '1',
			wallet_family: wallet?.family ?? 0,
			wallet_source: 1,
			is_wallet_verified: true,
		});
	}
	sendJson(st, ctx, res, 200, info);
}

// ---------------------------------------------------------------------------------------------
// The OAuth endpoints: token, logout, revocation, introspection
// ---------------------------------------------------------------------------------------------

const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };

function oauthError(st: EmulatorState, ctx: Ctx, res: http.ServerResponse, status: number, error: string, description: string): void {
	sendJson(st, ctx, res, status, { error, error_description: description }, NO_STORE);
}

/** The parameters of an OAuth request: a form body (a JSON object is taken too). */
function oauthParams(ctx: Ctx): Record<string, string> {
	const ct = String(ctx.headers['content-type'] ?? '');
	if (ct.includes('application/json') || /^\s*\{/.test(ctx.raw)) {
		try {
			const j = JSON.parse(ctx.raw);
			if (isPlainObject(j)) {
				const params: Record<string, string> = {};
				for (const [k, v] of Object.entries(j)) if (typeof v === 'string' || typeof v === 'number') params[k] = String(v);
				return params;
			}
		} catch {
			// not JSON: read it as a form
		}
	}
	return Object.fromEntries(new URLSearchParams(ctx.raw));
}

/** Params and an authenticated client, or undefined once the error has been answered (Keycloak's status and error, see clientAuth.ts). */
function oauthClient(st: EmulatorState, ctx: Ctx, res: http.ServerResponse, params = oauthParams(ctx)): { params: Record<string, string>; clientId: string } | undefined {
	const client = authenticateClient(st, ctx, params);
	if (!client.ok) {
		oauthError(st, ctx, res, client.status, client.error, client.description);
		return undefined;
	}
	return { params, clientId: client.clientId };
}

/** Keycloak's TokenEndpoint: checkGrantType before checkClient, so a bad grant_type is answered whoever asks. */
function handleToken(st: EmulatorState, ctx: Ctx, res: http.ServerResponse): void {
	const params = oauthParams(ctx);
	const grant = params.grant_type;
	if (grant === undefined) {
		oauthError(st, ctx, res, 400, 'invalid_request', 'Missing form parameter: grant_type');
		return;
	}
	// Keycloak knows more grants (password, client_credentials, ...), each off for HyperID's clients; the emulator calls them unsupported
	if (grant !== 'authorization_code' && grant !== 'refresh_token') {
		oauthError(st, ctx, res, 400, 'unsupported_grant_type', 'Unsupported grant_type');
		return;
	}
	const auth = oauthClient(st, ctx, res, params);
	if (!auth) return;
	if (grant === 'authorization_code') exchangeCode(st, ctx, res, params, auth.clientId);
	else refresh(st, ctx, res, params, auth.clientId);
}

/**
 * A refresh in Keycloak's order (TokenManager.refreshAccessToken): verifyRefreshToken (signature, type,
 * expiry, client), validateToken (session, its client), then validateTokenReuseForRefresh with
 * "Revoke Refresh Token" on and no reuse allowed: a spent token is refused AND detaches the session's
 * client (detachFromUserSession), so the pair the first refresh issued stops working too.
 * Keycloak tells "Stale token" from a reuse by iat in whole seconds (within one second an older
 * token passes); the emulator knows the order of its tokens and is strict.
 */
function refresh(st: EmulatorState, ctx: Ctx, res: http.ServerResponse, params: Record<string, string>, clientId: string): void {
	const invalid = (description: string) => oauthError(st, ctx, res, 400, 'invalid_grant', description);
	const token = params.refresh_token;
	if (token === undefined) {
		oauthError(st, ctx, res, 400, 'invalid_request', 'No refresh token');
		return;
	}
	const payload = verifyJwt(st, token);
	if (!payload || payload.typ !== 'Refresh' || typeof payload.jti !== 'string' || typeof payload.sid !== 'string') return invalid('Invalid refresh token');
	if (typeof payload.exp !== 'number' || payload.exp <= st.nowSec()) return invalid('Token is not active');
	if (payload.azp !== clientId) return invalid("Invalid refresh token. Token client and authorized client don't match");
	const session = st.sessions.get(payload.sid);
	if (!session) return invalid('Session not active');
	if (session.detached) return invalid("Session doesn't have required client");
	const rec = refreshRecordOf(st, token);
	if (!rec) {
		// spent: the one presented last is a reuse, any older one is stale; either way the session's client is detached
		const description = payload.jti === session.lastPresentedRefresh ? 'Maximum allowed refresh token reuse exceeded' : 'Stale token';
		detachSession(st, session.sid);
		st.stats.refreshReuses++;
		return invalid(description);
	}
	session.lastPresentedRefresh = rec.jti;
	st.refreshTokens.delete(rec.jti);
	const t = issue(st, rec.userId, clientId, rec.scopes, rec.wallet, st.opts.accessTokenLifetime, rec.sid);
	st.stats.tokenGrants.refresh_token++;
	sendJson(st, ctx, res, 200, t, NO_STORE);
}

/**
 * The code exchange in Keycloak's order: the code is spent as soon as it is read (a second use also
 * ends the session it started; an expired code is "not valid" too), then redirect_uri, client,
 * session, PKCE; every failure is 400 invalid_grant with Keycloak's error_description.
 */
function exchangeCode(st: EmulatorState, ctx: Ctx, res: http.ServerResponse, params: Record<string, string>, clientId: string): void {
	const invalid = (description: string) => oauthError(st, ctx, res, 400, 'invalid_grant', description);
	const code = params.code;
	if (code === undefined) {
		oauthError(st, ctx, res, 400, 'invalid_request', 'Missing parameter: code');
		return;
	}
	const rec = st.codes.get(code);
	if (!rec || rec.exp <= st.nowSec()) return invalid('Code not valid');
	if (rec.used) {
		// Keycloak's TokenEndpoint: "Attempt to use same code twice should invalidate existing clientSession"
		detachSession(st, rec.sid);
		return invalid('Code not valid');
	}
	rec.used = true;
	// RFC 6749 4.1.3: the redirect_uri of the authorization request, identical
	if (rec.redirectUriParam !== undefined && params.redirect_uri !== rec.redirectUriParam) return invalid('Incorrect redirect_uri');
	if (rec.clientId !== clientId) return invalid('Auth error: Found different client_id in clientSession');
	if (!st.sessions.has(rec.sid) || st.sessions.get(rec.sid)?.detached) return invalid('Session not active');
	const verifier = params.code_verifier;
	if (rec.codeChallenge === undefined) {
		// Keycloak refuses a verifier for a code that had no challenge (a PKCE downgrade)
		if (verifier !== undefined) return invalid('PKCE code verifier specified but challenge not present in authorization');
	} else {
		if (verifier === undefined) return invalid('PKCE code verifier not specified');
		if (!isPkceString(verifier)) return invalid('PKCE verification failed: Invalid code verifier');
		const derived = rec.codeChallengeMethod === 'S256' ? s256(verifier) : verifier;
		if (derived !== rec.codeChallenge) return invalid('PKCE verification failed: Code mismatch');
	}
	const user = st.users.get(rec.userId);
	const t = issue(st, rec.userId, clientId, rec.scopes, user?.wallets[0]?.address, st.opts.accessTokenLifetime, rec.sid, rec.nonce);
	st.stats.tokenGrants.authorization_code++;
	sendJson(st, ctx, res, 200, t, NO_STORE);
}

/**
 * Keycloak's back-channel logout: a refresh token of the calling client names the session, which
 * ends (204). Its refresh tokens then give invalid_grant and its access tokens -1, as Keycloak's
 * own checks (userinfo, introspection) refuse the tokens of a session that is gone.
 */
function handleLogout(st: EmulatorState, ctx: Ctx, res: http.ServerResponse): void {
	const auth = oauthClient(st, ctx, res);
	if (!auth) return;
	const token = auth.params.refresh_token;
	if (token === undefined) {
		oauthError(st, ctx, res, 400, 'invalid_request', 'No refresh token');
		return;
	}
	const payload = verifyJwt(st, token);
	if (!payload || payload.typ !== 'Refresh') {
		oauthError(st, ctx, res, 400, 'invalid_grant', 'Invalid refresh token');
		return;
	}
	if (payload.azp !== auth.clientId) {
		oauthError(st, ctx, res, 400, 'invalid_grant', 'Invalid refresh token. Token client and authorized client don\'t match');
		return;
	}
	// LogoutEndpoint.logoutToken verifies the token without its expiry (verifyRefreshToken(..., false))
	// a session already gone (logged out, revoked, reset) is no error: there is nothing left to end
	if (typeof payload.sid === 'string' && st.sessions.has(payload.sid)) endSession(st, payload.sid);
	if (!res.destroyed) {
		res.writeHead(204, NO_STORE);
		res.end();
	}
	record(st, ctx, 204);
}

/**
 * RFC 7009 as current Keycloak does it (protocol/oidc/endpoints/TokenRevocationEndpoint.java,
 * revokeClientSession): a refresh token ends the sign-in it belongs to (its client session is
 * detached), not the user's other sign-ins; older Keycloak (revokeClient) ended every session of
 * the user with the client. An access token: that token alone. Unknown or dead tokens get 200 too
 * (Keycloak adds an invalid_token body); a token of another client is refused.
 */
function handleRevoke(st: EmulatorState, ctx: Ctx, res: http.ServerResponse): void {
	const auth = oauthClient(st, ctx, res);
	if (!auth) return;
	const token = auth.params.token;
	if (token === undefined) {
		oauthError(st, ctx, res, 400, 'invalid_request', 'Token not provided');
		return;
	}
	const payload = verifyJwt(st, token);
	if (!payload) {
		oauthError(st, ctx, res, 200, 'invalid_token', 'Invalid token');
		return;
	}
	if (payload.typ !== 'Refresh' && payload.typ !== 'Bearer') {
		oauthError(st, ctx, res, 400, 'unsupported_token_type', 'Unsupported token type');
		return;
	}
	if (payload.azp !== auth.clientId) {
		oauthError(st, ctx, res, 400, 'invalid_request', 'Unmatching clients');
		return;
	}
	if (payload.typ === 'Refresh') {
		if (typeof payload.sid !== 'string' || !st.sessions.has(payload.sid) || st.sessions.get(payload.sid)?.detached) {
			oauthError(st, ctx, res, 200, 'invalid_token', 'Invalid token');
			return;
		}
		detachSession(st, payload.sid);
	} else {
		const rec = accessRecordOf(st, token);
		if (!rec) {
			oauthError(st, ctx, res, 200, 'invalid_token', 'Invalid token');
			return;
		}
		st.accessTokens.delete(rec.jti);
	}
	finish(st, ctx, res, 200, '', 'text/plain', NO_STORE);
}

/**
 * RFC 7662 for an authenticated client (any client of the realm may ask, as in Keycloak):
 * {active: true, ...claims} for a token the emulator would accept now, else {active: false}.
 */
function handleIntrospect(st: EmulatorState, ctx: Ctx, res: http.ServerResponse): void {
	const params = oauthParams(ctx);
	// TokenIntrospectionEndpoint.authorizeClient: every client authentication failure is this one answer
	if (!authenticateClient(st, ctx, params).ok) {
		oauthError(st, ctx, res, 401, 'invalid_request', 'Authentication failed.');
		return;
	}
	const token = params.token;
	if (token === undefined) {
		oauthError(st, ctx, res, 400, 'invalid_request', 'Token not provided.');
		return;
	}
	const payload = verifyJwt(st, token);
	let active = false;
	if (payload?.typ === 'Bearer') {
		const rec = accessRecordOf(st, token);
		active = rec !== undefined && !accessExpired(st, rec);
	} else if (payload?.typ === 'Refresh') {
		const rec = refreshRecordOf(st, token);
		active = rec !== undefined && rec.exp > st.nowSec();
	}
	if (!payload || !active) {
		sendJson(st, ctx, res, 200, { active: false }, NO_STORE);
		return;
	}
	// AccessTokenIntrospectionProvider adds username (the user's preferred_username; HyperID's users sign in by email)
	const username = st.users.get(String(payload.sub))?.email ?? payload.sub;
	sendJson(st, ctx, res, 200, { ...payload, client_id: payload.azp, username, token_type: payload.typ, active: true }, NO_STORE);
}
