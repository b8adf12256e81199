import type { INode, JsonObject } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

import { namingItem } from '../../shared/itemIndex';

/**
 * A failure shared by several items (a run-wide credential failure, a combined read), told about
 * one of them: its own error object with that item's index (its message names this item, see
 * shared/itemIndex.ts), the same description, code and context. `body` is the error response
 * n8n keeps with it; by default the message.
 */
export function errorForItem(
	node: INode,
	error: NodeApiError,
	itemIndex: number,
	options: { body?: JsonObject } = {},
): NodeApiError {
	const message = namingItem(error.message, itemIndex);
	const copy = new NodeApiError(node, options.body ?? { error: message }, {
		message,
		description: error.description ?? undefined,
		httpCode: httpStatusOnly(error.httpCode),
		itemIndex,
	});
	// NodeApiError puts n8n's generic text in place of the message for Node.js error codes
	copy.message = message;
	copy.context = { ...error.context, itemIndex };
	return copy;
}

/** NodeApiError.httpCode carries HTTP statuses only: an OAuth error or a network fault's code goes into `context.code`. */
export function httpStatusOnly(code: string | null | undefined): string | undefined {
	return code !== null && code !== undefined && /^[1-5]\d\d$/.test(code) ? code : undefined;
}
