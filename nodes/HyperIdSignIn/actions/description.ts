import type { INodeProperties } from 'n8n-workflow';

import { DEFAULT_SCOPES } from '../../../credentials/common/scopes';
import { DEFAULT_TIMEOUT_MS } from '../../shared/hyperIdClient';

const resource: INodeProperties = {
	displayName: 'Resource',
	name: 'resource',
	type: 'options',
	noDataExpression: true,
	options: [
		{ name: 'Sign-In', value: 'signIn' },
		{ name: 'Token', value: 'token' },
		{ name: 'User', value: 'user' },
	],
	default: 'signIn',
};

const signInOperation: INodeProperties = {
	displayName: 'Operation',
	name: 'operation',
	type: 'options',
	noDataExpression: true,
	displayOptions: { show: { resource: ['signIn'] } },
	options: [
		{
			name: 'Exchange Code',
			value: 'exchangeCode',
			description: 'Turn the code HyperID sent to your redirect URI into the user\'s tokens, user ID and email',
			action: 'Exchange an authorization code for tokens',
		},
		{
			name: 'Get Authorization URL',
			value: 'getAuthorizationUrl',
			description: 'Build the HyperID sign-in link to send a user to, with state and a PKCE code verifier',
			action: 'Get an authorization URL',
		},
		{
			name: 'Log Out',
			value: 'logOut',
			description: 'End the user\'s HyperID session with your service; its tokens stop working',
			action: 'Log a user out',
		},
	],
	default: 'getAuthorizationUrl',
};

const tokenOperation: INodeProperties = {
	displayName: 'Operation',
	name: 'operation',
	type: 'options',
	noDataExpression: true,
	displayOptions: { show: { resource: ['token'] } },
	options: [
		{
			name: 'Introspect',
			value: 'introspect',
			description: 'Ask HyperID whether a token is still active, and whose it is',
			action: 'Introspect a token',
		},
		{
			name: 'Refresh',
			value: 'refresh',
			description: 'Get a new access token and refresh token; the old refresh token stops working, so store the new one',
			action: 'Refresh tokens',
		},
		{
			name: 'Revoke',
			value: 'revoke',
			description: 'Revoke a token; revoking a refresh token ends the sign-in it belongs to',
			action: 'Revoke a token',
		},
	],
	default: 'refresh',
};

const userOperation: INodeProperties = {
	displayName: 'Operation',
	name: 'operation',
	type: 'options',
	noDataExpression: true,
	displayOptions: { show: { resource: ['user'] } },
	options: [
		{
			name: 'Get Info',
			value: 'getInfo',
			description: 'Read the signed-in user\'s ID, email and wallet from HyperID with their access token',
			action: 'Get user info',
		},
	],
	default: 'getInfo',
};

const show = (operation: string[]) => ({ show: { operation } });

const timeoutOption: INodeProperties = {
	displayName: 'Timeout (Ms)',
	name: 'timeout',
	type: 'number',
	typeOptions: { minValue: 1 },
	default: DEFAULT_TIMEOUT_MS,
	description: 'How long to wait for HyperID\'s answer',
};

const fields: INodeProperties[] = [
	{
		displayName: 'Redirect URI',
		name: 'redirectUri',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'https://n8n.example.com/webhook/hyperid-sign-in',
		description:
			'Where HyperID sends the user back with the code, e.g. the production URL of your Webhook node. Register it in your HyperID client; Exchange Code must send the same one.',
		displayOptions: show(['getAuthorizationUrl', 'exchangeCode']),
	},
	{
		displayName: 'Scopes',
		name: 'scopes',
		type: 'string',
		default: DEFAULT_SCOPES,
		description:
			'Space-separated scopes to ask the user for. Keep openid and email to get the user\'s ID and email on Exchange Code; user-data-get and user-data-set let HyperID User Data act for the user.',
		displayOptions: show(['getAuthorizationUrl']),
	},
	{
		displayName: 'State',
		name: 'state',
		type: 'string',
		default: '',
		description:
			'A value HyperID hands back unchanged with the code, to match the redirect to this sign-in. Leave empty to generate a random one (returned in the output: store it and compare it on the redirect).',
		displayOptions: show(['getAuthorizationUrl']),
	},
	{
		displayName: 'Use PKCE',
		name: 'usePkce',
		type: 'boolean',
		default: true,
		description:
			'Whether to protect the code with PKCE (S256): the output carries a code verifier to store with the state and give to Exchange Code',
		displayOptions: show(['getAuthorizationUrl']),
	},
	{
		displayName: 'Code',
		name: 'code',
		type: 'string',
		typeOptions: { password: true },
		default: '',
		required: true,
		placeholder: '={{ $json.query.code }}',
		description: 'The code from the redirect\'s query. It works once, for about a minute.',
		displayOptions: show(['exchangeCode']),
	},
	{
		displayName: 'Code Verifier',
		name: 'codeVerifier',
		type: 'string',
		typeOptions: { password: true },
		default: '',
		description:
			'The code verifier Get Authorization URL returned for this sign-in. Leave empty only if the authorization URL was built without PKCE.',
		displayOptions: show(['exchangeCode']),
	},
	{
		displayName: 'Refresh Token',
		name: 'refreshToken',
		type: 'string',
		typeOptions: { password: true },
		default: '',
		required: true,
		placeholder: '={{ $json.refreshToken }}',
		description: 'The user\'s current refresh token',
		displayOptions: show(['refresh', 'logOut']),
	},
	{
		displayName: 'Token',
		name: 'token',
		type: 'string',
		typeOptions: { password: true },
		default: '',
		required: true,
		description: 'The access token or refresh token',
		displayOptions: show(['introspect', 'revoke']),
	},
	{
		displayName: 'Token Type',
		name: 'tokenTypeHint',
		type: 'options',
		options: [
			{ name: 'Refresh Token', value: 'refresh_token', description: 'Revoking it ends the sign-in it belongs to: its access and refresh tokens stop working' },
			{ name: 'Access Token', value: 'access_token', description: 'Revoking it ends that access token only' },
		],
		default: 'refresh_token',
		displayOptions: show(['revoke']),
	},
	{
		displayName: 'Token Type',
		name: 'tokenTypeHint',
		type: 'options',
		options: [
			{ name: 'Access Token', value: 'access_token' },
			{ name: 'Refresh Token', value: 'refresh_token' },
		],
		default: 'access_token',
		displayOptions: show(['introspect']),
	},
	{
		displayName: 'Access Token',
		name: 'accessToken',
		type: 'string',
		typeOptions: { password: true },
		default: '',
		required: true,
		placeholder: '={{ $json.accessToken }}',
		description: 'The user\'s access token',
		displayOptions: show(['getInfo']),
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add option',
		default: {},
		displayOptions: show(['getAuthorizationUrl']),
		options: [
			{
				displayName: 'Flow Mode',
				name: 'flowMode',
				type: 'options',
				options: [
					{ name: 'Guest Upgrade', value: 6 },
					{ name: 'Identity Provider', value: 9, description: 'Sign in through the identity provider named below' },
					{ name: 'Wallet Get', value: 4 },
					{ name: 'Web2 Sign-In', value: 0, description: 'Email and password, or a social login' },
					{ name: 'Web3 Wallet Sign-In', value: 3 },
				],
				default: 0,
				description: 'Which HyperID sign-in screen the user sees (flow_mode)',
			},
			{
				displayName: 'Identity Provider',
				name: 'identityProvider',
				type: 'string',
				default: '',
				placeholder: 'google',
				description:
					'Sign in with this provider directly, e.g. google, telegram, apple (identity_provider; sets Flow Mode to Identity Provider)',
			},
			{
				displayName: 'Login Hint',
				name: 'loginHint',
				type: 'string',
				default: '',
				placeholder: 'name@email.com',
				description: 'The email the sign-in screen starts with (login_hint)',
			},
			{
				displayName: 'Nonce',
				name: 'nonce',
				type: 'string',
				default: '',
				description: 'A value HyperID puts into the ID token, checked by Exchange Code when you give it there too',
			},
			{
				displayName: 'Select Account',
				name: 'selectAccount',
				type: 'boolean',
				default: false,
				description: 'Whether to let the user pick another account even when already signed in (prompt=select_account)',
			},
			{
				displayName: 'UI Locales',
				name: 'uiLocales',
				type: 'string',
				default: '',
				placeholder: 'en',
				description: 'Language of the sign-in screen (ui_locales)',
			},
		],
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add option',
		default: {},
		displayOptions: show(['exchangeCode']),
		options: [
			{
				displayName: 'Expected Nonce',
				name: 'expectedNonce',
				type: 'string',
				default: '',
				description: 'The nonce of the authorization URL: the ID token must carry it, else the sign-in is refused (errorCode ID_TOKEN_REFUSED) and its session ended',
			},
			{
				displayName: 'Expected State',
				name: 'expectedState',
				type: 'string',
				default: '',
				description:
					'The state Get Authorization URL returned (as you stored it). With Received State, a sign-in whose states differ is refused before the code is spent.',
			},
			{
				displayName: 'Received State',
				name: 'receivedState',
				type: 'string',
				default: '',
				placeholder: '={{ $json.query.state }}',
				description: 'The state the redirect carried',
			},
			timeoutOption,
		],
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add option',
		default: {},
		displayOptions: show(['refresh', 'logOut', 'introspect', 'revoke', 'getInfo']),
		options: [
			timeoutOption,
		],
	},
];

export const properties: INodeProperties[] = [resource, signInOperation, tokenOperation, userOperation, ...fields];
