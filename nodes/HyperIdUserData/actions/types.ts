import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import type { HyperIdSession } from '../transport/request';
import type { Family } from './families';
import type { RunHints } from './hints';
import type { ItemParameters } from './itemParameters';
import type { ValueFormat } from './parameters';

/** Settings read once per execution (from the first item), not per item. */
export interface RunSettings {
	resource: string;
	operation: string;
	family?: Family;
	simplify: boolean;
	valueFormat: ValueFormat;
	getOutput: 'perValue' | 'allValues' | 'mergeIntoInput';
	/** Where Values Output "Merge Into Input Item" puts the values. */
	outputField: string;
	keysOutput: 'summary' | 'perKey';
	pageSize: number;
	concurrency: number;
	batchReads: boolean;
	knownProviders?: string[];
	/** Node version 1.2: a key is trimmed wherever it is given (Set, Get, Delete, every Data Mode). */
	trimKeys: boolean;
	/**
	 * Node version 1.2: in JSON format a value mapped by one expression is stored as that value, and
	 * typed text is parsed if it is JSON (see toStoredValue). Before: every text had to be JSON.
	 */
	valuesAsGiven: boolean;
	/** What the run tells the user as execution hints. */
	hints: RunHints;
	/** Per-item parameter values, without per-item cost for what does not depend on the item. */
	parameters: ItemParameters;
}

/** A read that the router may merge with other items' reads of the same storage target. */
export interface BatchableRead {
	/** Items with the same group read from the same target and can share a request. */
	group: string;
	targetBody: IDataObject;
	/** what error messages name: the identity provider or wallet of the target */
	subject: { identityProvider?: string; walletAddress?: string };
	keys: string[];
	present(values: Map<string, string>): IDataObject[];
}

/** One input item's work, validated and ready to send. */
export interface ItemWork {
	itemIndex: number;
	run(session: HyperIdSession): Promise<IDataObject[]>;
	read?: BatchableRead;
	/**
	 * The stored values this item changes (see `storedValueId`). Items that change the same value
	 * are sent one after another, in input order, so the last item's write is the one that stays.
	 */
	writes?: string[];
}

/** One request of an item that the pool runs on its own, in the same order rules as an item. */
export interface WorkPart {
	/** As `ItemWork.writes`. */
	writes: string[];
	run(session: HyperIdSession): Promise<IDataObject>;
}

/** An item whose work is several requests (one per key): the pool runs each part as its own task. */
export interface SplitWork {
	itemIndex: number;
	parts: WorkPart[];
	/**
	 * The item's output from its parts' outcomes, in part order: the answer, the error, or undefined
	 * for a part that was not sent (the run stopped at another failure). Throws the item's error.
	 */
	combine(outcomes: Array<IDataObject | Error | undefined>): IDataObject[];
}

/** Identifies one stored value across items: endpoint, storage target and key, case-folded. */
export function storedValueId(endpoint: string, targetBody: IDataObject, key: string): string {
	return JSON.stringify([endpoint, targetBody, key]).toLowerCase();
}

/** Node version 1.2 has one key rule and one JSON rule for every Data Mode (README, Version history). */
export const ONE_RULE_FROM_VERSION = 1.2;

/** From node version 1.2 an item on the error output keeps its code and what it did (shared/failedItem.ts). */
export const ERROR_FIELDS_FROM_VERSION = 1.2;

export type Prepare = (ctx: IExecuteFunctions, itemIndex: number, settings: RunSettings) => ItemWork | SplitWork;

/** Client-side bounds: refused before sending, since such input is certainly a mistake. */
export const MAX_KEY_LENGTH = 1024;
export const MAX_KEYS_PER_ITEM = 1000;
/** Keys per read or delete request the node builds; a server with a lower cap on reads makes readValues split further. */
export const KEYS_PER_REQUEST = 100;
