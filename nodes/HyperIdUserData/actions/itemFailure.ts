import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

/**
 * An item's failure told with what the item did before it (e.g. which keys were stored): a new
 * message, the cause's description, code and context, and `details`, which Continue on Fail puts
 * into the error item.
 */
export function itemFailure(ctx: IExecuteFunctions, cause: Error, itemIndex: number, message: string, details: IDataObject): Error {
	const description = (cause as NodeApiError).description ?? undefined;
	if (cause instanceof NodeApiError) {
		const error = new NodeApiError(ctx.getNode(), { error: message }, { message, description, httpCode: cause.httpCode ?? undefined, itemIndex });
		// NodeApiError may put n8n's generic text in place of the message
		error.message = message;
		error.context = { ...cause.context, itemIndex, errorDetails: details };
		return error;
	}
	const error = new NodeOperationError(ctx.getNode(), message, { description, itemIndex });
	error.context = { ...((cause as NodeOperationError).context ?? {}), itemIndex, errorDetails: details };
	return error;
}

export const quoted = (keys: string[]) => (keys.length ? keys.map((key) => `"${key}"`).join(', ') : 'none');
