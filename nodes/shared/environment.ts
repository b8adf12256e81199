/**
 * Where HyperID lives for a credential (HyperID Client or HyperID OAuth2): its login host, its API
 * host, and the discovery document that names the API host when the credential does not.
 */
import type {
	ICredentialDataDecryptedObject,
	IDataObject,
	IExecuteFunctions,
	ILoadOptionsFunctions,
} from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import {
	isLoopback,
	PRODUCTION_API_URL,
	PRODUCTION_LOGIN_URL,
	REALM_PATH,
	SANDBOX_LOGIN_URL,
} from '../../credentials/common/environment';

export type HyperIdContext = IExecuteFunctions | ILoadOptionsFunctions;

const DISCOVERY_PATH = `${REALM_PATH}/.well-known/openid-configuration`;

/** Where HyperID lives for one credential. */
export interface HyperIdLocation {
	environment: string;
	loginHost: string;
	/** Set when the credential names the API host; otherwise discovery tells it. */
	apiBase?: string;
}

function trimSlashes(url: string): string {
	return url.trim().replace(/\/+$/, '');
}

/** A token must not travel in clear: plain http is only for a server on this machine. */
function checkedUrl(ctx: HyperIdContext, field: string, raw: string): string {
	const url = trimSlashes(raw);
	let parsed: URL;
	try {
		parsed = new URL(url);
	} catch {
		throw new NodeOperationError(ctx.getNode(), `The credential's ${field} "${raw}" is not a valid URL`, {
			description: `Open the HyperID credential and enter the ${field} with its scheme, e.g. https://login.example.com.`,
		});
	}
	if (parsed.protocol === 'https:') return url;
	if (parsed.protocol === 'http:' && isLoopback(parsed.hostname)) return url;
	throw new NodeOperationError(
		ctx.getNode(),
		`The credential's ${field} "${raw}" is not https`,
		{
			description: `Tokens must not travel unencrypted: use an https:// ${field}. Plain http:// is only accepted for localhost (127.0.0.1, ::1).`,
		},
	);
}

export function whereHyperIdLives(ctx: HyperIdContext, credentials: ICredentialDataDecryptedObject): HyperIdLocation {
	const environment = String(credentials.environment ?? 'production');
	if (environment === 'custom') {
		const loginUrl = String(credentials.loginUrl ?? '');
		if (!loginUrl.trim()) {
			throw new NodeOperationError(ctx.getNode(), 'The HyperID credential has no Login URL', {
				description: 'Open the HyperID credential and enter the Login URL of your HyperID server.',
			});
		}
		const apiUrl = String(credentials.apiUrl ?? '');
		return {
			environment,
			loginHost: checkedUrl(ctx, 'Login URL', loginUrl),
			apiBase: apiUrl.trim() ? checkedUrl(ctx, 'API URL', apiUrl) : undefined,
		};
	}
	if (environment === 'sandbox') {
		const sandboxApiUrl = String(credentials.sandboxApiUrl ?? '');
		return {
			environment,
			loginHost: SANDBOX_LOGIN_URL,
			apiBase: sandboxApiUrl.trim() ? checkedUrl(ctx, 'Sandbox API URL', sandboxApiUrl) : undefined,
		};
	}
	return { environment: 'production', loginHost: PRODUCTION_LOGIN_URL, apiBase: PRODUCTION_API_URL };
}

/** The OpenID discovery document, or undefined when it cannot be loaded. */
export async function fetchDiscovery(
	ctx: HyperIdContext,
	connection: HyperIdLocation,
	timeoutMs: number,
): Promise<IDataObject | undefined> {
	try {
		const document = (await ctx.helpers.httpRequest({
			method: 'GET',
			url: `${connection.loginHost}${DISCOVERY_PATH}`,
			json: true,
			timeout: timeoutMs,
		})) as IDataObject;
		return document && typeof document === 'object' ? document : undefined;
	} catch {
		return undefined;
	}
}

export function identityProvidersOf(discovery: IDataObject | undefined): string[] | undefined {
	const list = discovery?.identity_providers;
	return Array.isArray(list) && list.every((entry) => typeof entry === 'string')
		? (list as string[])
		: undefined;
}

export function apiBaseFrom(
	ctx: HyperIdContext,
	connection: HyperIdLocation,
	discovery: IDataObject | undefined,
): string {
	if (connection.apiBase) return connection.apiBase;
	const advertised = discovery?.rest_api_token_endpoint;
	if (typeof advertised === 'string' && advertised.trim()) {
		return connection.environment === 'custom'
			? checkedUrl(ctx, 'API URL (from discovery)', advertised)
			: trimSlashes(advertised);
	}
	throw new NodeOperationError(ctx.getNode(), 'Could not find the HyperID API URL', {
		description: `The discovery document at ${connection.loginHost}${DISCOVERY_PATH} could not be loaded or has no rest_api_token_endpoint. Enter the API URL in the HyperID credential.`,
	});
}
