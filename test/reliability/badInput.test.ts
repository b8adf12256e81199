/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * Campaign 6: bad input matrix. Each malformed input sits at item 1 between two good items. Without
 * continueOnFail the run fails with a NodeOperationError (message, description, item index) before
 * anything is sent; with continueOnFail only that item fails and nothing is sent for it.
 */
import type { IDataObject, INodeParameters } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { Campaign, DEMO, newEmulator, report, userDataRequests, walletParam } from './helpers';
import type { Emulator } from './helpers';

interface Case {
	name: string;
	resource: string;
	operation: string;
	/** Fields of the bad item that differ from a good one. */
	bad: IDataObject;
	options?: INodeParameters;
	/** the node's Value parameter, when not `{{ $json.value }}` */
	value?: string;
}

/** Typed JSON text around the item's value: good items give valid JSON, the bad one breaks it (node version 1.2 takes a mapped value as it is). */
const TYPED_JSON = '={"a": {{ $json.value }}}';

const GOOD: IDataObject = { key: 'good', value: 'ok', keys: ['good'], idp: 'google', wallet: DEMO.privateWallet, limit: 50 };

const many = (count: number) => Array.from({ length: count }, (_, index) => `key-${index}`);
const LONG_KEY = 'k'.repeat(1025);

const CASES: Case[] = [
	// keys of set: wrong types from expressions, empty, whitespace, over-long
	{ name: 'key is a boolean', resource: 'userDataByEmail', operation: 'set', bad: { key: true } },
	{ name: 'key is an object', resource: 'userDataByEmail', operation: 'set', bad: { key: { a: 1 } } },
	{ name: 'key is a list', resource: 'userDataByUserId', operation: 'set', bad: { key: ['a'] } },
	{ name: 'key is null', resource: 'userData', operation: 'set', bad: { key: null } },
	{ name: 'key is empty', resource: 'userDataByEmail', operation: 'set', bad: { key: '' } },
	{ name: 'key is spaces', resource: 'userDataByIdp', operation: 'set', bad: { key: '   ' } },
	{ name: 'key is tabs and newlines', resource: 'userDataByWallet', operation: 'set', bad: { key: '\t\n ' } },
	{ name: 'key over 1024 characters', resource: 'userDataByEmail', operation: 'set', bad: { key: LONG_KEY } },
	{ name: 'key missing on the item', resource: 'userDataByEmail', operation: 'set', bad: { key: undefined } },
	// values String format cannot store (text, numbers and booleans it can)
	{ name: 'value is an object (String format)', resource: 'userDataByUserId', operation: 'set', bad: { value: { a: 1 } } },
	{ name: 'value is a list (String format)', resource: 'userData', operation: 'set', bad: { value: [1, 2] } },
	{ name: 'value is a nested list (String format)', resource: 'userDataByIdp', operation: 'set', bad: { value: [[true]] } },
	{ name: 'value is null (String format)', resource: 'userDataByWallet', operation: 'set', bad: { value: null } },
	// invalid JSON in JSON format: typed text that starts like JSON, or a value missing on the item
	{ name: 'typed JSON is broken (JSON format)', resource: 'userDataByEmail', operation: 'set', bad: { value: 'not json {' }, options: { valueFormat: 'json' }, value: TYPED_JSON },
	{ name: 'typed JSON misses a value (JSON format)', resource: 'userDataByEmail', operation: 'set', bad: { value: '' }, options: { valueFormat: 'json' }, value: TYPED_JSON },
	{ name: "typed JSON uses single quotes (JSON format)", resource: 'userDataByUserId', operation: 'set', bad: { value: "{'a': 1}" }, options: { valueFormat: 'json' }, value: TYPED_JSON },
	{ name: 'typed JSON holds a bare word (JSON format)', resource: 'userData', operation: 'set', bad: { value: 'undefined' }, options: { valueFormat: 'json' }, value: TYPED_JSON },
	{ name: 'value missing on the item (JSON format)', resource: 'userDataByUserId', operation: 'set', bad: { value: undefined }, options: { valueFormat: 'json' } },
	// Define Below and Auto-Map
	{ name: 'two fields become one key (Auto-Map)', resource: 'userDataByEmail', operation: 'set', bad: { 'key ': 'x' }, options: {}, value: 'autoMap' },
	// limits
	{ name: 'limit is text', resource: 'userDataByEmail', operation: 'listSharedKeys', bad: { limit: 'ten' } },
	{ name: 'limit is zero', resource: 'userDataByUserId', operation: 'listSharedKeys', bad: { limit: 0 } },
	// key lists
	{ name: 'keys given as an object', resource: 'userDataByUserId', operation: 'get', bad: { keys: { a: 1 } } },
	{ name: 'keys given as a boolean', resource: 'userDataByEmail', operation: 'get', bad: { keys: true } },
	{ name: 'keys list is empty', resource: 'userDataByEmail', operation: 'get', bad: { keys: [] } },
	{ name: 'keys text is empty', resource: 'userData', operation: 'get', bad: { keys: '' } },
	{ name: 'keys text is only commas and spaces', resource: 'userDataByIdp', operation: 'get', bad: { keys: ' , ,  ' } },
	{ name: 'keys list holds null', resource: 'userDataByWallet', operation: 'get', bad: { keys: [null] } },
	{ name: 'keys list holds an object', resource: 'userDataByEmail', operation: 'delete', bad: { keys: [{ key: 'a' }] } },
	{ name: 'keys list holds an empty key (nested list)', resource: 'userDataByUserId', operation: 'delete', bad: { keys: [['ok', '']] } },
	{ name: 'keys list holds an over-long key', resource: 'userDataByEmail', operation: 'get', bad: { keys: [[LONG_KEY]] } },
	{ name: 'huge list: 1,001 keys in one item', resource: 'userDataByEmail', operation: 'get', bad: { keys: many(1001) } },
	{ name: 'huge list: 5,000 keys in one delete', resource: 'userDataByWallet', operation: 'delete', bad: { keys: many(5000) } },
	{ name: 'huge list: 1,500 keys as one text', resource: 'userDataByIdp', operation: 'delete', bad: { keys: many(1500).join(',') } },
	// wallet addresses
	{ name: 'wallet is not an address', resource: 'userDataByWallet', operation: 'set', bad: { wallet: 'not-a-wallet' } },
	{ name: 'wallet 0x with too few digits', resource: 'userDataByWallet', operation: 'set', bad: { wallet: '0x123' } },
	{ name: 'wallet 0x with non-hex digits', resource: 'userDataByWallet', operation: 'get', bad: { wallet: `0x${'z'.repeat(40)}` } },
	{ name: 'wallet 0x with 41 digits', resource: 'userDataByWallet', operation: 'delete', bad: { wallet: `0x${'a'.repeat(41)}` } },
	{ name: 'wallet is a number', resource: 'userDataByWallet', operation: 'listKeys', bad: { wallet: 42 } },
	{ name: 'wallet is an object', resource: 'userDataByWallet', operation: 'set', bad: { wallet: { address: DEMO.privateWallet } } },
	{ name: 'wallet base58 with forbidden characters', resource: 'userDataByWallet', operation: 'listSharedKeys', bad: { wallet: `0OIl${'1'.repeat(36)}` } },
	// identity providers
	{ name: 'unknown identity provider', resource: 'userDataByIdp', operation: 'set', bad: { idp: 'myspace' } },
	{ name: 'identity provider in the wrong case', resource: 'userDataByIdp', operation: 'get', bad: { idp: 'Google' } },
	{ name: 'identity provider is empty', resource: 'userDataByIdp', operation: 'listKeys', bad: { idp: '' } },
	{ name: 'identity provider is a number', resource: 'userDataByIdp', operation: 'delete', bad: { idp: 7 } },
	{ name: 'identity provider is null', resource: 'userDataByIdp', operation: 'listSharedKeys', bad: { idp: null } },
];

function parameters(entry: Case): INodeParameters {
	// one read per item (Batch Reads off), so the requests count the good items
	const params: INodeParameters = { resource: entry.resource, operation: entry.operation, options: { ...(entry.operation === 'get' ? { batchReads: false } : {}), ...(entry.options ?? {}) } };
	if (entry.resource === 'userDataByIdp') params.identityProvider = '={{ $json.idp }}';
	if (entry.resource === 'userDataByWallet') params.walletAddress = walletParam('={{ $json.wallet }}');
	if (entry.operation === 'set' && entry.value === 'autoMap') {
		params.dataMode = 'autoMapInputData';
		params.options = { ...(params.options as IDataObject), fieldsToSkip: 'keys, idp, wallet, limit' };
	} else if (entry.operation === 'set') {
		params.key = '={{ $json.key }}';
		params.value = entry.value ?? '={{ $json.value }}';
	}
	if (entry.operation === 'listSharedKeys' || entry.operation === 'getAll') {
		params.returnAll = false;
		params.limit = '={{ $json.limit }}';
	}
	if (entry.operation === 'get' || entry.operation === 'delete') params.keys = '={{ $json.keys }}';
	return params;
}

function items(entry: Case): IDataObject[] {
	// In JSON format the good items carry JSON text.
	const good: IDataObject = entry.options?.valueFormat === 'json' ? { ...GOOD, value: '{"ok":true}' } : GOOD;
	const bad: IDataObject = { ...good, ...entry.bad };
	for (const [field, value] of Object.entries(entry.bad)) if (value === undefined) delete bad[field];
	return [{ ...good, key: 'good-0', keys: ['good-0'] }, bad, { ...good, key: 'good-2', keys: ['good-2'] }];
}

let emulator: Emulator;
let campaign: Campaign;
const figures = { cases: 0, runs: 0, refusedBeforeSending: 0, requestsForBadItems: 0, goodItemsDone: 0 };
const messages: string[] = [];

beforeAll(async () => {
	emulator = await newEmulator();
	campaign = new Campaign('bad input', emulator);
});
afterAll(async () => {
	await emulator?.close();
});

test('the matrix has at least 30 malformed inputs', () => {
	expect(CASES.length).toBeGreaterThanOrEqual(30);
	expect(new Set(CASES.map((entry) => entry.name)).size).toBe(CASES.length);
});

describe.each(CASES)('$name ($resource $operation)', (entry) => {
	test('stops the run before anything is sent, naming item 1', async () => {
		const credentials = campaign.credential();
		emulator.clearStats();
		const result = await campaign.run(`bad ${entry.name}`, credentials, parameters(entry), items(entry));
		figures.runs++;
		const error = result.error as (NodeOperationError & { description?: string }) | undefined;
		expect(error).toBeInstanceOf(NodeOperationError);
		expect(typeof error?.message).toBe('string');
		expect(error!.message.length).toBeGreaterThan(10);
		expect(error!.message).toMatch(/\(item 1\)/);
		expect(typeof error?.description).toBe('string');
		expect(error!.description!.length).toBeGreaterThan(10);
		expect(error!.context.itemIndex).toBe(1);
		expect(userDataRequests(emulator.stats())).toBe(0);
		figures.cases++;
		figures.refusedBeforeSending++;
		messages.push(`${entry.name}: ${error!.message}`);
	});

	test('with continueOnFail: only item 1 fails, and nothing is sent for it', async () => {
		const credentials = campaign.credential();
		emulator.clearStats();
		const result = await campaign.run(`bad cof ${entry.name}`, credentials, parameters(entry), items(entry), true);
		figures.runs++;
		expect(result.error).toBeUndefined();
		const failed = (result.outputs?.[0] ?? []).filter((item) => item.json.error !== undefined);
		expect(failed).toHaveLength(1);
		expect(failed[0].pairedItem).toEqual({ item: 1 });
		expect(String(failed[0].json.error)).toMatch(/\(item 1\)/);
		expect(typeof failed[0].json.description).toBe('string');
		// The two good items were sent, one request each (Auto-Map: one per field, key and value); none for the bad one.
		const perItem = entry.value === 'autoMap' ? 2 : 1;
		const sent = userDataRequests(emulator.stats());
		expect(sent).toBe(2 * perItem);
		figures.requestsForBadItems += sent - 2 * perItem;
		figures.goodItemsDone += 2;
	});
});

test('figures and secrets', () => {
	report('6 bad input matrix', {
		malformedInputs: CASES.length,
		runs: figures.runs,
		refusedBeforeSending: figures.refusedBeforeSending,
		requestsForBadItems: figures.requestsForBadItems,
		goodItemsAroundThemDone: figures.goodItemsDone,
	});
	console.log(`[reliability] 6 bad input matrix: secrets: ${campaign.secretsLine()}`);
	if (process.env.RELIABILITY_VERBOSE === '1') console.log(messages.join('\n'));
	expect(figures.refusedBeforeSending).toBe(CASES.length);
	expect(figures.requestsForBadItems).toBe(0);
	expect(campaign.leaks).toEqual([]);
});
