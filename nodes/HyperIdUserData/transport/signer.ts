/**
 * Whose token signs a request, and what happens when HyperID refuses it: one implementation per
 * authentication mode (connectedAccount.ts, userTokens.ts), so the request path has no mode branches.
 */
import type { IHttpRequestOptions, IN8nHttpFullResponse, NodeApiError, NodeOperationError } from 'n8n-workflow';

/** A request refused for its token is resent at most this often (each time with a newer token). */
export const MAX_TOKEN_RECOVERIES = 3;

/** A request HyperID refused for its token (result -1/-2, or HTTP 401). */
export interface Refusal {
	itemIndex: number;
	/** The access token the refused request was signed with, when known. */
	usedToken: string | undefined;
	/** HyperID said the token expired (not merely invalid). */
	expired: boolean;
	/** How often this request was already resent after a refusal. */
	recoveries: number;
	/** The item's error for this refusal, for when no newer token can help. */
	refusedError: () => NodeApiError;
	/** The item's error when its execution was cancelled meanwhile. */
	cancelledError: () => NodeOperationError;
	/** What earlier refusals of the same request left (one object per request). */
	request: { refreshed?: { token?: string } };
}

export interface TokenSigner {
	/** Throws a failure that already ended every item of the run (checked before each attempt). */
	checkUsable(itemIndex: number): void;
	/** Sends the request signed with the item's token; `sent.token` tells which token it was. */
	send(request: IHttpRequestOptions, itemIndex: number, sent: { token?: string }): Promise<IN8nHttpFullResponse>;
	/** A request signed with `token` succeeded. */
	accepted(token: string | undefined): void;
	/** Resolves once a newer token is there to resend with, or throws the item's error. */
	afterRefusal(refusal: Refusal): Promise<void>;
}
