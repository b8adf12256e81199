/**
 * The ID token of a code exchange, checked as OIDC Core 3.1.3.7 asks of a token the token endpoint
 * sent over TLS (no signature check needed): issued by the credential's HyperID (iss), for this
 * client (aud, azp), not expired (exp), and carrying the sign-in's nonce when one is expected.
 */
import type { IDataObject } from 'n8n-workflow';

/** How far n8n's clock may be behind HyperID's before an ID token counts as expired. */
const CLOCK_SKEW_SECONDS = 120;

export interface IdTokenExpectations {
	/** `{loginHost}/auth/realms/HyperID`: what HyperID names itself in `iss`. */
	issuer: string;
	clientId: string;
	/** Set when the workflow maps Expected Nonce. */
	nonce?: string;
	nowSeconds: number;
}

/** What is wrong with the ID token, in the user's words, or undefined when it passes. */
export function idTokenProblem(claims: IDataObject | undefined, hasIdToken: boolean, expected: IdTokenExpectations): string | undefined {
	if (!hasIdToken) {
		// without an ID token (no openid scope) only a nonce the workflow expects cannot be checked
		return expected.nonce === undefined ? undefined : 'HyperID sent no ID token, so the sign-in\'s nonce could not be checked (is "openid" among the scopes?)';
	}
	if (claims === undefined) return 'the ID token HyperID sent is not a JWT';
	if (claims.iss !== expected.issuer) {
		return `the ID token was issued by ${JSON.stringify(claims.iss ?? null)}, not by the credential's HyperID ${expected.issuer}`;
	}
	const audiences = typeof claims.aud === 'string' ? [claims.aud] : Array.isArray(claims.aud) ? claims.aud : [];
	if (!audiences.includes(expected.clientId) || (audiences.length > 1 && claims.azp !== expected.clientId)) {
		return `the ID token is for ${JSON.stringify(claims.aud ?? null)}, not for this client ("${expected.clientId}")`;
	}
	if (typeof claims.exp !== 'number' || claims.exp + CLOCK_SKEW_SECONDS <= expected.nowSeconds) {
		return typeof claims.exp !== 'number'
			? 'the ID token has no expiry (exp)'
			: `the ID token expired at ${new Date(claims.exp * 1000).toISOString()} (check this machine's clock)`;
	}
	if (expected.nonce !== undefined && claims.nonce !== expected.nonce) {
		return "the ID token's nonce is not the nonce of this sign-in";
	}
	return undefined;
}
