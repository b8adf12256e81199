/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * ItemParameters must return exactly what n8n's own expression engine returns for every item,
 * while evaluating item-independent parameters once. Checked against the real engine (n8n-core).
 */
import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { ItemParameters } from '../../nodes/HyperIdUserData/actions/itemParameters';
import { jsonOf, runNode } from '../harness/harness';

const NAMES = ['plain', 'mapped', 'quoted', 'nested', 'computed', 'list', 'locator'];

class CompareNode implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Compare',
		name: 'compare',
		group: ['transform'],
		version: 1,
		description: 'test',
		defaults: { name: 'Compare' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		properties: NAMES.map((name) => ({ displayName: name, name, type: 'string' as const, default: '' })),
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		let evaluations = 0;
		const original = this.getNodeParameter.bind(this);
		const counting = ((...args: Parameters<typeof original>) => {
			if (!args[3]?.rawExpressions) evaluations++;
			return original(...args);
		}) as typeof original;
		const fast = new ItemParameters({ ...this, getNodeParameter: counting } as unknown as IExecuteFunctions, items);
		const out: INodeExecutionData[] = items.map((_item, itemIndex) => {
			const json: IDataObject = {};
			for (const name of NAMES) {
				const options = name === 'locator' ? { extractValue: true } : undefined;
				let engine: unknown;
				let ours: unknown;
				try {
					engine = this.getNodeParameter(name, itemIndex, '', options);
				} catch (error) {
					engine = `error: ${(error as Error).message}`;
				}
				try {
					ours = fast.get(name, itemIndex, '', options);
				} catch (error) {
					ours = `error: ${(error as Error).message}`;
				}
				json[name] = { engine, ours, same: JSON.stringify(engine) === JSON.stringify(ours) } as IDataObject;
			}
			return { json, pairedItem: { item: itemIndex } };
		});
		out.push({ json: { evaluations } });
		return [out];
	}
}

test('per-item values equal n8n expression evaluation; constants are evaluated once, plain $json mappings never', async () => {
	const inputItems: IDataObject[] = [
		{ a: 'x', 'b c': 1, deep: { k: 'v' } },
		{ a: 42, 'b c': { o: [1, 2] }, deep: { k: null } },
		{ a: null, deep: 'not an object' },
		{},
		{ a: ['p', 'q'], 'b c': '', deep: {} },
		{ a: 'ü 🙂', 'b c': true, deep: { k: 0 } },
	];
	const result = await runNode({
		nodeType: new CompareNode(),
		nodeTypeName: 'test.compare',
		parameters: {
			plain: 'static text',
			mapped: '={{ $json.a }}',
			quoted: '={{ $json["b c"] }}',
			nested: '={{ $json.deep.k }}',
			computed: '={{ String($json.a) + "!" }}',
			list: ['one', 'two, three'],
			locator: { __rl: true, mode: 'address', value: '={{ $json.a }}' },
		},
		inputItems,
	});
	expect(result.error).toBeUndefined();
	const rows = jsonOf(result);
	const evaluations = rows.pop()?.evaluations as number;
	expect(rows).toHaveLength(inputItems.length);
	for (const row of rows) {
		for (const name of NAMES) expect(row[name]).toMatchObject({ same: true });
	}
	// the mapped values really are the items' fields
	expect(rows.map((row) => (row.mapped as IDataObject).ours)).toEqual(inputItems.map((item) => item.a));
	// per item: 'computed' and 'locator' always go through n8n; 'mapped'/'quoted'/'nested' only when
	// the field is absent (then n8n decides); 'plain' and 'list' once for the whole run.
	const absent = inputItems.filter((item) => item.a === undefined).length
		+ inputItems.filter((item) => item['b c'] === undefined).length
		+ inputItems.filter((item) => (item.deep as IDataObject | undefined)?.k === undefined).length;
	expect(evaluations).toBe(2 + 2 * inputItems.length + absent);
});

test('names n8n refuses ($json.constructor, $json["__proto__"]) are left to n8n, even when the item has such a field', async () => {
	const inputItems = [JSON.parse('{"constructor": "c", "a": 1}') as IDataObject, { a: 2 }];
	const result = await runNode({
		nodeType: new CompareNode(),
		nodeTypeName: 'test.compare',
		parameters: {
			plain: 'x',
			mapped: '={{ $json.constructor }}',
			quoted: '={{ $json["__proto__"] }}',
			nested: '={{ $json.a.prototype }}',
			computed: '={{ 1 }}',
			list: [],
			locator: { __rl: true, mode: 'address', value: 'y' },
		},
		inputItems,
	});
	expect(result.error).toBeUndefined();
	const rows = jsonOf(result);
	rows.pop();
	for (const row of rows) {
		for (const name of ['mapped', 'quoted', 'nested']) expect([name, row[name]]).toEqual([name, expect.objectContaining({ same: true })]);
	}
});
