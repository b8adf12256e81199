/**
 * Every result code of every endpoint's table (API.md), injected by the emulator per path, and the
 * real codes the emulator produces by itself. The table below is written from API.md on purpose:
 * it does not import the node's table.
 */
import type { IDataObject, INodeParameters } from 'n8n-workflow';

import {
	apiRequests,
	credentialFor,
	DEMO,
	errorOf,
	N8N_GENERIC_MESSAGES,
	otherClient,
	run,
	textOf,
	tokenRequests,
	useEmulator,
	wallet,
} from './setup';
import type { Emulator, NodeErrorShape, Run } from './setup';

let emulator: Emulator;
useEmulator((started) => (emulator = started));

type Meaning =
	| 'accessDenied'
	| 'invalidParameters'
	| 'keyAccessDenied'
	| 'keyInvalid'
	| 'keysSizeLimit'
	| 'identityProviderNotFound'
	| 'walletNotFound'
	| 'unknown';

type Op = 'set' | 'get' | 'delete' | 'listKeys' | 'listSharedKeys' | 'getAll';
const SUFFIX: Record<Op, string> = {
	set: 'set',
	get: 'get',
	delete: 'delete',
	listKeys: 'list-get',
	listSharedKeys: 'shared-list-get',
	getAll: '',
};
const WRITES: Op[] = ['set', 'delete'];

interface Family {
	resource: string;
	prefix: string;
	params: INodeParameters;
	ops: Op[];
	/** API.md "Family-specific codes": -6, -7, -8 per operation. */
	codes: Partial<Record<Op, Record<number, Meaning>>>;
}

const PLAIN_LIKE = (ops: Op[]): Family['codes'] => {
	const codes: Family['codes'] = {
		set: { [-6]: 'keyAccessDenied', [-7]: 'keyInvalid' },
		get: { [-6]: 'keysSizeLimit' },
	};
	if (ops.includes('delete')) codes.delete = { [-6]: 'keyAccessDenied' };
	return codes;
};
const TARGETED = (notFound: Meaning): Family['codes'] => ({
	set: { [-6]: notFound, [-7]: 'keyAccessDenied', [-8]: 'keyInvalid' },
	get: { [-6]: notFound, [-7]: 'keysSizeLimit' },
	listKeys: { [-6]: notFound },
	listSharedKeys: { [-6]: notFound },
	delete: { [-6]: notFound, [-7]: 'keyAccessDenied' },
});
const ALL: Op[] = ['set', 'get', 'delete', 'listKeys', 'listSharedKeys'];

const FAMILIES: Family[] = [
	{ resource: 'userData', prefix: '/user-data/', params: {}, ops: ['set', 'get'], codes: PLAIN_LIKE(['set', 'get']) },
	{ resource: 'userDataByEmail', prefix: '/user-data/by-email/', params: {}, ops: ALL, codes: PLAIN_LIKE(ALL) },
	{ resource: 'userDataByUserId', prefix: '/user-data/by-user-id/', params: {}, ops: ALL, codes: PLAIN_LIKE(ALL) },
	{
		resource: 'userDataByIdp',
		prefix: '/user-data/by-idp/',
		params: { identityProvider: 'google' },
		ops: ALL,
		codes: TARGETED('identityProviderNotFound'),
	},
	{
		resource: 'userDataByWallet',
		prefix: '/user-data/by-wallet/',
		params: { walletAddress: wallet(DEMO.publicWallet) },
		ops: ALL,
		codes: TARGETED('walletNotFound'),
	},
];

const KEY = 'the-key';

interface EndpointCase {
	name: string;
	path: string;
	op: Op;
	params: INodeParameters;
	scope: string;
	/** 1 is "success, not found" for reads and delete; elsewhere it is an unknown code. */
	notFoundIsSuccess: boolean;
	specific: Record<number, Meaning>;
}

function paramsFor(resource: string, op: Op, target: INodeParameters): INodeParameters {
	const base: INodeParameters = { resource, operation: op, ...target, options: { retries: 3, retryDelay: 1 } };
	if (op === 'set') return { ...base, key: KEY, value: 'v' };
	if (op === 'get' || op === 'delete') return { ...base, keys: [KEY] };
	if (op === 'listSharedKeys') return { ...base, returnAll: true };
	return base;
}

const ENDPOINTS: EndpointCase[] = [
	...FAMILIES.flatMap((family) =>
		family.ops.map((op) => ({
			name: `${family.prefix}${SUFFIX[op]}`,
			path: `${family.prefix}${SUFFIX[op]}`,
			op,
			params: paramsFor(family.resource, op, family.params),
			scope: WRITES.includes(op) ? 'user-data-set' : 'user-data-get',
			notFoundIsSuccess: op !== 'set',
			specific: family.codes[op] ?? {},
		})),
	),
	{
		name: '/user-wallets/get',
		path: '/user-wallets/get',
		op: 'getAll',
		params: { resource: 'wallet', operation: 'getAll', options: { retries: 3, retryDelay: 1 } },
		scope: 'user-data-get',
		notFoundIsSuccess: false,
		specific: {},
	},
];

/** The code -> meaning cases of one endpoint: shared codes, -6..-8 per its table, and unknown codes. */
function casesOf(endpoint: EndpointCase): Array<[number, Meaning]> {
	const cases: Array<[number, Meaning]> = [
		[-3, 'accessDenied'],
		[-5, 'invalidParameters'],
	];
	for (const code of [-6, -7, -8]) cases.push([code, endpoint.specific[code] ?? 'unknown']);
	cases.push([-9, 'unknown'], [2, 'unknown'], [-100, 'unknown']);
	if (!endpoint.notFoundIsSuccess) cases.push([1, 'unknown']);
	return cases;
}

function expectNodeApiError(error: NodeErrorShape, code: number, itemIndex: number) {
	expect(error.constructor.name).toBe('NodeApiError');
	expect(error.context.resultCode).toBe(code);
	// httpCode carries HTTP statuses only: HyperID's result code is in context.resultCode
	expect(error.httpCode ?? null).toBeNull();
	expect(error.context.itemIndex).toBe(itemIndex);
	for (const generic of N8N_GENERIC_MESSAGES) expect(textOf(error)).not.toContain(generic);
}

/** What API.md says each meaning is about, as something the user can read. */
function expectMeaning(error: NodeErrorShape, meaning: Meaning, code: number, endpoint: { scope: string; op: Op }, subject: IDataObject) {
	const text = textOf(error);
	switch (meaning) {
		case 'accessDenied': {
			expect(error.message).toMatch(/denied|access|not allowed|permission/i);
			expect(text).toContain(endpoint.scope);
			const other = endpoint.scope === 'user-data-set' ? 'user-data-get' : 'user-data-set';
			expect(text).not.toContain(other);
			break;
		}
		case 'invalidParameters':
			expect(error.message).toMatch(/parameter|invalid/i);
			break;
		case 'keyAccessDenied':
			expect(error.message).toContain(String(subject.key));
			expect(text).toMatch(/another application|access denied|belongs/i);
			break;
		case 'keyInvalid':
			expect(error.message).toContain(String(subject.key));
			expect(error.message).toMatch(/invalid/i);
			break;
		case 'keysSizeLimit':
			expect(text).toMatch(/too many keys|size limit|keys limit/i);
			break;
		case 'identityProviderNotFound':
			expect(error.message).toContain(String(subject.identityProvider));
			expect(error.message).toMatch(/identity provider/i);
			expect(error.message).toMatch(/not found|does not exist|unknown/i);
			break;
		case 'walletNotFound':
			expect(error.message).toContain(String(subject.wallet));
			expect(error.message).toMatch(/wallet/i);
			expect(error.message).toMatch(/not|does not|no /i);
			break;
		case 'unknown':
			expect(error.message).toMatch(/unknown result code/i);
			expect(error.message).toMatch(new RegExp(`(^|[^0-9-])${String(code).replace('-', '\\-')}([^0-9]|$)`));
			break;
	}
	// no code is mistaken for another meaning
	if (meaning !== 'unknown') expect(error.message).not.toMatch(/unknown result code/i);
	if (meaning !== 'identityProviderNotFound' && subject.identityProvider) expect(error.message).not.toContain(String(subject.identityProvider));
	if (meaning !== 'walletNotFound' && subject.wallet) expect(error.message).not.toContain(String(subject.wallet));
	if (!['keyAccessDenied', 'keyInvalid'].includes(meaning) && subject.key) expect(error.message).not.toContain(String(subject.key));
}

function uiError(r: Run): { message?: string; description?: string | null } {
	return (r.taskData?.error ?? {}) as { message?: string; description?: string | null };
}

describe.each(ENDPOINTS)('$name', (endpoint) => {
	const subject = { key: KEY, identityProvider: 'google', wallet: DEMO.publicWallet };

	test.each(casesOf(endpoint))('result %i -> %s', async (code, meaning) => {
		emulator.setFaults([{ path: endpoint.path, result: code, times: -1 }]);
		const r = await run(emulator, credentialFor(emulator), endpoint.params);
		const error = errorOf(r);
		expectNodeApiError(error, code, 0);
		expectMeaning(error, meaning, code, endpoint, subject);
		// what the UI shows is the same text
		expect(uiError(r).message).toBe(error.message);
		// -3 and -5..-8 are not retried, nor refreshed
		if (meaning !== 'unknown') expect(apiRequests(r, endpoint.path)).toHaveLength(1);
		expect(tokenRequests(r)).toHaveLength(0);
	});

	test('result -4 with no retries left -> temporarily unavailable, code -4', async () => {
		emulator.setFaults([{ path: endpoint.path, result: -4, times: -1 }]);
		const r = await run(emulator, credentialFor(emulator), { ...endpoint.params, options: { retries: 0 } });
		const error = errorOf(r);
		expectNodeApiError(error, -4, 0);
		expect(error.message).toMatch(/temporarily unavailable/i);
		expect(apiRequests(r, endpoint.path)).toHaveLength(1);
	});

	test.each([-1, -2])('result %i twice (after one refresh) -> reconnect the credential', async (code) => {
		emulator.setFaults([{ path: endpoint.path, result: code, times: 2 }]);
		const r = await run(emulator, credentialFor(emulator), endpoint.params);
		const error = errorOf(r);
		expectNodeApiError(error, code, 0);
		expect(textOf(error)).toMatch(/reconnect/i);
		expect(apiRequests(r, endpoint.path)).toHaveLength(2);
		expect(tokenRequests(r)).toHaveLength(1);
	});

	if (endpoint.notFoundIsSuccess) {
		test('result 1 is a success (not found), never an error', async () => {
			emulator.setFaults([{ path: endpoint.path, result: 1, times: -1 }]);
			const r = await run(emulator, credentialFor(emulator), endpoint.params);
			expect(r.error).toBeUndefined();
		});
	}
});

describe('real result codes from the emulator (not injected)', () => {
	test('a token without user-data-set gets -3 on set, naming user-data-set; reads still work', async () => {
		const credentials = credentialFor(emulator, { scopes: ['openid', 'email', 'user-data-get'] });
		const set = await run(emulator, credentials, { resource: 'userDataByEmail', operation: 'set', key: 'k', value: 'v', options: {} }, [{}, {}]);
		const error = errorOf(set);
		expect(error.context.resultCode).toBe(-3);
		expect(textOf(error)).toContain('user-data-set');
		expect(apiRequests(set).every((entry) => entry.result === -3)).toBe(true);

		const get = await run(emulator, credentials, { resource: 'userDataByEmail', operation: 'get', keys: 'k', options: {} });
		expect(get.error).toBeUndefined();
	});

	test('a token without user-data-get gets -3 on get and on wallets, naming user-data-get', async () => {
		const credentials = credentialFor(emulator, { scopes: ['openid', 'email', 'user-data-set'] });
		for (const params of [
			{ resource: 'userDataByUserId', operation: 'get', keys: 'k', options: {} },
			{ resource: 'wallet', operation: 'getAll', options: {} },
		]) {
			const error = errorOf(await run(emulator, credentials, params));
			expect(error.context.resultCode).toBe(-3);
			expect(textOf(error)).toContain('user-data-get');
		}
	});

	test('an identity provider HyperID knows but the user has not linked: -6 naming it, on the right item', async () => {
		const r = await run(
			emulator,
			credentialFor(emulator),
			{ resource: 'userDataByIdp', operation: 'set', identityProvider: '={{ $json.idp }}', key: 'k', value: 'v', options: { concurrency: 1 } },
			[{ idp: 'google' }, { idp: 'telegram' }, { idp: 'twitter' }],
		);
		const error = errorOf(r);
		expectNodeApiError(error, -6, 2);
		expectMeaning(error, 'identityProviderNotFound', -6, { scope: 'user-data-set', op: 'set' }, { identityProvider: 'twitter' });
	});

	test('a wallet that is not the user\'s: -6 naming the wallet, on the right item', async () => {
		const foreign = '0x' + 'ab'.repeat(20);
		const r = await run(
			emulator,
			credentialFor(emulator),
			{ resource: 'userDataByWallet', operation: 'get', walletAddress: wallet('={{ $json.w }}'), keys: 'k', options: { concurrency: 1 } },
			[{ w: DEMO.privateWallet }, { w: foreign }],
		);
		const error = errorOf(r);
		expectNodeApiError(error, -6, 1);
		expectMeaning(error, 'walletNotFound', -6, { scope: 'user-data-get', op: 'get' }, { wallet: foreign });
	});

	test.each([
		['userDataByIdp', { identityProvider: 'google' }, -7],
		['userDataByWallet', { walletAddress: wallet(DEMO.privateWallet) }, -7],
		['userDataByEmail', {}, -6],
		['userDataByUserId', {}, -6],
	] as Array<[string, INodeParameters, number]>)('%s: a key owned by another client -> key access denied naming it (set %i, delete)', async (resource, target, code) => {
		const other = otherClient(emulator);
		const theirs = await run(emulator, other, { resource, operation: 'set', ...target, key: 'their-key', value: 'x', options: {} });
		expect(theirs.error).toBeUndefined();

		const mine = credentialFor(emulator);
		for (const params of [
			{ resource, operation: 'set', ...target, key: 'their-key', value: 'mine', options: {} },
			{ resource, operation: 'delete', ...target, keys: ['their-key'], options: {} },
		]) {
			const error = errorOf(await run(emulator, mine, params));
			expectNodeApiError(error, code, 0);
			expectMeaning(error, 'keyAccessDenied', code, { scope: 'user-data-set', op: 'set' }, { key: 'their-key' });
		}
	});

	test.each([
		['userData', {}, -7],
		['userDataByUserId', {}, -7],
		['userDataByIdp', { identityProvider: 'telegram' }, -8],
		['userDataByWallet', { walletAddress: wallet('') }, -8],
	] as Array<[string, INodeParameters, number]>)('%s: a key longer than the server accepts -> key invalid (%i) naming it', async (resource, target, code) => {
		const long = 'k'.repeat(300);
		const error = errorOf(await run(emulator, credentialFor(emulator), { resource, operation: 'set', ...target, key: long, value: 'v', options: {} }));
		expectNodeApiError(error, code, 0);
		expectMeaning(error, 'keyInvalid', code, { scope: 'user-data-set', op: 'set' }, { key: long.slice(0, 40) });
	});

	test('a value larger than the server accepts -> -5 invalid parameters, not retried', async () => {
		emulator.setOptions({ maxValueBytes: 16 });
		const r = await run(emulator, credentialFor(emulator), { resource: 'userDataByEmail', operation: 'set', key: 'k', value: 'x'.repeat(17), options: { retryDelay: 1 } });
		const error = errorOf(r);
		expectNodeApiError(error, -5, 0);
		expect(error.message).toMatch(/parameter/i);
		expect(apiRequests(r)).toHaveLength(1);
	});
});
