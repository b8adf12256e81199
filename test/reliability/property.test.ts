/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * Campaign 5: property-based run. Random sequences of set / get / delete / listKeys over random
 * keys, values (unicode, empty, 64 KiB, JSON) and families go through the node against the
 * emulator; every output must equal what a small in-memory model of API.md predicts.
 *
 * The seed is fixed so that the suite is repeatable; FC_SEED=<n> explores another part of the space.
 */
import fc from 'fast-check';
import type { IDataObject, INodeParameters } from 'n8n-workflow';

import { Campaign, DEMO, newEmulator, report, walletParam } from './helpers';
import type { Emulator } from './helpers';

const SEED = Number(process.env.FC_SEED ?? 20240606);
const NUM_RUNS = Number(process.env.FC_RUNS ?? 80);

// ---------------------------------------------------------------------------------------------
// The model (API.md): per storage target, key -> {value, scope}; one client, so every key is ours.
// ---------------------------------------------------------------------------------------------

type Scope = 'public' | 'private';
type Model = Map<string, Map<string, { value: string; scope: Scope }>>;

interface Target {
	resource: string;
	/** The model's / emulator's target name. */
	name: string;
	params: INodeParameters;
	hasScope: boolean;
	/** Plain user data has only set and get. */
	full: boolean;
	/** delete answers keys_delete_results (by user id, by wallet). */
	perKeyDelete: boolean;
}

const TARGETS: Target[] = [
	{ resource: 'userData', name: 'plain', params: {}, hasScope: false, full: false, perKeyDelete: false },
	{ resource: 'userDataByEmail', name: 'email', params: {}, hasScope: true, full: true, perKeyDelete: false },
	{ resource: 'userDataByUserId', name: 'user-id', params: {}, hasScope: true, full: true, perKeyDelete: true },
	...DEMO.identityProviders.map((idp) => ({
		resource: 'userDataByIdp',
		name: `idp:${idp}`,
		params: { identityProvider: idp },
		hasScope: true,
		full: true,
		perKeyDelete: false,
	})),
	...[DEMO.privateWallet, DEMO.publicWallet].map((address) => ({
		resource: 'userDataByWallet',
		name: `wallet:${address.toLowerCase()}`,
		params: { walletAddress: walletParam(address) },
		hasScope: true,
		full: true,
		perKeyDelete: true,
	})),
];

type Value = { kind: 'text'; text: string } | { kind: 'json'; json: unknown };

type Command =
	| { op: 'set'; target: number; key: number; value: Value; scope: Scope }
	| { op: 'get'; target: number; keys: number[] }
	| { op: 'getJson'; target: number; keys: number[] }
	| { op: 'delete'; target: number; keys: number[] }
	| { op: 'listKeys'; target: number };

const BIG_ASCII = 'x'.repeat(64 * 1024); // 65,536 bytes: HyperID's (emulated) limit, exactly
const BIG_UNICODE = '€'.repeat(21_845); // 65,535 bytes of 3-byte characters
const JSON_TEXT = fc.jsonValue({ maxDepth: 2 }).map((value) => JSON.stringify(value));

const valueArb: fc.Arbitrary<Value> = fc.oneof(
	{ weight: 4, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }).map((text): Value => ({ kind: 'text', text })) },
	{ weight: 1, arbitrary: fc.constant<Value>({ kind: 'text', text: '' }) },
	{ weight: 1, arbitrary: fc.constantFrom<Value>({ kind: 'text', text: BIG_ASCII }, { kind: 'text', text: BIG_UNICODE }) },
	{ weight: 2, arbitrary: JSON_TEXT.map((text): Value => ({ kind: 'text', text })) },
	{
		weight: 2,
		arbitrary: fc
			.oneof(fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 4 }), fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 4 }))
			.map((json): Value => ({ kind: 'json', json })),
	},
);

/** Keys: simple ones (collide often) and arbitrary unicode ones (commas and spaces included). */
const keyArb = fc.oneof(
	{ weight: 3, arbitrary: fc.constantFrom('a', 'b', 'plan', 'color', 'ключ', '🔑', 'a b', 'K-1') },
	{
		weight: 2,
		arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 24 }).filter((key) => key.trim() !== '' && [...key].length <= 256),
	},
);

const commandArb = (poolSize: number): fc.Arbitrary<Command> => {
	const target = fc.nat({ max: TARGETS.length - 1 });
	const fullTarget = fc.integer({ min: 1, max: TARGETS.length - 1 });
	const key = fc.nat({ max: poolSize }); // poolSize = a key never written
	const keys = fc.array(key, { minLength: 1, maxLength: 4 });
	return fc.oneof(
		{ weight: 5, arbitrary: fc.record({ op: fc.constant('set' as const), target, key, value: valueArb, scope: fc.constantFrom<Scope>('public', 'private') }) },
		{ weight: 3, arbitrary: fc.record({ op: fc.constant('get' as const), target, keys }) },
		{ weight: 1, arbitrary: fc.record({ op: fc.constant('getJson' as const), target, keys }) },
		{ weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), target: fullTarget, keys }) },
		{ weight: 2, arbitrary: fc.record({ op: fc.constant('listKeys' as const), target: fullTarget }) },
	);
};

const scenarioArb = fc
	.uniqueArray(keyArb, { minLength: 2, maxLength: 6 })
	.chain((pool) => fc.record({ pool: fc.constant(pool), commands: fc.array(commandArb(pool.length), { minLength: 1, maxLength: 14 }) }));

function keyOf(pool: string[], index: number): string {
	return index < pool.length ? pool[index] : `never-written-${index}`;
}

/** Node version 1.2 (README, Key): a key is trimmed wherever it is given, on write and on read. */
function storedKeyOf(pool: string[], index: number): string {
	return keyOf(pool, index).trim();
}

function storedText(value: Value): string {
	return value.kind === 'text' ? value.text : JSON.stringify(value.json);
}

const unique = (list: string[]) => [...new Set(list)];
const sorted = (list: unknown) => [...(list as string[])].sort();

/** What the node must output (simplified, default options), and the model's new state. */
function expected(model: Model, command: Command, pool: string[]): IDataObject[] {
	const target = TARGETS[command.target];
	const entries = model.get(target.name) ?? new Map<string, { value: string; scope: Scope }>();
	model.set(target.name, entries);
	switch (command.op) {
		case 'set': {
			const key = storedKeyOf(pool, command.key);
			entries.set(key, { value: storedText(command.value), scope: target.hasScope ? command.scope : 'public' });
			return [{ key, success: true, result: 0 }];
		}
		case 'get':
			return unique(command.keys.map((index) => storedKeyOf(pool, index)))
				.filter((key) => entries.has(key))
				.map((key) => ({ key, value: entries.get(key)!.value }));
		case 'getJson': {
			const found = unique(command.keys.map((index) => storedKeyOf(pool, index))).filter((key) => entries.has(key));
			const out: IDataObject[] = [];
			for (const key of found) {
				try {
					out.push({ key, value: JSON.parse(entries.get(key)!.value) as IDataObject });
				} catch {
					return [{ errorAboutKey: key }];
				}
			}
			return out;
		}
		case 'delete': {
			const keys = unique(command.keys.map((index) => storedKeyOf(pool, index)));
			const results = keys.map((key) => ({ key, deleted: entries.delete(key) }));
			const any = results.some((entry) => entry.deleted);
			return [{ deleted: any, keys, result: any ? 0 : 1, ...(target.perKeyDelete ? { keyResults: results } : {}) }];
		}
		case 'listKeys': {
			const privateKeys = [...entries].filter(([, entry]) => entry.scope === 'private').map(([key]) => key);
			const publicKeys = [...entries].filter(([, entry]) => entry.scope === 'public').map(([key]) => key);
			return [{ privateKeys: privateKeys.sort(), publicKeys: publicKeys.sort(), result: privateKeys.length + publicKeys.length ? 0 : 1 }];
		}
	}
}

function nodeCall(command: Command, pool: string[]): { parameters: INodeParameters; item: IDataObject } {
	const target = TARGETS[command.target];
	const base = { resource: target.resource, ...target.params };
	switch (command.op) {
		case 'set':
			return {
				parameters: {
					...base,
					operation: 'set',
					key: '={{ $json.key }}',
					value: '={{ $json.value }}',
					...(target.hasScope ? { accessScope: command.scope } : {}),
					options: { valueFormat: command.value.kind === 'json' ? 'json' : 'string' },
				},
				item: { key: keyOf(pool, command.key), value: command.value.kind === 'json' ? (command.value.json as IDataObject) : command.value.text },
			};
		case 'get':
		case 'getJson':
		case 'delete': {
			const keys = command.keys.map((index) => keyOf(pool, index));
			// Simple keys as a plain list; keys with commas or outer spaces inside a nested array (README).
			const simple = keys.every((key) => !key.includes(',') && key.trim() === key);
			return {
				parameters: {
					...base,
					operation: command.op === 'getJson' ? 'get' : command.op,
					keys: '={{ $json.keys }}',
					options: { valueFormat: command.op === 'getJson' ? 'json' : 'string' },
				},
				item: { keys: simple ? keys : [keys] },
			};
		}
		case 'listKeys':
			return { parameters: { ...base, operation: 'listKeys', options: {} }, item: {} };
	}
}

let emulator: Emulator;
let campaign: Campaign;

beforeAll(async () => {
	emulator = await newEmulator();
	campaign = new Campaign('property', emulator);
});
afterAll(async () => {
	await emulator?.close();
});

test('random sequences of set/get/delete/listKeys: the node outputs what the API.md model says', async () => {
	const figures = { scenarios: 0, operations: 0, sets: 0, gets: 0, deletes: 0, lists: 0, compared: 0, bigValues: 0, jsonValues: 0, valuesVerifiedInStore: 0 };
	await fc.assert(
		fc.asyncProperty(scenarioArb, async ({ pool, commands }) => {
			emulator.reset();
			const credentials = campaign.credential();
			const model: Model = new Map();
			figures.scenarios++;
			for (const command of commands) {
				const want = expected(model, command, pool);
				const { parameters, item } = nodeCall(command, pool);
				const result = await campaign.run(`property ${command.op}`, credentials, parameters, [item], command.op === 'getJson');
				figures.operations++;
				if (command.op === 'set') {
					figures.sets++;
					if (storedText(command.value).length >= 20_000) figures.bigValues++;
					if (command.value.kind === 'json') figures.jsonValues++;
				} else if (command.op === 'delete') figures.deletes++;
				else if (command.op === 'listKeys') figures.lists++;
				else figures.gets++;

				if (result.error) throw new Error(`${command.op} failed: ${result.error.message} (${String(result.error.description)})`);
				if (want.length === 1 && want[0].errorAboutKey !== undefined) {
					expect(result.json).toHaveLength(1);
					expect(String(result.json[0].error)).toContain(`"${String(want[0].errorAboutKey)}"`);
					expect(String(result.json[0].error)).toMatch(/not JSON/);
				} else if (command.op === 'listKeys') {
					expect(result.json.map((json) => ({ ...json, privateKeys: sorted(json.privateKeys), publicKeys: sorted(json.publicKeys) }))).toEqual(want);
				} else {
					expect(result.json).toEqual(want);
				}
				figures.compared++;
			}
			// And the emulator's store holds exactly the model.
			const data = emulator.store().data[DEMO.userId] ?? {};
			for (const target of TARGETS) {
				const entries = model.get(target.name) ?? new Map();
				const stored = data[target.name] ?? {};
				expect(Object.keys(stored).sort()).toEqual([...entries.keys()].sort());
				for (const [key, entry] of entries) {
					expect(stored[key].value_data).toBe(entry.value);
					expect(stored[key].access_scope).toBe(entry.scope === 'private' ? 0 : 1);
					figures.valuesVerifiedInStore++;
				}
			}
		}),
		{ numRuns: NUM_RUNS, seed: SEED, endOnFailure: true },
	);
	report(`5 property-based (fast-check seed ${SEED}, ${NUM_RUNS} runs)`, { ...figures, lost: 0, duplicated: 0, mismatches: 0 });
	expect(figures.operations).toBeGreaterThan(100);
	expect(figures.bigValues).toBeGreaterThan(0);
	expect(figures.jsonValues).toBeGreaterThan(0);
});

test('no secret in anything captured', () => {
	console.log(`[reliability] 5 property-based: secrets: ${campaign.secretsLine()}`);
	expect(campaign.leaks).toEqual([]);
});
