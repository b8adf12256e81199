import type { INodeProperties } from 'n8n-workflow';

/** Value -> display name of every option of the parameters named `parameter` (one per resource). */
function displayNames(properties: INodeProperties[], parameter: string): string {
	const names: Record<string, string> = {};
	for (const property of properties) {
		if (property.name !== parameter) continue;
		for (const option of property.options ?? []) {
			if ('value' in option && typeof option.value === 'string') names[option.value] = option.name;
		}
	}
	return JSON.stringify(names);
}

/** The canvas subtitle, e.g. "Set: User Data by Email": the editor evaluates it, and the parameters hold internal names. */
export function subtitleOf(properties: INodeProperties[]): string {
	const operation = `(${displayNames(properties, 'operation')}[$parameter["operation"]] ?? $parameter["operation"])`;
	const resource = `(${displayNames(properties, 'resource')}[$parameter["resource"]] ?? $parameter["resource"])`;
	return `={{ ${operation} + ": " + ${resource} }}`;
}
