/** Prints items as a plain-text table: one column per field, values shortened to fit. */
export function formatTable(items: Array<Record<string, unknown>>, maxWidth = 48): string {
	if (items.length === 0) return '  (no items)';
	const columns = [...new Set(items.flatMap((item) => Object.keys(item)))];
	const cell = (value: unknown): string => {
		const text = value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
		return text.length > maxWidth ? `${text.slice(0, maxWidth - 1)}…` : text;
	};
	const rows = items.map((item) => columns.map((column) => cell(item[column])));
	const widths = columns.map((column, index) => Math.max(column.length, ...rows.map((row) => row[index].length)));
	const line = (cells: string[]) => `  | ${cells.map((text, index) => text.padEnd(widths[index])).join(' | ')} |`;
	const rule = `  |${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`;
	return [line(columns), rule, ...rows.map(line)].join('\n');
}
