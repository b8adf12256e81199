import type { IDataObject, INodeProperties } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

import { endpointFor } from './families';
import { readTarget } from './parameters';
import type { Prepare } from './types';

const show = {
	resource: ['userDataByEmail', 'userDataByIdp', 'userDataByUserId', 'userDataByWallet'],
	operation: ['listSharedKeys', 'getAll'],
};

export const description: INodeProperties[] = [
	{
		displayName: 'Return All',
		name: 'returnAll',
		type: 'boolean',
		default: false,
		description: 'Whether to return all results or only up to a given limit',
		displayOptions: { show },
	},
	{
		displayName: 'Limit',
		name: 'limit',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 50,
		description: 'Max number of results to return',
		displayOptions: { show: { ...show, returnAll: [false] } },
	},
];

/** A server that keeps answering with the same page would otherwise loop forever. */
const MAX_PAGES = 10_000;

export const prepare: Prepare = (ctx, itemIndex, settings) => {
	const family = settings.family!;
	const target = readTarget(ctx, settings.parameters, itemIndex, family, settings.knownProviders);
	const returnAll = settings.parameters.get('returnAll', itemIndex, false) as boolean;
	const limit = returnAll ? Infinity : (settings.parameters.get('limit', itemIndex, 50) as number);
	const endpoint = endpointFor(family, 'listSharedKeys');
	return {
		itemIndex,
		run: async (session) => {
			const keys: string[] = [];
			const seen = new Set<string>();
			let searchId = '';
			let lastResponse: IDataObject = {};
			for (let page = 0; page < MAX_PAGES && keys.length < limit; page++) {
				const pageSize = Math.min(settings.pageSize, limit - keys.length);
				const body: IDataObject = { ...target.body, page_size: pageSize };
				if (searchId) body.search_id = searchId;
				lastResponse = await session.call(endpoint, body, target.subject, itemIndex);
				const shared = Array.isArray(lastResponse.keys_shared) ? (lastResponse.keys_shared as unknown[]) : [];
				for (const key of shared) if (typeof key === 'string' && keys.length < limit) keys.push(key);
				const next = typeof lastResponse.next_search_id === 'string' ? lastResponse.next_search_id : '';
				if (!next) break;
				if (seen.has(next)) {
					throw new NodeApiError(ctx.getNode(), { next_search_id: next }, {
						message: 'HyperID returned the same page twice while listing shared keys',
						description: 'The paging of shared keys did not advance. Try again later; if it persists, report it.',
						itemIndex,
					});
				}
				seen.add(next);
				searchId = next;
				if (page === MAX_PAGES - 1 && keys.length < limit) {
					throw new NodeApiError(ctx.getNode(), { next_search_id: next }, {
						message: `Stopped listing shared keys after ${MAX_PAGES.toLocaleString('en-US')} pages (${keys.length} keys so far); HyperID says more follow`,
						description: 'Turn off "Return All" and set a Limit, or raise "Page Size" in the options, so that the list fits.',
						itemIndex,
					});
				}
			}
			if (!settings.simplify) return [{ ...lastResponse, keys_shared: keys }];
			return keys.map((key) => ({ key }));
		},
	};
};
