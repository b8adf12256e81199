/** The claims of a JWT, read without verifying it: HyperID verifies the tokens it is sent, and its token endpoint answers over TLS (OIDC Core 3.1.3.7). */
import type { IDataObject } from 'n8n-workflow';

/** The claims of a three-part JWT, or undefined for a token that is not one. */
export function claimsOf(token: string | undefined): IDataObject | undefined {
	const parts = token?.split('.');
	if (parts?.length !== 3) return undefined;
	try {
		const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as unknown;
		return claims !== null && typeof claims === 'object' && !Array.isArray(claims) ? (claims as IDataObject) : undefined;
	} catch {
		return undefined;
	}
}

/** Whom a token was issued for (`sub`), when it says. */
export function subjectOf(token: string | undefined): string | undefined {
	const sub = claimsOf(token)?.sub;
	return typeof sub === 'string' && sub !== '' ? sub : undefined;
}
