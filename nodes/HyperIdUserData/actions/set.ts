import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import { withoutItem } from '../../shared/itemIndex';
import { endpointFor } from './families';
import { itemFailure, quoted } from './itemFailure';
import {
	fieldToStoredValue,
	inputError,
	readAccessScope,
	readTarget,
	readValue,
	toKey,
	toStoredValue,
	valueOrigin,
} from './parameters';
import type { ValueOrigin } from './parameters';
import type { ItemWork, Prepare, RunSettings, SplitWork } from './types';
import { MAX_KEY_LENGTH, MAX_KEYS_PER_ITEM, storedValueId } from './types';

const show = {
	resource: ['userDataByEmail', 'userDataByIdp', 'userDataByUserId', 'userDataByWallet', 'userData'],
	operation: ['set'],
};

export type DataMode = 'single' | 'defineBelow' | 'autoMapInputData';

export const description: INodeProperties[] = [
	{
		displayName: 'Data Mode',
		name: 'dataMode',
		type: 'options',
		noDataExpression: true,
		options: [
			{
				name: 'Auto-Map Input Fields',
				value: 'autoMapInputData',
				description: 'Store every top-level field of the input item under its own name as key',
			},
			{
				name: 'Define Below',
				value: 'defineBelow',
				description: 'Store several key/value pairs defined below',
			},
			{
				name: 'Single Key',
				value: 'single',
				description: 'Store one value under one key',
			},
		],
		default: 'single',
		description: 'How many values each input item stores, and where their keys come from',
		displayOptions: { show },
	},
	{
		displayName: 'Key',
		name: 'key',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. favorite-color',
		description: 'Name under which the value is stored for the signed-in user',
		displayOptions: { show: { ...show, dataMode: ['single'] } },
	},
	{
		displayName: 'Value',
		name: 'value',
		type: 'string',
		default: '',
		typeOptions: { rows: 2 },
		description:
			'The value to store. HyperID stores text: in JSON value format, objects and lists are stored as JSON.',
		displayOptions: { show: { ...show, dataMode: ['single'] } },
	},
	{
		displayName: 'Fields to Set',
		name: 'fields',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true, sortable: true },
		placeholder: 'Add Field',
		default: {},
		description: 'Key/value pairs to store for each input item; each is its own request',
		displayOptions: { show: { ...show, dataMode: ['defineBelow'] } },
		options: [
			{
				displayName: 'Field',
				name: 'values',
				values: [
					{
						displayName: 'Key',
						name: 'key',
						type: 'string',
						default: '',
						placeholder: 'e.g. plan',
						description: 'Name under which the value is stored',
					},
					{
						displayName: 'Value',
						name: 'value',
						type: 'string',
						default: '',
						description: 'The value to store, e.g. an expression that reads it from the item',
					},
				],
			},
		],
	},
	{
		displayName: 'Access Scope',
		name: 'accessScope',
		type: 'options',
		options: [
			{
				name: 'Private',
				value: 'private',
				description: 'Only this client application can read it',
			},
			{
				name: 'Public',
				value: 'public',
				description: "The user's other client applications can find and read it too",
			},
		],
		default: 'public',
		description: 'Who may read the value',
		displayOptions: {
			show: {
				resource: ['userDataByEmail', 'userDataByIdp', 'userDataByUserId', 'userDataByWallet'],
				operation: ['set'],
			},
		},
	},
];

interface Entry {
	key: string;
	value: string;
}

function readDataMode(ctx: IExecuteFunctions, settings: RunSettings, itemIndex: number): DataMode {
	const mode = settings.parameters.get('dataMode', itemIndex, 'single');
	if (mode === 'single' || mode === 'defineBelow' || mode === 'autoMapInputData') return mode;
	throw inputError(
		ctx,
		itemIndex,
		`Unknown Data Mode ${JSON.stringify(mode)} (item ${itemIndex})`,
		'Pick Single Key, Define Below or Auto-Map Input Fields in the Data Mode field.',
	);
}

function tooMany(ctx: IExecuteFunctions, itemIndex: number, count: number) {
	return inputError(
		ctx,
		itemIndex,
		`Too many values: ${count} in one item (item ${itemIndex})`,
		`One item may store at most ${MAX_KEYS_PER_ITEM} values. Split them over several items.`,
	);
}

/** Where the values of a fixedCollection's pairs come from (node version 1.2), from the raw parameter. */
function pairOrigins(settings: RunSettings): Array<ValueOrigin | undefined> {
	if (!settings.valuesAsGiven) return [];
	const raw = settings.parameters.raw('fields', {}) as IDataObject;
	const pairs = Array.isArray(raw?.values) ? (raw.values as IDataObject[]) : [];
	return pairs.map((pair) => valueOrigin(pair?.value ?? ''));
}

/** A key as given, trimmed in node version 1.2; the run tells the user when that changed it. */
function keyOf(ctx: IExecuteFunctions, settings: RunSettings, itemIndex: number, raw: unknown, what: string): string {
	const key = toKey(ctx, itemIndex, raw, what, MAX_KEY_LENGTH, settings.trimKeys);
	if (typeof raw === 'string') settings.hints.keyTrimmed(raw, key);
	settings.hints.keysGiven([key]);
	return key;
}

/** Data Mode "Define Below": the pairs of Fields to Set, each value evaluated for this item. */
function definedEntries(ctx: IExecuteFunctions, settings: RunSettings, itemIndex: number): Entry[] {
	const fields = settings.parameters.get('fields', itemIndex, {}) as IDataObject;
	const pairs = Array.isArray(fields?.values) ? (fields.values as IDataObject[]) : [];
	const origins = pairOrigins(settings);
	if (pairs.length === 0) {
		throw inputError(ctx, itemIndex, `No fields to set (item ${itemIndex})`, 'Add at least one key and value under Fields to Set.');
	}
	if (pairs.length > MAX_KEYS_PER_ITEM) throw tooMany(ctx, itemIndex, pairs.length);
	// a key given twice is stored once, with its last value (as n8n's Set node overwrites a field)
	const values = new Map<string, string>();
	pairs.forEach((pair, position) => {
		const key = keyOf(ctx, settings, itemIndex, pair.key, `The key at index ${position} of Fields to Set`);
		// a value left empty in the editor may be absent from the pair; one mapped from a missing or null field is refused, not stored as ""
		const value = 'value' in pair ? pair.value : '';
		values.set(key, toStoredValue(ctx, itemIndex, value, settings.valueFormat, `The value of key "${key}"`, settings.valuesAsGiven ? (origins[position] ?? 'typed') : undefined));
	});
	return [...values].map(([key, value]) => ({ key, value }));
}

/** Fields to Skip: comma-separated names, or a list from an expression. */
function fieldsToSkip(settings: RunSettings, itemIndex: number): Set<string> {
	const raw = settings.parameters.get('options.fieldsToSkip', itemIndex, '');
	const names = Array.isArray(raw) ? raw.map(String) : typeof raw === 'string' ? raw.split(',') : [];
	return new Set(names.map((name) => name.trim()).filter((name) => name !== ''));
}

/** Data Mode "Auto-Map Input Fields": every top-level field of the item, but those skipped. */
function inputEntries(ctx: IExecuteFunctions, settings: RunSettings, itemIndex: number): Entry[] {
	const skip = fieldsToSkip(settings, itemIndex);
	const fields = Object.entries(ctx.getInputData()[itemIndex]?.json ?? {}).filter(([name]) => !skip.has(name));
	if (fields.length === 0) {
		throw inputError(
			ctx,
			itemIndex,
			`The input item has no fields to store (item ${itemIndex})`,
			skip.size
				? 'Every field of this item is in Options → Fields to Skip. Skip fewer fields, or filter such items out before this node.'
				: 'Each top-level field of the input item becomes a key. Give the item fields, or filter empty items out before this node.',
		);
	}
	if (fields.length > MAX_KEYS_PER_ITEM) throw tooMany(ctx, itemIndex, fields.length);
	const fieldOf = new Map<string, string>();
	return fields.map(([name, raw]) => {
		const key = keyOf(ctx, settings, itemIndex, name, `The field name "${name}"`);
		// two fields that become one key (node version 1.2 trims): storing one would drop the other's value
		const other = fieldOf.get(key);
		if (other !== undefined) {
			throw inputError(
				ctx,
				itemIndex,
				`The fields ${JSON.stringify(other)} and ${JSON.stringify(name)} would both be stored under the key ${JSON.stringify(key)} (item ${itemIndex})`,
				`Spaces around keys are removed. Rename one of the fields before this node, or leave one out with Options → Fields to Skip ("${name}").`,
			);
		}
		fieldOf.set(key, name);
		return { key, value: fieldToStoredValue(ctx, itemIndex, name, raw, settings.valueFormat) };
	});
}

/** A key of the item failed: its error, told about the whole item, saying what was stored. */
function keyFailure(ctx: IExecuteFunctions, itemIndex: number, entries: Entry[], outcomes: Array<IDataObject | Error | undefined>, failedAt: number): Error {
	const cause = outcomes[failedAt] as Error;
	const isStored = (position: number) => outcomes[position] !== undefined && !(outcomes[position] instanceof Error);
	const storedKeys = entries.filter((_, position) => isStored(position)).map((entry) => entry.key);
	const notStoredKeys = entries.filter((_, position) => !isStored(position)).map((entry) => entry.key);
	const key = entries[failedAt].key;
	const message = `Key "${key}" was not stored (item ${itemIndex}): ${withoutItem(cause.message)}. Stored: ${quoted(storedKeys)}; not stored: ${quoted(notStoredKeys)}`;
	return itemFailure(ctx, cause, itemIndex, message, { key, storedKeys, notStoredKeys });
}

function prepareSingle(ctx: IExecuteFunctions, itemIndex: number, settings: RunSettings): ItemWork {
	const family = settings.family!;
	const key = keyOf(ctx, settings, itemIndex, settings.parameters.get('key', itemIndex), 'The key');
	const origin = settings.valuesAsGiven ? valueOrigin(settings.parameters.raw('value', '')) : undefined;
	const value = readValue(ctx, settings.parameters, itemIndex, settings.valueFormat, origin);
	const target = readTarget(ctx, settings.parameters, itemIndex, family, settings.knownProviders);
	const body: IDataObject = { ...target.body, value_key: key, value_data: value };
	if (family.hasAccessScope) {
		body.access_scope = readAccessScope(ctx, settings.parameters, itemIndex);
	}
	const endpoint = endpointFor(family, 'set');
	const id = storedValueId(endpoint.path, target.body, key);
	settings.hints.wrote(id, key, itemIndex);
	return {
		itemIndex,
		writes: [id],
		run: async (session) => {
			const response = await session.call(endpoint, body, { key, ...target.subject }, itemIndex);
			return [settings.simplify ? { key, success: true, result: response.result } : response];
		},
	};
}

/** Several values for one item: one request per key, run by the pool like items' requests. */
function prepareMany(ctx: IExecuteFunctions, itemIndex: number, settings: RunSettings, mode: DataMode): SplitWork {
	const family = settings.family!;
	const entries = mode === 'defineBelow' ? definedEntries(ctx, settings, itemIndex) : inputEntries(ctx, settings, itemIndex);
	const target = readTarget(ctx, settings.parameters, itemIndex, family, settings.knownProviders);
	const accessScope = family.hasAccessScope ? { access_scope: readAccessScope(ctx, settings.parameters, itemIndex) } : {};
	const endpoint = endpointFor(family, 'set');
	const keys = [...new Set(entries.map((entry) => entry.key))];
	for (const key of keys) settings.hints.wrote(storedValueId(endpoint.path, target.body, key), key, itemIndex);
	return {
		itemIndex,
		parts: entries.map(({ key, value }) => ({
			writes: [storedValueId(endpoint.path, target.body, key)],
			run: async (session) =>
				await session.call(endpoint, { ...target.body, value_key: key, value_data: value, ...accessScope }, { key, ...target.subject }, itemIndex),
		})),
		combine: (outcomes) => {
			const failedAt = outcomes.findIndex((outcome) => outcome instanceof Error);
			if (failedAt >= 0) throw keyFailure(ctx, itemIndex, entries, outcomes, failedAt);
			const results = entries.map(({ key }, position) => {
				const response = outcomes[position] as IDataObject;
				return settings.simplify ? { key, result: response.result } : { key, ...response };
			});
			return [{ keys, success: true, results }];
		},
	};
}

export const prepare: Prepare = (ctx, itemIndex, settings) => {
	const mode = readDataMode(ctx, settings, itemIndex);
	return mode === 'single' ? prepareSingle(ctx, itemIndex, settings) : prepareMany(ctx, itemIndex, settings, mode);
};
