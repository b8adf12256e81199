import type { IDataObject } from 'n8n-workflow';

import { endpointFor } from './families';
import { readTarget } from './parameters';
import type { Prepare } from './types';
import { storedValueId } from './types';

/** Keys per delete request. */
const KEYS_PER_DELETE = 100;

/** Stands for every key of a target in the write ordering (a key is never empty). */
const EVERY_KEY = '';

const asStrings = (list: unknown): string[] =>
	Array.isArray(list) ? list.filter((entry): entry is string => typeof entry === 'string') : [];

/**
 * Delete All: every key this application wrote in the target (list-get, then deletes in batches).
 * Cannot be undone; the output names every key deleted.
 */
export const prepare: Prepare = (ctx, itemIndex, settings) => {
	const family = settings.family!;
	const target = readTarget(ctx, settings.parameters, itemIndex, family, settings.knownProviders);
	const listEndpoint = endpointFor(family, 'listKeys');
	const deleteEndpoint = endpointFor(family, 'delete');
	return {
		itemIndex,
		// two items clearing the same target run one after the other
		writes: [storedValueId(deleteEndpoint.path, target.body, EVERY_KEY)],
		run: async (session) => {
			const listed = await session.call(listEndpoint, target.body, target.subject, itemIndex);
			const keys = [...new Set([...asStrings(listed.keys_private), ...asStrings(listed.keys_public)])];
			const deleted: string[] = [];
			const responses: IDataObject[] = [];
			for (let start = 0; start < keys.length; start += KEYS_PER_DELETE) {
				const chunk = keys.slice(start, start + KEYS_PER_DELETE);
				const response = await session.call(deleteEndpoint, { ...target.body, value_keys: chunk }, { keys: chunk, ...target.subject }, itemIndex);
				responses.push(response);
				if (Array.isArray(response.keys_delete_results)) {
					for (const entry of response.keys_delete_results as IDataObject[]) {
						if (entry.is_deleted === true && typeof entry.value_key === 'string') deleted.push(entry.value_key);
					}
				} else if (response.result === 0) {
					deleted.push(...chunk);
				}
			}
			if (!settings.simplify) return [{ ...listed, deleteResponses: responses }];
			return [{ deleted: deleted.length, keys: deleted }];
		},
	};
};
