/**
 * The five storage families as the campaigns drive them: node parameters (per item, through
 * expressions) and where the emulator's store keeps what they write.
 */
import type { IDataObject, INodeParameters } from 'n8n-workflow';

import { DEMO, walletParam } from './helpers';

export interface SetItem extends IDataObject {
	key: string;
	value: string;
	scope: 'public' | 'private';
	idp: string;
	wallet: string;
}

export interface FamilyUnderTest {
	resource: string;
	/** Parameters selecting the storage target from each item's json. */
	targetParams: INodeParameters;
	/** Whether set sends access_scope. */
	scoped: boolean;
	/** The emulator store's target name for an item. */
	target(item: Pick<SetItem, 'idp' | 'wallet'>): string;
}

export const FAMILIES: FamilyUnderTest[] = [
	{ resource: 'userData', targetParams: {}, scoped: false, target: () => 'plain' },
	{ resource: 'userDataByEmail', targetParams: {}, scoped: true, target: () => 'email' },
	{ resource: 'userDataByUserId', targetParams: {}, scoped: true, target: () => 'user-id' },
	{
		resource: 'userDataByIdp',
		targetParams: { identityProvider: '={{ $json.idp }}' },
		scoped: true,
		target: (item) => `idp:${item.idp}`,
	},
	{
		resource: 'userDataByWallet',
		targetParams: { walletAddress: walletParam('={{ $json.wallet }}') },
		scoped: true,
		target: (item) => `wallet:${item.wallet.toLowerCase()}`,
	},
];

/** Node parameters of a set whose key, value, scope and target come from each item. */
export function setParameters(family: FamilyUnderTest, options: INodeParameters): INodeParameters {
	return {
		resource: family.resource,
		operation: 'set',
		...family.targetParams,
		key: '={{ $json.key }}',
		value: '={{ $json.value }}',
		...(family.scoped ? { accessScope: '={{ $json.scope }}' } : {}),
		options,
	};
}

const SAMPLES = ['plain text', 'ünïcödé ✓ 日本語 🚀', '{"plan":"pro","n":1}', '', '  spaced  ', 'line1\nline2', 'x'.repeat(2048)];

/** `count` items with distinct keys and values that differ in shape. */
export function setItems(prefix: string, count: number): SetItem[] {
	return Array.from({ length: count }, (_, i) => ({
		key: `${prefix}-${i}`,
		value: i % 11 === 0 ? SAMPLES[(i / 11) % SAMPLES.length] : `${prefix}/${i}/${SAMPLES[i % SAMPLES.length]}`,
		scope: i % 3 === 0 ? 'private' : 'public',
		idp: DEMO.identityProviders[i % DEMO.identityProviders.length],
		wallet: i % 2 === 0 ? DEMO.privateWallet : DEMO.publicWallet.toUpperCase().replace('0X', '0x'),
	}));
}
