/**
 * Issue 16, node version 1.2: one JSON rule for every Data Mode, one key rule for every operation,
 * values objects without a prototype trap, options that cannot apply hidden or hinted, writes of
 * the same key by several items hinted, Delete All out of the AI tool. Against the emulator over
 * HTTP through n8n-core (test/harness).
 */
import type { IDataObject, INodeParameters } from 'n8n-workflow';

import { HyperIdUserData } from '../../nodes/HyperIdUserData/HyperIdUserData.node';
import { runNode } from '../harness/harness';
import type { RunNodeResult } from '../harness/harness';
import { apiRequests, bodies, callApi, credentialFor, errorOf, run, textOf, useEmulator } from './setup';
import type { Emulator } from './setup';

let emulator: Emulator;
useEmulator((started) => (emulator = started));

const SET = '/user-data/by-user-id/set';
const target = { resource: 'userDataByUserId' };

/** The node at a given version (runNode takes the last one, 1.2, unless told). */
async function runAt(typeVersion: number, parameters: INodeParameters, inputItems: IDataObject[] = [{}], nodeTypeName?: string): Promise<RunNodeResult> {
	emulator.clearRequests();
	return await runNode({ nodeType: new HyperIdUserData(), typeVersion, parameters, inputItems, credentials: credentialFor(emulator), nodeTypeName });
}

/** value_data per key, as the set requests of a run sent them. */
function sent(r: { requests: Array<{ path: string; body?: unknown }> }): Record<string, string> {
	const out: Record<string, string> = {};
	for (const entry of r.requests.filter((request) => request.path === SET)) {
		const body = entry.body as IDataObject;
		out[body.value_key as string] = body.value_data as string;
	}
	return out;
}

const hintsOf = (r: RunNodeResult) => (r.taskData?.hints ?? []).map((hint) => hint.message);

describe('Value Format JSON: one rule for Single Key, Define Below and Auto-Map (version 1.2)', () => {
	const item = { name: 'Ada', zip: '12345', age: 36, vip: false, tags: ['a', 'b'], address: { city: 'Paris' }, none: null };
	const fields = Object.keys(item);
	const json = { valueFormat: 'json' };

	test('the same item stores the same text whichever mode wrote it, and Get gives the item back', async () => {
		const credentials = credentialFor(emulator);
		const autoMap = await run(emulator, credentials, { ...target, operation: 'set', dataMode: 'autoMapInputData', options: json }, [item]);
		expect(autoMap.error).toBeUndefined();

		const defineBelow = await run(
			emulator,
			credentials,
			{ ...target, operation: 'set', dataMode: 'defineBelow', fields: { values: fields.map((key) => ({ key, value: `={{ $json.${key} }}` })) }, options: json },
			[item],
		);
		expect(defineBelow.error).toBeUndefined();

		const single: Record<string, string> = {};
		for (const key of fields) {
			const r = await run(emulator, credentials, { ...target, operation: 'set', key, value: `={{ $json.${key} }}`, options: json }, [item]);
			expect(r.error).toBeUndefined();
			Object.assign(single, sent(r));
		}

		expect(sent(autoMap)).toEqual({ name: '"Ada"', zip: '"12345"', age: '36', vip: 'false', tags: '["a","b"]', address: '{"city":"Paris"}', none: 'null' });
		expect(sent(defineBelow)).toEqual(sent(autoMap));
		expect(single).toEqual(sent(autoMap));

		const get = await run(emulator, credentials, { ...target, operation: 'get', keys: fields.join(','), options: { ...json, getOutput: 'allValues' } });
		expect(get.json).toEqual([{ values: item, missingKeys: [], result: 0 }]);
	});

	test('typed text: JSON if it parses, else the text itself; text that starts like JSON but is broken is refused before sending', async () => {
		const set = (value: string) => run(emulator, credentialFor(emulator), { ...target, operation: 'set', key: 'k', value, options: json }, [{ plan: 'pro' }]);
		expect(sent(await set('Ada'))).toEqual({ k: '"Ada"' });
		expect(sent(await set('{"plan": "pro"}'))).toEqual({ k: '{"plan": "pro"}' });
		expect(sent(await set('42'))).toEqual({ k: '42' });
		// text around an expression is typed text too
		expect(sent(await set('={"plan": "{{ $json.plan }}"}'))).toEqual({ k: '{"plan": "pro"}' });

		const broken = await set('{"plan": "pro"');
		expect(errorOf(broken).message).toBe('The value starts like JSON but is not valid JSON (item 0)');
		expect(apiRequests(broken)).toHaveLength(0);

		const get = await run(emulator, credentialFor(emulator), { ...target, operation: 'get', keys: 'k', options: json });
		expect(get.json).toEqual([{ key: 'k', value: { plan: 'pro' } }]);
	});

	test('version 1.1 keeps its rule: a mapped text must be JSON ("12345" is the number, "Ada" is refused)', async () => {
		const number = await runAt(1.1, { ...target, operation: 'set', key: 'zip', value: '={{ $json.zip }}', options: json }, [item]);
		expect(number.error).toBeUndefined();
		expect(sent({ requests: emulator.requests() })).toEqual({ zip: '12345' });
		const text = await runAt(1.1, { ...target, operation: 'set', dataMode: 'defineBelow', fields: { values: [{ key: 'name', value: '={{ $json.name }}' }] }, options: json }, [item]);
		expect(text.error?.message).toBe('The value of key "name" is not valid JSON (item 0)');
	});
});

describe('Keys: one rule on write and read (version 1.2)', () => {
	test('Auto-Map of a field "Email " stores "Email", says so, and Get and Delete with "Email " reach it', async () => {
		const credentials = credentialFor(emulator);
		const set = await run(emulator, credentials, { ...target, operation: 'set', dataMode: 'autoMapInputData', options: {} }, [{ 'Email ': 'ada@example.com' }]);
		expect(set.error).toBeUndefined();
		expect(sent(set)).toEqual({ Email: 'ada@example.com' });
		expect(set.json).toEqual([{ keys: ['Email'], success: true, results: [{ key: 'Email', result: 0 }] }]);
		expect(hintsOf(set).join('\n')).toContain('"Email " → "Email"');

		// a key given inside a nested array was not trimmed before; every form is now
		const get = await run(emulator, credentials, { ...target, operation: 'get', keys: '={{ [["Email "]] }}', options: {} });
		expect(get.json).toEqual([{ key: 'Email', value: 'ada@example.com' }]);
		const del = await run(emulator, credentials, { ...target, operation: 'delete', keys: '={{ [[" Email "]] }}', options: {} });
		expect(bodies(del)).toEqual([{ value_keys: ['Email'] }]);
		expect(del.json).toEqual([expect.objectContaining({ deleted: true, keys: ['Email'] })]);
	});

	test('Single Key and Define Below trim too', async () => {
		const single = await run(emulator, credentialFor(emulator), { ...target, operation: 'set', key: ' plan ', value: 'pro', options: {} });
		expect(sent(single)).toEqual({ plan: 'pro' });
		const defined = await run(emulator, credentialFor(emulator), { ...target, operation: 'set', dataMode: 'defineBelow', fields: { values: [{ key: 'color ', value: 'blue' }] }, options: {} });
		expect(sent(defined)).toEqual({ color: 'blue' });
	});

	test('two fields that become one key are refused before sending, naming both', async () => {
		const r = await run(emulator, credentialFor(emulator), { ...target, operation: 'set', dataMode: 'autoMapInputData', options: {} }, [{ Email: 'a@x.io', 'Email ': 'b@x.io' }]);
		expect(errorOf(r).message).toBe('The fields "Email" and "Email " would both be stored under the key "Email" (item 0)');
		expect(textOf(errorOf(r))).toMatch(/Fields to Skip/);
		expect(apiRequests(r)).toHaveLength(0);
	});

	test('version 1.1 keeps its rule: Set keeps the spaces', async () => {
		await runAt(1.1, { ...target, operation: 'set', key: ' plan ', value: 'pro', options: {} });
		expect(sent({ requests: emulator.requests() })).toEqual({ ' plan ': 'pro' });
	});
});

describe('a key named __proto__, constructor or toString', () => {
	const keys = ['__proto__', 'constructor', 'toString', 'plan'];
	const seed = async () => {
		const credentials = credentialFor(emulator);
		for (const key of keys) {
			expect(await callApi(emulator, credentials, SET, { value_key: key, value_data: key === '__proto__' ? '{"admin":true}' : `"${key}"`, access_scope: 1 })).toMatchObject({ result: 0 });
		}
		return credentials;
	};
	// as JSON text: an object literal with __proto__ would set its prototype instead
	const expected = '{"__proto__":{"admin":true},"constructor":"constructor","toString":"toString","plan":"plan"}';

	test.each(['allValues', 'mergeIntoInput'])('Get, %s: every key is a field of its own and n8n keeps it when it serializes the item', async (getOutput) => {
		const credentials = await seed();
		const r = await run(emulator, credentials, { ...target, operation: 'get', keys: keys.join(','), options: { valueFormat: 'json', getOutput } }, [{ orderId: 1 }]);
		expect(r.error).toBeUndefined();
		const values = (getOutput === 'allValues' ? r.json[0].values : r.json[0].hyperid) as IDataObject;
		expect(Object.keys(values)).toEqual(keys);
		expect(Object.getPrototypeOf(values)).toBe(Object.prototype);
		// n8n keeps run data as JSON (flatted, built on JSON.stringify / JSON.parse): own properties survive both
		expect(JSON.stringify(values)).toBe(expected);
		const stored = JSON.parse(JSON.stringify(r.outputs)) as Array<Array<{ json: IDataObject }>>;
		expect(JSON.stringify(stored[0][0].json[getOutput === 'allValues' ? 'values' : 'hyperid'])).toBe(expected);
		if (getOutput === 'allValues') expect(r.json[0].missingKeys).toEqual([]);
	});

	test('Get Many, One Item with All Values', async () => {
		const credentials = await seed();
		const r = await run(emulator, credentials, { ...target, operation: 'getAll', returnAll: true, options: { valueFormat: 'json', getOutput: 'allValues' } });
		const values = r.json[0].values as IDataObject;
		expect(Object.keys(values).sort()).toEqual([...keys].sort());
		expect(Object.getOwnPropertyDescriptor(values, '__proto__')?.value).toEqual({ admin: true });
	});
});

describe('options that cannot apply, and writes that replace each other', () => {
	test('List Shared Keys: a Limit that is not a number is refused before sending', async () => {
		const r = await run(emulator, credentialFor(emulator), { ...target, operation: 'listSharedKeys', returnAll: false, limit: '={{ $json.n }}', options: {} }, [{ n: 'ten' }]);
		expect(errorOf(r).message).toBe('Limit must be a number of at least 1, not "ten" (item 0)');
		expect(apiRequests(r)).toHaveLength(0);
	});

	test('Simplify off (from an expression, which the editor cannot hide by): Values Output and Batch Reads are said to have no effect', async () => {
		const r = await run(emulator, credentialFor(emulator), { ...target, operation: 'get', keys: 'a', options: { simplify: '={{ false }}', getOutput: 'mergeIntoInput', batchReads: true } });
		expect(r.error).toBeUndefined();
		expect(hintsOf(r)).toEqual([
			expect.stringContaining('Values Output has no effect while Simplify is off'),
			expect.stringContaining('Batch Reads has no effect while Simplify is off'),
		]);
	});

	test.each([
		['Define Below', { dataMode: 'defineBelow', fields: { values: [{ key: 'plan', value: '={{ $json.plan }}' }] } }],
		['Auto-Map Input Fields', { dataMode: 'autoMapInputData' }],
		['Single Key', { key: 'plan', value: '={{ $json.plan }}' }],
	])('%s: several items setting the same key still overwrite in input order, and a hint says so', async (_, mode) => {
		const r = await run(emulator, credentialFor(emulator), { ...target, operation: 'set', ...mode, options: {} } as INodeParameters, [{ plan: 'free' }, { plan: 'pro' }, { plan: 'team' }]);
		expect(r.error).toBeUndefined();
		const [hint] = hintsOf(r);
		expect(hint).toContain('Several items set the same key ("plan"; e.g. "plan" by items 0, 1, 2)');
		expect(hint).toContain("credential's user");
		const get = await run(emulator, credentialFor(emulator), { ...target, operation: 'get', keys: 'plan', options: {} });
		expect(get.json).toEqual([{ key: 'plan', value: 'team' }]);
	});

	test('items setting different keys: no hint', async () => {
		const r = await run(emulator, credentialFor(emulator), { ...target, operation: 'set', key: '={{ $json.id }}-plan', value: 'x', options: {} }, [{ id: 1 }, { id: 2 }]);
		expect(hintsOf(r)).toEqual([]);
	});
});

describe('Delete All as an AI tool', () => {
	const TOOL = 'n8n-nodes-hyperid.hyperIdUserDataTool';
	const deleteAll = { ...target, operation: 'deleteAll', options: {} };

	test('version 1.2: refused before anything is sent, saying what to use instead', async () => {
		await callApi(emulator, credentialFor(emulator), SET, { value_key: 'keep', value_data: 'me', access_scope: 0 });
		const r = await runAt(1.2, deleteAll, [{}], TOOL);
		expect(r.error?.message).toBe('Delete All is not available when the node is used as an AI tool (item 0)');
		expect(String(r.error?.description)).toMatch(/Use Delete with the keys/);
		expect(emulator.requests().filter((entry) => entry.path.startsWith('/user-'))).toEqual([]);
	});

	test('version 1.2 as a regular step, and version 1.1 as a tool, work as before', async () => {
		expect((await runAt(1.2, deleteAll)).error).toBeUndefined();
		expect((await runAt(1.1, deleteAll, [{}], TOOL)).error).toBeUndefined();
	});
});
