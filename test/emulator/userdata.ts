/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * The HyperID REST API: the 22 user-data endpoints (five families) and /user-wallets/get, with one
 * result-code table per endpoint (API.md "Family-specific codes"; the seeds win). Every call acts
 * for the subject of its Bearer token; values belong to the client that wrote them.
 */
import type * as http from 'node:http';
import { IDENTITY_PROVIDERS, type Wallet } from './model';
import { finish, type Ctx, type Handler } from './http';
import { MAX_SEARCHES, type AccessRecord, type EmulatorState, type Entry } from './state';
import { authenticate } from './tokens';
import { codePointLength, isPlainObject, randomId, topLevelRawValue, utf8Bytes, walletKey } from './util';

// ---------------------------------------------------------------------------------------------
// Endpoint table: one code table per endpoint (API.md "Family-specific codes", seeds win)
// ---------------------------------------------------------------------------------------------

type Family = 'plain' | 'email' | 'user-id' | 'idp' | 'wallet';
type Op = 'set' | 'get' | 'list-get' | 'shared-list-get' | 'delete';

interface FamilyCodes {
	targetNotFound?: number;
	keyAccessDenied?: number;
	keyInvalid?: number;
	keysSizeLimit?: number;
}

interface EndpointDef {
	path: string;
	family: Family;
	op: Op;
	codes: FamilyCodes;
}

const FAMILY_PREFIX: Record<Family, string> = {
	plain: '/user-data/',
	email: '/user-data/by-email/',
	'user-id': '/user-data/by-user-id/',
	idp: '/user-data/by-idp/',
	wallet: '/user-data/by-wallet/',
};

function codesFor(family: Family, op: Op): FamilyCodes {
	const targeted = family === 'idp' || family === 'wallet';
	if (!targeted) {
		switch (op) {
			case 'set':
				return { keyAccessDenied: -6, keyInvalid: -7 };
			case 'get':
				return { keysSizeLimit: -6 };
			case 'delete':
				return { keyAccessDenied: -6 };
			default:
				return {};
		}
	}
	switch (op) {
		case 'set':
			return { targetNotFound: -6, keyAccessDenied: -7, keyInvalid: -8 };
		case 'get':
			return { targetNotFound: -6, keysSizeLimit: -7 };
		case 'delete':
			return { targetNotFound: -6, keyAccessDenied: -7 };
		default:
			return { targetNotFound: -6 };
	}
}

const ENDPOINTS = new Map<string, EndpointDef>();
for (const family of Object.keys(FAMILY_PREFIX) as Family[]) {
	const ops: Op[] = family === 'plain' ? ['set', 'get'] : ['set', 'get', 'list-get', 'shared-list-get', 'delete'];
	for (const op of ops) {
		const path = FAMILY_PREFIX[family] + op;
		ENDPOINTS.set(path, { path, family, op, codes: codesFor(family, op) });
	}
}
export const USER_WALLETS_PATH = '/user-wallets/get';
/** The 22 user-data paths. */
export const USER_DATA_PATHS: string[] = [...ENDPOINTS.keys()];

/** Every path under these is the REST API's (latency and path-less fault rules apply to them). */
export function isUserDataPath(path: string): boolean {
	return path.startsWith('/user-data/') || path.startsWith('/user-wallets/');
}

/** The REST API's endpoint for this request, if it is one. */
export function userDataHandler(method: string, path: string): Handler | undefined {
	if (method !== 'POST') return undefined;
	const def = ENDPOINTS.get(path);
	if (!def && path !== USER_WALLETS_PATH) return undefined;
	return (st, ctx, res) => {
		const reply = userDataRequest(st, ctx, def);
		finish(st, ctx, res, reply.status ?? 200, reply.text, 'application/json; charset=UTF-8', reply.headers, reply.result);
	};
}

/** A fault rule's `result` as this API answers it: HTTP 200, the request_id echoed. */
export function answerResult(st: EmulatorState, ctx: Ctx, res: http.ServerResponse, result: number): void {
	const rid = requestIdOf(ctx.raw);
	finish(st, ctx, res, 200, userDataJson(rid.raw, { result }), 'application/json; charset=UTF-8', {}, result);
}

// ---------------------------------------------------------------------------------------------
// Requests: token, scope, body, then the endpoint
// ---------------------------------------------------------------------------------------------

type UserDataReply = { status?: number; body: Record<string, unknown> };

function userDataRequest(
	st: EmulatorState,
	ctx: Ctx,
	def: EndpointDef | undefined,
): { status?: number; text: string; result: number; headers?: Record<string, string> } {
	const rid = requestIdOf(ctx.raw);
	const reply = (r: UserDataReply, headers?: Record<string, string>) => {
		const result = r.body.result as number;
		if (result >= 0) st.stats.userDataServed++;
		return { status: r.status, text: userDataJson(rid.raw, r.body), result, headers };
	};
	const auth = authenticate(st, ctx.headers.authorization);
	if (!auth.ok) {
		const headers: Record<string, string> | undefined =
			auth.status === 401 ? { 'WWW-Authenticate': 'Bearer realm="HyperID"' } : undefined;
		return reply({ status: auth.status, body: { result: auth.result } }, headers);
	}
	const isRead = def === undefined || def.op === 'get' || def.op === 'list-get' || def.op === 'shared-list-get';
	// every user-data endpoint lists `email` next to user-data-get / user-data-set
	const needed = isRead ? 'user-data-get' : 'user-data-set';
	if (!auth.rec.scopes.includes(needed) || !auth.rec.scopes.includes('email')) return reply({ body: { result: -3 } });
	if (ctx.tooLarge) return reply({ body: { result: -5 } });
	let body: unknown;
	try {
		// HyperID's SDKs send calls with no required field with no body at all: that is {}
		body = ctx.raw === '' ? {} : JSON.parse(ctx.raw);
	} catch {
		return reply({ body: { result: -5 } });
	}
	if (!isPlainObject(body) || !rid.valid) return reply({ body: { result: -5 } });
	const out = def ? handleUserData(st, def, body, auth.rec) : handleUserWallets(st, auth.rec);
	return reply({ body: out });
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function requestIdOf(raw: string): { raw?: string; valid: boolean } {
	let parsed: unknown;
	try {
		parsed = JSON.parse(raw);
	} catch {
		return { valid: true };
	}
	if (!isPlainObject(parsed) || parsed.request_id === undefined) return { valid: true };
	const text = topLevelRawValue(raw, 'request_id');
	if (typeof parsed.request_id !== 'number' || text === undefined || !/^-?(0|[1-9][0-9]*)$/.test(text)) return { valid: false };
	const big = BigInt(text);
	if (big < INT64_MIN || big > INT64_MAX) return { valid: false };
	return { raw: text, valid: true };
}

function userDataJson(ridRaw: string | undefined, obj: Record<string, unknown>): string {
	const rest = JSON.stringify(obj);
	if (ridRaw === undefined) return rest;
	return rest === '{}' ? `{"request_id":${ridRaw}}` : `{"request_id":${ridRaw},${rest.slice(1)}`;
}

// ---------------------------------------------------------------------------------------------
// The endpoints: storage per user and target, then one function for all 22, and the wallets
// ---------------------------------------------------------------------------------------------

function targetMap(st: EmulatorState, userId: string, target: string, create: boolean): Map<string, Entry> | undefined {
	let u = st.data.get(userId);
	if (!u) {
		if (!create) return undefined;
		u = new Map();
		st.data.set(userId, u);
	}
	let t = u.get(target);
	if (!t) {
		if (!create) return undefined;
		t = new Map();
		u.set(target, t);
	}
	return t;
}

function pruneTarget(st: EmulatorState, userId: string, target: string): void {
	const u = st.data.get(userId);
	const t = u?.get(target);
	if (u && t && t.size === 0) {
		u.delete(target);
		if (u.size === 0) st.data.delete(userId);
	}
}

function validKeyArray(v: unknown): v is string[] {
	return Array.isArray(v) && v.length > 0 && v.every((k) => typeof k === 'string' && k !== '');
}

function handleUserData(st: EmulatorState, def: EndpointDef, body: Record<string, unknown>, tok: AccessRecord): Record<string, unknown> {
	const { family, op, codes: c } = def;
	const user = st.users.get(tok.sub);
	const invalid = { result: -5 };

	// 1. parameter shapes (-5), for every field, before the target is looked up
	if (family === 'idp' && typeof body.identity_provider !== 'string') return invalid;
	if (family === 'wallet' && body.wallet_address !== undefined && typeof body.wallet_address !== 'string') return invalid;
	let accessScope: 0 | 1 = 1;
	switch (op) {
		case 'set': {
			if (typeof body.value_key !== 'string' || typeof body.value_data !== 'string') return invalid;
			if (family === 'plain') {
				if (body.access_scope !== undefined) return invalid;
			} else if (body.access_scope !== undefined) {
				if (body.access_scope !== 0 && body.access_scope !== 1) return invalid;
				accessScope = body.access_scope;
			}
			if (utf8Bytes(body.value_data) > st.opts.maxValueBytes) return invalid;
			break;
		}
		case 'get':
		case 'delete':
			if (!validKeyArray(body.value_keys)) return invalid;
			break;
		case 'shared-list-get': {
			if (body.search_id !== undefined && typeof body.search_id !== 'string') return invalid;
			const ps = body.page_size;
			if (ps !== undefined && (!Number.isInteger(ps) || (ps as number) < 0 || (ps as number) > 0xffffffff)) return invalid;
			break;
		}
		default:
			break;
	}

	// 2. the storage target (-6 for idp / wallet)
	let target: string;
	switch (family) {
		case 'plain':
		case 'email':
		case 'user-id':
			target = family;
			break;
		case 'idp': {
			const idp = body.identity_provider as string;
			if (!IDENTITY_PROVIDERS.includes(idp) || !user?.identityProviders.includes(idp)) {
				return { result: c.targetNotFound as number };
			}
			target = `idp:${idp}`;
			break;
		}
		case 'wallet': {
			const given = body.wallet_address as string | undefined;
			const address = given === undefined || given === '' ? tok.wallet : given;
			const lower = address === undefined ? undefined : walletKey(address);
			if (lower === undefined || !user?.wallets.some((w) => walletKey(w.address) === lower)) {
				return { result: c.targetNotFound as number };
			}
			target = `wallet:${lower}`;
			break;
		}
	}

	const caller = tok.azp;
	switch (op) {
		case 'set': {
			const key = body.value_key as string;
			if (key === '' || codePointLength(key) > st.opts.maxKeyLength) return { result: c.keyInvalid as number };
			const entries = targetMap(st, tok.sub, target, true) as Map<string, Entry>;
			const existing = entries.get(key);
			if (existing && existing.owner !== caller) return { result: c.keyAccessDenied as number };
			entries.set(key, { value: body.value_data as string, owner: caller, scope: accessScope });
			return { result: 0 };
		}
		case 'get': {
			const keys = body.value_keys as string[];
			if (keys.length > st.opts.maxKeysPerGet) return { result: c.keysSizeLimit as number };
			const entries = targetMap(st, tok.sub, target, false);
			const values: Array<{ value_key: string; value_data: string }> = [];
			for (const key of new Set(keys)) {
				const e = entries?.get(key);
				if (e && (e.owner === caller || e.scope === 1)) values.push({ value_key: key, value_data: e.value });
			}
			return { result: values.length > 0 ? 0 : 1, values };
		}
		case 'list-get': {
			const entries = targetMap(st, tok.sub, target, false);
			const keysPrivate: string[] = [];
			const keysPublic: string[] = [];
			if (entries) {
				for (const key of [...entries.keys()].sort()) {
					const e = entries.get(key) as Entry;
					if (e.owner !== caller) continue;
					(e.scope === 0 ? keysPrivate : keysPublic).push(key);
				}
			}
			const any = keysPrivate.length + keysPublic.length > 0;
			return { result: any ? 0 : 1, keys_private: keysPrivate, keys_public: keysPublic };
		}
		case 'shared-list-get': {
			// The server walks the target's stored keys (every client's, sorted) page_size at a
			// time and returns only those the caller may see (other clients' public keys). So a
			// page can be short, or empty, while next_search_id says more follow: a client must
			// page until next_search_id is empty, not until a page comes back short.
			const searchId = (body.search_id as string | undefined) ?? '';
			let keys: string[];
			let visible: boolean[];
			let offset: number;
			if (searchId !== '') {
				const s = st.searches.get(searchId);
				if (!s || s.userId !== tok.sub || s.clientId !== caller || s.target !== target) return invalid;
				keys = s.keys;
				visible = s.visible;
				offset = s.offset;
			} else {
				const entries = targetMap(st, tok.sub, target, false);
				const sorted = entries ? [...entries.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) : [];
				keys = sorted.map(([k]) => k);
				visible = sorted.map(([, e]) => e.owner !== caller && e.scope === 1);
				offset = 0;
			}
			const size = (body.page_size as number | undefined) || st.opts.defaultPageSize;
			const page: string[] = [];
			for (let i = offset; i < Math.min(offset + size, keys.length); i++) if (visible[i]) page.push(keys[i]);
			let next = '';
			if (offset + size < keys.length) {
				next = randomId(12);
				st.searches.set(next, { userId: tok.sub, clientId: caller, target, keys, visible, offset: offset + size });
				if (st.searches.size > MAX_SEARCHES) st.searches.delete(st.searches.keys().next().value as string);
			}
			return { result: visible.includes(true) ? 0 : 1, keys_shared: page, next_search_id: next };
		}
		case 'delete': {
			const keys = [...new Set(body.value_keys as string[])];
			const entries = targetMap(st, tok.sub, target, false);
			if (entries && keys.some((k) => entries.has(k) && (entries.get(k) as Entry).owner !== caller)) {
				return { result: c.keyAccessDenied as number };
			}
			const results = keys.map((k) => ({ value_key: k, is_deleted: entries?.delete(k) ?? false }));
			pruneTarget(st, tok.sub, target);
			const out: Record<string, unknown> = { result: results.some((r) => r.is_deleted) ? 0 : 1 };
			if (family === 'user-id' || family === 'wallet') out.keys_delete_results = results;
			return out;
		}
	}
}

function handleUserWallets(st: EmulatorState, tok: AccessRecord): Record<string, unknown> {
	const user = st.users.get(tok.sub);
	const view = (w: Wallet) => ({ family: w.family, chain: w.chain, address: w.address, label: w.label, tags: [...w.tags] });
	return {
		result: 0,
		wallets_private: (user?.wallets ?? []).filter((w) => !w.public).map(view),
		wallets_public: (user?.wallets ?? []).filter((w) => w.public).map(view),
	};
}
