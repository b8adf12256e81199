/**
 * Where HyperID lives (API.md "Transport" and "OAuth2 / OpenID Connect"): the login and API hosts, the
 * realm's paths, and the Environment fields both HyperID credentials offer. The nodes read these facts here too.
 */
import type { ICredentialDataDecryptedObject, INodeProperties } from 'n8n-workflow';

export const PRODUCTION_LOGIN_URL = 'https://login.hypersecureid.com';
export const PRODUCTION_API_URL = 'https://api.hypersecureid.com';
export const SANDBOX_LOGIN_URL = 'https://login-sandbox.hypersecureid.com';

export const REALM_PATH = '/auth/realms/HyperID';
export const OPENID_CONNECT_PATH = `${REALM_PATH}/protocol/openid-connect`;

/** Plain http is accepted only for a server on this machine: nothing secret travels in clear. */
export function isLoopback(hostname: string): boolean {
	const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
	return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/**
 * The origin of the credential's login host (its environment's, or its custom Login URL's), or
 * undefined when the Login URL is not a URL: the only place a client secret may be sent.
 */
export function loginOriginOf(credentials: ICredentialDataDecryptedObject): string | undefined {
	const environment = String(credentials.environment ?? 'production');
	const loginUrl =
		environment === 'custom' ? String(credentials.loginUrl ?? '').trim() : environment === 'sandbox' ? SANDBOX_LOGIN_URL : PRODUCTION_LOGIN_URL;
	try {
		return new URL(loginUrl).origin;
	} catch {
		return undefined;
	}
}

/**
 * The environment's login host as an n8n expression body, before any trimming; `field` says how the
 * expression reads one of the credential's own fields ($self in a credential default, $credentials in its test).
 */
export function loginHostExpression(field: (name: 'environment' | 'loginUrl') => string): string {
	return `(${field('environment')} === "custom" ? String(${field('loginUrl')} || "") : ${field('environment')} === "sandbox" ? "${SANDBOX_LOGIN_URL}" : "${PRODUCTION_LOGIN_URL}")`;
}

/** Environment, Sandbox API URL, Login URL and API URL: fresh objects for each credential class. */
export function environmentProperties(): INodeProperties[] {
	return [
		{
			displayName: 'Environment',
			name: 'environment',
			type: 'options',
			options: [
				{
					name: 'Production',
					value: 'production',
					description: 'login.hypersecureid.com and api.hypersecureid.com',
				},
				{
					name: 'Sandbox',
					value: 'sandbox',
					description: 'login-sandbox.hypersecureid.com, for testing with a sandbox client',
				},
				{
					name: 'Custom',
					value: 'custom',
					description: 'Your own login and API URLs, e.g. a self-hosted or emulated HyperID',
				},
			],
			default: 'production',
		},
		{
			displayName: 'Sandbox API URL',
			name: 'sandboxApiUrl',
			type: 'string',
			default: '',
			placeholder: 'https://api-sandbox.example.com',
			description:
				'REST API base URL of the sandbox. Leave empty to read it from the sandbox discovery document (rest_api_token_endpoint).',
			displayOptions: { show: { environment: ['sandbox'] } },
		},
		{
			displayName: 'Login URL',
			name: 'loginUrl',
			type: 'string',
			default: '',
			placeholder: 'https://login.example.com',
			description:
				'Base URL of the HyperID login (OpenID Connect) server, without /auth/realms/…. Plain http is only accepted for localhost.',
			displayOptions: { show: { environment: ['custom'] } },
			required: true,
		},
		{
			displayName: 'API URL',
			name: 'apiUrl',
			type: 'string',
			default: '',
			placeholder: 'https://api.example.com',
			description:
				'REST API base URL. Leave empty to read it from the discovery document (rest_api_token_endpoint). Plain http is only accepted for localhost.',
			displayOptions: { show: { environment: ['custom'] } },
		},
	];
}
