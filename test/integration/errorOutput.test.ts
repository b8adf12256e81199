/**
 * "On Error: Continue (using error output)": n8n-core (WorkflowExecute.handleNodeErrorOutput) moves
 * an item to the error output only when it carries `error` (or its json is exactly {error} or
 * {error, message}). Every failing item must get there, still telling its code and what it did.
 * n8n-core then sets the json of every item that carries `error` to {error: message}
 * (normalizeNodeErrors, in 1.122, 2.8 and 2.41 alike): the message names the keys an item stored
 * or deleted, and the error itself keeps the code, the description and those keys as data.
 * "Continue (regular output)" keeps the error items' json as it was, on the one output.
 */
import type { INodeParameters } from 'n8n-workflow';

import { callApi, credentialFor, otherClient, run, stored, useEmulator } from './setup';
import type { Emulator } from './setup';

let emulator: Emulator;
useEmulator((started) => (emulator = started));

const toErrorOutput = { nodeOverrides: { onError: 'continueErrorOutput' as const } };

const setByEmail: INodeParameters = {
	resource: 'userDataByEmail',
	operation: 'set',
	key: '={{ $json.key }}',
	value: '={{ $json.value }}',
	options: {},
};
const threeItems = [
	{ key: 'first', value: '1' },
	{ key: '', value: '2' },
	{ key: 'third', value: '3' },
];

test('Set, three items, the second key empty: 2 items on the success output, 1 on the error output with its message', async () => {
	const r = await run(emulator, credentialFor(emulator), setByEmail, threeItems, false, toErrorOutput);
	expect(r.error).toBeUndefined();
	expect(r.status).toBe('success');
	const [success, failed] = r.outputs ?? [];
	expect(success.map((item) => item.json)).toEqual([
		{ key: 'first', success: true, result: 0 },
		{ key: 'third', success: true, result: 0 },
	]);
	expect(success.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 2 }]);
	expect(failed).toHaveLength(1);
	expect(failed[0].pairedItem).toEqual({ item: 1 });
	expect(failed[0].json).toEqual({ error: 'The key is empty (item 1)' });
	expect(failed[0].error?.message).toBe('The key is empty (item 1)');
	expect(failed[0].error?.description).toMatch(/non-empty key/);
	expect(failed[0].error?.context).toMatchObject({ itemIndex: 1, code: 'invalid_input' });
	// nothing was sent for the bad item
	expect(Object.keys(stored(emulator, 'email')).sort()).toEqual(['first', 'third']);
});

test('Continue (regular output): the same run keeps every item on the one output, the error item as plain json', async () => {
	const r = await run(emulator, credentialFor(emulator), setByEmail, threeItems, true);
	expect(r.outputs).toHaveLength(1);
	const items = r.outputs![0];
	expect(items).toHaveLength(3);
	expect(items[1].pairedItem).toEqual({ item: 1 });
	expect(items[1].json).toEqual({
		error: 'The key is empty (item 1)',
		code: 'invalid_input',
		description: expect.stringMatching(/non-empty key/),
	});
	expect(items[1]).not.toHaveProperty('error');
	expect(items.map((item) => item.json.success)).toEqual([true, undefined, true]);
});

test('an API failure (HyperID code) reaches the error output with its code and what the item stored', async () => {
	const other = otherClient(emulator);
	expect((await callApi(emulator, other, '/user-data/by-user-id/set', { value_key: 'owned', value_data: 'theirs', access_scope: 1 })).result).toBe(0);
	const r = await run(
		emulator,
		credentialFor(emulator),
		{
			resource: 'userDataByUserId',
			operation: 'set',
			dataMode: 'defineBelow',
			fields: { values: [{ key: '={{ $json.k }}', value: '1' }, { key: 'b', value: '2' }] },
			options: {},
		},
		[{ k: 'a' }, { k: 'owned' }],
		false,
		toErrorOutput,
	);
	const [success, failed] = r.outputs ?? [];
	expect(success.map((item) => item.pairedItem)).toEqual([{ item: 0 }]);
	expect(failed).toHaveLength(1);
	expect(failed[0].pairedItem).toEqual({ item: 1 });
	expect(failed[0].json).toEqual({
		error: 'Key "owned" was not stored (item 1): The key "owned" belongs to another application. Stored: "b"; not stored: "owned"',
	});
	const error = failed[0].error as NonNullable<(typeof failed)[0]['error']> & { httpCode?: string };
	expect(error.httpCode).toBe('-6');
	expect(error.context).toMatchObject({ itemIndex: 1, resultCode: -6, errorDetails: { key: 'owned', storedKeys: ['b'], notStoredKeys: ['owned'] } });
	expect(error.description).toMatch(/another key name/i);
});

test('a failure of the whole item (Delete All refused) reaches the error output with HyperID\'s code', async () => {
	emulator.setFaults([{ path: '/user-data/by-user-id/list-get', result: -3, times: 1 }]);
	const r = await run(emulator, credentialFor(emulator), { resource: 'userDataByUserId', operation: 'deleteAll', options: {} }, [{}], false, toErrorOutput);
	const [success, failed] = r.outputs ?? [];
	expect(success).toEqual([]);
	expect(failed).toHaveLength(1);
	expect(String(failed[0].json.error)).toMatch(/denied access/);
	expect(failed[0].error?.description).toMatch(/scope/);
	expect(failed[0].error?.context.resultCode).toBe(-3);
});
