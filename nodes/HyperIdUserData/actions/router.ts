import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import type { Failure } from '../../shared/failedItem';
import { FAILURE_FIELDS, failedItem } from '../../shared/failedItem';
import { nameItem, namingItem } from '../../shared/itemIndex';
import { readConnection } from '../transport/connection';
import { errorForItem } from '../transport/itemError';
import { InFlightLimit } from '../transport/inFlight';
import { HyperIdSession, toNodeError } from '../transport/request';
import { AUTHENTICATION, authenticationOf, DEFAULT_TOKENS_FIELD, isDeferred, readClient, UserTokens, userTokensConnection } from '../transport/userTokens';
import { prepare as prepareDelete } from './delete';
import { prepare as prepareDeleteAll } from './deleteAll';
import type { Operation } from './families';
import { endpointFor, findFamily, WALLET_RESOURCE } from './families';
import { prepare as prepareGet, readValues } from './get';
import { prepare as prepareGetAll } from './getAll';
import { addHints, RunHints } from './hints';
import { prepare as prepareListKeys } from './listKeys';
import { prepare as prepareListSharedKeys } from './listSharedKeys';
import { ItemParameters } from './itemParameters';
import type { ValueFormat } from './parameters';
import { readOutputField } from './parameters';
import { prepare as prepareSet } from './set';
import type { ItemWork, Prepare, RunSettings, SplitWork } from './types';
import { ERROR_FIELDS_FROM_VERSION, KEYS_PER_REQUEST, ONE_RULE_FROM_VERSION } from './types';
import { prepare as prepareWallets } from './wallet';

const PREPARE: Record<Operation, Prepare> = {
	set: prepareSet,
	get: prepareGet,
	delete: prepareDelete,
	listKeys: prepareListKeys,
	listSharedKeys: prepareListSharedKeys,
	getAll: prepareGetAll,
	deleteAll: prepareDeleteAll,
};

/** Node version 1.1 reads with Batch Reads on unless the workflow turned it off (version 1: off unless on). */
const BATCH_READS_DEFAULT_FROM_VERSION = 1.1;

/**
 * The most requests in flight at once (transport/inFlight.ts starts at 32 and adapts). From
 * `npm run bench` (bench/README.md): n8n opens a connection per request, so at a 50 ms round trip
 * over TLS each request takes ~3 round trips, and 32 in flight left throughput to the round trip.
 */
export const DEFAULT_CONCURRENCY = 64;

type Outcome = IDataObject[] | Error;

/** A unit of work for the pool: one item, or several items sharing one batched read. */
interface Task {
	run(): Promise<void>;
}

/**
 * A number option, checked: an expression giving text or nothing usable fails the run before
 * anything is sent (instead of, say, zero workers and an empty output).
 */
function numberOption(ctx: IExecuteFunctions, options: IDataObject, name: string, label: string, fallback: number, min: number, max: number): number {
	const raw = options[name];
	if (raw === undefined || raw === null || raw === '') return fallback;
	const value = typeof raw === 'string' ? Number(raw.trim()) : raw;
	if (typeof value !== 'number' || !Number.isFinite(value)) {
		throw new NodeOperationError(ctx.getNode(), `The option "${label}" must be a number, not ${JSON.stringify(raw)}`, {
			description: `Set "${label}" in the node's options to a number from ${min} to ${max}.`,
		});
	}
	return Math.min(max, Math.max(min, Math.floor(value)));
}

function readSettings(
	ctx: IExecuteFunctions,
	items: INodeExecutionData[],
): { settings: RunSettings; options: IDataObject } {
	const resource = ctx.getNodeParameter('resource', 0) as string;
	const operation = ctx.getNodeParameter('operation', 0) as string;
	const options = ctx.getNodeParameter('options', 0, {}) as IDataObject;
	const family = findFamily(resource);
	if (resource !== WALLET_RESOURCE && !family?.operations.includes(operation as Operation)) {
		throw new NodeOperationError(ctx.getNode(), `The operation "${operation}" is not available for "${resource}"`, {
			description: 'Pick a resource and an operation from the lists.',
		});
	}
	const version = ctx.getNode().typeVersion;
	return {
		options,
		settings: {
			resource,
			operation,
			family,
			simplify: options.simplify !== false,
			valueFormat: (options.valueFormat as ValueFormat) ?? 'string',
			getOutput: options.getOutput === 'allValues' || options.getOutput === 'mergeIntoInput' ? options.getOutput : 'perValue',
			outputField: options.getOutput === 'mergeIntoInput' ? readOutputField(ctx, options.outputField ?? 'hyperid') : 'hyperid',
			keysOutput: options.keysOutput === 'perKey' ? 'perKey' : 'summary',
			pageSize: numberOption(ctx, options, 'pageSize', 'Page Size', 100, 1, 1000),
			concurrency: numberOption(ctx, options, 'concurrency', 'Concurrency', DEFAULT_CONCURRENCY, 1, 64),
			batchReads:
				typeof options.batchReads === 'boolean' ? options.batchReads : ctx.getNode().typeVersion >= BATCH_READS_DEFAULT_FROM_VERSION,
			parameters: new ItemParameters(ctx, items),
			trimKeys: version >= ONE_RULE_FROM_VERSION,
			valuesAsGiven: version >= ONE_RULE_FROM_VERSION,
			hints: RunHints.forOptions(options, operation),
		},
	};
}

/**
 * The same failure, told about another item that shared its request: its own error object, its
 * own index (its message names it), the same code and description.
 */
function forItem(ctx: IExecuteFunctions, error: Error, fromIndex: number, itemIndex: number): Error {
	if (itemIndex === fromIndex) return error;
	if (error instanceof NodeApiError) return errorForItem(ctx.getNode(), error, itemIndex);
	const message = namingItem(error.message, itemIndex);
	const copy = new NodeOperationError(ctx.getNode(), message, {
		description: (error as NodeOperationError).description ?? undefined,
		itemIndex,
	});
	copy.context = { ...((error as NodeOperationError).context ?? {}), itemIndex };
	return copy;
}

function batchTasks(
	ctx: IExecuteFunctions,
	session: HyperIdSession,
	settings: RunSettings,
	works: ItemWork[],
	record: (itemIndex: number, outcome: Outcome) => void,
): Task[] {
	// The wallet resource has no family: there is nothing to batch (and no endpoint to look up).
	if (works.length === 0) return [];
	const endpoint = endpointFor(settings.family!, 'get');
	const groups = new Map<string, ItemWork[][]>();
	for (const work of works) {
		const read = work.read!;
		// a combined read acts for one user: only items with the same tokens join it
		const group = session.userTokens ? `${session.userTokens.batchKey(work.itemIndex)} ${read.group}` : read.group;
		const chunks = groups.get(group) ?? [];
		const last = chunks[chunks.length - 1];
		const lastKeys = last ? last.reduce((sum, entry) => sum + entry.read!.keys.length, 0) : Infinity;
		if (last && lastKeys + read.keys.length <= KEYS_PER_REQUEST) last.push(work);
		else chunks.push([work]);
		groups.set(group, chunks);
	}
	const tasks: Task[] = [];
	for (const chunks of groups.values()) {
		for (const chunk of chunks) {
			tasks.push({
				run: async () => {
					const first = chunk[0];
					const keys = [...new Set(chunk.flatMap((work) => work.read!.keys))];
					try {
						const outcome = await readValues(session, endpoint, first.read!.targetBody, keys, first.read!.subject, first.itemIndex);
						for (const work of chunk) {
							try {
								record(work.itemIndex, work.read!.present(outcome.values));
							} catch (error) {
								record(work.itemIndex, error as Error);
							}
						}
					} catch (error) {
						// "invalid parameters" may come from one item's keys: read item by item, so
						// only the item at fault fails. Anything else concerns the whole request.
						const meaning = (error as NodeApiError).context?.meaning;
						if (chunk.length > 1 && meaning === 'invalidParameters') {
							for (const work of chunk) {
								try {
									record(work.itemIndex, await work.run(session));
								} catch (single) {
									record(work.itemIndex, single as Error);
								}
							}
							return;
						}
						for (const work of chunk) record(work.itemIndex, forItem(ctx, error as Error, first.itemIndex, work.itemIndex));
					}
				},
			});
		}
	}
	return tasks;
}

/**
 * A request that changes stored values waits until every earlier request changing one of them is
 * done (tasks start in input order, so the earlier one is already running; it waits without its
 * place, so the earlier one can always get one back: no deadlock). `send` is told `cancelled` when
 * the run stopped at a failure meanwhile: a request held back is not in flight, so it is not sent.
 */
function orderedTask(
	session: HyperIdSession,
	writes: string[],
	lastWrite: Map<string, Promise<void>>,
	stopped: () => boolean,
	send: (cancelled: boolean) => Promise<void>,
): Task {
	const before = [...new Set(writes.map((id) => lastWrite.get(id)).filter((p) => p !== undefined))];
	let done: () => void = () => undefined;
	if (writes.length) {
		const finished = new Promise<void>((resolve) => (done = resolve));
		for (const id of writes) lastWrite.set(id, finished);
	}
	return {
		run: async () => {
			try {
				// a cancel ends the earlier requests' waits, then this one takes its place back at once
				if (before.length) {
					await session.aside(async () => {
						await Promise.all(before);
						return true;
					});
				}
				await send(stopped());
			} finally {
				done();
			}
		},
	};
}

/** One item's request. */
function singleTask(
	work: ItemWork,
	session: HyperIdSession,
	record: (itemIndex: number, outcome: Outcome) => void,
	lastWrite: Map<string, Promise<void>>,
	stopped: () => boolean,
): Task {
	return orderedTask(session, work.writes ?? [], lastWrite, stopped, async (cancelled) => {
		// not sent: reported like an item the run never started
		if (cancelled) return;
		try {
			record(work.itemIndex, await work.run(session));
		} catch (error) {
			record(work.itemIndex, error as Error);
		}
	});
}

/**
 * An item of several requests: each is its own task in the pool. The item is told once every part
 * is done; or, when a part fails and the run stops at failures, once the parts already sent are
 * done (the rest are reported as not sent).
 */
function splitTasks(
	work: SplitWork,
	session: HyperIdSession,
	record: (itemIndex: number, outcome: Outcome) => void,
	lastWrite: Map<string, Promise<void>>,
	stopsOnFailure: { stopping: boolean; stop(): void },
	stopped: () => boolean,
): Task[] {
	const outcomes: Array<IDataObject | Error | undefined> = new Array(work.parts.length);
	let started = 0;
	let settled = 0;
	let skipped = false;
	let reported = false;
	const report = () => {
		reported = true;
		try {
			record(work.itemIndex, work.combine(outcomes));
		} catch (error) {
			record(work.itemIndex, error as Error);
		}
	};
	return work.parts.map((part, position) => {
		const task = orderedTask(session, part.writes, lastWrite, stopped, async (cancelled) => {
			if (cancelled) {
				skipped = true;
			} else {
				try {
					outcomes[position] = await part.run(session);
				} catch (error) {
					outcomes[position] = error as Error;
					if (!isDeferred(error)) stopsOnFailure.stop();
				}
			}
			settled++;
			// an item cut short by a failure (its own) reports once its parts in flight are done;
			// one cut short by another item's failure stays unreported, like an item not sent
			const ownFailure = outcomes.some((outcome) => outcome instanceof Error);
			const complete = settled === work.parts.length;
			const due = ownFailure ? complete || (stopsOnFailure.stopping && settled === started) : complete && !skipped;
			if (!reported && due) report();
		});
		return {
			run: async () => {
				started++;
				await task.run();
			},
		};
	});
}

/** Runs tasks in input order with at most `limit.limit` in flight; stops starting new ones once `stop()` says so. */
async function runBounded(tasks: Task[], limit: InFlightLimit, stop: () => boolean): Promise<void> {
	let next = 0;
	const worker = async () => {
		while (next < tasks.length && !stop()) {
			await limit.acquire();
			try {
				if (next >= tasks.length || stop()) return;
				await tasks[next++].run();
			} finally {
				limit.release();
			}
		}
	};
	await Promise.all(Array.from({ length: Math.min(limit.max, tasks.length) }, worker));
}

/** What a failed item tells: the service's code, the node's errorCode and what the item did (itemFailure, tokenError). */
function failureOf(error: Error): Failure {
	const context = (error as NodeApiError).context ?? {};
	const code = context.resultCode ?? context.code ?? (error as NodeApiError).httpCode ?? undefined;
	return {
		message: error.message,
		code: code as Failure['code'],
		errorCode: typeof context.errorCode === 'string' ? context.errorCode : undefined,
		description: (error as NodeApiError).description ?? undefined,
		done: context.errorDetails && typeof context.errorDetails === 'object' ? (context.errorDetails as IDataObject) : undefined,
	};
}

/**
 * A failed item under Continue on Fail. Versions 1 and 1.1 send an item to the error output by
 * carrying the error itself, and n8n-core then sets its json to {error: message}: kept for their
 * workflows. From 1.2 the shared shape keeps the code and what the item did readable there too.
 */
function failedItemOf(error: Error, itemIndex: number, toErrorOutput: boolean, version: number): INodeExecutionData {
	if (toErrorOutput && version >= ERROR_FIELDS_FROM_VERSION) return failedItem(failureOf(error), itemIndex, 'errorOutput');
	const item = failedItem(failureOf(error), itemIndex, 'regular');
	if (toErrorOutput) item.error = error as NodeApiError | NodeOperationError;
	return item;
}

/** Stored values are a user's: in User's Tokens mode, writes are ordered per user. */
function ownedBy(work: ItemWork | SplitWork, subject: string): void {
	const own = (ids: string[]) => ids.map((id) => `${subject} ${id}`);
	if ('parts' in work) for (const part of work.parts) part.writes = own(part.writes);
	else if (work.writes) work.writes = own(work.writes);
}

async function openSession(ctx: IExecuteFunctions, options: IDataObject): Promise<HyperIdSession> {
	const transport = {
		retries: numberOption(ctx, options, 'retries', 'Retries', 3, 0, 10),
		retryDelayMs: numberOption(ctx, options, 'retryDelay', 'Retry Delay (Ms)', 500, 0, Number.MAX_SAFE_INTEGER),
		timeoutMs: numberOption(ctx, options, 'timeout', 'Timeout (Ms)', 30_000, 1, Number.MAX_SAFE_INTEGER),
	};
	if (authenticationOf(ctx) !== AUTHENTICATION.userTokens) return new HyperIdSession(ctx, await readConnection(ctx), transport);
	const client = await readClient(ctx);
	const field = readOutputField(ctx, options.refreshedPairField ?? DEFAULT_TOKENS_FIELD, {
		option: 'Refreshed Tokens Field',
		receives: 'the renewed tokens',
		example: DEFAULT_TOKENS_FIELD,
	});
	// a failed item carries the pair beside its error's fields (inside `error` on the error output)
	if (FAILURE_FIELDS.includes(field)) {
		throw new NodeOperationError(ctx.getNode(), `The Refreshed Tokens Field cannot be "${field}": a failed item's error uses that name`, {
			description: `The names ${FAILURE_FIELDS.map((name) => `"${name}"`).join(', ')} are taken by the error of a failed item. Enter another name in Options → Refreshed Tokens Field, e.g. ${DEFAULT_TOKENS_FIELD}.`,
		});
	}
	const userTokens = new UserTokens(ctx, client, field, {
		retries: transport.retries,
		timeoutMs: transport.timeoutMs,
		backoff: (attempt) => Math.min(30_000, transport.retryDelayMs * 2 ** (attempt - 1)),
		// called on a refresh attempt during the run, after the session below exists
		onRefreshAttempt: () => session.stats.refreshes++,
	}, !ctx.continueOnFail());
	const session = new HyperIdSession(ctx, userTokensConnection(ctx, client), transport, userTokens);
	return session;
}

export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	try {
		return await runItems.call(this);
	} catch (error) {
		const runFailure = error instanceof NodeApiError || error instanceof NodeOperationError ? error : new NodeOperationError(this.getNode(), error as Error);
		if (!this.continueOnFail()) throw runFailure;
		// A failure of the whole run (settings, credential, discovery): n8n would pass the input items
		// on as if they had succeeded, so every item fails with it, on the error output where chosen.
		const failure = toNodeError(this, runFailure, 0);
		const toErrorOutput = this.getNode().onError === 'continueErrorOutput';
		const version = this.getNode().typeVersion;
		return [this.getInputData().map((_, itemIndex) => failedItemOf(forItem(this, failure, 0, itemIndex), itemIndex, toErrorOutput, version))];
	}
}

async function runItems(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const { settings, options } = readSettings(this, items);
	const session = await openSession(this, options);
	const inFlight = new InFlightLimit(settings.concurrency);
	session.inFlight = inFlight;
	const userTokens = session.userTokens;
	if (settings.family?.target === 'identityProvider') {
		settings.knownProviders = await session.identityProviders();
	}
	const prepare = settings.family ? PREPARE[settings.operation as Operation] : prepareWallets;
	const continueOnFail = this.continueOnFail();
	const toErrorOutput = continueOnFail && this.getNode().onError === 'continueErrorOutput';

	// Every item is checked before anything is sent: a bad item fails the run with nothing written.
	const outcomes: Outcome[] = new Array(items.length);
	const works: Array<ItemWork | SplitWork> = [];
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		try {
			userTokens?.check(itemIndex);
			const work = prepare(this, itemIndex, settings);
			if (userTokens) ownedBy(work, userTokens.subjectOf(itemIndex));
			works.push(work);
		} catch (error) {
			const failure = toNodeError(this, error, itemIndex);
			if (!continueOnFail) throw failure;
			outcomes[itemIndex] = failure;
		}
	}

	// Without "Continue on Fail" the first failure stops new requests; those in flight finish.
	// A cancelled execution starts nothing new either (what is in flight is aborted by n8n).
	let failed = false;
	const stopped = () => failed || session.cancelled();
	// items refused for their token while a run that stops at failures holds refreshes back (userTokens.ts)
	const deferred = new Set<number>();
	const record = (itemIndex: number, outcome: Outcome) => {
		if (isDeferred(outcome)) {
			deferred.add(itemIndex);
			return;
		}
		outcomes[itemIndex] = outcome;
		if (outcome instanceof Error && !continueOnFail) failed = true;
	};
	const runPass = async (pass: Array<ItemWork | SplitWork>) => {
		const lastWrite = new Map<string, Promise<void>>();
		const batched = settings.batchReads ? pass.filter((work): work is ItemWork => 'read' in work && work.read !== undefined) : [];
		const inBatch = new Set<ItemWork | SplitWork>(batched);
		const stopsOnFailure = {
			stopping: false,
			stop: () => {
				if (!continueOnFail) stopsOnFailure.stopping = failed = true;
			},
		};
		// in input order, which the write ordering relies on
		const tasks: Task[] = pass.flatMap((work) => {
			if ('parts' in work) return splitTasks(work, session, record, lastWrite, stopsOnFailure, stopped);
			return inBatch.has(work) ? [] : [singleTask(work, session, record, lastWrite, stopped)];
		});
		tasks.push(...batchTasks(this, session, settings, batched, record));
		await runBounded(tasks, inFlight, stopped);
	};
	await runPass(works);
	if (userTokens && deferred.size && !stopped()) {
		const again = works.filter((work) => deferred.has(work.itemIndex));
		deferred.clear();
		await userTokens.renewDeferred();
		for (const { itemIndex, error } of userTokens.failuresOfDeferred()) record(itemIndex, error);
		if (!stopped()) await runPass(again);
	}
	addHints(this, settings.hints);

	// Merge Into Input Item gives the input item back: its binary data too
	const mergesIntoInput = settings.getOutput === 'mergeIntoInput' && settings.simplify && ['get', 'getAll'].includes(settings.operation);
	const output: INodeExecutionData[] = [];
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		const outcome = outcomes[itemIndex];
		if (outcome instanceof Error) {
			// whatever failed on the way (discovery, a page limit, a thrown helper): the message names the item
			nameItem(outcome, itemIndex);
			if (!continueOnFail) throw userTokens ? userTokens.withRefreshedTokens(outcome) : outcome;
			output.push(failedItemOf(outcome, itemIndex, toErrorOutput, this.getNode().typeVersion));
		} else if (outcome) {
			const binary = mergesIntoInput ? items[itemIndex].binary : undefined;
			for (const json of outcome) output.push(binary ? { json, binary, pairedItem: { item: itemIndex } } : { json, pairedItem: { item: itemIndex } });
		}
	}
	return [userTokens ? userTokens.addRefreshedTokens(output, items.length) : output];
}
