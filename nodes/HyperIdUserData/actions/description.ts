import type { IDisplayOptions, INodeProperties, INodePropertyOptions } from 'n8n-workflow';

import { description as authenticationDescription, refreshedTokensFieldOption } from './authentication';
import { WALLET_RESOURCE } from './families';
import { description as getDescription } from './get';
import { description as listSharedKeysDescription } from './listSharedKeys';
import { DEFAULT_CONCURRENCY } from './router';
import { description as setDescription } from './set';
import { description as walletDescription } from './wallet';

const resource: INodeProperties = {
	displayName: 'Resource',
	name: 'resource',
	type: 'options',
	noDataExpression: true,
	options: [
		{ name: 'User Data', value: 'userData' },
		{ name: 'User Data by Email', value: 'userDataByEmail' },
		{ name: 'User Data by Identity Provider', value: 'userDataByIdp' },
		{ name: 'User Data by User ID', value: 'userDataByUserId' },
		{ name: 'User Data by Wallet', value: 'userDataByWallet' },
		{ name: 'Wallet', value: 'wallet' },
	],
	default: 'userData',
};

const plainOperation: INodeProperties = {
	displayName: 'Operation',
	name: 'operation',
	type: 'options',
	noDataExpression: true,
	displayOptions: { show: { resource: ['userData'] } },
	options: [
		{
			name: 'Get',
			value: 'get',
			description: 'Read the values of one or more keys',
			action: 'Get values',
		},
		{
			name: 'Set',
			value: 'set',
			description: 'Store a value under a key, or several values per item (Data Mode: fields defined below, or every field of the input item)',
			action: 'Set a value',
		},
	],
	default: 'get',
};

const FAMILY_RESOURCES = ['userDataByEmail', 'userDataByIdp', 'userDataByUserId', 'userDataByWallet'];

const familyOperations: INodePropertyOptions[] = [
	{
		name: 'Delete',
		value: 'delete',
		description: 'Delete keys and their values',
		action: 'Delete keys',
	},
	{
		name: 'Delete All',
		value: 'deleteAll',
		description:
			'Delete every key this application stored for the user in this storage (private and public). This cannot be undone; the output lists every key deleted.',
		action: 'Delete all keys',
	},
	{
		name: 'Get',
		value: 'get',
		description: 'Read the values of one or more keys',
		action: 'Get values',
	},
	{
		name: 'Get Many',
		value: 'getAll',
		description:
			'Read every value this application stored for the user in this storage, each with its key and scope, without naming the keys',
		action: 'Get many values',
	},
	{
		name: 'List Keys',
		value: 'listKeys',
		description: "List this application's keys, private and public",
		action: 'List keys',
	},
	{
		name: 'List Shared Keys',
		value: 'listSharedKeys',
		description: "List public keys that the user's other applications shared",
		action: 'List shared keys',
	},
	{
		name: 'Set',
		value: 'set',
		description: 'Store a value under a key, or several values per item (Data Mode: fields defined below, or every field of the input item)',
		action: 'Set a value',
	},
];

function familyOperation(show: IDisplayOptions['show'], options: INodePropertyOptions[]): INodeProperties {
	return {
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: FAMILY_RESOURCES, ...show } },
		options,
		default: 'get',
	};
}

// From node version 1.2 an AI tool cannot erase a whole storage: Delete All is not among its operations
const familyOperationsByUse: INodeProperties[] = [
	familyOperation({ '@version': [{ _cnd: { lt: 1.2 } }] }, familyOperations),
	familyOperation({ '@version': [{ _cnd: { gte: 1.2 } }], '@tool': [false] }, familyOperations),
	familyOperation(
		{ '@version': [{ _cnd: { gte: 1.2 } }], '@tool': [true] },
		familyOperations.filter((operation) => operation.value !== 'deleteAll'),
	),
];

const identityProvider: INodeProperties = {
	displayName: 'Identity Provider Name or ID',
	name: 'identityProvider',
	type: 'options',
	typeOptions: { loadOptionsMethod: 'getIdentityProviders' },
	required: true,
	default: '',
	description:
		'Identity provider whose storage to use (from HyperID\'s discovery document). Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
	displayOptions: { show: { resource: ['userDataByIdp'] } },
};

const walletAddress: INodeProperties = {
	displayName: 'Wallet Address',
	name: 'walletAddress',
	type: 'resourceLocator',
	default: { mode: 'list', value: '' },
	description: 'Wallet whose storage to use. Leave empty for the wallet the user signed in with.',
	displayOptions: { show: { resource: ['userDataByWallet'] } },
	modes: [
		{
			displayName: 'From List',
			name: 'list',
			type: 'list',
			typeOptions: { searchListMethod: 'searchWallets', searchable: true },
		},
		{
			displayName: 'By Address',
			name: 'address',
			type: 'string',
			placeholder: '0x52908400098527886E0F7030069857D2E4169EE7',
		},
	],
};

const options: INodeProperties = {
	displayName: 'Options',
	name: 'options',
	type: 'collection',
	placeholder: 'Add option',
	default: {},
	options: [
		// on by default from node version 1.1; version 1 keeps the default its saved workflows rely on
		{
			displayName: 'Batch Reads',
			name: 'batchReads',
			type: 'boolean',
			default: false,
			description:
				'Whether to combine the keys of many items into one read request per storage target. Each item still gets its own values; far fewer requests on many items.',
			displayOptions: { show: { '/operation': ['get'], '@version': [1] }, hide: { simplify: [false] } },
		},
		{
			displayName: 'Batch Reads',
			name: 'batchReads',
			type: 'boolean',
			default: true,
			description:
				'Whether to combine the keys of many items into one read request per storage target (on unless turned off here). Each item still gets its own values; far fewer requests on many items.',
			displayOptions: { show: { '/operation': ['get'], '@version': [{ _cnd: { gte: 1.1 } }] }, hide: { simplify: [false] } },
		},
		{
			displayName: 'Concurrency',
			name: 'concurrency',
			type: 'number',
			typeOptions: { minValue: 1, maxValue: 64 },
			default: DEFAULT_CONCURRENCY,
			description:
				'The most requests in flight at once. The node starts at up to 32, sends more while HyperID answers as fast, and fewer when it asks to slow down. Output order always follows input order.',
		},
		{
			displayName: 'Fields to Skip',
			name: 'fieldsToSkip',
			type: 'string',
			default: '',
			placeholder: 'e.g. internalNote, createdAt',
			description: 'Comma-separated names of input fields not to store',
			displayOptions: { show: { '/operation': ['set'], '/dataMode': ['autoMapInputData'] } },
		},
		{
			displayName: 'Keys Output',
			name: 'keysOutput',
			type: 'options',
			options: [
				{ name: 'One Item per Key', value: 'perKey', description: 'Each key with its scope' },
				{ name: 'One Summary Item', value: 'summary', description: 'Private and public keys as two lists' },
			],
			default: 'summary',
			displayOptions: { show: { '/operation': ['listKeys'] } },
		},
		{
			displayName: 'Output Field',
			name: 'outputField',
			type: 'string',
			default: 'hyperid',
			description: 'Field of the input item that receives the values',
			displayOptions: { show: { '/operation': ['get', 'getAll'], getOutput: ['mergeIntoInput'] }, hide: { '/resource': [WALLET_RESOURCE], simplify: [false] } },
		},
		{
			displayName: 'Page Size',
			name: 'pageSize',
			type: 'number',
			typeOptions: { minValue: 1, maxValue: 1000 },
			default: 100,
			description: 'How many keys to ask HyperID for per page',
			displayOptions: { show: { '/operation': ['listSharedKeys'] } },
		},
		refreshedTokensFieldOption,
		{
			displayName: 'Retries',
			name: 'retries',
			type: 'number',
			typeOptions: { minValue: 0, maxValue: 10 },
			default: 3,
			description:
				'How often to retry when HyperID is temporarily unavailable, overloaded, times out or drops the connection',
		},
		{
			displayName: 'Retry Delay (Ms)',
			name: 'retryDelay',
			type: 'number',
			typeOptions: { minValue: 0 },
			default: 500,
			description: 'Wait before the first retry; it doubles with each further retry (at most 30 s)',
		},
		{
			displayName: 'Simplify',
			name: 'simplify',
			type: 'boolean',
			default: true,
			description:
				"Whether to return a simplified version of the response instead of HyperID's raw data",
		},
		{
			displayName: 'Timeout (Ms)',
			name: 'timeout',
			type: 'number',
			typeOptions: { minValue: 1 },
			default: 30000,
			description: 'How long to wait for HyperID to answer a request before retrying it',
		},
		{
			displayName: 'Value Format',
			name: 'valueFormat',
			type: 'options',
			options: [
				{
					name: 'JSON',
					value: 'json',
					description: 'Objects and lists are stored as JSON text and parsed back when read',
				},
				{ name: 'String', value: 'string', description: 'Values are stored and read as plain text' },
			],
			default: 'string',
			displayOptions: { show: { '/operation': ['set', 'get', 'getAll'] }, hide: { '/resource': [WALLET_RESOURCE] } },
		},
		{
			displayName: 'Values Output',
			name: 'getOutput',
			type: 'options',
			options: [
				{
					name: 'Merge Into Input Item',
					value: 'mergeIntoInput',
					description: 'The input item itself, with the values as {key: value} under Output Field',
				},
				{
					name: 'One Item per Value',
					value: 'perValue',
					description: 'Each found key as its own item: {key, value} (Get Many adds its scope)',
				},
				{
					name: 'One Item with All Values',
					value: 'allValues',
					description: 'One item per input item: {values: {key: value}, result} (Get adds missingKeys)',
				},
			],
			default: 'perValue',
			// Wallet → Get Many lists wallets, not values; without Simplify each item is HyperID's whole response
			displayOptions: { show: { '/operation': ['get', 'getAll'] }, hide: { '/resource': [WALLET_RESOURCE], simplify: [false] } },
		},
	],
};

export const properties: INodeProperties[] = [
	...authenticationDescription,
	resource,
	plainOperation,
	...familyOperationsByUse,
	...walletDescription,
	identityProvider,
	walletAddress,
	...setDescription,
	...getDescription,
	...listSharedKeysDescription,
	options,
];

