/**
 * Issue 25, what a workflow builder meets in a first hour: key messages that name the field as the
 * editor shows it and count from 0 as its Item Index does; a key that looks like an expression is
 * hinted; a Get that finds nothing says which keys and what to do. Against the emulator over HTTP.
 */
import type { IDataObject, INodeParameters } from 'n8n-workflow';

import type { RunNodeResult } from '../harness/harness';
import { apiRequests, credentialFor, errorOf, run, useEmulator } from './setup';
import type { Emulator } from './setup';

let emulator: Emulator;
useEmulator((started) => (emulator = started));

const target = { resource: 'userDataByUserId' };
const hintsOf = (r: RunNodeResult) => (r.taskData?.hints ?? []).map((hint) => hint.message);
const go = (parameters: INodeParameters, items: IDataObject[] = [{}]) => run(emulator, credentialFor(emulator), { ...target, ...parameters }, items);

describe('key messages name the field and count from 0, as the editor does', () => {
	test('Get: a missing entry of Keys is named by its index in Keys, and the item by its Item Index', async () => {
		const r = await go({ operation: 'get', keys: '={{ ["a", $json.nothing] }}', options: {} }, [{}]);
		expect(errorOf(r).message).toBe('The key at index 1 of Keys must be text, but it is missing (item 0)');
		expect(apiRequests(r)).toHaveLength(0);
	});

	test('Delete: a null entry of Keys, the same way', async () => {
		const r = await go({ operation: 'delete', keys: '={{ ["a", "b", $json.k] }}', options: {} }, [{ k: 'x' }, { k: null }]);
		expect(errorOf(r).message).toBe('The key at index 2 of Keys must be text, but it is null (item 1)');
		expect(apiRequests(r)).toHaveLength(0);
	});
});

describe('a key that looks like an expression is sent as written, with a hint', () => {
	test.each([
		['Set, an unclosed expression typed into a Fixed field', { operation: 'set', key: '{{ $json.keyy', value: 'v', options: {} }, '"{{ $json.keyy"'],
		['Get, a whole expression typed into a Fixed field', { operation: 'get', keys: '{{ $json.key }}', options: {} }, '"{{ $json.key }}"'],
		['Delete, an unclosed expression typed into a Fixed field', { operation: 'delete', keys: '{{ $json.key', options: {} }, '"{{ $json.key"'],
	])('%s', async (_, parameters, shown) => {
		const r = await go(parameters as INodeParameters);
		expect(r.error).toBeUndefined();
		expect(apiRequests(r)).toHaveLength(1);
		expect(hintsOf(r)).toEqual(expect.arrayContaining([expect.stringContaining(`A key looks like an expression (${shown}) and was sent as written`)]));
	});

	test('a key with no {{ gets no such hint', async () => {
		const r = await go({ operation: 'set', key: 'plan }}', value: 'v', options: {} });
		expect(hintsOf(r)).toEqual([]);
	});
});

describe('a Get that finds nothing says so (the output stays as in every version: no item per key not found)', () => {
	test.each([1, 1.2])('node version %s: the keys not found and the item, with Values Output and Always Output Data named', async (typeVersion) => {
		const r = await run(emulator, credentialFor(emulator), { ...target, operation: 'get', keys: 'never-set, nor-this', options: {} }, [{}], false, { typeVersion });
		expect(r.error).toBeUndefined();
		expect(r.json).toEqual([]);
		const hints = hintsOf(r);
		expect(hints).toEqual([expect.stringContaining('No value is stored under "never-set", "nor-this" (item 0)')]);
		expect(hints[0]).toContain('All Values');
		expect(hints[0]).toContain('Always Output Data');
	});

	test('a Get that finds every key: no hint', async () => {
		expect((await go({ operation: 'set', key: 'found', value: 'v', options: {} })).error).toBeUndefined();
		const r = await go({ operation: 'get', keys: 'found', options: {} });
		expect(r.json).toEqual([{ key: 'found', value: 'v' }]);
		expect(hintsOf(r)).toEqual([]);
	});
});
