import type { INodeProperties } from 'n8n-workflow';

import { FAILURE_FIELDS } from '../../shared/failedItem';
import { AUTHENTICATION, DEFAULT_TOKENS_FIELD } from '../transport/userTokens';

const forUserTokens = { show: { authentication: [AUTHENTICATION.userTokens] } };

export const description: INodeProperties[] = [
	{
		displayName: 'Authentication',
		name: 'authentication',
		type: 'options',
		noDataExpression: true,
		options: [
			{
				name: 'Connected Account',
				value: AUTHENTICATION.connectedAccount,
				description: 'Act for the one user who connected the HyperID OAuth2 credential',
			},
			{
				name: "Each User's Tokens",
				value: AUTHENTICATION.userTokens,
				description: "Act for each item's user, with the tokens your service keeps for them (e.g. from its users table)",
			},
		],
		default: 'connectedAccount',
	},
	{
		displayName: 'Access Token',
		name: 'accessToken',
		type: 'string',
		typeOptions: { password: true },
		required: true,
		default: '',
		placeholder: 'e.g. {{ $json.accessToken }}',
		description: "The user's HyperID access token, mapped from the input item. The data read or written is this user's.",
		displayOptions: forUserTokens,
	},
	{
		displayName: 'Refresh Token',
		name: 'refreshToken',
		type: 'string',
		typeOptions: { password: true },
		default: '',
		placeholder: 'e.g. {{ $json.refreshToken }}',
		description:
			'Optional. With it (and a HyperID Client credential) an expired access token is renewed, and the new tokens come out in the field named under Options → Refreshed Tokens Field: store them, the old refresh token no longer works.',
		displayOptions: forUserTokens,
	},
];

/** In the Options collection. */
export const refreshedTokensFieldOption: INodeProperties = {
	displayName: 'Refreshed Tokens Field',
	name: 'refreshedPairField',
	type: 'string',
	default: DEFAULT_TOKENS_FIELD,
	description:
		`Field of every output item of a user whose tokens were renewed: userId, accessToken, refreshToken, expiresAt, refreshExpiresAt. Store them: HyperID's old refresh token stops working. Not ${FAILURE_FIELDS.join(', ')}: a failed item's error uses those.`,
	displayOptions: { show: { '/authentication': [AUTHENTICATION.userTokens] } },
};
