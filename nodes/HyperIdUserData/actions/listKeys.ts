import type { IDataObject } from 'n8n-workflow';

import { endpointFor } from './families';
import { readTarget } from './parameters';
import type { Prepare } from './types';

const asStrings = (list: unknown): string[] =>
	Array.isArray(list) ? list.filter((entry): entry is string => typeof entry === 'string') : [];

export type KeyScope = 'private' | 'public';

/**
 * This application's keys from a list-get answer: private first, then public, each key once with
 * its scope (Get Many and Delete All start from it).
 */
export function ownKeysOf(response: IDataObject): Map<string, KeyScope> {
	const scopeOf = new Map<string, KeyScope>();
	for (const key of asStrings(response.keys_private)) if (!scopeOf.has(key)) scopeOf.set(key, 'private');
	for (const key of asStrings(response.keys_public)) if (!scopeOf.has(key)) scopeOf.set(key, 'public');
	return scopeOf;
}

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
