import type { IDataObject } from 'n8n-workflow';

import { endpointFor } from './families';
import { mergeIntoInput, readValues } from './get';
import { ownKeysOf } from './listKeys';
import { readLimit } from './listSharedKeys';
import { parseStoredValue, readTarget, valuesObject } from './parameters';
import type { Prepare } from './types';
import { KEYS_PER_REQUEST } from './types';

/**
 * Get Many: every value this application can read in the target. The keys come from list-get
 * (private, then public), the values from batched gets of those keys.
 */
export const prepare: Prepare = (ctx, itemIndex, settings) => {
	const family = settings.family!;
	const target = readTarget(ctx, settings.parameters, itemIndex, family, settings.knownProviders);
	const limit = readLimit(ctx, settings, itemIndex);
	const listEndpoint = endpointFor(family, 'listKeys');
	const getEndpoint = endpointFor(family, 'get');
	return {
		itemIndex,
		run: async (session) => {
			const listed = await session.call(listEndpoint, target.body, target.subject, itemIndex);
			const scopeOf = ownKeysOf(listed);
			const keys = [...scopeOf.keys()].slice(0, limit);

			const values = new Map<string, string>();
			const responses: IDataObject[] = [];
			for (let start = 0; start < keys.length; start += KEYS_PER_REQUEST) {
				const chunk = keys.slice(start, start + KEYS_PER_REQUEST);
				const outcome = await readValues(session, getEndpoint, target.body, chunk, target.subject, itemIndex);
				for (const [key, value] of outcome.values) values.set(key, value);
				responses.push(...outcome.responses);
			}
			// a key deleted between list-get and get is simply absent
			const found = keys.filter((key) => values.has(key));

			if (!settings.simplify) {
				return [{ ...listed, values: found.map((key) => ({ value_key: key, value_data: values.get(key) })) }];
			}
			const parsed = (key: string) => parseStoredValue(ctx, itemIndex, key, values.get(key) as string, settings.valueFormat) as IDataObject;
			if (settings.getOutput === 'perValue') {
				return found.map((key) => ({ key, value: parsed(key), scope: scopeOf.get(key) }));
			}
			const all = valuesObject(found.map((key) => [key, parsed(key)]));
			if (settings.getOutput === 'mergeIntoInput') return [mergeIntoInput(ctx, itemIndex, settings.outputField, all)];
			return [{ values: all, result: found.length ? 0 : 1 }];
		},
	};
};
