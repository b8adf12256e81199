import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

import { endpointFor } from './families';
import { inputError, readTarget } from './parameters';
import type { Prepare, RunSettings } from './types';

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

/**
 * Return All / Limit of List Shared Keys and Get Many: Infinity for Return All, else a number of at
 * least 1. An expression giving text that is not a number (NaN) is refused before sending, instead
 * of returning nothing.
 */
export function readLimit(ctx: IExecuteFunctions, settings: RunSettings, itemIndex: number): number {
	if (settings.parameters.get('returnAll', itemIndex, false) === true) return Infinity;
	const raw = settings.parameters.get('limit', itemIndex, 50);
	const limit = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
	if (typeof limit === 'number' && limit >= 1) return Math.floor(limit);
	throw inputError(
		ctx,
		itemIndex,
		`Limit must be a number of at least 1, not ${typeof raw === 'string' ? JSON.stringify(raw.slice(0, 40)) : String(raw)} (item ${itemIndex})`,
		'Set Limit to how many results to return (e.g. 50), make its expression give a number, or turn on Return All.',
	);
}

/** A server that keeps answering with the same page would otherwise loop forever. */
const MAX_PAGES = 10_000;

export const prepare: Prepare = (ctx, itemIndex, settings) => {
	const family = settings.family!;
	const target = readTarget(ctx, settings.parameters, itemIndex, family, settings.knownProviders);
	const limit = readLimit(ctx, settings, itemIndex);
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
						message: `HyperID returned the same page twice while listing shared keys (item ${itemIndex})`,
						description: 'The paging of shared keys did not advance. Try again later; if it persists, report it.',
						itemIndex,
					});
				}
				seen.add(next);
				searchId = next;
				if (page === MAX_PAGES - 1 && keys.length < limit) {
					throw new NodeApiError(ctx.getNode(), { next_search_id: next }, {
						message: `Stopped listing shared keys after ${MAX_PAGES.toLocaleString('en-US')} pages (${keys.length} keys so far); HyperID says more follow (item ${itemIndex})`,
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
