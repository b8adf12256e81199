import type { IDataObject, IExecuteFunctions, INodeExecutionData, JsonObject } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import type { Failure } from '../../shared/failedItem';
import { failedItem, SIGN_IN_ENDED } from '../../shared/failedItem';
import type { TokenErrorKind } from '../../shared/hyperIdClient';
import { TokenEndpointError } from '../../shared/hyperIdClient';
import { nameItem, namingItem } from '../../shared/itemIndex';
import type { Operation, Prepared } from './operations';
import { isOperation, prepare, SPENDS_TOKEN } from './operations';

const RESOURCE_OF: Record<Operation, string> = {
	getAuthorizationUrl: 'signIn',
	exchangeCode: 'signIn',
	logOut: 'signIn',
	refresh: 'token',
	introspect: 'token',
	revoke: 'token',
	getInfo: 'user',
};

const CHECK_CREDENTIAL = 'Check the Client ID, the Client Authentication and its secret or private key in the HyperID Client credential.';
const TRY_LATER = 'HyperID could not be reached or had a fault. Try again later; nothing was changed for this item if HyperID never answered.';
// a refresh that reached HyperID spent its token, and HyperID ends the sign-in of a refresh token presented again
const REFRESH_UNANSWERED =
	'HyperID did not answer. If the refresh reached HyperID, this refresh token is spent: refreshing with it again ends the user\'s sign-in, and they must sign in again. If HyperID never received it, try again later.';

/** What a refusal means for each operation, in the user's words: message, how to fix it, and errorCode where the User Data node has the same one. */
function explain(operation: Operation, error: TokenEndpointError): { message: string; description: string; errorCode?: string } {
	const kind: TokenErrorKind = error.kind;
	if (kind === 'invalid_client') return { message: error.message, description: CHECK_CREDENTIAL };
	if (operation === 'refresh' && (kind === 'network' || kind === 'timeout')) {
		return { message: error.message, description: REFRESH_UNANSWERED };
	}
	if (kind === 'network' || kind === 'timeout' || kind === 'server' || kind === 'not_found') {
		return {
			message: error.message,
			description: kind === 'not_found' ? 'Check the Environment and Login URL of the HyperID Client credential.' : TRY_LATER,
		};
	}
	if (kind === 'invalid_grant') {
		switch (operation) {
			case 'refresh':
				return {
					message: "This user's HyperID sign-in has ended; they must sign in again",
					errorCode: SIGN_IN_ENDED,
					description: `${error.message}. The user withdrew consent or logged out, the refresh token expired, or it was already used once (refresh tokens work once: store the new one every time).`,
				};
			case 'exchangeCode':
				return {
					message: 'HyperID refused the authorization code',
					description: `${error.message}. A code works once and for about a minute; Redirect URI must be the one of the authorization URL, and Code Verifier the one returned with it.`,
				};
			case 'getInfo':
				return {
					message: "HyperID refused the user's access token",
					description: `${error.message}. The access token has expired (refresh it with Token > Refresh) or the user's sign-in has ended.`,
				};
			default:
				return { message: `${error.message}`, description: 'The token is no longer valid for your client: the user must sign in again.' };
		}
	}
	if (kind === 'unauthorized_client') {
		return { message: error.message, description: 'Allow this grant or endpoint for your client in the HyperID developer portal.' };
	}
	return { message: error.message, description: 'Check the values this item maps into the node.' };
}

/** Any failure as the node's own error, with the item's index and a code a workflow can branch on. */
function toNodeError(ctx: IExecuteFunctions, operation: Operation, error: unknown, itemIndex: number): NodeApiError | NodeOperationError {
	if (error instanceof NodeOperationError || error instanceof NodeApiError) {
		if (error.context.itemIndex === undefined) error.context.itemIndex = itemIndex;
		return nameItem(error, itemIndex);
	}
	if (error instanceof TokenEndpointError) {
		const { message, description, errorCode } = explain(operation, error);
		// HyperID's OAuth error where it refused; what went wrong on the way otherwise (stable to branch on)
		const refused = ['invalid_grant', 'invalid_client', 'unauthorized_client', 'invalid_request'].includes(error.kind);
		const code = refused ? (error.oauthError ?? error.kind) : error.kind;
		const text = namingItem(message, itemIndex);
		const failure = new NodeApiError(ctx.getNode(), { error: code } as JsonObject, {
			message: text,
			description,
			httpCode: error.httpStatus !== undefined ? String(error.httpStatus) : undefined,
			itemIndex,
		});
		// NodeApiError may put n8n's generic text in place of the message
		failure.message = text;
		failure.context = { ...failure.context, itemIndex, code, ...(errorCode ? { errorCode } : {}) };
		return failure;
	}
	return nameItem(new NodeOperationError(ctx.getNode(), error as Error, { itemIndex }), itemIndex);
}

/** A failed item under Continue on Fail (shared/failedItem.ts): the OAuth error or fault as `code`, `errorCode` where there is one. */
function failedItemOf(ctx: IExecuteFunctions, error: NodeApiError | NodeOperationError, itemIndex: number): INodeExecutionData {
	const { code, errorCode } = error.context;
	const failure: Failure = {
		message: error.message,
		code: typeof code === 'string' ? code : undefined,
		errorCode: typeof errorCode === 'string' ? errorCode : undefined,
		description: error.description ?? undefined,
	};
	return failedItem(failure, itemIndex, ctx.getNode().onError === 'continueErrorOutput' ? 'errorOutput' : 'regular');
}

export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const resource = this.getNodeParameter('resource', 0) as string;
	const operation = this.getNodeParameter('operation', 0) as string;
	if (!isOperation(operation) || RESOURCE_OF[operation] !== resource) {
		throw new NodeOperationError(this.getNode(), `The operation "${operation}" is not available for "${resource}"`, {
			description: 'Pick a resource and an operation from the lists.',
		});
	}
	const continueOnFail = this.continueOnFail();

	// Every item is checked before anything is sent: a bad item fails the run with no code or token spent.
	const prepared: Array<Prepared | NodeApiError | NodeOperationError> = [];
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		try {
			prepared.push(prepare(this, operation, itemIndex));
		} catch (error) {
			const failure = toNodeError(this, operation, error, itemIndex);
			if (!continueOnFail) throw failure;
			prepared.push(failure);
		}
	}

	const output: INodeExecutionData[] = [];
	// items whose code or refresh token was spent in this run, with what HyperID issued for them
	const renewed: IDataObject[] = [];
	const cancelSignal = this.getExecutionCancelSignal?.();
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		if (cancelSignal?.aborted) break;
		const step = prepared[itemIndex];
		if (!('send' in step)) {
			output.push(failedItemOf(this, step, itemIndex));
			continue;
		}
		try {
			const json = await step.send();
			output.push({ json, pairedItem: { item: itemIndex } });
			if (SPENDS_TOKEN.has(operation)) renewed.push({ itemIndex, ...json });
		} catch (error) {
			const failure = toNodeError(this, operation, error, itemIndex);
			if (!continueOnFail) {
				if (renewed.length > 0) {
					// not in the message or description: an Error Workflow can still store them from here
					failure.context.renewedTokens = renewed;
					failure.description = `${failure.description ?? ''} Items ${renewed.map((r) => r.itemIndex).join(', ')} of this run had already received new tokens (their old refresh tokens no longer work): they are in this error's context "renewedTokens" (in an Error Workflow: $json.execution.error.context.renewedTokens). To refresh many users at once, set the node's On Error to "Continue (using error output)".`.trim();
				}
				throw failure;
			}
			output.push(failedItemOf(this, failure, itemIndex));
		}
	}
	return [output];
}
