import type { IExecuteFunctions, IGetNodeParameterOptions, INodeExecutionData } from 'n8n-workflow';

/** `{{ $json.a.b }}` or `{{ $json["a"] }}`: the mapping most workflows use for item fields. */
const PLAIN_JSON_PATH = /^=\{\{\s*\$json((?:\.[A-Za-z_$][\w$]*|\[\s*(?:'[^'\\]*'|"[^"\\]*")\s*\])+)\s*\}\}$/;
const PATH_SEGMENT = /\.([A-Za-z_$][\w$]*)|\[\s*(?:'([^'\\]*)'|"([^"\\]*)")\s*\]/g;

type Plan =
	| { kind: 'constant'; value: unknown }
	| { kind: 'jsonPath'; path: string[] }
	| { kind: 'expression' };

const MISSING = Symbol('missing');

const UNSAFE_SEGMENTS = new Set(['__proto__', 'constructor', 'prototype']);

function hasExpression(raw: unknown): boolean {
	if (typeof raw === 'string') return raw.startsWith('=');
	if (Array.isArray(raw)) return raw.some(hasExpression);
	if (raw !== null && typeof raw === 'object') return Object.values(raw).some(hasExpression);
	return false;
}

function walk(json: unknown, path: string[]): unknown {
	let current = json;
	for (const segment of path) {
		if (current === null || typeof current !== 'object' || !Object.prototype.hasOwnProperty.call(current, segment)) {
			return MISSING;
		}
		current = (current as Record<string, unknown>)[segment];
	}
	return current === undefined ? MISSING : current;
}

/**
 * Reads node parameters per item without paying for what does not depend on the item: a
 * parameter without expressions is evaluated once per execution, and a plain `{{ $json.field }}`
 * mapping is read from the item itself, which is what n8n's expression engine returns for it.
 * Anything else, and any case where the field is absent, goes through n8n's own evaluation.
 */
export class ItemParameters {
	private readonly plans = new Map<string, Plan>();
	private readonly raws = new Map<string, unknown>();

	constructor(
		private readonly ctx: IExecuteFunctions,
		private readonly items: INodeExecutionData[],
	) {}

	get(name: string, itemIndex: number, fallback?: unknown, options?: IGetNodeParameterOptions): unknown {
		const plan = this.planFor(name, fallback, options);
		if (plan.kind === 'constant') return plan.value;
		if (plan.kind === 'jsonPath') {
			const value = walk(this.items[itemIndex]?.json, plan.path);
			if (value !== MISSING) return value;
		}
		return this.ctx.getNodeParameter(name, itemIndex, fallback, options);
	}

	/** The parameter as written in the node, expressions unevaluated (the same for every item). */
	raw(name: string, fallback?: unknown): unknown {
		if (!this.raws.has(name)) this.raws.set(name, this.ctx.getNodeParameter(name, 0, fallback, { rawExpressions: true }));
		return this.raws.get(name);
	}

	private planFor(name: string, fallback: unknown, options?: IGetNodeParameterOptions): Plan {
		let plan = this.plans.get(name);
		if (plan) return plan;
		const raw = this.raw(name, fallback);
		const match = typeof raw === 'string' && !options?.extractValue ? PLAIN_JSON_PATH.exec(raw) : null;
		if (!hasExpression(raw)) {
			plan = { kind: 'constant', value: this.ctx.getNodeParameter(name, 0, fallback, options) };
		} else if (match) {
			const path = [...match[1].matchAll(PATH_SEGMENT)].map((segment) => segment[1] ?? segment[2] ?? segment[3]);
			// n8n's engine refuses these names; leave them to it
			plan = path.some((segment) => UNSAFE_SEGMENTS.has(segment)) ? { kind: 'expression' } : { kind: 'jsonPath', path };
		} else {
			plan = { kind: 'expression' };
		}
		this.plans.set(name, plan);
		return plan;
	}
}
