import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import type { Family } from './families';
import type { ItemParameters } from './itemParameters';

export type ValueFormat = 'string' | 'json';

const EVM_ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const BASE58_ADDRESS = /^[1-9A-HJ-NP-Za-km-z]{32,44}$/;

function describe(value: unknown): string {
	if (value === undefined) return 'missing';
	if (value === null) return 'null';
	if (Array.isArray(value)) return 'a list';
	return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** Input refused before sending; `invalid_input` is the code a "Continue on Fail" item carries. */
export const INVALID_INPUT = 'invalid_input';

export function inputError(ctx: IExecuteFunctions, itemIndex: number, message: string, description: string) {
	const error = new NodeOperationError(ctx.getNode(), message, { description, itemIndex });
	error.context.code = INVALID_INPUT;
	return error;
}

/** A key as HyperID expects it: a non-empty string. Numbers from expressions are accepted as text. */
export function toKey(
	ctx: IExecuteFunctions,
	itemIndex: number,
	raw: unknown,
	what: string,
	maxKeyLength: number,
	trim = false,
): string {
	if (typeof raw === 'number' && Number.isFinite(raw)) return String(raw);
	if (typeof raw !== 'string') {
		throw inputError(
			ctx,
			itemIndex,
			`${what} must be text, but it is ${describe(raw)} (item ${itemIndex})`,
			'Map a text field into it, e.g. {{ $json.email }}, or turn the value into text with .toString().',
		);
	}
	if (raw.trim() === '') {
		throw inputError(
			ctx,
			itemIndex,
			`${what} is empty (item ${itemIndex})`,
			'HyperID needs a non-empty key. Check that the field you mapped exists on this item.',
		);
	}
	// node version 1.2: one key rule for every operation, so Get and Delete find what Set stored
	const key = trim ? raw.trim() : raw;
	if (key.length > maxKeyLength) {
		throw inputError(
			ctx,
			itemIndex,
			`${what} is ${key.length} characters long (item ${itemIndex})`,
			`Keys longer than ${maxKeyLength} characters are refused before sending. Use a shorter key, e.g. a hash of the long one.`,
		);
	}
	return key;
}

/** Keys from the UI list, a comma-separated string, or an array from an expression. */
export function readKeys(
	ctx: IExecuteFunctions,
	parameters: ItemParameters,
	itemIndex: number,
	maxKeyLength: number,
	maxKeys: number,
	trim: boolean,
): string[] {
	const raw = parameters.get('keys', itemIndex);
	const entries: unknown[] = [];
	const addText = (text: string) => {
		for (const part of text.split(',')) if (part.trim() !== '') entries.push(part.trim());
	};
	if (typeof raw === 'string') {
		addText(raw);
	} else if (Array.isArray(raw)) {
		for (const entry of raw) {
			// Texts may hold several comma-separated keys; a nested array keeps keys with commas whole.
			if (Array.isArray(entry)) entries.push(...entry);
			else if (typeof entry === 'string') addText(entry);
			else entries.push(entry);
		}
	} else if (typeof raw === 'number') {
		entries.push(raw);
	} else {
		throw inputError(
			ctx,
			itemIndex,
			`Keys must be a list of texts, but they are ${describe(raw)} (item ${itemIndex})`,
			'Enter the keys one by one, as a comma-separated text ("a, b"), or as an expression that returns an array of texts, e.g. {{ ["a", "b"] }}.',
		);
	}
	if (entries.length === 0) {
		throw inputError(
			ctx,
			itemIndex,
			`No keys given (item ${itemIndex})`,
			'Enter at least one key to read or delete.',
		);
	}
	if (entries.length > maxKeys) {
		throw inputError(
			ctx,
			itemIndex,
			`Too many keys: ${entries.length} in one item (item ${itemIndex})`,
			`One item may name at most ${maxKeys} keys. Split the list over several items.`,
		);
	}
	const keys = entries.map((entry, position) =>
		toKey(ctx, itemIndex, entry, `The key at index ${position} of Keys`, maxKeyLength, trim),
	);
	return [...new Set(keys)];
}

/** The value to store, as the string HyperID keeps. */
export function readValue(
	ctx: IExecuteFunctions,
	parameters: ItemParameters,
	itemIndex: number,
	format: ValueFormat,
	origin: ValueOrigin | undefined,
): string {
	return toStoredValue(ctx, itemIndex, parameters.get('value', itemIndex, ''), format, 'The value', origin);
}

/**
 * Where a value given in the node comes from (node version 1.2): `mapped` is one whole expression,
 * e.g. {{ $json.name }}, whose result is the value as it is; `typed` is text the user wrote, with or
 * without expressions inside it.
 */
export type ValueOrigin = 'mapped' | 'typed';

/** One `{{ ... }}` and nothing around it (a second `{{` inside means text around expressions). */
const ONE_EXPRESSION = /^=\s*\{\{([\s\S]*)\}\}\s*$/;

/** The origin of a value parameter from its raw (unevaluated) text. */
export function valueOrigin(raw: unknown): ValueOrigin {
	if (typeof raw !== 'string') return 'mapped';
	const match = ONE_EXPRESSION.exec(raw);
	return match && !match[1].includes('{{') ? 'mapped' : 'typed';
}

/** Text that starts like JSON (an object, a list, a quoted string) is meant as JSON. */
const LOOKS_LIKE_JSON = /^\s*[[{"]/;

/**
 * A value in JSON format, node version 1.2, the one rule of every Data Mode: a mapped value (and
 * every field in Auto-Map) is stored as that value, so the text "12345" stays text; typed text is
 * JSON if it parses (`{"plan": "pro"}`, `42`, `true`; stored as typed), else stored as the text itself. Typed
 * text that starts like JSON but is not valid JSON is refused: it is almost surely a typo.
 */
function jsonAsGiven(ctx: IExecuteFunctions, itemIndex: number, raw: unknown, origin: ValueOrigin, what: string): string {
	if (raw === undefined) {
		throw inputError(ctx, itemIndex, `${what} is missing (item ${itemIndex})`, 'Map a value to store; check that the field exists on this item.');
	}
	if (origin === 'mapped' || typeof raw !== 'string') return JSON.stringify(raw);
	try {
		JSON.parse(raw);
		return raw;
	} catch {
		if (LOOKS_LIKE_JSON.test(raw)) {
			throw inputError(
				ctx,
				itemIndex,
				`${what} starts like JSON but is not valid JSON (item ${itemIndex})`,
				'Fix the JSON (e.g. {"plan": "pro"}), map an object directly with one expression ({{ $json.settings }}), or set Value Format to String.',
			);
		}
		return JSON.stringify(raw);
	}
}

/**
 * A value given in the node (Value, or a value of Fields to Set), as the string HyperID keeps:
 * in String format text as it is, and a number or boolean mapped from the item as text (as
 * Auto-Map stores it). In JSON format: from node version 1.2 (`origin` given) see jsonAsGiven;
 * before, objects and lists are stringified and text must already be JSON. `what` names it in
 * messages ("The value", 'The value of key "plan"').
 */
export function toStoredValue(
	ctx: IExecuteFunctions,
	itemIndex: number,
	raw: unknown,
	format: ValueFormat,
	what: string,
	origin: ValueOrigin | undefined,
): string {
	if (format === 'string') {
		if (typeof raw === 'string') return raw;
		if ((typeof raw === 'number' && Number.isFinite(raw)) || typeof raw === 'boolean') return String(raw);
		throw inputError(
			ctx,
			itemIndex,
			`${what} must be text in String format, but it is ${describe(raw)} (item ${itemIndex})`,
			raw !== null && typeof raw === 'object'
				? 'Set Options → Value Format to JSON to store objects and lists, or convert it with JSON.stringify().'
				: 'Map a value that is text, a number or a boolean, or set Options → Value Format to JSON.',
		);
	}
	if (origin) return jsonAsGiven(ctx, itemIndex, raw, origin, what);
	if (raw === undefined) {
		throw inputError(ctx, itemIndex, `${what} is missing (item ${itemIndex})`, 'Map a value to store.');
	}
	if (typeof raw === 'string') {
		try {
			JSON.parse(raw);
		} catch {
			throw inputError(
				ctx,
				itemIndex,
				`${what} is not valid JSON (item ${itemIndex})`,
				'In JSON format a text value must be JSON, e.g. {"plan": "pro"} or "a quoted string". Map an object directly, or set Value Format to String.',
			);
		}
		return raw;
	}
	return JSON.stringify(raw);
}

/**
 * A field of the input item (Set with "Map Each Input Field"), as the string HyperID keeps. JSON
 * format stores every field as JSON, so Get in JSON format gives back the same type. String format
 * stores text, numbers and booleans as text and refuses objects, lists and null.
 */
export function fieldToStoredValue(ctx: IExecuteFunctions, itemIndex: number, field: string, raw: unknown, format: ValueFormat): string {
	if (format === 'json') return JSON.stringify(raw ?? null);
	if (typeof raw === 'string') return raw;
	if ((typeof raw === 'number' && Number.isFinite(raw)) || typeof raw === 'boolean') return String(raw);
	throw inputError(
		ctx,
		itemIndex,
		`The field "${field}" is ${describe(raw)}, which String format cannot store (item ${itemIndex})`,
		`Set Options → Value Format to JSON to store objects, lists and null as JSON, or leave the field out with Options → Fields to Skip ("${field}").`,
	);
}

/**
 * `{key: value}` for output, each key an own property: a key named `__proto__` would otherwise
 * set the object's prototype instead of becoming a field.
 */
export function valuesObject(entries: Iterable<[string, unknown]>): IDataObject {
	const values: IDataObject = {};
	for (const [key, value] of entries) {
		Object.defineProperty(values, key, { value, enumerable: true, writable: true, configurable: true });
	}
	return values;
}

/** An option naming an output field: its display name, what the field receives, an example name. */
export interface FieldOption {
	option: string;
	receives: string;
	example: string;
}

/** Values Output "Merge Into Input Item": the field the values are written to. */
const OUTPUT_FIELD: FieldOption = { option: 'Output Field', receives: 'the values', example: 'hyperid' };

/** The field name an option gives, trimmed; an empty or non-text one is refused naming that option. */
export function readOutputField(ctx: IExecuteFunctions, raw: unknown, field: FieldOption = OUTPUT_FIELD): string {
	if (typeof raw === 'string' && raw.trim() !== '') return raw.trim();
	throw inputError(
		ctx,
		0,
		`${field.option} must be a field name, not ${typeof raw === 'string' ? 'empty' : describe(raw)} (item 0)`,
		`Enter the name of the field that receives ${field.receives} in Options → ${field.option}, e.g. ${field.example}.`,
	);
}

/** Turns a stored value back into what the workflow gets. */
export function parseStoredValue(
	ctx: IExecuteFunctions,
	itemIndex: number,
	key: string,
	stored: string,
	format: ValueFormat,
): unknown {
	if (format === 'string') return stored;
	try {
		return JSON.parse(stored);
	} catch {
		throw inputError(
			ctx,
			itemIndex,
			`The stored value of key "${key}" is not JSON (item ${itemIndex})`,
			'It was stored as plain text. Set Options → Value Format to String to read it as text.',
		);
	}
}

export function checkWalletAddress(ctx: IExecuteFunctions, itemIndex: number, raw: unknown): string | undefined {
	if (raw === undefined || raw === null || raw === '') return undefined;
	if (typeof raw !== 'string') {
		throw inputError(
			ctx,
			itemIndex,
			`The wallet address must be text, but it is ${describe(raw)} (item ${itemIndex})`,
			'Pick a wallet from the list, type its address, or leave it empty to use the wallet the user signed in with.',
		);
	}
	const address = raw.trim();
	if (address === '') return undefined;
	const looksEvm = /^0x/i.test(address);
	if ((looksEvm && EVM_ADDRESS.test(address)) || (!looksEvm && BASE58_ADDRESS.test(address))) return address;
	throw inputError(
		ctx,
		itemIndex,
		`"${address}" is not a wallet address (item ${itemIndex})`,
		looksEvm
			? 'An EVM wallet address is 0x followed by 40 hexadecimal digits (0-9, a-f), e.g. 0x52908400098527886E0F7030069857D2E4169EE7.'
			: 'Expected an EVM address (0x followed by 40 hexadecimal digits) or a base58 address of 32-44 characters (e.g. Solana).',
	);
}

export function checkIdentityProvider(
	ctx: IExecuteFunctions,
	itemIndex: number,
	raw: unknown,
	known: string[] | undefined,
): string {
	if (typeof raw !== 'string' || raw.trim() === '') {
		throw inputError(
			ctx,
			itemIndex,
			`The identity provider is ${typeof raw === 'string' ? 'empty' : describe(raw)} (item ${itemIndex})`,
			`Pick an identity provider from the list${known ? ` (${known.join(', ')})` : ''}.`,
		);
	}
	const provider = raw.trim();
	if (known && !known.includes(provider)) {
		throw inputError(
			ctx,
			itemIndex,
			`Unknown identity provider "${provider}" (item ${itemIndex})`,
			`HyperID knows these identity providers: ${known.join(', ')}.`,
		);
	}
	return provider;
}

/** access_scope from the Access Scope option: "private" → 0, "public" → 1 (also 0 / 1 from an expression). */
export function readAccessScope(ctx: IExecuteFunctions, parameters: ItemParameters, itemIndex: number): 0 | 1 {
	const raw = parameters.get('accessScope', itemIndex, 'public');
	const text = typeof raw === 'string' ? raw.trim().toLowerCase() : raw;
	if (text === 'private' || text === 0) return 0;
	if (text === 'public' || text === 1) return 1;
	throw inputError(
		ctx,
		itemIndex,
		`Access Scope must be "private" or "public", not ${typeof raw === "string" ? JSON.stringify(raw.slice(0, 40)) : describe(raw)}`,
		'Pick Private or Public in the Access Scope field, or make its expression give "private" or "public".',
	);
}

/** The request field that selects the family's storage target, checked before sending. */
export function readTarget(
	ctx: IExecuteFunctions,
	parameters: ItemParameters,
	itemIndex: number,
	family: Family,
	knownProviders: string[] | undefined,
): { body: IDataObject; subject: { identityProvider?: string; walletAddress?: string } } {
	if (family.target === 'identityProvider') {
		const identityProvider = checkIdentityProvider(
			ctx,
			itemIndex,
			parameters.get('identityProvider', itemIndex),
			knownProviders,
		);
		return { body: { identity_provider: identityProvider }, subject: { identityProvider } };
	}
	if (family.target === 'walletAddress') {
		const walletAddress = checkWalletAddress(
			ctx,
			itemIndex,
			parameters.get('walletAddress', itemIndex, '', { extractValue: true }),
		);
		return { body: walletAddress ? { wallet_address: walletAddress } : {}, subject: { walletAddress } };
	}
	return { body: {}, subject: {} };
}
