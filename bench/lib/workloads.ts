/**
 * The workloads, each expressed three ways: this node's parameters, the HTTP Request node doing the
 * same calls (what a user would build instead), and the raw requests a plain client sends.
 * Everything uses the "by email" family (it has every operation; no discovery is needed).
 */
import type { IDataObject } from 'n8n-workflow';

export type WorkloadId = 'set' | 'get1' | 'get1batch' | 'get1batchDefault' | 'get20' | 'listShared';

/**
 * The node version each workload runs, in real n8n and in the harness alike: what a workload means
 * must not change when the node gets a new version (1.1 turned Batch Reads on by default).
 */
export const LATEST_NODE_VERSION = 1.2;

export const PATHS = {
	set: '/user-data/by-email/set',
	get: '/user-data/by-email/get',
	// shared keys live on their own target (by user id): the server pages over every stored key of
	// a target, so the 10,000 private keys of the get workloads would add 100 empty pages
	sharedList: '/user-data/by-user-id/shared-list-get',
	sharedSet: '/user-data/by-user-id/set',
} as const;

export interface Workload {
	id: WorkloadId;
	label: string;
	/** the node's typeVersion for this workload */
	nodeVersion: number;
	/** input items of the node */
	inputItems: number;
	/** the "items" items/s counts: input items, or listed keys for listShared */
	units: number;
	/** output items this node gives (checked) */
	expectedOutputs: number;
	/** user-data requests this node should send (checked) */
	expectedRequests: number;
	/** javascript of the n8n Code node that builds the input items */
	inputCode: string;
	input(): IDataObject[];
	nodeParameters: IDataObject;
	/** undefined: this workload is only for this node (batching has no HTTP Request node equivalent) */
	httpParameters?: (baseUrl: string) => IDataObject;
	/** the plain client: fixed requests (sent in any order) or a paging loop */
	plain?: { kind: 'fixed'; path: string; bodies: () => IDataObject[] } | { kind: 'paging'; path: string; pageSize: number };
}

export interface Sizes {
	/** items of set / single-key get; keys seeded; shared keys listed */
	n: number;
	/** items of the 20-key get */
	n20: number;
}

export const FULL_SIZES: Sizes = { n: 10_000, n20: 1_000 };
export const QUICK_SIZES: Sizes = { n: 1_000, n20: 100 };

const KEYS_PER_ITEM = 20;
const BATCH_KEYS = 100;
const PAGE_SIZE = 100;

function httpBase(baseUrl: string, path: string, jsonBody: string): IDataObject {
	return {
		method: 'POST',
		url: `${baseUrl}${path}`,
		authentication: 'genericCredentialType',
		genericAuthType: 'oAuth2Api',
		sendBody: true,
		contentType: 'json',
		specifyBody: 'json',
		jsonBody,
		options: {},
	};
}

export function workloads(sizes: Sizes): Record<WorkloadId, Workload> {
	const { n, n20 } = sizes;
	const keys20 = (i: number) => Array.from({ length: KEYS_PER_ITEM }, (_, j) => `k${(i * KEYS_PER_ITEM + j) % n}`);
	const get1: Omit<Workload, 'id' | 'label' | 'nodeVersion' | 'expectedRequests' | 'nodeParameters' | 'httpParameters'> = {
		inputItems: n,
		units: n,
		expectedOutputs: n,
		inputCode: `return Array.from({ length: ${n} }, (_, i) => ({ json: { key: 'k' + i } }));`,
		input: () => Array.from({ length: n }, (_, i) => ({ key: `k${i}` })),
		plain: { kind: 'fixed', path: PATHS.get, bodies: () => Array.from({ length: n }, (_, i) => ({ value_keys: [`k${i}`] })) },
	};
	return {
		set: {
			id: 'set',
			label: `set ×${n}`,
			nodeVersion: LATEST_NODE_VERSION,
			inputItems: n,
			units: n,
			expectedOutputs: n,
			expectedRequests: n,
			inputCode: `return Array.from({ length: ${n} }, (_, i) => ({ json: { key: 'w' + i, value: 'written value ' + i } }));`,
			input: () => Array.from({ length: n }, (_, i) => ({ key: `w${i}`, value: `written value ${i}` })),
			nodeParameters: {
				resource: 'userDataByEmail',
				operation: 'set',
				key: '={{ $json.key }}',
				value: '={{ $json.value }}',
				accessScope: 'public',
				options: {},
			},
			httpParameters: (base) =>
				httpBase(base, PATHS.set, '={{ JSON.stringify({ value_key: $json.key, value_data: $json.value, access_scope: 1 }) }}'),
			plain: {
				kind: 'fixed',
				path: PATHS.set,
				bodies: () =>
					Array.from({ length: n }, (_, i) => ({ value_key: `w${i}`, value_data: `written value ${i}`, access_scope: 1 })),
			},
		},
		get1: {
			id: 'get1',
			label: `get ×${n}, 1 key, Batch Reads off`,
			nodeVersion: LATEST_NODE_VERSION,
			...get1,
			expectedRequests: n,
			// one request per item, as the HTTP Request node and the plain client send them
			nodeParameters: { resource: 'userDataByEmail', operation: 'get', keys: '={{ $json.key }}', options: { batchReads: false } },
			httpParameters: (base) => httpBase(base, PATHS.get, '={{ JSON.stringify({ value_keys: [$json.key] }) }}'),
		},
		get1batch: {
			id: 'get1batch',
			label: `get ×${n}, 1 key, Batch Reads turned on (node v1)`,
			nodeVersion: 1,
			...get1,
			expectedRequests: Math.ceil(n / BATCH_KEYS),
			nodeParameters: {
				resource: 'userDataByEmail',
				operation: 'get',
				keys: '={{ $json.key }}',
				options: { batchReads: true },
			},
			// the HTTP Request node has no equivalent: compare with its one-request-per-item get1
			httpParameters: undefined,
			plain: undefined,
		},
		get1batchDefault: {
			id: 'get1batchDefault',
			label: `get ×${n}, 1 key, Batch Reads by default (node v${LATEST_NODE_VERSION})`,
			nodeVersion: LATEST_NODE_VERSION,
			...get1,
			expectedRequests: Math.ceil(n / BATCH_KEYS),
			nodeParameters: { resource: 'userDataByEmail', operation: 'get', keys: '={{ $json.key }}', options: {} },
			httpParameters: undefined,
			plain: undefined,
		},
		get20: {
			id: 'get20',
			label: `get ×${n20}, ${KEYS_PER_ITEM} keys, Batch Reads off`,
			nodeVersion: LATEST_NODE_VERSION,
			inputItems: n20,
			units: n20,
			expectedOutputs: n20 * KEYS_PER_ITEM,
			expectedRequests: n20,
			inputCode: `return Array.from({ length: ${n20} }, (_, i) => ({ json: { keys: Array.from({ length: ${KEYS_PER_ITEM} }, (_, j) => 'k' + ((i * ${KEYS_PER_ITEM} + j) % ${n})) } }));`,
			input: () => Array.from({ length: n20 }, (_, i) => ({ keys: keys20(i) })),
			nodeParameters: { resource: 'userDataByEmail', operation: 'get', keys: '={{ $json.keys }}', options: { batchReads: false } },
			httpParameters: (base) => httpBase(base, PATHS.get, '={{ JSON.stringify({ value_keys: $json.keys }) }}'),
			plain: { kind: 'fixed', path: PATHS.get, bodies: () => Array.from({ length: n20 }, (_, i) => ({ value_keys: keys20(i) })) },
		},
		listShared: {
			id: 'listShared',
			label: `listSharedKeys, ${n} keys`,
			nodeVersion: LATEST_NODE_VERSION,
			inputItems: 1,
			units: n,
			expectedOutputs: n,
			expectedRequests: Math.ceil(n / PAGE_SIZE),
			inputCode: 'return [{ json: {} }];',
			input: () => [{}],
			nodeParameters: { resource: 'userDataByUserId', operation: 'listSharedKeys', returnAll: true, options: {} },
			httpParameters: (base) => ({
				method: 'POST',
				url: `${base}${PATHS.sharedList}`,
				authentication: 'genericCredentialType',
				genericAuthType: 'oAuth2Api',
				sendBody: true,
				contentType: 'json',
				specifyBody: 'keypair',
				bodyParameters: { parameters: [{ name: 'page_size', value: `={{ ${PAGE_SIZE} }}` }] },
				options: {
					pagination: {
						pagination: {
							paginationMode: 'updateAParameterInEachRequest',
							parameters: {
								parameters: [{ type: 'body', name: 'search_id', value: '={{ $response.body.next_search_id }}' }],
							},
							paginationCompleteWhen: 'other',
							completeExpression: '={{ !$response.body.next_search_id }}',
							limitPagesFetched: true,
							maxRequests: 10_000,
						},
					},
				},
			}),
			plain: { kind: 'paging', path: PATHS.sharedList, pageSize: PAGE_SIZE },
		},
	};
}

/** Node parameters with options merged in (e.g. a concurrency for the sweep). */
export function withOptions(parameters: IDataObject, options: IDataObject): IDataObject {
	return { ...parameters, options: { ...(parameters.options as IDataObject), ...options } };
}
