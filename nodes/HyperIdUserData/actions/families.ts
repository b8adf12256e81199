import type { Endpoint, Meaning } from '../transport/resultCodes';
import { READ_SCOPE, WRITE_SCOPE } from '../transport/resultCodes';

/** One HyperID endpoint of a family. */
export type ApiCall = 'set' | 'get' | 'delete' | 'listKeys' | 'listSharedKeys';

/** What the node offers: each endpoint, plus operations built from several of them. */
export type Operation = ApiCall | 'getAll' | 'deleteAll';

/** Operations built from endpoints: a family offers one when it has every endpoint it needs. */
const COMPOSED: Record<Exclude<Operation, ApiCall>, ApiCall[]> = {
	getAll: ['listKeys', 'get'],
	deleteAll: ['listKeys', 'delete'],
};

function offered(calls: ApiCall[]): Operation[] {
	const composed = (Object.keys(COMPOSED) as Array<keyof typeof COMPOSED>).filter((operation) =>
		COMPOSED[operation].every((call) => calls.includes(call)),
	);
	return [...calls, ...composed];
}

export type FamilyTarget = 'none' | 'identityProvider' | 'walletAddress';

export interface Family {
	/** The node's `resource` value: part of the public contract, stored in workflows. */
	resource: string;
	displayName: string;
	/** Used in messages: "stored {phrase}". */
	phrase: string;
	pathPrefix: string;
	/** The one extra request field that selects the storage target. */
	target: FamilyTarget;
	/** The node operations it offers (its endpoints, and what can be built from them). */
	operations: Operation[];
	/** Whether set accepts `access_scope` (the plain family does not). */
	hasAccessScope: boolean;
	/** Whether delete answers with `keys_delete_results`. */
	deleteReportsPerKey: boolean;
	/** Family-specific result codes per operation, beyond the shared ones (API.md). */
	codes: Partial<Record<ApiCall, Record<number, Meaning>>>;
}

const ALL_CALLS: ApiCall[] = ['set', 'get', 'delete', 'listKeys', 'listSharedKeys'];

export const PATH_SUFFIX: Record<ApiCall, string> = {
	set: 'set',
	get: 'get',
	delete: 'delete',
	listKeys: 'list-get',
	listSharedKeys: 'shared-list-get',
};

/** The five storage families: they differ only in path, one request field and codes -6..-8. */
export const FAMILIES: Family[] = [
	{
		resource: 'userData',
		displayName: 'User Data',
		phrase: 'as plain user data',
		pathPrefix: '/user-data/',
		target: 'none',
		operations: offered(['set', 'get']),
		hasAccessScope: false,
		deleteReportsPerKey: false,
		codes: {
			set: { [-6]: 'keyAccessDenied', [-7]: 'keyInvalid' },
			get: { [-6]: 'keysSizeLimit' },
		},
	},
	{
		resource: 'userDataByEmail',
		displayName: 'User Data by Email',
		phrase: 'by email',
		pathPrefix: '/user-data/by-email/',
		target: 'none',
		operations: offered(ALL_CALLS),
		hasAccessScope: true,
		deleteReportsPerKey: false,
		codes: {
			set: { [-6]: 'keyAccessDenied', [-7]: 'keyInvalid' },
			get: { [-6]: 'keysSizeLimit' },
			delete: { [-6]: 'keyAccessDenied' },
		},
	},
	{
		resource: 'userDataByUserId',
		displayName: 'User Data by User ID',
		phrase: 'by user ID',
		pathPrefix: '/user-data/by-user-id/',
		target: 'none',
		operations: offered(ALL_CALLS),
		hasAccessScope: true,
		deleteReportsPerKey: true,
		codes: {
			set: { [-6]: 'keyAccessDenied', [-7]: 'keyInvalid' },
			get: { [-6]: 'keysSizeLimit' },
			delete: { [-6]: 'keyAccessDenied' },
		},
	},
	{
		resource: 'userDataByIdp',
		displayName: 'User Data by Identity Provider',
		phrase: 'by identity provider',
		pathPrefix: '/user-data/by-idp/',
		target: 'identityProvider',
		operations: offered(ALL_CALLS),
		hasAccessScope: true,
		deleteReportsPerKey: false,
		codes: {
			set: { [-6]: 'identityProviderNotFound', [-7]: 'keyAccessDenied', [-8]: 'keyInvalid' },
			get: { [-6]: 'identityProviderNotFound', [-7]: 'keysSizeLimit' },
			listKeys: { [-6]: 'identityProviderNotFound' },
			listSharedKeys: { [-6]: 'identityProviderNotFound' },
			delete: { [-6]: 'identityProviderNotFound', [-7]: 'keyAccessDenied' },
		},
	},
	{
		resource: 'userDataByWallet',
		displayName: 'User Data by Wallet',
		phrase: 'by wallet',
		pathPrefix: '/user-data/by-wallet/',
		target: 'walletAddress',
		operations: offered(ALL_CALLS),
		hasAccessScope: true,
		deleteReportsPerKey: true,
		codes: {
			set: { [-6]: 'walletNotFound', [-7]: 'keyAccessDenied', [-8]: 'keyInvalid' },
			get: { [-6]: 'walletNotFound', [-7]: 'keysSizeLimit' },
			listKeys: { [-6]: 'walletNotFound' },
			listSharedKeys: { [-6]: 'walletNotFound' },
			delete: { [-6]: 'walletNotFound', [-7]: 'keyAccessDenied' },
		},
	},
];

export const WALLET_RESOURCE = 'wallet';

export function findFamily(resource: string): Family | undefined {
	return FAMILIES.find((family) => family.resource === resource);
}

const ACTION_PHRASE: Record<ApiCall, string> = {
	set: 'store a value',
	get: 'read values',
	delete: 'delete keys',
	listKeys: 'list keys',
	listSharedKeys: 'list shared keys',
};

const READ_CALLS: ApiCall[] = ['get', 'listKeys', 'listSharedKeys'];

/** Everything the transport needs to call one operation of one family. */
export function endpointFor(family: Family, operation: ApiCall): Endpoint {
	return {
		path: `${family.pathPrefix}${PATH_SUFFIX[operation]}`,
		action: `${ACTION_PHRASE[operation]} ${family.phrase}`,
		scope: READ_CALLS.includes(operation) ? READ_SCOPE : WRITE_SCOPE,
		acceptsNotFound: operation !== 'set',
		codes: family.codes[operation] ?? {},
	};
}

export const WALLETS_ENDPOINT: Endpoint = {
	path: '/user-wallets/get',
	action: "list the user's wallets",
	scope: READ_SCOPE,
	acceptsNotFound: false,
	codes: {},
};
