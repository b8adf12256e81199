/**
 * Input checked before anything is sent (issue 3), and continueOnFail.
 */
import type { IDataObject, INodeParameters } from 'n8n-workflow';

import {
	apiRequests,
	credentialFor,
	DEMO,
	errorOf,
	pairedItems,
	run,
	stored,
	textOf,
	useEmulator,
	wallet,
} from './setup';
import type { Emulator } from './setup';

let emulator: Emulator;
useEmulator((started) => (emulator = started));

interface BadInput {
	name: string;
	params: INodeParameters;
	/** Three items; the one at index 2 is the bad one. */
	items: IDataObject[];
	/** What the message must say. */
	says: RegExp;
}

const good = (extra: IDataObject) => [extra, extra];

const BAD: BadInput[] = [
	{
		name: 'empty key',
		params: { resource: 'userDataByEmail', operation: 'set', key: '={{ $json.key }}', value: 'v' },
		items: [...good({ key: 'a' }), { key: '' }],
		says: /empty/i,
	},
	{
		name: 'whitespace key',
		params: { resource: 'userData', operation: 'set', key: '={{ $json.key }}', value: 'v' },
		items: [...good({ key: 'a' }), { key: '   ' }],
		says: /empty/i,
	},
	{
		name: 'missing key field (expression gives undefined)',
		params: { resource: 'userDataByUserId', operation: 'set', key: '={{ $json.key }}', value: 'v' },
		items: [...good({ key: 'a' }), { other: 1 }],
		says: /key/i,
	},
	{
		name: 'empty keys list',
		params: { resource: 'userDataByEmail', operation: 'get', keys: '={{ $json.keys }}' },
		items: [...good({ keys: ['a'] }), { keys: [] }],
		says: /no keys|empty/i,
	},
	{
		name: 'keys list of blanks',
		params: { resource: 'userDataByUserId', operation: 'delete', keys: '={{ $json.keys }}' },
		items: [...good({ keys: 'a, b' }), { keys: ' , ,' }],
		says: /no keys|empty/i,
	},
	{
		name: 'keys as an object',
		params: { resource: 'userDataByEmail', operation: 'delete', keys: '={{ $json.keys }}' },
		items: [...good({ keys: ['a'] }), { keys: { a: 1 } }],
		says: /object/i,
	},
	{
		name: 'an object value in String format',
		params: { resource: 'userDataByEmail', operation: 'set', key: 'k', value: '={{ $json.value }}' },
		items: [...good({ value: 'text' }), { value: { plan: 'pro' } }],
		says: /String format/i,
	},
	{
		name: 'object value in String format',
		params: { resource: 'userData', operation: 'set', key: 'k', value: '={{ $json.value }}' },
		items: [...good({ value: 'text' }), { value: { a: 1 } }],
		says: /JSON|text|string/i,
	},
	{
		name: 'typed text that starts like JSON but is not, in JSON format',
		params: { resource: 'userDataByEmail', operation: 'set', key: 'k', value: '={"n": {{ $json.n }}}', options: { valueFormat: 'json' } },
		items: [...good({ n: 1 }), { n: '' }],
		says: /JSON/,
	},
	{
		name: 'malformed EVM wallet address',
		params: { resource: 'userDataByWallet', operation: 'set', walletAddress: wallet('={{ $json.w }}'), key: 'k', value: 'v' },
		items: [...good({ w: DEMO.privateWallet }), { w: '0x1234' }],
		says: /0x1234/,
	},
	{
		name: 'wallet address that is neither EVM nor base58',
		params: { resource: 'userDataByWallet', operation: 'get', walletAddress: wallet('={{ $json.w }}'), keys: 'k' },
		items: [...good({ w: DEMO.publicWallet }), { w: 'not a wallet!' }],
		says: /wallet address/i,
	},
	{
		name: 'identity provider not in the discovery list',
		params: { resource: 'userDataByIdp', operation: 'set', identityProvider: '={{ $json.idp }}', key: 'k', value: 'v' },
		items: [...good({ idp: 'google' }), { idp: 'myspace' }],
		says: /myspace/,
	},
	{
		name: 'empty identity provider',
		params: { resource: 'userDataByIdp', operation: 'listKeys', identityProvider: '={{ $json.idp }}' },
		items: [...good({ idp: 'telegram' }), { idp: '' }],
		says: /identity provider/i,
	},
];

describe.each(BAD)('$name', (bad) => {
	test('sends nothing and fails with a NodeOperationError naming item 2', async () => {
		const r = await run(emulator, credentialFor(emulator), { options: {}, ...bad.params }, bad.items);
		const error = errorOf(r);
		expect(error.constructor.name).toBe('NodeOperationError');
		expect(error.context.itemIndex).toBe(2);
		expect(error.message).toMatch(/item 2/);
		expect(error.message).toMatch(bad.says);
		expect(apiRequests(r)).toEqual([]);
		expect(emulator.store().data).toEqual({});
	});
});

test('a malformed EVM address: the description says what was expected (0x + 40 hex digits)', async () => {
	const r = await run(emulator, credentialFor(emulator), {
		resource: 'userDataByWallet',
		operation: 'get',
		walletAddress: wallet('0xZZ' + '0'.repeat(38)),
		keys: 'k',
		options: {},
	});
	const error = errorOf(r);
	expect(textOf(error)).toMatch(/0x/);
	expect(textOf(error)).toMatch(/40/);
	expect(textOf(error)).toMatch(/hex/i);
	expect(apiRequests(r)).toEqual([]);
});

test('an unknown identity provider: the description lists the ones discovery knows', async () => {
	const r = await run(emulator, credentialFor(emulator), { resource: 'userDataByIdp', operation: 'get', identityProvider: 'myspace', keys: 'k', options: {} });
	const error = errorOf(r);
	for (const known of emulator.discovery().identity_providers as string[]) expect(textOf(error)).toContain(known);
	expect(apiRequests(r)).toEqual([]);
});

test('a base58 (e.g. Solana) address is accepted and sent as is', async () => {
	const solana = '7EcDhSYGxXyscszYEp35KHN8vvw3svAuLKTzXwCFLtV';
	const r = await run(emulator, credentialFor(emulator), { resource: 'userDataByWallet', operation: 'get', walletAddress: wallet(solana), keys: 'k', options: {} });
	// not the user's wallet: the server answers -6, but the request was sent
	expect(apiRequests(r).map((entry) => entry.body)).toEqual([{ wallet_address: solana, value_keys: ['k'] }]);
	expect(errorOf(r).context.resultCode).toBe(-6);
});

describe('continueOnFail', () => {
	test('failed items become {error, code} with their pairedItem; the other items are written', async () => {
		const r = await run(
			emulator,
			credentialFor(emulator),
			{ resource: 'userDataByIdp', operation: 'set', identityProvider: '={{ $json.idp }}', key: '={{ $json.key }}', value: '={{ $json.value }}', options: { concurrency: 2 } },
			[
				{ idp: 'google', key: 'a', value: '1' },
				{ idp: 'google', key: '', value: '2' }, // bad input
				{ idp: 'twitter', key: 'c', value: '3' }, // HyperID: identity provider not found (-6)
				{ idp: 'telegram', key: 'd', value: '4' },
			],
			true,
		);
		expect(r.error).toBeUndefined();
		const out = r.outputs?.[0] ?? [];
		expect(out.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }, { item: 3 }]);
		expect(out[0].json).toEqual({ key: 'a', success: true, result: 0 });
		expect(out[1].json.error).toMatch(/empty/i);
		expect(out[1].json.error).toMatch(/item 1/);
		expect(out[1].json.code).toBe('invalid_input');
		expect(out[2].json.error).toMatch(/twitter/);
		expect(out[2].json.code).toBe(-6);
		expect(out[3].json).toEqual({ key: 'd', success: true, result: 0 });
		expect(stored(emulator, 'idp:google').a.value_data).toBe('1');
		expect(stored(emulator, 'idp:telegram').d.value_data).toBe('4');
		expect(apiRequests(r).map((entry) => (entry.body as IDataObject).value_key).sort()).toEqual(['a', 'c', 'd']);
	});

	test('a transient failure that runs out of retries becomes an error item; the rest go on', async () => {
		emulator.setFaults([
			{ path: '/user-data/by-email/get', delayMs: 0, times: 1 },
			{ path: '/user-data/by-email/get', status: 503, times: 1 },
		]);
		await run(emulator, credentialFor(emulator), { resource: 'userDataByEmail', operation: 'set', key: '={{ $json.k }}', value: 'x', options: {} }, [{ k: 'a' }, { k: 'b' }, { k: 'c' }]);
		const r = await run(
			emulator,
			credentialFor(emulator),
			{ resource: 'userDataByEmail', operation: 'get', keys: '={{ $json.k }}', options: { retries: 0, concurrency: 1, batchReads: false } },
			[{ k: 'a' }, { k: 'b' }, { k: 'c' }],
			true,
		);
		expect(r.error).toBeUndefined();
		expect(pairedItems(r)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		expect(r.json[0]).toEqual({ key: 'a', value: 'x' });
		expect(r.json[1].error).toMatch(/503/);
		expect(r.json[1].code).toBe('503');
		expect(r.json[2]).toEqual({ key: 'c', value: 'x' });
	});
});
