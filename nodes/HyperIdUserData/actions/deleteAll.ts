import type { IDataObject } from 'n8n-workflow';

import { withoutItem } from '../../shared/itemIndex';
import { answersResendAfterUncertainAttempt, toNodeError } from '../transport/request';
import { meaningOf } from '../transport/resultCodes';
import { endpointFor } from './families';
import { itemFailure, quoted } from './itemFailure';
import { ownKeysOf } from './listKeys';
import { inputError, readTarget } from './parameters';
import type { Prepare } from './types';
import { KEYS_PER_REQUEST, ONE_RULE_FROM_VERSION, storedValueId } from './types';

/** Stands for every key of a target in the write ordering (a key is never empty). */
const EVERY_KEY = '';

function notIn(keys: string[], deleted: string[]): string[] {
	const gone = new Set(deleted);
	return keys.filter((key) => !gone.has(key));
}

/**
 * Delete All: every key this application wrote in the target (list-get, then deletes in batches).
 * Cannot be undone; the output names every key deleted, and a failure part-way names those
 * already deleted.
 */
export const prepare: Prepare = (ctx, itemIndex, settings) => {
	// an agent decides itself when to call a tool, and this cannot be undone (README: As an AI tool)
	const node = ctx.getNode();
	if (node.typeVersion >= ONE_RULE_FROM_VERSION && node.type.endsWith('Tool')) {
		throw inputError(
			ctx,
			itemIndex,
			`Delete All is not available when the node is used as an AI tool (item ${itemIndex})`,
			'An agent could erase every key without a way back. Use Delete with the keys to remove, or run Delete All as a regular workflow step.',
		);
	}
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
			const keys = [...ownKeysOf(listed).keys()];
			const deleted: string[] = [];
			const responses: IDataObject[] = [];
			for (let start = 0; start < keys.length; start += KEYS_PER_REQUEST) {
				const chunk = keys.slice(start, start + KEYS_PER_REQUEST);
				let response: IDataObject;
				try {
					response = await session.call(deleteEndpoint, { ...target.body, value_keys: chunk }, { keys: chunk, ...target.subject }, itemIndex);
				} catch (error) {
					if (deleted.length === 0) throw toNodeError(ctx, error, itemIndex);
					// what was deleted is gone for good: the error says so
					const notDeletedKeys = notIn(keys, deleted);
					const message = `${withoutItem((error as Error).message)} (item ${itemIndex}): Deleted before this failure: ${quoted(deleted)}; not deleted: ${quoted(notDeletedKeys)}`;
					throw itemFailure(ctx, error as Error, itemIndex, message, { deletedKeys: deleted, notDeletedKeys });
				}
				responses.push(response);
				if (answersResendAfterUncertainAttempt(response)) {
					// resent after an attempt that got no answer: listed keys now gone were deleted by that attempt
					deleted.push(...chunk);
				} else if (family.deleteReportsPerKey && Array.isArray(response.keys_delete_results)) {
					for (const entry of response.keys_delete_results as IDataObject[]) {
						if (entry.is_deleted === true && typeof entry.value_key === 'string') deleted.push(entry.value_key);
					}
				} else if (meaningOf(deleteEndpoint, Number(response.result)) === 'success') {
					// the family answers for the whole request only
					deleted.push(...chunk);
				}
			}
			if (!settings.simplify) return [{ ...listed, deleteResponses: responses }];
			const output: IDataObject = { deleted: deleted.length, keys: deleted };
			// listed, yet HyperID said it did not delete them: an erasure must not hide that
			const notDeletedKeys = notIn(keys, deleted);
			if (notDeletedKeys.length) output.notDeletedKeys = notDeletedKeys;
			return [output];
		},
	};
};
