import type { IDataObject } from 'n8n-workflow';

import { answersResendAfterUncertainAttempt } from '../transport/request';
import { endpointFor } from './families';
import { readKeys, readTarget } from './parameters';
import type { Prepare } from './types';
import { MAX_KEY_LENGTH, MAX_KEYS_PER_ITEM, storedValueId } from './types';

export const prepare: Prepare = (ctx, itemIndex, settings) => {
	const family = settings.family!;
	const keys = readKeys(ctx, settings.parameters, itemIndex, MAX_KEY_LENGTH, MAX_KEYS_PER_ITEM, settings.trimKeys);
	settings.hints.keysGiven(keys);
	const target = readTarget(ctx, settings.parameters, itemIndex, family, settings.knownProviders);
	const endpoint = endpointFor(family, 'delete');
	const body: IDataObject = { ...target.body, value_keys: keys };
	return {
		itemIndex,
		writes: keys.map((key) => storedValueId(endpoint.path, target.body, key)),
		run: async (session) => {
			const response = await session.call(endpoint, body, { keys, ...target.subject }, itemIndex);
			if (!settings.simplify) return [response];
			// resent after an attempt that got no answer: what is not found now, that attempt deleted
			const earlierAttemptDeleted = answersResendAfterUncertainAttempt(response);
			const output: IDataObject = { deleted: response.result === 0 || earlierAttemptDeleted, keys, result: response.result };
			if (Array.isArray(response.keys_delete_results)) {
				output.keyResults = (response.keys_delete_results as IDataObject[]).map((entry) => ({
					key: entry.value_key,
					deleted: entry.is_deleted === true || earlierAttemptDeleted,
				}));
			}
			return [output];
		},
	};
};
