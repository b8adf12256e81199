import type { IDataObject } from 'n8n-workflow';

import { endpointFor } from './families';
import { readTarget } from './parameters';
import type { Prepare } from './types';

const asStrings = (list: unknown): string[] =>
	Array.isArray(list) ? list.filter((entry): entry is string => typeof entry === 'string') : [];

export const prepare: Prepare = (ctx, itemIndex, settings) => {
	const family = settings.family!;
	const target = readTarget(ctx, settings.parameters, itemIndex, family, settings.knownProviders);
	const endpoint = endpointFor(family, 'listKeys');
	return {
		itemIndex,
		run: async (session) => {
			const response = await session.call(endpoint, target.body, target.subject, itemIndex);
			if (!settings.simplify) return [response];
			const privateKeys = asStrings(response.keys_private);
			const publicKeys = asStrings(response.keys_public);
			if (settings.keysOutput === 'perKey') {
				return [
					...privateKeys.map((key): IDataObject => ({ key, scope: 'private' })),
					...publicKeys.map((key): IDataObject => ({ key, scope: 'public' })),
				];
			}
			return [{ privateKeys, publicKeys, result: response.result }];
		},
	};
};
