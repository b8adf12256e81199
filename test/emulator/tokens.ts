/**
 * Tokens and sessions as Keycloak issues them: access, refresh and id tokens are HS256 JWTs the
 * emulator signs; refresh tokens rotate; a session (sid) ties them to one sign-in of one user to
 * one client, and ending it ends them. Shared by the login host, the user data API and the control API.
 *
 * Revocation model (issue 22): current Keycloak's. A spent refresh token presented again ends that
 * one sign-in of that user with that client (its sid): services/src/main/java/org/keycloak/protocol/
 * oidc/TokenManager.java, validateTokenReuseForRefresh -> clientSession.detachFromUserSession(), in
 * every version. Revoking a refresh token does the same (TokenRevocationEndpoint.revokeClientSession;
 * before it, revokeClient ended every session of the user with the client). Other sign-ins of the
 * user, and other users, are untouched; logout ends the whole session.
 */
import * as crypto from 'node:crypto';
import {
	DEFAULT_SCOPES,
	DEMO,
	EmulatorError,
	type AddUsersOptions,
	type CreateTokenOptions,
	type SignedInUser,
	type TokenEndpointResponse,
	type TokenGrant,
	type User,
} from './model';
import type { AccessRecord, EmulatorState, RefreshRecord } from './state';
import { b64url, isPlainObject, parseScopes, walletKey } from './util';

function signJwt(st: EmulatorState, payload: Record<string, unknown>): string {
	const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: 'hyperid-emulator' }));
	const body = b64url(JSON.stringify(payload));
	const sig = crypto.createHmac('sha256', st.jwtSecret).update(`${header}.${body}`).digest('base64url');
	return `${header}.${body}.${sig}`;
}

/** The payload of a JWT the emulator signed itself (access, refresh, id token), or undefined. */
export function verifyJwt(st: EmulatorState, token: string): Record<string, unknown> | undefined {
	const parts = token.split('.');
	if (parts.length !== 3 || parts.some((p) => p === '' || !/^[A-Za-z0-9_-]+$/.test(p))) return undefined;
	const expected = crypto.createHmac('sha256', st.jwtSecret).update(`${parts[0]}.${parts[1]}`).digest();
	const given = Buffer.from(parts[2], 'base64url');
	if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) return undefined;
	try {
		const header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
		if (!isPlainObject(header) || header.alg !== 'HS256') return undefined;
		const payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
		return isPlainObject(payload) ? payload : undefined;
	} catch {
		return undefined;
	}
}

export function startSession(st: EmulatorState, userId: string, clientId: string): string {
	const sid = crypto.randomUUID();
	st.sessions.set(sid, { sid, userId, clientId, detached: false });
	return sid;
}

/**
 * Keycloak's `clientSession.detachFromUserSession()` (a reused refresh token or code): that sign-in's
 * tokens stop working; the session is kept so that its refresh tokens get "Session doesn't have required client".
 */
export function detachSession(st: EmulatorState, sid: string): void {
	const session = st.sessions.get(sid);
	if (!session) return;
	session.detached = true;
	for (const [jti, rec] of st.refreshTokens) if (rec.sid === sid) st.refreshTokens.delete(jti);
	for (const [jti, rec] of st.accessTokens) if (rec.sid === sid) st.accessTokens.delete(jti);
}

/** Ends a session: its refresh tokens and its access tokens are no longer accepted. */
export function endSession(st: EmulatorState, sid: string): void {
	st.sessions.delete(sid);
	for (const [jti, rec] of st.refreshTokens) if (rec.sid === sid) st.refreshTokens.delete(jti);
	for (const [jti, rec] of st.accessTokens) if (rec.sid === sid) st.accessTokens.delete(jti);
}

export function issue(
	st: EmulatorState,
	userId: string,
	clientId: string,
	scopes: string[],
	wallet: string | undefined,
	expiresIn: number,
	sid: string,
	nonce?: string,
): TokenEndpointResponse {
	const user = st.users.get(userId);
	const iat = st.nowSec();
	const exp = iat + expiresIn;
	const jti = crypto.randomUUID();
	const payload: Record<string, unknown> = {
		exp,
		iat,
		auth_time: iat,
		jti,
		iss: st.issuer(),
		sub: userId,
		typ: 'Bearer',
		azp: clientId,
		scope: scopes.join(' '),
		sid,
		email: user?.email,
		email_verified: true,
	};
	if (wallet !== undefined) {
		payload.wallet_address = wallet;
		const w = user?.wallets.find((x) => walletKey(x.address) === walletKey(wallet));
		payload.wallet_chain_id = w?.chain ?? '1';
	}
	const access = signJwt(st, payload);
	st.accessTokens.set(jti, {
		jti,
		token: access,
		sub: userId,
		azp: clientId,
		sid,
		scopes: [...scopes],
		wallet,
		exp,
		issuedAtServed: st.stats.userDataServed,
	});
	// Keycloak: the refresh token is a signed JWT the client may decode to read its expiry
	const refreshLifetime = st.opts.refreshTokenLifetime;
	const refreshJti = crypto.randomUUID();
	const refreshExp = iat + refreshLifetime;
	const refresh = signJwt(st, {
		exp: refreshExp,
		iat,
		jti: refreshJti,
		iss: st.issuer(),
		aud: st.issuer(),
		sub: userId,
		typ: 'Refresh',
		azp: clientId,
		sid,
		scope: scopes.join(' '),
	});
	st.refreshTokens.set(refreshJti, {
		jti: refreshJti,
		token: refresh,
		userId,
		clientId,
		sid,
		scopes: [...scopes],
		wallet,
		exp: refreshExp,
	});
	const out: TokenEndpointResponse = {
		access_token: access,
		token_type: 'Bearer',
		expires_in: expiresIn,
		refresh_token: refresh,
		refresh_expires_in: refreshExp - iat,
		scope: scopes.join(' '),
		session_state: sid,
		'not-before-policy': 0,
	};
	if (scopes.includes('openid')) {
		out.id_token = signJwt(st, {
			exp,
			iat,
			iss: st.issuer(),
			aud: clientId,
			sub: userId,
			typ: 'ID',
			azp: clientId,
			sid,
			email: user?.email,
			email_verified: true,
			...(nonce !== undefined ? { nonce } : {}),
			...(wallet !== undefined ? { wallet_address: wallet } : {}),
		});
	}
	return out;
}

export function createToken(st: EmulatorState, o: CreateTokenOptions = {}): TokenGrant {
	if (!isPlainObject(o)) throw new EmulatorError(400, 'body must be an object');
	const userId = o.userId ?? DEMO.userId;
	const clientId = o.clientId ?? DEMO.clientId;
	if (typeof userId !== 'string' || userId === '') throw new EmulatorError(400, 'userId must be a non-empty string');
	if (typeof clientId !== 'string' || !st.clients.has(clientId)) throw new EmulatorError(400, `unknown clientId: ${String(clientId)}`);
	if (o.expiresIn !== undefined && (typeof o.expiresIn !== 'number' || !Number.isFinite(o.expiresIn))) {
		throw new EmulatorError(400, 'expiresIn must be a number of seconds');
	}
	if (o.walletAddress !== undefined && typeof o.walletAddress !== 'string') throw new EmulatorError(400, 'walletAddress must be a string');
	if (!st.users.has(userId)) st.addUser({ userId });
	const user = st.users.get(userId) as User;
	const scopes = o.scopes === undefined ? [...DEFAULT_SCOPES] : parseScopes(o.scopes);
	const wallet = o.walletAddress ?? user.wallets[0]?.address;
	const expiresIn = Math.trunc(o.expiresIn ?? st.opts.accessTokenLifetime);
	const t = issue(st, userId, clientId, scopes, wallet, expiresIn, startSession(st, userId, clientId));
	st.stats.tokenGrants.control++;
	return { access_token: t.access_token, refresh_token: t.refresh_token, expires_in: t.expires_in };
}

export function addUsers(st: EmulatorState, o: AddUsersOptions): SignedInUser[] {
	if (!isPlainObject(o)) throw new EmulatorError(400, 'body must be an object');
	const { count } = o;
	if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > 10000) {
		throw new EmulatorError(400, 'count must be a whole number from 1 to 10000');
	}
	const prefix = o.prefix ?? 'user-';
	if (typeof prefix !== 'string' || prefix === '') throw new EmulatorError(400, 'prefix must be a non-empty string');
	const clientId = o.clientId ?? DEMO.clientId;
	if (typeof clientId !== 'string' || !st.clients.has(clientId)) throw new EmulatorError(400, `unknown clientId: ${String(clientId)}`);
	const out: SignedInUser[] = [];
	for (let n = 1; out.length < count; n++) {
		const userId = `${prefix}${n}`;
		if (st.users.has(userId)) continue;
		const user = st.addUser({ userId });
		const t = createToken(st, { userId, clientId, scopes: o.scopes, expiresIn: o.expiresIn });
		out.push({
			userId,
			email: user.email,
			accessToken: t.access_token,
			refreshToken: t.refresh_token,
			expiresIn: t.expires_in,
			refreshExpiresIn: st.opts.refreshTokenLifetime,
		});
	}
	return out;
}

export function expireAccessTokens(st: EmulatorState, filter: { userId?: string; clientId?: string } = {}): number {
	if (!isPlainObject(filter)) throw new EmulatorError(400, 'body must be an object');
	const now = st.nowSec();
	let n = 0;
	for (const rec of st.accessTokens.values()) {
		if (filter.userId !== undefined && rec.sub !== filter.userId) continue;
		if (filter.clientId !== undefined && rec.azp !== filter.clientId) continue;
		if (rec.exp > now) {
			rec.exp = now;
			n++;
		}
	}
	return n;
}

export type AuthResult = { ok: true; rec: AccessRecord } | { ok: false; status: number; result: number };

/** The record of an access token the emulator issued and has not forgotten (reset, logout, revocation). */
export function accessRecordOf(st: EmulatorState, token: string): AccessRecord | undefined {
	const jti = verifyJwt(st, token)?.jti;
	const rec = typeof jti === 'string' ? st.accessTokens.get(jti) : undefined;
	return rec && rec.token === token ? rec : undefined;
}

export function accessExpired(st: EmulatorState, rec: AccessRecord): boolean {
	if (rec.exp <= st.nowSec()) return true;
	const every = st.opts.expireTokensEveryRequests;
	return every > 0 && st.stats.userDataServed - rec.issuedAtServed >= every;
}

/** A live refresh token: issued by the emulator, not yet used (rotation), session not ended. Expiry is the caller's. */
export function refreshRecordOf(st: EmulatorState, token: string): RefreshRecord | undefined {
	const payload = verifyJwt(st, token);
	if (!payload || payload.typ !== 'Refresh' || typeof payload.jti !== 'string') return undefined;
	const rec = st.refreshTokens.get(payload.jti);
	return rec && rec.token === token ? rec : undefined;
}

export function authenticate(st: EmulatorState, header: string | undefined): AuthResult {
	if (header === undefined) return { ok: false, status: 401, result: -1 };
	const m = /^Bearer\s+(\S+)\s*$/i.exec(header.trim());
	if (!m) return { ok: false, status: 200, result: -1 };
	const rec = accessRecordOf(st, m[1]);
	if (!rec) return { ok: false, status: 200, result: -1 };
	if (accessExpired(st, rec)) return { ok: false, status: 200, result: -2 };
	return { ok: true, rec };
}
