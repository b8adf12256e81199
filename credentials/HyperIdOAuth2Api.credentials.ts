import type { Icon, ICredentialType, INodeProperties } from 'n8n-workflow';

// The login host for each environment; hidden OAuth2 URLs are expressions over it because
// n8n 2.41+ ignores stored values of hidden fields.
const LOGIN_HOST =
	'($self["environment"] === "custom" ? String($self["loginUrl"] || "") : $self["environment"] === "sandbox" ? "https://login-sandbox.hypersecureid.com" : "https://login.hypersecureid.com").replace(/\\/+$/, "")';
const OPENID_CONNECT_PATH = '/auth/realms/HyperID/protocol/openid-connect';

export class HyperIdOAuth2Api implements ICredentialType {
	name = 'hyperIdOAuth2Api';

	extends = ['oAuth2Api'];

	displayName = 'HyperID OAuth2 API';

	icon: Icon = { light: 'file:../icons/hyperid.svg', dark: 'file:../icons/hyperid.dark.svg' };

	documentationUrl = 'https://www.npmjs.com/package/n8n-nodes-hyperid#credentials';

	properties: INodeProperties[] = [
		{
			displayName:
				'Scopes each operation needs: reading (Get, List Keys, List Shared Keys, Wallet Get Many) needs <b>user-data-get</b>; writing (Set, Delete) needs <b>user-data-set</b>. Keep <b>openid</b> and <b>email</b>. Register the OAuth Redirect URL shown in this form in your HyperID client (developer portal).',
			name: 'scopesNotice',
			type: 'notice',
			default: '',
		},
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
		{
			displayName: 'Grant Type',
			name: 'grantType',
			type: 'hidden',
			default: 'authorizationCode',
		},
		{
			displayName: 'Authorization URL',
			name: 'authUrl',
			type: 'hidden',
			default: `={{${LOGIN_HOST}}}${OPENID_CONNECT_PATH}/auth`,
		},
		{
			displayName: 'Access Token URL',
			name: 'accessTokenUrl',
			type: 'hidden',
			default: `={{${LOGIN_HOST}}}${OPENID_CONNECT_PATH}/token`,
		},
		{
			displayName: 'Scope',
			name: 'scope',
			type: 'string',
			default: 'openid email user-data-get user-data-set',
			description:
				'Space-separated scopes to request. Add more (e.g. user-wallet-public-data) if you need them.',
		},
		{
			displayName: 'Auth URI Query Parameters',
			name: 'authQueryParameters',
			type: 'hidden',
			default: '',
		},
		{
			displayName: 'Authentication',
			name: 'authentication',
			type: 'hidden',
			default: 'body',
		},
	];
}
