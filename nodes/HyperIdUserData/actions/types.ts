import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import type { HyperIdSession } from '../transport/request';
import type { Family } from './families';
import type { ItemParameters } from './itemParameters';
import type { ValueFormat } from './parameters';

/** Settings read once per execution (from the first item), not per item. */
export interface RunSettings {
	resource: string;
	operation: string;
	family?: Family;
	simplify: boolean;
	valueFormat: ValueFormat;
	getOutput: 'perValue' | 'allValues';
	keysOutput: 'summary' | 'perKey';
	pageSize: number;
	concurrency: number;
	batchReads: boolean;
	knownProviders?: string[];
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

/** Identifies one stored value across items: endpoint, storage target and key, case-folded. */
export function storedValueId(endpoint: string, targetBody: IDataObject, key: string): string {
	return JSON.stringify([endpoint, targetBody, key]).toLowerCase();
}

export type Prepare = (ctx: IExecuteFunctions, itemIndex: number, settings: RunSettings) => ItemWork;

/** Client-side bounds: refused before sending, since such input is certainly a mistake. */
export const MAX_KEY_LENGTH = 1024;
export const MAX_KEYS_PER_ITEM = 1000;
