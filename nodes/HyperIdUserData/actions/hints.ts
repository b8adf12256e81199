import type { IDataObject, IExecuteFunctions, NodeExecutionHint } from 'n8n-workflow';

/** How many examples a hint names before it says "and N more". */
const EXAMPLES = 3;

function some(list: string[]): string {
	const shown = list.slice(0, EXAMPLES).join(', ');
	return list.length > EXAMPLES ? `${shown} and ${list.length - EXAMPLES} more` : shown;
}

/**
 * What a run tells the user without failing: keys that changed, writes that replace each other,
 * options that have no effect. Collected while items are prepared, given to n8n once per run.
 */
export class RunHints {
	/** key as given → key as stored */
	private readonly trimmed = new Map<string, string>();
	/** stored value id → the key and the items that set it */
	private readonly writers = new Map<string, { key: string; items: number[] }>();
	private readonly ignored: string[] = [];
	/** keys with `{{` in them, as sent */
	private readonly expressionLike = new Set<string>();
	/** item → the keys Get found no value under (Values Output "One Item per Key" gives nothing for them) */
	private readonly notFound = new Map<number, string[]>();

	/**
	 * Options that do nothing while Simplify is off. The editor hides them then; an expression that
	 * turns Simplify off is not known to the editor, so the run says it.
	 */
	static forOptions(options: IDataObject, operation: string): RunHints {
		const hints = new RunHints();
		if (options.simplify !== false || (operation !== 'get' && operation !== 'getAll')) return hints;
		if (options.getOutput === 'allValues' || options.getOutput === 'mergeIntoInput') {
			hints.optionIgnored("Values Output has no effect while Simplify is off: each item gets HyperID's whole response. Turn Simplify on to use it.");
		}
		if (options.batchReads === true && operation === 'get') {
			hints.optionIgnored('Batch Reads has no effect while Simplify is off: each item is read with its own request. Turn Simplify on to combine reads.');
		}
		return hints;
	}

	keyTrimmed(given: string, key: string): void {
		if (given !== key && !this.trimmed.has(given)) this.trimmed.set(given, key);
	}

	/** A key with `{{` in it is most likely an expression typed into a Fixed field, or one left unclosed: it is sent as written. */
	keysGiven(keys: string[]): void {
		for (const key of keys) if (key.includes('{{')) this.expressionLike.add(key);
	}

	/** Get, one item per key: keys with no stored value give no item, so the run says which. */
	keysNotFound(itemIndex: number, keys: string[]): void {
		if (keys.length) this.notFound.set(itemIndex, keys);
	}

	/** An item sets `key` (identified across items by `id`, see storedValueId). */
	wrote(id: string, key: string, itemIndex: number): void {
		const writers = this.writers.get(id) ?? { key, items: [] };
		if (writers.items[writers.items.length - 1] !== itemIndex) writers.items.push(itemIndex);
		this.writers.set(id, writers);
	}

	private optionIgnored(message: string): void {
		this.ignored.push(message);
	}

	toHints(): NodeExecutionHint[] {
		const hints: NodeExecutionHint[] = this.ignored.map((message) => ({ message, type: 'warning', location: 'outputPane' }));
		if (this.trimmed.size) {
			const changes = [...this.trimmed].map(([given, key]) => `${JSON.stringify(given)} → ${JSON.stringify(key)}`);
			hints.push({
				message: `Spaces around keys were removed (${some(changes)}): a key is trimmed wherever it is given, so Get and Delete find it as stored.`,
				type: 'info',
				location: 'outputPane',
			});
		}
		if (this.expressionLike.size) {
			hints.push({
				message:
					`A key looks like an expression (${some([...this.expressionLike].map((key) => JSON.stringify(key)))}) and was sent as written. ` +
					'To map a field, switch the field to Expression and close it with }}, e.g. {{ $json.key }}.',
				type: 'warning',
				location: 'outputPane',
			});
		}
		if (this.notFound.size) {
			const [[itemIndex, keys]] = [...this.notFound];
			const items = [...this.notFound.keys()].map(String);
			hints.push({
				message:
					`No value is stored under ${some(keys.map((key) => JSON.stringify(key)))} (item ${itemIndex}${items.length > 1 ? `; ${items.length} items had keys not found: ${some(items)}` : ''}): ` +
					'Get gives one item per key found. To see the keys not found, set Options › Values Output to All Values (missingKeys); to go on with an empty item, turn on Settings › Always Output Data.',
				type: 'info',
				location: 'outputPane',
			});
		}
		const shared = [...this.writers.values()].filter((writers) => writers.items.length > 1);
		if (shared.length) {
			const first = shared[0];
			const examples = shared.map(({ key }) => JSON.stringify(key));
			hints.push({
				message:
					`Several items set the same key (${some(examples)}; e.g. ${JSON.stringify(first.key)} by items ${some(first.items.map(String))}): each write replaces the one before, so the last item's value stays. ` +
					"All values belong to the credential's user; to keep one value per record, put the record's ID in the key, e.g. {{ $json.id }}-plan.",
				type: 'warning',
				location: 'outputPane',
			});
		}
		return hints;
	}
}

/** n8n-workflow 1.x before execution hints existed has no addExecutionHints: then nothing is said. */
export function addHints(ctx: IExecuteFunctions, hints: RunHints): void {
	const list = hints.toHints();
	if (list.length && typeof (ctx as Partial<IExecuteFunctions>).addExecutionHints === 'function') ctx.addExecutionHints(...list);
}
