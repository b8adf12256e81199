import type { Icon, ICredentialType, INodeProperties } from 'n8n-workflow';

import { environmentProperties, loginHostExpression, OPENID_CONNECT_PATH } from './common/environment';
import { DEFAULT_SCOPES } from './common/scopes';

// The login host for each environment; hidden OAuth2 URLs are expressions over it because
// n8n 2.41+ ignores stored values of hidden fields.
const LOGIN_HOST = `${loginHostExpression((name) => `$self["${name}"]`)}.trim().replace(/\\/+$/, "")`;

export class HyperIdOAuth2Api implements ICredentialType {
	name = 'hyperIdOAuth2Api';

	extends = ['oAuth2Api'];

	displayName = 'HyperID OAuth2 API';

	icon: Icon = { light: 'file:../icons/hyperid.svg', dark: 'file:../icons/hyperid.dark.svg' };

	documentationUrl = 'https://www.npmjs.com/package/n8n-nodes-hyperid';

	properties: INodeProperties[] = [
		{
			displayName:
				'Scopes each operation needs: reading (Get, List Keys, List Shared Keys, Wallet Get Many) needs <b>user-data-get</b>; writing (Set, Delete) needs <b>user-data-set</b>. Keep <b>openid</b> and <b>email</b>. Register the OAuth Redirect URL shown in this form in your HyperID client (developer portal).',
			name: 'scopesNotice',
			type: 'notice',
			default: '',
		},
		...environmentProperties(),
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
			default: DEFAULT_SCOPES,
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
