import type {
	ILoadOptionsFunctions,
	INodeListSearchResult,
	INodePropertyOptions,
} from 'n8n-workflow';

import { WALLETS_ENDPOINT } from '../actions/families';
import { walletsOf } from '../actions/wallet';
import { fetchDiscovery, identityProvidersOf, readConnection } from '../transport/connection';
import { HyperIdSession } from '../transport/request';

const LOOKUP_TIMEOUT_MS = 15_000;

export async function getIdentityProviders(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	const connection = await readConnection(this);
	const providers = identityProvidersOf(await fetchDiscovery(this, connection, LOOKUP_TIMEOUT_MS)) ?? [];
	return providers
		.map((provider) => ({ name: provider.charAt(0).toUpperCase() + provider.slice(1), value: provider }))
		.sort((a, b) => a.name.localeCompare(b.name));
}

export async function searchWallets(this: ILoadOptionsFunctions, filter?: string): Promise<INodeListSearchResult> {
	const session = new HyperIdSession(this, await readConnection(this), {
		retries: 1,
		retryDelayMs: 500,
		timeoutMs: LOOKUP_TIMEOUT_MS,
	});
	const response = await session.call(WALLETS_ENDPOINT, {}, {}, 0);
	const wallets = walletsOf(response);
	const needle = filter?.toLowerCase() ?? '';
	return {
		results: wallets
			.filter((wallet) => `${wallet.address} ${wallet.label}`.toLowerCase().includes(needle))
			.map((wallet) => ({
				name: `${wallet.label ? `${wallet.label} ` : ''}${wallet.address} (${wallet.chain}, ${wallet.scope})`,
				value: String(wallet.address),
			})),
	};
}
