import type { IDataObject, INodeProperties } from 'n8n-workflow';

import { WALLET_RESOURCE, WALLETS_ENDPOINT } from './families';
import type { Prepare } from './types';

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: [WALLET_RESOURCE] } },
		options: [
			{
				name: 'Get Many',
				value: 'getAll',
				description: "List the signed-in user's wallets",
				action: 'Get many wallets',
			},
		],
		default: 'getAll',
	},
];

const withScope = (list: unknown, scope: string): IDataObject[] =>
	(Array.isArray(list) ? (list as IDataObject[]) : []).map((wallet) => ({
		address: wallet.address,
		chain: wallet.chain,
		family: wallet.family,
		label: wallet.label,
		tags: wallet.tags,
		scope,
	}));

/** The user's wallets from a /user-wallets/get answer, private first, each with its scope. */
export const walletsOf = (response: IDataObject): IDataObject[] => [
	...withScope(response.wallets_private, 'private'),
	...withScope(response.wallets_public, 'public'),
];

export const prepare: Prepare = (_ctx, itemIndex, settings) => ({
	itemIndex,
	run: async (session) => {
		const response = await session.call(WALLETS_ENDPOINT, {}, {}, itemIndex);
		if (!settings.simplify) return [response];
		return walletsOf(response);
	},
});
