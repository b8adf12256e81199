/**
 * A failed item under Continue on Fail, the same for every node of the package.
 *
 * - Continue (regular output): `{ error: message, code?, errorCode?, description?, ...done }`.
 * - Continue (using error output): `{ error: { message, code?, errorCode?, description?, ...done } }`
 *   and no item-level `error`. n8n-core (handleNodeErrorOutput, in 1.123, 2.8 and 2.41) moves an
 *   item to the error output when its json is `error` alone and then adds the paired input item's
 *   fields beside it; an item carrying `error` itself would be routed too, but n8n-core then
 *   replaces its json with `{ error: message }`, losing the code and what the item did.
 */
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

export interface Failure {
	message: string;
	/** What the service answered: a HyperID result code, an HTTP status, an OAuth error, or the kind of fault on the way. */
	code?: string | number;
	/** The node's own category of the failure, stable to branch on (e.g. SIGN_IN_ENDED). */
	errorCode?: string;
	/** How to fix it. */
	description?: string;
	/** What the item did before it failed (e.g. storedKeys / notStoredKeys) and what it hands on. */
	done?: IDataObject;
}

/** errorCode of a failure that means the user must sign in again (HyperID refused the refresh: invalid_grant), in both nodes. */
export const SIGN_IN_ENDED = 'SIGN_IN_ENDED';

/** Where a failed item goes: Continue (regular output) or Continue (using error output). */
export type FailedItemOutput = 'regular' | 'errorOutput';

/** The names a failed item's error uses (both shapes), with what a failed item reports it did: no other field of the item may take them. */
export const FAILURE_FIELDS: readonly string[] = [
	'error',
	'message',
	'code',
	'errorCode',
	'description',
	'key',
	'storedKeys',
	'notStoredKeys',
	'deletedKeys',
	'notDeletedKeys',
];

/** The error's fields, without the message. */
function fieldsOf(failure: Failure): IDataObject {
	const fields: IDataObject = {};
	if (failure.code !== undefined && failure.code !== null) fields.code = failure.code;
	if (failure.errorCode) fields.errorCode = failure.errorCode;
	if (failure.description) fields.description = failure.description;
	return { ...fields, ...failure.done };
}

export function failedItem(failure: Failure, itemIndex: number, output: FailedItemOutput): INodeExecutionData {
	const json: IDataObject =
		output === 'errorOutput'
			? { error: { message: failure.message, ...fieldsOf(failure) } }
			: { error: failure.message, ...fieldsOf(failure) };
	return { json, pairedItem: { item: itemIndex } };
}

/** An item in the error-output shape: json is `error` alone, an object (what failedItem builds, before n8n adds the input's fields). */
export function isErrorOutputItem(item: INodeExecutionData): boolean {
	const error = item.json.error;
	return item.error === undefined && Object.keys(item.json).length === 1 && error !== null && typeof error === 'object' && !Array.isArray(error);
}
