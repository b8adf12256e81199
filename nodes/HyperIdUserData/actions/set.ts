import type { IDataObject, INodeProperties } from 'n8n-workflow';

import { endpointFor } from './families';
import { readAccessScope, readKey, readTarget, readValue } from './parameters';
import type { Prepare } from './types';
import { MAX_KEY_LENGTH, storedValueId } from './types';

const show = {
	resource: ['userDataByEmail', 'userDataByIdp', 'userDataByUserId', 'userDataByWallet', 'userData'],
	operation: ['set'],
};

export const description: INodeProperties[] = [
	{
		displayName: 'Key',
		name: 'key',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. favorite-color',
		description: 'Name under which the value is stored for the signed-in user',
		displayOptions: { show },
	},
	{
		displayName: 'Value',
		name: 'value',
		type: 'string',
		default: '',
		typeOptions: { rows: 2 },
		description:
			'The value to store. HyperID stores text: in JSON value format, objects and lists are stored as JSON.',
		displayOptions: { show },
	},
	{
		displayName: 'Access Scope',
		name: 'accessScope',
		type: 'options',
		options: [
			{
				name: 'Private',
				value: 'private',
				description: 'Only this client application can read it',
			},
			{
				name: 'Public',
				value: 'public',
				description: "The user's other client applications can find and read it too",
			},
		],
		default: 'public',
		description: 'Who may read the value',
		displayOptions: {
			show: {
				resource: ['userDataByEmail', 'userDataByIdp', 'userDataByUserId', 'userDataByWallet'],
				operation: ['set'],
			},
		},
	},
];

export const prepare: Prepare = (ctx, itemIndex, settings) => {
	const family = settings.family!;
	const key = readKey(ctx, settings.parameters, itemIndex, MAX_KEY_LENGTH);
	const value = readValue(ctx, settings.parameters, itemIndex, settings.valueFormat);
	const target = readTarget(ctx, settings.parameters, itemIndex, family, settings.knownProviders);
	const body: IDataObject = { ...target.body, value_key: key, value_data: value };
	if (family.hasAccessScope) {
		body.access_scope = readAccessScope(ctx, settings.parameters, itemIndex);
	}
	const endpoint = endpointFor(family, 'set');
	return {
		itemIndex,
		writes: [storedValueId(endpoint.path, target.body, key)],
		run: async (session) => {
			const response = await session.call(endpoint, body, { key, ...target.subject }, itemIndex);
			return [settings.simplify ? { key, success: true, result: response.result } : response];
		},
	};
};
