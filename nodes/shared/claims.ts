/** The claims of a JWT, read without verifying it: HyperID verifies the tokens it is sent, and its token endpoint answers over TLS (OIDC Core 3.1.3.7). */
import type { IDataObject } from 'n8n-workflow';

/** One base64url part of a JWT (its header or claims) as a JSON object, or undefined. */
export function jsonPartOf(part: string): IDataObject | undefined {
	try {
		const value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown;
		return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as IDataObject) : undefined;
	} catch {
		return undefined;
	}
}

/** The claims of a three-part JWT, or undefined for a token that is not one. */
export function claimsOf(token: string | undefined): IDataObject | undefined {
	const parts = token?.split('.');
	return parts?.length === 3 ? jsonPartOf(parts[1]) : undefined;
}

/** Whom a token was issued for (`sub`), when it says. */
export function subjectOf(token: string | undefined): string | undefined {
	const sub = claimsOf(token)?.sub;
	return typeof sub === 'string' && sub !== '' ? sub : undefined;
}
