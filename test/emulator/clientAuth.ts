/**
 * Client authentication, as the login host's token, logout, revocation and introspection endpoints
 * check it: HTTP Basic, client_id + client_secret in the body, or a signed client_assertion.
 * The failures are Keycloak's (services/src/main/java/org/keycloak/authentication/authenticators/
 * client/ClientIdAndSecretAuthenticator.java, JWTClientAuthenticator.java, and
 * AuthenticationProcessor for an unknown client): the introspection endpoint answers every one of
 * them with its own 401 invalid_request "Authentication failed." (TokenIntrospectionEndpoint.authorizeClient).
 */
import * as crypto from 'node:crypto';
import { CLIENT_ASSERTION_TYPE, TOKEN_PATH } from './model';
import type { Ctx } from './http';
import type { EmulatorState } from './state';
import { isPlainObject } from './util';

export type ClientAuth = { ok: true; clientId: string } | { ok: false; status: number; error: string; description: string };

const BAD_CREDENTIALS = 'Invalid client or Invalid client credentials';
/** AuthenticationProcessor: CLIENT_NOT_FOUND */
const unknownClient: ClientAuth = { ok: false, status: 401, error: 'invalid_client', description: BAD_CREDENTIALS };
/** ClientIdAndSecretAuthenticator.reportFailedAuth: a known client, a wrong or missing secret */
const wrongSecret: ClientAuth = { ok: false, status: 401, error: 'unauthorized_client', description: BAD_CREDENTIALS };

/**
 * Client authentication, the one check behind the token, logout, revocation and introspection
 * endpoints: HTTP Basic (client_secret_basic), client_id + client_secret in the body
 * (client_secret_post), or a signed client_assertion (client_secret_jwt HS256, private_key_jwt RS256).
 */
export function authenticateClient(st: EmulatorState, ctx: Ctx, params: Record<string, string>): ClientAuth {
	const authz = ctx.headers.authorization;
	const basic = authz ? /^Basic\s+(\S+)$/i.exec(authz.trim()) : null;
	if (basic) {
		const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
		const colon = decoded.indexOf(':');
		if (colon <= 0) return unknownClient;
		const dec = (s: string) => {
			try {
				return decodeURIComponent(s.replace(/\+/g, ' '));
			} catch {
				return s;
			}
		};
		const clientId = dec(decoded.slice(0, colon));
		if (params.client_id !== undefined && params.client_id !== clientId) return unknownClient;
		return secretMatches(st, clientId, dec(decoded.slice(colon + 1)));
	}
	if (params.client_assertion !== undefined || params.client_assertion_type !== undefined) return verifyClientAssertion(st, params);
	// ClientIdAndSecretAuthenticator: no client_id at all is a 400
	if (params.client_id === undefined) return { ok: false, status: 400, error: 'invalid_client', description: 'Missing client_id parameter' };
	return secretMatches(st, params.client_id, params.client_secret);
}

function secretMatches(st: EmulatorState, clientId: string, secret: string | undefined): ClientAuth {
	const client = st.clients.get(clientId);
	if (!client) return unknownClient;
	const expected = client.secret;
	if (secret === undefined || expected === undefined) return wrongSecret;
	const a = Buffer.from(secret);
	const b = Buffer.from(expected);
	if (a.length !== b.length || !crypto.timingSafeEqual(a, b)) return wrongSecret;
	return { ok: true, clientId };
}

/**
 * A client_assertion as Keycloak checks it: type, signature, iss = sub = client, aud, exp, a jti used once.
 * JWTClientAuthenticator: a missing parameter is a bare 400 invalid_client, an unknown client the
 * usual 401, every other failure 400 invalid_client "Client authentication with signed JWT failed: ...".
 */
function verifyClientAssertion(st: EmulatorState, params: Record<string, string>): ClientAuth {
	const bare = (description: string): ClientAuth => ({ ok: false, status: 400, error: 'invalid_client', description });
	const fail = (reason: string): ClientAuth => bare(`Client authentication with signed JWT failed: ${reason}`);
	const type = params.client_assertion_type;
	if (type === undefined) return bare('Parameter client_assertion_type is missing');
	if (type !== CLIENT_ASSERTION_TYPE) return bare(`Parameter client_assertion_type has value '${type}' but expected is '${CLIENT_ASSERTION_TYPE}'`);
	const assertion = params.client_assertion;
	if (assertion === undefined || assertion === '') return bare('client_assertion parameter missing');
	const parts = assertion.split('.');
	if (parts.length !== 3 || parts.some((p) => p === '' || !/^[A-Za-z0-9_-]+$/.test(p))) return fail('client_assertion is not a signed JWT');
	let header: unknown;
	let payload: unknown;
	try {
		header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
		payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
	} catch {
		return fail('client_assertion is not a signed JWT');
	}
	if (!isPlainObject(header) || !isPlainObject(payload)) return fail('client_assertion is not a signed JWT');
	const clientId = payload.sub;
	if (typeof clientId !== 'string' || clientId === '') return fail("Can't identify client. Subject missing on JWT token");
	if (payload.iss !== clientId) return fail('Issuer mismatch. The issuer should match the subject');
	if (params.client_id !== undefined && params.client_id !== clientId) return fail('client_id parameter does not match sub claim');
	const client = st.clients.get(clientId);
	if (!client) return unknownClient;
	const signed = Buffer.from(`${parts[0]}.${parts[1]}`);
	const signature = Buffer.from(parts[2], 'base64url');
	let signatureOk = false;
	if (header.alg === 'HS256' && client.secret !== undefined) {
		const expected = crypto.createHmac('sha256', client.secret).update(signed).digest();
		signatureOk = expected.length === signature.length && crypto.timingSafeEqual(expected, signature);
	} else if (header.alg === 'RS256' && client.publicKey !== undefined) {
		try {
			signatureOk = crypto.verify('sha256', signed, client.publicKey, signature);
		} catch {
			signatureOk = false;
		}
	}
	if (!signatureOk) return fail('Signature on JWT token failed validation');
	const now = st.nowSec();
	if (typeof payload.exp !== 'number') return fail('Token exp claim is required');
	if (payload.exp <= now || (typeof payload.nbf === 'number' && payload.nbf > now)) return fail('Token is not active');
	const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
	const accepted = [st.issuer(), `${st.baseUrl}${TOKEN_PATH}`];
	if (!audiences.some((a) => typeof a === 'string' && accepted.includes(a))) return fail("Token audience doesn't match domain. The realm issuer or the token endpoint URL is expected");
	if (typeof payload.jti !== 'string' || payload.jti === '') return fail('Missing ID on the token');
	for (const [key, exp] of st.usedAssertions) if (exp <= now) st.usedAssertions.delete(key);
	const key = `${clientId} ${payload.jti}`;
	if (st.usedAssertions.has(key)) return fail('Token reuse detected');
	st.usedAssertions.set(key, payload.exp);
	return { ok: true, clientId };
}
