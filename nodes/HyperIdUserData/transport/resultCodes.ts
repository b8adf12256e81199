import type { IDataObject, INode, JsonObject } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

import { namingItem } from '../../shared/itemIndex';

/** What a HyperID result code means, independent of its number (which differs per endpoint). */
export type Meaning =
	| 'success'
	| 'notFound'
	| 'tokenInvalid'
	| 'tokenExpired'
	| 'accessDenied'
	| 'serviceUnavailable'
	| 'invalidParameters'
	| 'keyAccessDenied'
	| 'keyInvalid'
	| 'keysSizeLimit'
	| 'identityProviderNotFound'
	| 'walletNotFound';

export const READ_SCOPE = 'user-data-get';
export const WRITE_SCOPE = 'user-data-set';

/** Codes every user-data endpoint shares (API.md). 1 is only a success where `acceptsNotFound`. */
const SHARED_CODES: Record<number, Meaning> = {
	0: 'success',
	[-1]: 'tokenInvalid',
	[-2]: 'tokenExpired',
	[-3]: 'accessDenied',
	[-4]: 'serviceUnavailable',
	[-5]: 'invalidParameters',
};

export interface Endpoint {
	path: string;
	/** In the user's words, e.g. "set a value by wallet". */
	action: string;
	scope: string;
	acceptsNotFound: boolean;
	/** Family-specific codes (-6, -7, -8) for this endpoint. */
	codes: Record<number, Meaning>;
}

/** What the request was about, for messages that name the thing to fix. */
export interface RequestSubject {
	key?: string;
	keys?: string[];
	identityProvider?: string;
	walletAddress?: string;
}

export function meaningOf(endpoint: Endpoint, result: number): Meaning | undefined {
	if (result === 1) return endpoint.acceptsNotFound ? 'notFound' : undefined;
	return endpoint.codes[result] ?? SHARED_CODES[result];
}

function quoteKeys(subject: RequestSubject): string {
	if (subject.key !== undefined) return `"${subject.key}"`;
	if (subject.keys?.length) {
		const shown = subject.keys.slice(0, 5).map((key) => `"${key}"`);
		return subject.keys.length > 5 ? `${shown.join(', ')} and ${subject.keys.length - 5} more` : shown.join(', ');
	}
	return 'the key';
}

function explain(
	meaning: Meaning,
	endpoint: Endpoint,
	subject: RequestSubject,
	attempts: number,
): { message: string; description: string } {
	switch (meaning) {
		case 'tokenInvalid':
		case 'tokenExpired':
			return {
				message: `HyperID rejected the access token even after refreshing it (${meaning === 'tokenExpired' ? 'token expired' : 'token invalid'})`,
				description:
					'Open the HyperID credential and reconnect it (click "Reconnect" and sign in again). The stored sign-in is no longer valid.',
			};
		case 'accessDenied':
			return {
				message: `HyperID denied access: this credential may not ${endpoint.action}`,
				description: `This operation needs the "${endpoint.scope}" and "email" scopes. Add any that is missing to the Scope field of the HyperID credential and reconnect it; if both are already there, the user may have revoked consent: reconnect the credential.`,
			};
		case 'serviceUnavailable':
			return {
				message: `HyperID is temporarily unavailable and could not ${endpoint.action}`,
				description: `HyperID answered "service temporarily unavailable" ${attempts} time(s). Try again later, or raise "Retries" in the node options.`,
			};
		case 'invalidParameters':
			return {
				message: `HyperID rejected the request's parameters while trying to ${endpoint.action}`,
				description:
					'HyperID found a field missing, of the wrong type or too large. Check the key and value of this item; a very large value can exceed what HyperID accepts.',
			};
		case 'keyAccessDenied':
			return {
				message: `The key ${quoteKeys(subject)} belongs to another application`,
				description:
					'In HyperID a key belongs to the client application that first wrote it: other applications can read it when it is public, but not change or delete it. Use another key name.',
			};
		case 'keyInvalid':
			return {
				message: `HyperID refused the key ${quoteKeys(subject)} as invalid`,
				description: 'Use a shorter, non-empty key (plain letters, digits, dashes and underscores are safest).',
			};
		case 'keysSizeLimit':
			return {
				message: `Too many keys in one request (${subject.keys?.length ?? 'several'})`,
				description:
					'HyperID caps how many keys one read may carry. Read fewer keys per item, or turn on "Batch Reads", which splits large reads automatically.',
			};
		case 'identityProviderNotFound':
			return {
				message: `Identity provider "${subject.identityProvider ?? ''}" was not found for this user`,
				description:
					'Pick an identity provider from the list (google, telegram, …) that the signed-in user has linked to their HyperID account.',
			};
		case 'walletNotFound':
			return subject.walletAddress
				? {
						message: `Wallet ${subject.walletAddress} does not belong to this user`,
						description:
							'Pick one of the user\'s wallets from the list (Wallet → Get Many shows them), or leave Wallet Address empty to use the wallet the user signed in with.',
					}
				: {
						message: 'No wallet given and the signed-in user has no default wallet',
						description:
							'Enter a wallet address of the user, or have the user sign in with a wallet (flow_mode 3) so the token carries one.',
					};
		default:
			return {
				message: `HyperID could not ${endpoint.action}`,
				description: 'See the response in the error details.',
			};
	}
}

/** Turns a non-success result code into the node's error, in the user's words. */
export function resultError(
	node: INode,
	endpoint: Endpoint,
	response: IDataObject,
	subject: RequestSubject,
	itemIndex: number,
	attempts = 1,
): NodeApiError {
	const result = Number(response.result);
	const meaning = meaningOf(endpoint, result);
	const { message: what, description } = meaning
		? explain(meaning, endpoint, subject, attempts)
		: {
				message: `HyperID answered with an unknown result code ${result} while trying to ${endpoint.action}`,
				description:
					'This code is not in HyperID\'s documented table for this endpoint. Retry later; if it persists, report it with the code.',
			};
	const message = namingItem(what, itemIndex);
	const error = new NodeApiError(node, { result, ...(response.request_id !== undefined ? { request_id: response.request_id } : {}) } as JsonObject, {
		message,
		description,
		itemIndex,
	});
	// NodeApiError may put n8n's generic text in place of the message
	error.message = message;
	error.context.resultCode = result;
	error.context.meaning = meaning ?? 'unknown';
	return error;
}
