import type {
	ILoadOptionsFunctions,
	INodeListSearchResult,
	INodePropertyOptions,
} from 'n8n-workflow';

import { WALLETS_ENDPOINT } from '../actions/families';
import { walletsOf } from '../actions/wallet';
import { fetchDiscovery, identityProvidersOf } from '../../shared/environment';
import { readConnection } from '../transport/connection';
import { HyperIdSession } from '../transport/request';
import { AUTHENTICATION, readClient, userTokensConnection } from '../transport/userTokens';

const actsForEachUser = (ctx: ILoadOptionsFunctions) =>
	ctx.getCurrentNodeParameter('authentication') === AUTHENTICATION.userTokens;

const LOOKUP_TIMEOUT_MS = 15_000;

export async function getIdentityProviders(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	const connection = actsForEachUser(this) ? userTokensConnection(this, await readClient(this)) : await readConnection(this);
	const providers = identityProvidersOf(await fetchDiscovery(this, connection, LOOKUP_TIMEOUT_MS)) ?? [];
	return providers
		.map((provider) => ({ name: provider.charAt(0).toUpperCase() + provider.slice(1), value: provider }))
		.sort((a, b) => a.name.localeCompare(b.name));
}

export async function searchWallets(this: ILoadOptionsFunctions, filter?: string): Promise<INodeListSearchResult> {
	// each item has its own user: there is no one user whose wallets the editor could list
	if (actsForEachUser(this)) return { results: [] };
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
