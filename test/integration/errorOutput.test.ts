/**
 * "On Error: Continue (using error output)": n8n-core (WorkflowExecute.handleNodeErrorOutput) moves
 * an item to the error output when it carries `error`, or when its json is `error` alone (1.123 and
 * 2.8 also `{error, message}`; 2.41 any of error/message/details), and then adds the paired input
 * item's fields to it. n8n-core sets the json of every item that carries `error` to {error: message}
 * (in 1.123, 2.8 and 2.41 alike).
 * - Node version 1.2: the failed item is `{error: {message, code, errorCode?, description, ...what it
 *   did}}` and carries no `error` itself: its code and stored/deleted keys stay readable fields, with
 *   the input item's fields beside `error`.
 * - Versions 1 and 1.1 keep what their workflows got: the item carries the error, its json becomes
 *   {error: message} (the message names the keys stored), the code stays on the item's error.
 * "Continue (regular output)" keeps the error items' json flat, on the one output, in every version.
 */
import type { INodeParameters } from 'n8n-workflow';

import { callApi, credentialFor, otherClient, run, stored, useEmulator } from './setup';
import type { Emulator, Run } from './setup';

let emulator: Emulator;
useEmulator((started) => (emulator = started));

const toErrorOutput = { nodeOverrides: { onError: 'continueErrorOutput' as const } };
const atVersion = (typeVersion: number) => ({ ...toErrorOutput, typeVersion });

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

/** Two stored keys of another client make a Define Below Set fail part-way: "owned" refused (-6), "b" stored. */
async function setOwnedKey(more: Parameters<typeof run>[5]): Promise<Run> {
	const other = otherClient(emulator);
	expect((await callApi(emulator, other, '/user-data/by-user-id/set', { value_key: 'owned', value_data: 'theirs', access_scope: 1 })).result).toBe(0);
	return await run(
		emulator,
		credentialFor(emulator),
		{
			resource: 'userDataByUserId',
			operation: 'set',
			dataMode: 'defineBelow',
			fields: { values: [{ key: '={{ $json.k }}', value: '1' }, { key: 'b', value: '2' }] },
			options: {},
		},
		[{ k: 'a', row: 1 }, { k: 'owned', row: 2 }],
		false,
		more,
	);
}

const OWNED_MESSAGE = 'Key "owned" was not stored (item 1): The key "owned" belongs to another application. Stored: "b"; not stored: "owned"';

/** Seeds 150 keys and refuses the second delete (-3): Delete All fails part-way, 100 keys deleted. */
async function deleteAllPartWay(more: Parameters<typeof run>[5]): Promise<Run> {
	for (let n = 0; n < 150; n++) {
		await callApi(emulator, credentialFor(emulator), '/user-data/by-user-id/set', { value_key: `k${String(n).padStart(3, '0')}`, value_data: 'v', access_scope: 0 });
	}
	emulator.setFaults([
		{ path: '/user-data/by-user-id/delete', delayMs: 0 },
		{ path: '/user-data/by-user-id/delete', result: -3 },
	]);
	return await run(emulator, credentialFor(emulator), { resource: 'userDataByUserId', operation: 'deleteAll', options: {} }, [{ userRow: 7 }], false, more);
}

describe('node version 1.2: the error output keeps the code and what the item did as fields', () => {
	test('Set, three items, the second key empty: 2 on the success output, 1 on the error output as {error: {message, code, description}} beside the input fields', async () => {
		const r = await run(emulator, credentialFor(emulator), setByEmail, threeItems, false, atVersion(1.2));
		expect(r.error).toBeUndefined();
		expect(r.status).toBe('success');
		const [success, failed] = r.outputs ?? [];
		expect(success.map((item) => item.json)).toEqual([
			{ key: 'first', success: true, result: 0 },
			{ key: 'third', success: true, result: 0 },
		]);
		expect(failed).toHaveLength(1);
		expect(failed[0].pairedItem).toEqual({ item: 1 });
		// n8n-core adds the input item's fields beside `error`
		expect(failed[0].json).toEqual({
			key: '',
			value: '2',
			error: { message: 'The key is empty (item 1)', code: 'invalid_input', description: expect.stringMatching(/non-empty key/) },
		});
		expect(failed[0]).not.toHaveProperty('error');
		expect(Object.keys(stored(emulator, 'email')).sort()).toEqual(['first', 'third']);
	});

	test("an API failure part-way: HyperID's code and the keys stored and not stored are fields of error", async () => {
		const r = await setOwnedKey(atVersion(1.2));
		const [success, failed] = r.outputs ?? [];
		expect(success.map((item) => item.pairedItem)).toEqual([{ item: 0 }]);
		expect(failed).toHaveLength(1);
		expect(failed[0].pairedItem).toEqual({ item: 1 });
		expect(failed[0].json).toEqual({
			k: 'owned',
			row: 2,
			error: {
				message: OWNED_MESSAGE,
				code: -6,
				description: expect.stringMatching(/another key name/i),
				key: 'owned',
				storedKeys: ['b'],
				notStoredKeys: ['owned'],
			},
		});
	});

	test('Delete All failing part-way: deletedKeys and notDeletedKeys are fields of error', async () => {
		const r = await deleteAllPartWay(atVersion(1.2));
		const [success, failed] = r.outputs ?? [];
		expect(success).toEqual([]);
		expect(failed).toHaveLength(1);
		const error = failed[0].json.error as Record<string, unknown>;
		expect(failed[0].json.userRow).toBe(7);
		expect(error.code).toBe(-3);
		expect(error.message).toMatch(/denied access.*Deleted before this failure/);
		expect(error.deletedKeys).toHaveLength(100);
		expect(error.notDeletedKeys).toHaveLength(50);
	});
});

describe.each([1, 1.1])('node version %s: unchanged (the item carries the error; n8n sets its json to {error: message})', (version) => {
	test('Set, three items, the second key empty: 2 items on the success output, 1 on the error output with its message', async () => {
		const r = await run(emulator, credentialFor(emulator), setByEmail, threeItems, false, atVersion(version));
		expect(r.error).toBeUndefined();
		expect(r.status).toBe('success');
		const [success, failed] = r.outputs ?? [];
		expect(success.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 2 }]);
		expect(failed).toHaveLength(1);
		expect(failed[0].pairedItem).toEqual({ item: 1 });
		expect(failed[0].json).toEqual({ error: 'The key is empty (item 1)' });
		expect(failed[0].error?.message).toBe('The key is empty (item 1)');
		expect(failed[0].error?.description).toMatch(/non-empty key/);
		expect(failed[0].error?.context).toMatchObject({ itemIndex: 1, code: 'invalid_input' });
	});

	test("an API failure keeps HyperID's code and what the item stored on the item's error", async () => {
		const r = await setOwnedKey(atVersion(version));
		const [success, failed] = r.outputs ?? [];
		expect(success.map((item) => item.pairedItem)).toEqual([{ item: 0 }]);
		expect(failed).toHaveLength(1);
		expect(failed[0].json).toEqual({ error: OWNED_MESSAGE });
		const error = failed[0].error as NonNullable<(typeof failed)[0]['error']> & { httpCode?: string };
		expect(error.httpCode ?? null).toBeNull();
		expect(error.context).toMatchObject({ itemIndex: 1, resultCode: -6, errorDetails: { key: 'owned', storedKeys: ['b'], notStoredKeys: ['owned'] } });
	});

	test("a failure of the whole item (Delete All refused) reaches the error output with HyperID's code on its error", async () => {
		emulator.setFaults([{ path: '/user-data/by-user-id/list-get', result: -3, times: 1 }]);
		const r = await run(emulator, credentialFor(emulator), { resource: 'userDataByUserId', operation: 'deleteAll', options: {} }, [{}], false, atVersion(version));
		const [success, failed] = r.outputs ?? [];
		expect(success).toEqual([]);
		expect(failed).toHaveLength(1);
		expect(Object.keys(failed[0].json)).toEqual(['error']);
		expect(String(failed[0].json.error)).toMatch(/denied access/);
		expect(failed[0].error?.context.resultCode).toBe(-3);
	});
});

describe.each([1, 1.1, 1.2])('node version %s, Continue (regular output)', (version) => {
	test('every item stays on the one output, the error item flat: {error, code, description, ...what it did}', async () => {
		const r = await run(emulator, credentialFor(emulator), setByEmail, threeItems, true, { typeVersion: version });
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

		const owned = await setOwnedKey({ typeVersion: version, nodeOverrides: { onError: 'continueRegularOutput' } });
		expect(owned.outputs?.[0][1].json).toEqual({
			error: OWNED_MESSAGE,
			code: -6,
			description: expect.stringMatching(/another key name/i),
			key: 'owned',
			storedKeys: ['b'],
			notStoredKeys: ['owned'],
		});
	});
});
