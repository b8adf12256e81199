/**
 * STAND-IN until branch i17signin lands its module of the same interface (merge takes theirs):
 * the token endpoint through the HyperID Client credential (client_secret_post only).
 */
/* eslint-disable @n8n/community-nodes/require-node-api-error */
import type { ICredentialDataDecryptedObject, IDataObject, IExecuteFunctions } from 'n8n-workflow';

export const CLIENT_CREDENTIAL_TYPE = 'hyperIdClientApi';

export interface TokenSet {
	accessToken: string;
	refreshToken?: string;
	idToken?: string;
	expiresAt?: string;
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

export class TokenEndpointError extends Error {
	constructor(
		message: string,
		readonly kind: TokenErrorKind,
		readonly oauthError?: string,
		readonly httpStatus?: number,
	) {
		super(message);
	}
}

async function clientOf(ctx: IExecuteFunctions, itemIndex: number): Promise<ICredentialDataDecryptedObject> {
	return await ctx.getCredentials(CLIENT_CREDENTIAL_TYPE, itemIndex);
}

function loginHostOf(client: ICredentialDataDecryptedObject): string {
	if (client.environment === 'custom') return String(client.loginUrl).replace(/\/+$/, '');
	if (client.environment === 'sandbox') return 'https://login-sandbox.hypersecureid.com';
	return 'https://login.hypersecureid.com';
}

export async function requestTokens(
	ctx: IExecuteFunctions,
	form: Record<string, string>,
	opts: { itemIndex: number; timeoutMs?: number; abortSignal?: AbortSignal },
): Promise<TokenSet> {
	const client = await clientOf(ctx, opts.itemIndex);
	const body = new URLSearchParams({ ...form, client_id: String(client.clientId), client_secret: String(client.clientSecret ?? '') });
	let response: { statusCode: number; body: IDataObject };
	try {
		response = (await ctx.helpers.httpRequest({
			method: 'POST',
			url: `${loginHostOf(client)}/auth/realms/HyperID/protocol/openid-connect/token`,
			body: body.toString(),
			headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
			json: true,
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
			timeout: opts.timeoutMs,
		})) as { statusCode: number; body: IDataObject };
	} catch (error) {
		throw new TokenEndpointError('The token endpoint could not be reached', 'network');
	}
	const data = response.body ?? {};
	if (response.statusCode >= 500) throw new TokenEndpointError('Token endpoint failed', 'server', undefined, response.statusCode);
	if (typeof data.error === 'string') {
		const kind = (['invalid_grant', 'invalid_client', 'unauthorized_client'].includes(data.error) ? data.error : 'invalid_request') as TokenErrorKind;
		throw new TokenEndpointError(`Token endpoint refused: ${data.error}`, kind, data.error, response.statusCode);
	}
	const now = Date.now();
	return {
		accessToken: String(data.access_token),
		refreshToken: typeof data.refresh_token === 'string' ? data.refresh_token : undefined,
		expiresAt: typeof data.expires_in === 'number' ? new Date(now + data.expires_in * 1000).toISOString() : undefined,
		refreshExpiresAt:
			typeof data.refresh_expires_in === 'number' ? new Date(now + data.refresh_expires_in * 1000).toISOString() : undefined,
		scope: typeof data.scope === 'string' ? data.scope : undefined,
		tokenType: typeof data.token_type === 'string' ? data.token_type : undefined,
	};
}
