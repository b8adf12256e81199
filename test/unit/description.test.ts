/**
 * Issue 16 in the editor: what n8n shows, decided by NodeHelpers.displayParameter as the editor
 * and n8n-core decide it. Delete All is not among the AI tool's operations from node version 1.2;
 * options that have no effect without Simplify are hidden; option names follow n8n's Title Case.
 */
import type { INode, INodeParameters, INodeProperties, INodePropertyOptions, INodeTypeDescription } from 'n8n-workflow';
import { NodeHelpers } from 'n8n-workflow';

import { HyperIdUserData } from '../../nodes/HyperIdUserData/HyperIdUserData.node';

const { description } = new HyperIdUserData();
/** What n8n's convertNodeToAiTool makes of a usableAsTool node: the same description, its name + "Tool". */
const toolDescription: INodeTypeDescription = { ...description, name: `${description.name}Tool` };

function operationsShown(parameters: INodeParameters, typeVersion: number, type: INodeTypeDescription): string[][] {
	const node = { typeVersion } as INode;
	return description.properties
		.filter((property) => property.name === 'operation' && NodeHelpers.displayParameter(parameters, property, node, type))
		.map((property) => (property.options as INodePropertyOptions[]).map((option) => option.value as string));
}

describe('Delete All and the AI tool', () => {
	test.each(['userDataByEmail', 'userDataByIdp', 'userDataByUserId', 'userDataByWallet'])('%s: the tool of node version 1.2 offers every operation but Delete All', (resource) => {
		const [operations, ...more] = operationsShown({ resource }, 1.2, toolDescription);
		expect(more).toEqual([]);
		expect(operations).not.toContain('deleteAll');
		expect(operations).toEqual(expect.arrayContaining(['delete', 'get', 'getAll', 'listKeys', 'listSharedKeys', 'set']));
	});

	test('the regular node of version 1.2, and the tool of versions 1 and 1.1, still offer Delete All', () => {
		expect(operationsShown({ resource: 'userDataByEmail' }, 1.2, description)).toEqual([expect.arrayContaining(['deleteAll'])]);
		expect(operationsShown({ resource: 'userDataByEmail' }, 1.1, toolDescription)).toEqual([expect.arrayContaining(['deleteAll'])]);
		expect(operationsShown({ resource: 'userDataByEmail' }, 1, toolDescription)).toEqual([expect.arrayContaining(['deleteAll'])]);
	});
});

describe('options without effect are hidden', () => {
	const options = description.properties.find((property) => property.name === 'options') as INodeProperties;
	const shown = (operation: string, optionValues: INodeParameters) =>
		(options.options as INodeProperties[])
			.filter((option) => NodeHelpers.displayParameter(optionValues, option, { typeVersion: 1.2 } as INode, description, { resource: 'userDataByEmail', operation, options: optionValues }))
			.map((option) => option.name);

	test('Simplify off: no Values Output, Output Field or Batch Reads', () => {
		const on = shown('get', { getOutput: 'mergeIntoInput' });
		expect(on).toEqual(expect.arrayContaining(['getOutput', 'outputField', 'batchReads']));
		const off = shown('get', { simplify: false, getOutput: 'mergeIntoInput' });
		expect(off).not.toContain('getOutput');
		expect(off).not.toContain('outputField');
		expect(off).not.toContain('batchReads');
		expect(shown('getAll', { simplify: false })).not.toContain('getOutput');
	});
});

describe('names follow n8n Title Case', () => {
	// the small words that n8n's linter (title-case) leaves in lower case inside a name
	const SMALL = new Set(['a', 'an', 'and', 'as', 'at', 'but', 'by', 'for', 'if', 'in', 'nor', 'of', 'on', 'or', 'per', 'the', 'to', 'via', 'vs', 'with']);
	const names: string[] = [];
	const collect = (list: Array<INodeProperties | INodePropertyOptions>) => {
		for (const entry of list) {
			names.push('displayName' in entry ? entry.displayName : entry.name);
			if ('options' in entry && Array.isArray(entry.options)) collect(entry.options as Array<INodeProperties | INodePropertyOptions>);
			if ('values' in entry && Array.isArray(entry.values)) collect(entry.values as INodeProperties[]);
		}
	};
	collect(description.properties);

	test('e.g. "One Item per Key" beside "One Item per Value"', () => {
		expect(names).toEqual(expect.arrayContaining(['One Item per Key', 'One Item per Value', 'One Item with All Values']));
		const miscased = names.filter((name) => name.split(' ').slice(1).some((word) => SMALL.has(word.toLowerCase()) && word !== word.toLowerCase()));
		expect(miscased).toEqual([]);
	});
});
