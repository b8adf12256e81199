/**
 * Which kind of HyperID (Keycloak) token a mapped value is, read before anything is sent: a value
 * that is not a three-part JWT, or a token of another kind (a refresh token mapped into Access Token),
 * would otherwise go to HyperID's API as a Bearer token. Nothing is verified here: HyperID does that.
 * Keycloak's `typ` claim (TokenUtil): "Bearer" access, "Refresh" / "Offline" refresh, "ID" ID token.
 */
import { jsonPartOf } from './claims';

export type TokenField = 'accessToken' | 'refreshToken';

const LABEL: Record<TokenField, string> = { accessToken: 'Access Token', refreshToken: 'Refresh Token' };

/** What each `typ` is, in the user's words, and which field it belongs in (if any). */
const KINDS: Record<string, { what: string; field?: TokenField }> = {
	bearer: { what: 'an access token', field: 'accessToken' },
	dpop: { what: 'an access token', field: 'accessToken' },
	refresh: { what: 'a refresh token', field: 'refreshToken' },
	offline: { what: 'an offline refresh token', field: 'refreshToken' },
	id: { what: 'an ID token' },
	'serialized-id': { what: 'an ID token' },
	logout: { what: 'a logout token' },
};

/** Why `token` cannot be the field's token (message and how to fix it), or undefined when it may be. */
export function tokenKindMistake(token: string, field: TokenField): { message: string; description: string } | undefined {
	const label = LABEL[field];
	const parts = token.split('.');
	const fix = `Map the user's access token into Access Token and their refresh token into Refresh Token, as HyperID issued them (e.g. from your token table or Exchange Code). Nothing was sent for this item.`;
	if (parts.length !== 3 || parts.some((part) => !/^[A-Za-z0-9_-]+$/.test(part)) || !jsonPartOf(parts[0]) || !jsonPartOf(parts[1])) {
		return {
			message: `${label} is not a HyperID token (HyperID's tokens are JWTs: three parts separated by dots)`,
			description: `A user ID, an email, a code or another value may have been mapped by mistake. ${fix}`,
		};
	}
	const typ = jsonPartOf(parts[1])?.typ;
	if (typeof typ !== 'string') return undefined;
	const kind = KINDS[typ.toLowerCase()];
	if (kind === undefined || kind.field === field) return undefined;
	return { message: `${label} is ${kind.what} (typ "${typ}"), not ${field === 'accessToken' ? 'an access token' : 'a refresh token'}`, description: fix };
}
