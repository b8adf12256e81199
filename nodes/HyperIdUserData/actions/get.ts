import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

import type { HyperIdSession } from '../transport/request';
import { toNodeError } from '../transport/request';
import type { Endpoint, RequestSubject } from '../transport/resultCodes';
import { endpointFor } from './families';
import { parseStoredValue, readKeys, readTarget, valuesObject } from './parameters';
import type { Prepare } from './types';
import { MAX_KEY_LENGTH, MAX_KEYS_PER_ITEM } from './types';

export const description: INodeProperties[] = [
	{
		displayName: 'Keys',
		name: 'keys',
		type: 'string',
		typeOptions: { multipleValues: true, multipleValueButtonText: 'Add Key' },
		required: true,
		default: [],
		placeholder: 'e.g. favorite-color',
		description:
			'Keys to read or delete: one per entry, comma-separated, or an expression returning an array',
		displayOptions: {
			show: {
				resource: ['userData', 'userDataByEmail', 'userDataByIdp', 'userDataByUserId', 'userDataByWallet'],
				operation: ['get', 'delete'],
			},
		},
	},
];

export interface ReadOutcome {
	values: Map<string, string>;
	result: number;
	responses: IDataObject[];
}

/**
 * Reads keys from one target. When HyperID answers "keys size limit reached", the keys are
 * split in halves and read again, so any number of keys works whatever the server's cap.
 */
export async function readValues(
	session: HyperIdSession,
	endpoint: Endpoint,
	targetBody: IDataObject,
	keys: string[],
	subject: RequestSubject,
	itemIndex: number,
): Promise<ReadOutcome> {
	try {
		const response = await session.call(endpoint, { ...targetBody, value_keys: keys }, { ...subject, keys }, itemIndex);
		const values = new Map<string, string>();
		const list = Array.isArray(response.values) ? (response.values as IDataObject[]) : [];
		for (const entry of list) {
			if (typeof entry?.value_key === 'string' && typeof entry.value_data === 'string') {
				values.set(entry.value_key, entry.value_data);
			}
		}
		return { values, result: Number(response.result), responses: [response] };
	} catch (error) {
		const tooMany = error instanceof NodeApiError && error.context.meaning === 'keysSizeLimit';
		if (!tooMany || keys.length < 2) throw toNodeError(session.ctx, error, itemIndex);
		const middle = Math.ceil(keys.length / 2);
		const first = await readValues(session, endpoint, targetBody, keys.slice(0, middle), subject, itemIndex);
		const second = await readValues(session, endpoint, targetBody, keys.slice(middle), subject, itemIndex);
		return {
			values: new Map([...first.values, ...second.values]),
			result: Math.min(first.result, second.result),
			responses: [...first.responses, ...second.responses],
		};
	}
}

/** Values Output "Merge Into Input Item": the input item's fields, with the values under `field`. */
export function mergeIntoInput(ctx: IExecuteFunctions, itemIndex: number, field: string, values: IDataObject): IDataObject {
	return { ...(ctx.getInputData()[itemIndex]?.json ?? {}), [field]: values };
}

export const prepare: Prepare = (ctx, itemIndex, settings) => {
	const family = settings.family!;
	const keys = readKeys(ctx, settings.parameters, itemIndex, MAX_KEY_LENGTH, MAX_KEYS_PER_ITEM, settings.trimKeys);
	settings.hints.keysGiven(keys);
	const target = readTarget(ctx, settings.parameters, itemIndex, family, settings.knownProviders);
	const endpoint = endpointFor(family, 'get');

	const present = (values: Map<string, string>): IDataObject[] => {
		const found = keys.filter((key) => values.has(key));
		const parsed = (key: string) =>
			parseStoredValue(ctx, itemIndex, key, values.get(key) as string, settings.valueFormat);
		if (settings.getOutput === 'mergeIntoInput') {
			return [mergeIntoInput(ctx, itemIndex, settings.outputField, valuesObject(found.map((key) => [key, parsed(key)])))];
		}
		if (settings.getOutput === 'allValues') {
			const all = valuesObject(found.map((key) => [key, parsed(key)]));
			return [
				{
					values: all,
					missingKeys: keys.filter((key) => !values.has(key)),
					result: found.length ? 0 : 1,
				},
			];
		}
		settings.hints.keysNotFound(itemIndex, keys.filter((key) => !values.has(key)));
		return found.map((key) => ({ key, value: parsed(key) as IDataObject }));
	};

	return {
		itemIndex,
		read: settings.simplify
			? { group: `${endpoint.path} ${JSON.stringify(target.body)}`, targetBody: target.body, subject: target.subject, keys, present }
			: undefined,
		run: async (session) => {
			const outcome = await readValues(session, endpoint, target.body, keys, target.subject, itemIndex);
			if (settings.simplify) return present(outcome.values);
			if (outcome.responses.length === 1) return outcome.responses;
			return [
				{
					result: outcome.result,
					values: [...outcome.values].map(([value_key, value_data]) => ({ value_key, value_data })),
				},
			];
		},
	};
};
