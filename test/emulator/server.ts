/**
 * HyperID emulator: a real HTTP server that plays both the HyperID REST API (user data, user wallets)
 * and the HyperID login host as Keycloak runs it (OpenID discovery, auth, token, userinfo, logout,
 * revocation, introspection), plus control endpoints
 * under /__emulator/ for tests.
 *
 * Written from /work/shared/spec (API.md and seeds/) only. It imports nothing from nodes/ or
 * credentials/ on purpose: the node under test and this emulator must not share a code table.
 */
import * as http from 'node:http';
import * as crypto from 'node:crypto';
import { URL, URLSearchParams } from 'node:url';

// ---------------------------------------------------------------------------------------------
// Public constants
// ---------------------------------------------------------------------------------------------

export const REALM_PATH = '/auth/realms/HyperID';
export const DISCOVERY_PATH = `${REALM_PATH}/.well-known/openid-configuration`;
export const OIDC_PATH = `${REALM_PATH}/protocol/openid-connect`;
export const AUTH_PATH = `${OIDC_PATH}/auth`;
export const TOKEN_PATH = `${OIDC_PATH}/token`;
export const USERINFO_PATH = `${OIDC_PATH}/userinfo`;
/** end_session_endpoint: POST refresh_token + client credentials ends that session (204). */
export const LOGOUT_PATH = `${OIDC_PATH}/logout`;
/** revocation_endpoint (RFC 7009). */
export const REVOKE_PATH = `${OIDC_PATH}/revoke`;
/** introspection_endpoint (RFC 7662). */
export const INTROSPECT_PATH = `${TOKEN_PATH}/introspect`;
export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** The endpoints that take a form body (and client authentication). */
const OAUTH_FORM_PATHS = [TOKEN_PATH, LOGOUT_PATH, REVOKE_PATH, INTROSPECT_PATH];
export const CONTROL_PREFIX = '/__emulator/';

export const IDENTITY_PROVIDERS = ['google', 'telegram', 'twitter', 'apple', 'discord', 'microsoft'];
export const DEFAULT_SCOPES = ['openid', 'email', 'user-data-get', 'user-data-set'];
/** what an authorization request without `scope` gets (discovery: client_scopes_default) */
export const CLIENT_SCOPES_DEFAULT = ['openid', 'email'];
export const SUPPORTED_SCOPES = [
	'openid',
	'email',
	'user-data-get',
	'user-data-set',
	'user-wallet-public-data',
	'kyc-verification',
	'mfa-client',
	'user-info-get',
	'keys',
	'auth',
];

export const DEMO = {
	userId: 'demo-user',
	email: 'demo@example.com',
	identityProviders: ['google', 'telegram'],
	clientId: 'hyperid-demo-client',
	clientSecret: 'demo-secret',
	/** Listed in wallets_private; the default `wallet_address` claim of demo tokens. */
	privateWallet: '0x5a0b54d5dc17e0aadc383d2db43b0a0d3e029c4c',
	/** Listed in wallets_public. */
	publicWallet: '0x2e1d3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e',
} as const;

const MASK = '***';
const SECRET_FIELDS = new Set([
	'refresh_token',
	'client_secret',
	'code',
	'client_assertion',
	'access_token',
	'id_token',
	'password',
	'token',
]);

// ---------------------------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------------------------

export interface EmulatorOptions {
	/** Port to listen on (127.0.0.1 only). 0 = any free port. [0] */
	port?: number;
	/** Longest accepted value_key, in characters (code points). [256] */
	maxKeyLength?: number;
	/** Most keys in one get before "keys size limit reached". [100] */
	maxKeysPerGet?: number;
	/** Largest value_data in UTF-8 bytes; bigger gives -5. [65536] */
	maxValueBytes?: number;
	/** Delay in ms added before answering every user-data / user-wallets request. [0] */
	latencyMs?: number;
	/** shared-list-get page size when page_size is absent or 0. [100] */
	defaultPageSize?: number;
	/** Access token lifetime in seconds. [3600] */
	accessTokenLifetime?: number;
	/** Refresh token lifetime in seconds. [2592000 = 30 days] */
	refreshTokenLifetime?: number;
	/**
	 * 0 = off. N > 0: an access token is expired (-2) once N successful user-data requests have been
	 * served in total (all tokens, all clients) since that token was issued. So every token issued
	 * before the k-th successful request is expired from request k+N on; a freshly issued (refreshed)
	 * token works for the next N. [0]
	 */
	expireTokensEveryRequests?: number;
	/** Keep the request log. [true] */
	log?: boolean;
	/** Largest request body read; bigger gives -5 (user data) or HTTP 413. [max(1 MiB, 4 * maxValueBytes)] */
	maxBodyBytes?: number;
}

export interface ResolvedOptions {
	port: number;
	maxKeyLength: number;
	maxKeysPerGet: number;
	maxValueBytes: number;
	latencyMs: number;
	defaultPageSize: number;
	accessTokenLifetime: number;
	refreshTokenLifetime: number;
	expireTokensEveryRequests: number;
	log: boolean;
	maxBodyBytes: number;
}

export interface WalletInput {
	address: string;
	chain?: string;
	family?: number;
	label?: string;
	tags?: string[];
	/** true: listed in wallets_public; false: wallets_private. */
	public?: boolean;
}

export interface UserInput {
	userId: string;
	email?: string;
	identityProviders?: string[];
	/** Strings or objects. For strings the first is private and the others public. */
	wallets?: Array<string | WalletInput>;
}

export interface Wallet {
	address: string;
	chain: string;
	family: number;
	label: string;
	tags: string[];
	public: boolean;
}

export interface User {
	userId: string;
	email: string;
	identityProviders: string[];
	wallets: Wallet[];
}

export interface ClientInput {
	clientId: string;
	/** client_secret_post / _basic, and HS256 client assertions. */
	clientSecret?: string;
	/** An RSA public key (PEM, SPKI or PKCS#1): RS256 client assertions. */
	publicKeyPem?: string;
}

export interface CreateTokenOptions {
	userId?: string;
	clientId?: string;
	scopes?: string[] | string;
	/** Seconds; 0 or negative gives an already expired access token. [accessTokenLifetime] */
	expiresIn?: number;
	/** Defaults to the user's first wallet, if any. */
	walletAddress?: string;
}

export interface TokenGrant {
	access_token: string;
	refresh_token: string;
	expires_in: number;
}

export interface TokenEndpointResponse {
	access_token: string;
	token_type: 'Bearer';
	expires_in: number;
	refresh_token: string;
	refresh_expires_in: number;
	scope: string;
	id_token?: string;
}

export interface FaultRule {
	/** Exact request path; omitted = every user-data path (/user-data/..., /user-wallets/...). */
	path?: string;
	/** How many matching requests it answers. [1]; -1 = unlimited. */
	times?: number;
	/** Answer HTTP 200 {result}. */
	result?: number;
	/** Answer this HTTP status with {error} (and `result`, when given too). */
	status?: number;
	/** With `status`: a Retry-After header, e.g. "2" (seconds). */
	retryAfter?: string;
	/** Wait this long first; alone, the request is then handled normally. */
	delayMs?: number;
	/** Carry the request out, then wait this long before answering: a client that gave up meanwhile finds the change made. */
	answerDelayMs?: number;
	/** Drop the connection without answering. */
	reset?: boolean;
	/** 0..1: share of matching requests it applies to (seedable PRNG). [1] */
	probability?: number;
}

export interface ActiveFault extends FaultRule {
	/** Remaining uses; -1 = unlimited. */
	remaining: number;
}

export interface RequestLogEntry {
	seq: number;
	method: string;
	path: string;
	query?: Record<string, string>;
	body?: unknown;
	hasBearer: boolean;
	status: number;
	result?: number;
	fault?: 'result' | 'status' | 'reset' | 'delay';
	at: string;
	durationMs: number;
}

export interface EmulatorStats {
	totalApiRequests: number;
	requestsByPath: Record<string, number>;
	resultsByCode: Record<string, number>;
	/** Successful (result 0 or 1) user-data/wallet requests: the counter expireTokensEveryRequests uses. */
	userDataServed: number;
	tokenGrants: { authorization_code: number; refresh_token: number; control: number };
	inFlight: number;
	maxInFlight: number;
	faultsApplied: number;
}

export interface StoredValue {
	value_data: string;
	access_scope: 0 | 1;
	client_id: string;
}

export interface StoreSnapshot {
	users: User[];
	clients: Array<{ clientId: string }>;
	/** data[userId][target][key]; target: plain | email | user-id | idp:<name> | wallet:<lowercase address> */
	data: Record<string, Record<string, Record<string, StoredValue>>>;
	tokens: { access: number; refresh: number; codes: number; searches: number; sessions: number };
	faults: ActiveFault[];
	clock: { offsetSeconds: number };
}

export interface Emulator {
	readonly url: string;
	readonly port: number;
	/** Mutable: changes apply to the next request. */
	readonly options: ResolvedOptions;
	close(): Promise<void>;
	reset(): void;
	createToken(opts?: CreateTokenOptions): TokenGrant;
	addUser(user: UserInput): User;
	addClient(client: ClientInput): void;
	setFaults(rules: FaultRule[], seed?: number): void;
	clearFaults(): void;
	faults(): ActiveFault[];
	requests(): RequestLogEntry[];
	clearRequests(): void;
	store(): StoreSnapshot;
	stats(): EmulatorStats;
	clearStats(): void;
	setOptions(patch: Partial<ResolvedOptions>): ResolvedOptions;
	/** Move the emulator clock forward (token expiry); reset() sets it back, with the start options. */
	advanceClock(seconds: number): void;
	discovery(): Record<string, unknown>;
}

export class EmulatorError extends Error {
	constructor(
		public readonly status: number,
		message: string,
	) {
		super(message);
	}
}

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

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

function b64url(input: Buffer | string): string {
	return Buffer.from(input).toString('base64url');
}

function randomId(bytes = 16): string {
	return crypto.randomBytes(bytes).toString('hex');
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
	return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A small seedable PRNG (mulberry32): fault probabilities, and deterministic test inputs. */
export function mulberry32(seed: number): () => number {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

function maskSecrets(value: unknown): unknown {
	if (Array.isArray(value)) return value.map(maskSecrets);
	if (isPlainObject(value)) {
		const out: Record<string, unknown> = {};
		for (const [k, v] of Object.entries(value)) out[k] = SECRET_FIELDS.has(k) ? MASK : maskSecrets(v);
		return out;
	}
	return value;
}

/**
 * The raw source text of a top-level field of a JSON object (text already known to be valid JSON),
 * so that an int64 request_id is echoed digit for digit even beyond 2^53.
 */
function topLevelRawValue(text: string, field: string): string | undefined {
	let i = 0;
	const n = text.length;
	const ws = () => {
		while (i < n && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
	};
	const readString = (): string => {
		const start = i;
		i++;
		while (i < n) {
			const c = text[i];
			if (c === '\\') i += 2;
			else if (c === '"') {
				i++;
				break;
			} else i++;
		}
		return JSON.parse(text.slice(start, i)) as string;
	};
	const skipValue = () => {
		const c = text[i];
		if (c === '"') {
			readString();
			return;
		}
		if (c === '{' || c === '[') {
			let depth = 0;
			while (i < n) {
				const d = text[i];
				if (d === '"') {
					readString();
					continue;
				}
				if (d === '{' || d === '[') depth++;
				else if (d === '}' || d === ']') {
					depth--;
					if (depth === 0) {
						i++;
						return;
					}
				}
				i++;
			}
			return;
		}
		while (i < n && !',}] \t\n\r'.includes(text[i])) i++;
	};
	ws();
	if (text[i] !== '{') return undefined;
	i++;
	let found: string | undefined;
	while (i < n) {
		ws();
		if (text[i] !== '"') break;
		const key = readString();
		ws();
		if (text[i] !== ':') break;
		i++;
		ws();
		const start = i;
		skipValue();
		if (key === field) found = text.slice(start, i);
		ws();
		if (text[i] === ',') {
			i++;
			continue;
		}
		break;
	}
	return found;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function statusText(status: number): string {
	const known: Record<number, string> = {
		400: 'bad_request',
		401: 'unauthorized',
		403: 'forbidden',
		404: 'not_found',
		408: 'request_timeout',
		409: 'conflict',
		413: 'payload_too_large',
		429: 'too_many_requests',
		500: 'internal_server_error',
		502: 'bad_gateway',
		503: 'service_unavailable',
		504: 'gateway_timeout',
	};
	return known[status] ?? `http_${status}`;
}

function utf8Bytes(s: string): number {
	return Buffer.byteLength(s, 'utf8');
}

function codePointLength(s: string): number {
	let n = 0;
	for (const _ of s) n++;
	return n;
}

function parseScopes(input: unknown): string[] {
	if (Array.isArray(input)) return input.filter((s): s is string => typeof s === 'string' && s !== '');
	if (typeof input === 'string') return input.split(/\s+/).filter((s) => s !== '');
	return [];
}

function escapeHtml(s: string): string {
	return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

// ---------------------------------------------------------------------------------------------
// State
// ---------------------------------------------------------------------------------------------

interface Entry {
	value: string;
	owner: string;
	scope: 0 | 1;
}

interface AccessRecord {
	jti: string;
	token: string;
	sub: string;
	azp: string;
	sid: string;
	scopes: string[];
	wallet?: string;
	exp: number;
	issuedAtServed: number;
}

/** A live refresh token (a JWT, as Keycloak issues them), by its jti. Rotation deletes it. */
interface RefreshRecord {
	jti: string;
	token: string;
	userId: string;
	clientId: string;
	sid: string;
	scopes: string[];
	wallet?: string;
	exp: number;
}

/** A sign-in of one user to one client; refreshes keep it, logout and revocation end it. */
interface SessionRecord {
	sid: string;
	userId: string;
	clientId: string;
}

interface ClientRecord {
	secret?: string;
	publicKey?: crypto.KeyObject;
}

interface CodeRecord {
	userId: string;
	clientId: string;
	redirectUri: string;
	scopes: string[];
	exp: number;
}

interface SearchRecord {
	userId: string;
	clientId: string;
	target: string;
	/** every stored key of the target at the first page, sorted */
	keys: string[];
	/** keys[i] is shown to the caller (another client's public key) */
	visible: boolean[];
	offset: number;
}

const MAX_SEARCHES = 10000;

/** EVM (0x…) addresses are hex, so case does not matter; base58 ones (Solana) are case-sensitive. */
function walletKey(address: string): string {
	return /^0x/i.test(address) ? address.toLowerCase() : address;
}

interface Ctx {
	method: string;
	path: string;
	url: URL;
	headers: http.IncomingHttpHeaders;
	raw: string;
	tooLarge: boolean;
	hasBearer: boolean;
	started: number;
	logBody?: unknown;
	fault?: RequestLogEntry['fault'];
}

type UserDataReply = { status?: number; body: Record<string, unknown> };

// ---------------------------------------------------------------------------------------------
// The emulator
// ---------------------------------------------------------------------------------------------

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
	const maxValueBytes = options.maxValueBytes ?? 65536;
	const opts: ResolvedOptions = {
		port: options.port ?? 0,
		maxKeyLength: options.maxKeyLength ?? 256,
		maxKeysPerGet: options.maxKeysPerGet ?? 100,
		maxValueBytes,
		latencyMs: options.latencyMs ?? 0,
		defaultPageSize: options.defaultPageSize ?? 100,
		accessTokenLifetime: options.accessTokenLifetime ?? 3600,
		refreshTokenLifetime: options.refreshTokenLifetime ?? 30 * 24 * 3600,
		expireTokensEveryRequests: options.expireTokensEveryRequests ?? 0,
		log: options.log ?? true,
		maxBodyBytes: options.maxBodyBytes ?? Math.max(1024 * 1024, maxValueBytes * 4),
	};
	/** What the emulator started with: reset() restores these too (setOptions changes are state). */
	const startOptions: ResolvedOptions = { ...opts };
	const jwtSecret = crypto.randomBytes(32);
	let baseUrl = '';

	// --- mutable state (everything reset() restores) ---
	let users = new Map<string, User>();
	let clients = new Map<string, ClientRecord>();
	let data = new Map<string, Map<string, Map<string, Entry>>>();
	let accessTokens = new Map<string, AccessRecord>();
	let refreshTokens = new Map<string, RefreshRecord>();
	let sessions = new Map<string, SessionRecord>();
	/** jti of accepted client assertions ("clientId jti" -> exp): a reused one is refused. */
	let usedAssertions = new Map<string, number>();
	let codes = new Map<string, CodeRecord>();
	let searches = new Map<string, SearchRecord>();
	let faultRules: ActiveFault[] = [];
	let rng = mulberry32(crypto.randomInt(2 ** 31));
	let log: RequestLogEntry[] = [];
	let seq = 0;
	let clockOffsetMs = 0;
	let stats: EmulatorStats = freshStats();

	function freshStats(): EmulatorStats {
		return {
			totalApiRequests: 0,
			requestsByPath: {},
			resultsByCode: {},
			userDataServed: 0,
			tokenGrants: { authorization_code: 0, refresh_token: 0, control: 0 },
			inFlight: 0,
			maxInFlight: 0,
			faultsApplied: 0,
		};
	}

	const nowMs = () => Date.now() + clockOffsetMs;
	const nowSec = () => Math.floor(nowMs() / 1000);

	function seed(): void {
		Object.assign(opts, startOptions, { port: opts.port });
		users = new Map();
		clients = new Map();
		data = new Map();
		accessTokens = new Map();
		refreshTokens = new Map();
		sessions = new Map();
		usedAssertions = new Map();
		codes = new Map();
		searches = new Map();
		faultRules = [];
		rng = mulberry32(crypto.randomInt(2 ** 31));
		log = [];
		seq = 0;
		clockOffsetMs = 0;
		const inFlight = stats.inFlight;
		stats = freshStats();
		stats.inFlight = inFlight;
		addUser({
			userId: DEMO.userId,
			email: DEMO.email,
			identityProviders: [...DEMO.identityProviders],
			wallets: [
				{ address: DEMO.privateWallet, chain: '1', family: 0, label: 'Demo private wallet', tags: ['demo', 'private'], public: false },
				{ address: DEMO.publicWallet, chain: '137', family: 0, label: 'Demo public wallet', tags: ['demo', 'public'], public: true },
			],
		});
		clients.set(DEMO.clientId, { secret: DEMO.clientSecret });
	}

	// --- users / clients ---

	function addUser(input: UserInput): User {
		if (!isPlainObject(input) || typeof input.userId !== 'string' || input.userId === '') {
			throw new EmulatorError(400, 'userId (non-empty string) is required');
		}
		if (input.email !== undefined && typeof input.email !== 'string') throw new EmulatorError(400, 'email must be a string');
		const idps = input.identityProviders ?? [];
		if (!Array.isArray(idps) || idps.some((p) => typeof p !== 'string')) {
			throw new EmulatorError(400, 'identityProviders must be an array of strings');
		}
		const walletsIn = input.wallets ?? [];
		if (!Array.isArray(walletsIn)) throw new EmulatorError(400, 'wallets must be an array');
		const wallets: Wallet[] = walletsIn.map((w, i) => {
			if (typeof w === 'string') {
				return { address: w, chain: '1', family: 0, label: `Wallet ${i + 1}`, tags: [], public: i > 0 };
			}
			if (!isPlainObject(w) || typeof w.address !== 'string') {
				throw new EmulatorError(400, 'each wallet must be an address string or {address, ...}');
			}
			return {
				address: w.address,
				chain: typeof w.chain === 'string' ? w.chain : '1',
				family: typeof w.family === 'number' ? w.family : 0,
				label: typeof w.label === 'string' ? w.label : `Wallet ${i + 1}`,
				tags: Array.isArray(w.tags) ? w.tags.filter((t): t is string => typeof t === 'string') : [],
				public: w.public === true,
			};
		});
		const user: User = {
			userId: input.userId,
			email: input.email ?? `${input.userId}@example.com`,
			identityProviders: [...idps],
			wallets,
		};
		users.set(user.userId, user);
		return structuredClone(user);
	}

	function addClient(input: ClientInput): void {
		if (!isPlainObject(input) || typeof input.clientId !== 'string' || input.clientId === '') {
			throw new EmulatorError(400, 'clientId (non-empty string) is required');
		}
		if (input.clientSecret !== undefined && typeof input.clientSecret !== 'string') throw new EmulatorError(400, 'clientSecret must be a string');
		if (input.publicKeyPem !== undefined && typeof input.publicKeyPem !== 'string') throw new EmulatorError(400, 'publicKeyPem must be a string');
		if (input.clientSecret === undefined && input.publicKeyPem === undefined) {
			throw new EmulatorError(400, 'clientSecret (string) or publicKeyPem (PEM string) is required');
		}
		const client: ClientRecord = {};
		if (input.clientSecret !== undefined) client.secret = input.clientSecret;
		if (input.publicKeyPem !== undefined) {
			let key: crypto.KeyObject;
			try {
				key = crypto.createPublicKey(input.publicKeyPem);
			} catch {
				throw new EmulatorError(400, 'publicKeyPem is not a PEM public key');
			}
			if (key.asymmetricKeyType !== 'rsa') throw new EmulatorError(400, 'publicKeyPem must be an RSA key (RS256)');
			client.publicKey = key;
		}
		clients.set(input.clientId, client);
	}

	// --- tokens ---

	function signJwt(payload: Record<string, unknown>): string {
		const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: 'hyperid-emulator' }));
		const body = b64url(JSON.stringify(payload));
		const sig = crypto.createHmac('sha256', jwtSecret).update(`${header}.${body}`).digest('base64url');
		return `${header}.${body}.${sig}`;
	}

	/** The payload of a JWT the emulator signed itself (access, refresh, id token), or undefined. */
	function verifyJwt(token: string): Record<string, unknown> | undefined {
		const parts = token.split('.');
		if (parts.length !== 3 || parts.some((p) => p === '' || !/^[A-Za-z0-9_-]+$/.test(p))) return undefined;
		const expected = crypto.createHmac('sha256', jwtSecret).update(`${parts[0]}.${parts[1]}`).digest();
		const given = Buffer.from(parts[2], 'base64url');
		if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) return undefined;
		try {
			const header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
			if (!isPlainObject(header) || header.alg !== 'HS256') return undefined;
			const payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
			return isPlainObject(payload) ? payload : undefined;
		} catch {
			return undefined;
		}
	}

	function issuer(): string {
		return `${baseUrl}${REALM_PATH}`;
	}

	function startSession(userId: string, clientId: string): string {
		const sid = crypto.randomUUID();
		sessions.set(sid, { sid, userId, clientId });
		return sid;
	}

	/** Ends a session: its refresh tokens and its access tokens are no longer accepted. */
	function endSession(sid: string): void {
		sessions.delete(sid);
		for (const [jti, rec] of refreshTokens) if (rec.sid === sid) refreshTokens.delete(jti);
		for (const [jti, rec] of accessTokens) if (rec.sid === sid) accessTokens.delete(jti);
	}

	function issue(
		userId: string,
		clientId: string,
		scopes: string[],
		wallet: string | undefined,
		expiresIn: number,
		sid: string,
	): TokenEndpointResponse {
		const user = users.get(userId);
		const iat = nowSec();
		const exp = iat + expiresIn;
		const jti = crypto.randomUUID();
		const payload: Record<string, unknown> = {
			exp,
			iat,
			auth_time: iat,
			jti,
			iss: issuer(),
			sub: userId,
			typ: 'Bearer',
			azp: clientId,
			scope: scopes.join(' '),
			sid,
			email: user?.email,
			email_verified: true,
		};
		if (wallet !== undefined) {
			payload.wallet_address = wallet;
			const w = user?.wallets.find((x) => walletKey(x.address) === walletKey(wallet));
			payload.wallet_chain_id = w?.chain ?? '1';
		}
		const access = signJwt(payload);
		accessTokens.set(jti, {
			jti,
			token: access,
			sub: userId,
			azp: clientId,
			sid,
			scopes: [...scopes],
			wallet,
			exp,
			issuedAtServed: stats.userDataServed,
		});
		// Keycloak: the refresh token is a signed JWT the client may decode to read its expiry
		const refreshLifetime = opts.refreshTokenLifetime;
		const refreshJti = crypto.randomUUID();
		const refreshExp = iat + refreshLifetime;
		const refresh = signJwt({
			exp: refreshExp,
			iat,
			jti: refreshJti,
			iss: issuer(),
			aud: issuer(),
			sub: userId,
			typ: 'Refresh',
			azp: clientId,
			sid,
			scope: scopes.join(' '),
		});
		refreshTokens.set(refreshJti, {
			jti: refreshJti,
			token: refresh,
			userId,
			clientId,
			sid,
			scopes: [...scopes],
			wallet,
			exp: refreshExp,
		});
		const out: TokenEndpointResponse = {
			access_token: access,
			token_type: 'Bearer',
			expires_in: expiresIn,
			refresh_token: refresh,
			refresh_expires_in: refreshExp - iat,
			scope: scopes.join(' '),
		};
		if (scopes.includes('openid')) {
			out.id_token = signJwt({
				exp,
				iat,
				iss: issuer(),
				aud: clientId,
				sub: userId,
				typ: 'ID',
				azp: clientId,
				sid,
				email: user?.email,
				email_verified: true,
				...(wallet !== undefined ? { wallet_address: wallet } : {}),
			});
		}
		return out;
	}

	function createToken(o: CreateTokenOptions = {}): TokenGrant {
		if (!isPlainObject(o)) throw new EmulatorError(400, 'body must be an object');
		const userId = o.userId ?? DEMO.userId;
		const clientId = o.clientId ?? DEMO.clientId;
		if (typeof userId !== 'string' || userId === '') throw new EmulatorError(400, 'userId must be a non-empty string');
		if (typeof clientId !== 'string' || !clients.has(clientId)) throw new EmulatorError(400, `unknown clientId: ${String(clientId)}`);
		if (o.expiresIn !== undefined && (typeof o.expiresIn !== 'number' || !Number.isFinite(o.expiresIn))) {
			throw new EmulatorError(400, 'expiresIn must be a number of seconds');
		}
		if (o.walletAddress !== undefined && typeof o.walletAddress !== 'string') throw new EmulatorError(400, 'walletAddress must be a string');
		if (!users.has(userId)) addUser({ userId });
		const user = users.get(userId) as User;
		const scopes = o.scopes === undefined ? [...DEFAULT_SCOPES] : parseScopes(o.scopes);
		const wallet = o.walletAddress ?? user.wallets[0]?.address;
		const expiresIn = Math.trunc(o.expiresIn ?? opts.accessTokenLifetime);
		const t = issue(userId, clientId, scopes, wallet, expiresIn, startSession(userId, clientId));
		stats.tokenGrants.control++;
		return { access_token: t.access_token, refresh_token: t.refresh_token, expires_in: t.expires_in };
	}

	type AuthResult = { ok: true; rec: AccessRecord } | { ok: false; status: number; result: number };

	/** The record of an access token the emulator issued and has not forgotten (reset, logout, revocation). */
	function accessRecordOf(token: string): AccessRecord | undefined {
		const jti = verifyJwt(token)?.jti;
		const rec = typeof jti === 'string' ? accessTokens.get(jti) : undefined;
		return rec && rec.token === token ? rec : undefined;
	}

	function accessExpired(rec: AccessRecord): boolean {
		if (rec.exp <= nowSec()) return true;
		const every = opts.expireTokensEveryRequests;
		return every > 0 && stats.userDataServed - rec.issuedAtServed >= every;
	}

	/** A live refresh token: issued by the emulator, not yet used (rotation), session not ended. Expiry is the caller's. */
	function refreshRecordOf(token: string): RefreshRecord | undefined {
		const payload = verifyJwt(token);
		if (!payload || payload.typ !== 'Refresh' || typeof payload.jti !== 'string') return undefined;
		const rec = refreshTokens.get(payload.jti);
		return rec && rec.token === token ? rec : undefined;
	}

	function authenticate(header: string | undefined): AuthResult {
		if (header === undefined) return { ok: false, status: 401, result: -1 };
		const m = /^Bearer\s+(\S+)\s*$/i.exec(header.trim());
		if (!m) return { ok: false, status: 200, result: -1 };
		const rec = accessRecordOf(m[1]);
		if (!rec) return { ok: false, status: 200, result: -1 };
		if (accessExpired(rec)) return { ok: false, status: 200, result: -2 };
		return { ok: true, rec };
	}

	// --- faults ---

	function setFaults(rules: FaultRule[], seedValue?: number): void {
		if (!Array.isArray(rules)) throw new EmulatorError(400, 'rules must be an array');
		if (seedValue !== undefined && (typeof seedValue !== 'number' || !Number.isFinite(seedValue))) {
			throw new EmulatorError(400, 'seed must be a number');
		}
		const next: ActiveFault[] = rules.map((input, i) => {
			const where = `rules[${i}]`;
			if (!isPlainObject(input)) throw new EmulatorError(400, `${where} must be an object`);
			const r = input as FaultRule;
			if (r.path !== undefined && (typeof r.path !== 'string' || !r.path.startsWith('/'))) {
				throw new EmulatorError(400, `${where}.path must be a path starting with /`);
			}
			const times: number = r.times ?? 1;
			if (!Number.isInteger(times) || (times < 1 && times !== -1)) throw new EmulatorError(400, `${where}.times must be an integer >= 1 or -1`);
			if (r.result !== undefined && !Number.isInteger(r.result)) throw new EmulatorError(400, `${where}.result must be an integer`);
			if (r.status !== undefined && (!Number.isInteger(r.status) || (r.status as number) < 200 || (r.status as number) > 599)) {
				throw new EmulatorError(400, `${where}.status must be an HTTP status`);
			}
			if (r.delayMs !== undefined && (typeof r.delayMs !== 'number' || r.delayMs < 0)) throw new EmulatorError(400, `${where}.delayMs must be >= 0`);
			if (r.answerDelayMs !== undefined && (typeof r.answerDelayMs !== 'number' || r.answerDelayMs < 0)) {
				throw new EmulatorError(400, `${where}.answerDelayMs must be >= 0`);
			}
			if (r.reset !== undefined && typeof r.reset !== 'boolean') throw new EmulatorError(400, `${where}.reset must be a boolean`);
			if (r.retryAfter !== undefined && (typeof r.retryAfter !== 'string' || r.status === undefined)) {
				throw new EmulatorError(400, `${where}.retryAfter must be a string, given with status`);
			}
			if (r.probability !== undefined && (typeof r.probability !== 'number' || r.probability < 0 || r.probability > 1)) {
				throw new EmulatorError(400, `${where}.probability must be within 0..1`);
			}
			if (r.result === undefined && r.status === undefined && r.delayMs === undefined && r.answerDelayMs === undefined && r.reset !== true) {
				throw new EmulatorError(400, `${where} needs result, status, delayMs, answerDelayMs or reset`);
			}
			return { ...r, times, remaining: times };
		});
		faultRules = next;
		if (seedValue !== undefined) rng = mulberry32(seedValue);
	}

	function pickFault(path: string, isUserData: boolean): ActiveFault | undefined {
		for (const rule of faultRules) {
			if (rule.remaining === 0) continue;
			const matches = rule.path !== undefined ? rule.path === path : isUserData;
			if (!matches) continue;
			if (rule.probability !== undefined && rule.probability < 1 && !(rng() < rule.probability)) continue;
			if (rule.remaining > 0) rule.remaining--;
			stats.faultsApplied++;
			faultRules = faultRules.filter((r) => r.remaining !== 0);
			return rule;
		}
		return undefined;
	}

	// --- snapshots ---

	function store(): StoreSnapshot {
		const out: StoreSnapshot['data'] = {};
		for (const [userId, targets] of data) {
			const u: Record<string, Record<string, StoredValue>> = {};
			for (const [target, entries] of targets) {
				const t: Record<string, StoredValue> = {};
				for (const [k, e] of entries) t[k] = { value_data: e.value, access_scope: e.scope, client_id: e.owner };
				u[target] = t;
			}
			out[userId] = u;
		}
		return {
			users: [...users.values()].map((u) => structuredClone(u)),
			clients: [...clients.keys()].map((clientId) => ({ clientId })),
			data: out,
			tokens: { access: accessTokens.size, refresh: refreshTokens.size, codes: codes.size, searches: searches.size, sessions: sessions.size },
			faults: faultRules.map((f) => ({ ...f })),
			clock: { offsetSeconds: clockOffsetMs / 1000 },
		};
	}

	function getStats(): EmulatorStats {
		return structuredClone(stats);
	}

	function clearStats(): void {
		const inFlight = stats.inFlight;
		const served = stats.userDataServed;
		stats = freshStats();
		stats.inFlight = inFlight;
		stats.maxInFlight = inFlight;
		// the served counter drives token expiry; keep it so clearing stats does not revive tokens
		stats.userDataServed = served;
	}

	function setOptions(patch: Partial<ResolvedOptions>): ResolvedOptions {
		if (!isPlainObject(patch)) throw new EmulatorError(400, 'options must be an object');
		for (const [k, v] of Object.entries(patch)) {
			if (!(k in opts) || k === 'port') throw new EmulatorError(400, `unknown or read-only option: ${k}`);
			const current = (opts as unknown as Record<string, unknown>)[k];
			if (typeof v !== typeof current) throw new EmulatorError(400, `option ${k} must be a ${typeof current}`);
			if (typeof v === 'number' && (!Number.isFinite(v) || v < 0)) throw new EmulatorError(400, `option ${k} must be >= 0`);
		}
		Object.assign(opts, patch);
		return { ...opts };
	}

	function advanceClock(seconds: number): void {
		if (typeof seconds !== 'number' || !Number.isFinite(seconds)) throw new EmulatorError(400, 'seconds must be a number');
		clockOffsetMs += seconds * 1000;
	}

	function discovery(): Record<string, unknown> {
		const authMethods = ['client_secret_post', 'client_secret_basic', 'client_secret_jwt', 'private_key_jwt'];
		return {
			issuer: issuer(),
			authorization_endpoint: `${baseUrl}${AUTH_PATH}`,
			token_endpoint: `${baseUrl}${TOKEN_PATH}`,
			introspection_endpoint: `${baseUrl}${INTROSPECT_PATH}`,
			userinfo_endpoint: `${baseUrl}${USERINFO_PATH}`,
			end_session_endpoint: `${baseUrl}${LOGOUT_PATH}`,
			revocation_endpoint: `${baseUrl}${REVOKE_PATH}`,
			jwks_uri: `${baseUrl}${OIDC_PATH}/certs`,
			rest_api_token_endpoint: baseUrl,
			rest_api_public_endpoint: baseUrl,
			identity_providers: [...IDENTITY_PROVIDERS],
			scopes_supported: [...SUPPORTED_SCOPES],
			client_scopes_default: [...CLIENT_SCOPES_DEFAULT],
			client_scopes_optional: SUPPORTED_SCOPES.filter((s) => s !== 'openid' && s !== 'email'),
			response_types_supported: ['code'],
			response_modes_supported: ['query'],
			grant_types_supported: ['authorization_code', 'refresh_token'],
			subject_types_supported: ['public'],
			id_token_signing_alg_values_supported: ['HS256'],
			token_endpoint_auth_methods_supported: [...authMethods],
			token_endpoint_auth_signing_alg_values_supported: ['HS256', 'RS256'],
			revocation_endpoint_auth_methods_supported: [...authMethods],
			introspection_endpoint_auth_methods_supported: [...authMethods],
			claims_supported: ['sub', 'email', 'email_verified', 'azp', 'scope', 'wallet_address', 'wallet_chain_id'],
			wallet_family: { ethereum: 0, solana: 1 },
			wallet_source: { mpc: 0, external: 1 },
			wallet_chain: { '1': 'Ethereum', '137': 'Polygon', '56': 'BNB Smart Chain' },
		};
	}

	// --- user data ---

	function targetMap(userId: string, target: string, create: boolean): Map<string, Entry> | undefined {
		let u = data.get(userId);
		if (!u) {
			if (!create) return undefined;
			u = new Map();
			data.set(userId, u);
		}
		let t = u.get(target);
		if (!t) {
			if (!create) return undefined;
			t = new Map();
			u.set(target, t);
		}
		return t;
	}

	function pruneTarget(userId: string, target: string): void {
		const u = data.get(userId);
		const t = u?.get(target);
		if (u && t && t.size === 0) {
			u.delete(target);
			if (u.size === 0) data.delete(userId);
		}
	}

	function validKeyArray(v: unknown): v is string[] {
		return Array.isArray(v) && v.length > 0 && v.every((k) => typeof k === 'string' && k !== '');
	}

	function handleUserData(def: EndpointDef, body: Record<string, unknown>, tok: AccessRecord): Record<string, unknown> {
		const { family, op, codes: c } = def;
		const user = users.get(tok.sub);
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
				if (utf8Bytes(body.value_data) > opts.maxValueBytes) return invalid;
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
				if (key === '' || codePointLength(key) > opts.maxKeyLength) return { result: c.keyInvalid as number };
				const entries = targetMap(tok.sub, target, true) as Map<string, Entry>;
				const existing = entries.get(key);
				if (existing && existing.owner !== caller) return { result: c.keyAccessDenied as number };
				entries.set(key, { value: body.value_data as string, owner: caller, scope: accessScope });
				return { result: 0 };
			}
			case 'get': {
				const keys = body.value_keys as string[];
				if (keys.length > opts.maxKeysPerGet) return { result: c.keysSizeLimit as number };
				const entries = targetMap(tok.sub, target, false);
				const values: Array<{ value_key: string; value_data: string }> = [];
				for (const key of new Set(keys)) {
					const e = entries?.get(key);
					if (e && (e.owner === caller || e.scope === 1)) values.push({ value_key: key, value_data: e.value });
				}
				return { result: values.length > 0 ? 0 : 1, values };
			}
			case 'list-get': {
				const entries = targetMap(tok.sub, target, false);
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
					const s = searches.get(searchId);
					if (!s || s.userId !== tok.sub || s.clientId !== caller || s.target !== target) return invalid;
					keys = s.keys;
					visible = s.visible;
					offset = s.offset;
				} else {
					const entries = targetMap(tok.sub, target, false);
					const sorted = entries ? [...entries.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) : [];
					keys = sorted.map(([k]) => k);
					visible = sorted.map(([, e]) => e.owner !== caller && e.scope === 1);
					offset = 0;
				}
				const size = (body.page_size as number | undefined) || opts.defaultPageSize;
				const page: string[] = [];
				for (let i = offset; i < Math.min(offset + size, keys.length); i++) if (visible[i]) page.push(keys[i]);
				let next = '';
				if (offset + size < keys.length) {
					next = randomId(12);
					searches.set(next, { userId: tok.sub, clientId: caller, target, keys, visible, offset: offset + size });
					if (searches.size > MAX_SEARCHES) searches.delete(searches.keys().next().value as string);
				}
				return { result: visible.includes(true) ? 0 : 1, keys_shared: page, next_search_id: next };
			}
			case 'delete': {
				const keys = [...new Set(body.value_keys as string[])];
				const entries = targetMap(tok.sub, target, false);
				if (entries && keys.some((k) => entries.has(k) && (entries.get(k) as Entry).owner !== caller)) {
					return { result: c.keyAccessDenied as number };
				}
				const results = keys.map((k) => ({ value_key: k, is_deleted: entries?.delete(k) ?? false }));
				pruneTarget(tok.sub, target);
				const out: Record<string, unknown> = { result: results.some((r) => r.is_deleted) ? 0 : 1 };
				if (family === 'user-id' || family === 'wallet') out.keys_delete_results = results;
				return out;
			}
		}
	}

	function handleUserWallets(tok: AccessRecord): Record<string, unknown> {
		const user = users.get(tok.sub);
		const view = (w: Wallet) => ({ family: w.family, chain: w.chain, address: w.address, label: w.label, tags: [...w.tags] });
		return {
			result: 0,
			wallets_private: (user?.wallets ?? []).filter((w) => !w.public).map(view),
			wallets_public: (user?.wallets ?? []).filter((w) => w.public).map(view),
		};
	}

	// --- HTTP plumbing ---

	function finish(
		ctx: Ctx,
		res: http.ServerResponse,
		status: number,
		body: string,
		contentType: string,
		extra: Record<string, string> = {},
		result?: number,
	): void {
		if (!res.destroyed) {
			res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body), ...extra });
			res.end(body);
		}
		record(ctx, status, result);
	}

	function sendJson(ctx: Ctx, res: http.ServerResponse, status: number, obj: unknown, extra: Record<string, string> = {}): void {
		const result = isPlainObject(obj) && typeof obj.result === 'number' ? obj.result : undefined;
		finish(ctx, res, status, JSON.stringify(obj), 'application/json; charset=UTF-8', extra, result);
	}

	function record(ctx: Ctx, status: number, result?: number): void {
		if (result !== undefined) stats.resultsByCode[String(result)] = (stats.resultsByCode[String(result)] ?? 0) + 1;
		if (!opts.log) return;
		const entry: RequestLogEntry = {
			seq: ++seq,
			method: ctx.method,
			path: ctx.path,
			hasBearer: ctx.hasBearer,
			status,
			at: new Date().toISOString(),
			durationMs: Date.now() - ctx.started,
		};
		const query = [...ctx.url.searchParams.keys()];
		if (query.length > 0) entry.query = maskSecrets(Object.fromEntries(ctx.url.searchParams)) as Record<string, string>;
		if (ctx.logBody !== undefined) entry.body = ctx.logBody;
		if (result !== undefined) entry.result = result;
		if (ctx.fault) entry.fault = ctx.fault;
		log.push(entry);
	}

	function describeBody(ctx: Ctx): unknown {
		if (ctx.raw === '') return undefined;
		if (ctx.tooLarge) return `<body over ${opts.maxBodyBytes} bytes>`;
		const ct = String(ctx.headers['content-type'] ?? '');
		try {
			return maskSecrets(JSON.parse(ctx.raw));
		} catch {
			if (ct.includes('application/x-www-form-urlencoded') || OAUTH_FORM_PATHS.includes(ctx.path)) {
				return maskSecrets(Object.fromEntries(new URLSearchParams(ctx.raw)));
			}
			return `<unparsable body, ${utf8Bytes(ctx.raw)} bytes>`;
		}
	}

	const timers = new Set<NodeJS.Timeout>();
	function sleep(ms: number): Promise<void> {
		if (ms <= 0) return Promise.resolve();
		return new Promise((resolve) => {
			const t = setTimeout(() => {
				timers.delete(t);
				resolve();
			}, ms);
			timers.add(t);
		});
	}

	function readBody(req: http.IncomingMessage): Promise<{ raw: string; tooLarge: boolean }> {
		return new Promise((resolve, reject) => {
			const chunks: Buffer[] = [];
			let size = 0;
			let tooLarge = false;
			req.on('data', (chunk: Buffer) => {
				size += chunk.length;
				if (size > opts.maxBodyBytes) tooLarge = true;
				else chunks.push(chunk);
			});
			req.on('end', () => resolve({ raw: tooLarge ? '' : Buffer.concat(chunks).toString('utf8'), tooLarge }));
			req.on('error', reject);
		});
	}

	function isUserDataPath(path: string): boolean {
		return path.startsWith('/user-data/') || path.startsWith('/user-wallets/');
	}

	async function handleApi(req: http.IncomingMessage, res: http.ServerResponse, ctx: Ctx): Promise<void> {
		const { method, path } = ctx;
		stats.totalApiRequests++;
		stats.requestsByPath[path] = (stats.requestsByPath[path] ?? 0) + 1;
		stats.inFlight++;
		if (stats.inFlight > stats.maxInFlight) stats.maxInFlight = stats.inFlight;
		let counted = true;
		const done = () => {
			if (counted) {
				counted = false;
				stats.inFlight--;
			}
		};
		res.on('close', done);
		res.on('finish', done);

		const body = await readBody(req);
		ctx.raw = body.raw;
		ctx.tooLarge = body.tooLarge;
		ctx.logBody = describeBody(ctx);

		const def = ENDPOINTS.get(path);
		const isUserData = isUserDataPath(path);
		type Route = 'userdata' | 'wallets' | 'discovery' | 'auth' | 'token' | 'userinfo' | 'certs' | 'logout' | 'revoke' | 'introspect';
		let route: Route | undefined;
		if (method === 'POST' && def) route = 'userdata';
		else if (method === 'POST' && path === USER_WALLETS_PATH) route = 'wallets';
		else if (method === 'GET' && path === DISCOVERY_PATH) route = 'discovery';
		else if (method === 'GET' && path === AUTH_PATH) route = 'auth';
		else if (method === 'POST' && path === TOKEN_PATH) route = 'token';
		else if (method === 'POST' && path === LOGOUT_PATH) route = 'logout';
		else if (method === 'POST' && path === REVOKE_PATH) route = 'revoke';
		else if (method === 'POST' && path === INTROSPECT_PATH) route = 'introspect';
		else if ((method === 'GET' || method === 'POST') && path === USERINFO_PATH) route = 'userinfo';
		else if (method === 'GET' && path === `${OIDC_PATH}/certs`) route = 'certs';
		if (!route) {
			sendJson(ctx, res, 404, { error: 'not_found', message: `${method} ${path} is not an endpoint` });
			return;
		}

		if (isUserData && opts.latencyMs > 0) await sleep(opts.latencyMs);

		const fault = pickFault(path, isUserData);
		if (fault) {
			if (fault.delayMs) await sleep(fault.delayMs);
			if (fault.reset) {
				ctx.fault = 'reset';
				record(ctx, 0);
				req.socket.destroy();
				return;
			}
			if (fault.status !== undefined) {
				ctx.fault = 'status';
				const errBody: Record<string, unknown> = { error: statusText(fault.status) };
				if (fault.result !== undefined) errBody.result = fault.result;
				sendJson(ctx, res, fault.status, errBody, fault.retryAfter !== undefined ? { 'Retry-After': fault.retryAfter } : {});
				return;
			}
			if (fault.result !== undefined) {
				ctx.fault = 'result';
				if (route === 'userdata' || route === 'wallets') {
					const rid = requestIdOf(ctx.raw);
					finish(ctx, res, 200, userDataJson(rid.raw, { result: fault.result }), 'application/json; charset=UTF-8', {}, fault.result);
				} else {
					sendJson(ctx, res, 200, { result: fault.result });
				}
				return;
			}
			ctx.fault = 'delay';
		}

		switch (route) {
			case 'userdata':
			case 'wallets': {
				const reply = userDataRequest(ctx, route === 'userdata' ? (def as EndpointDef) : undefined);
				if (fault?.answerDelayMs) await sleep(fault.answerDelayMs);
				finish(ctx, res, reply.status ?? 200, reply.text, 'application/json; charset=UTF-8', reply.headers, reply.result);
				return;
			}
			case 'discovery':
				sendJson(ctx, res, 200, discovery());
				return;
			case 'certs':
				sendJson(ctx, res, 200, { keys: [] });
				return;
			case 'auth':
				handleAuth(ctx, res);
				return;
			case 'token':
				handleToken(ctx, res);
				return;
			case 'logout':
				handleLogout(ctx, res);
				return;
			case 'revoke':
				handleRevoke(ctx, res);
				return;
			case 'introspect':
				handleIntrospect(ctx, res);
				return;
			case 'userinfo': {
				const auth = authenticate(req.headers.authorization);
				if (!auth.ok) {
					sendJson(ctx, res, 401, { error: 'invalid_token' }, { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
					return;
				}
				const user = users.get(auth.rec.sub);
				sendJson(ctx, res, 200, {
					sub: auth.rec.sub,
					email: user?.email,
					email_verified: true,
					...(auth.rec.wallet !== undefined ? { wallet_address: auth.rec.wallet } : {}),
				});
				return;
			}
		}
	}

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

	function userDataRequest(
		ctx: Ctx,
		def: EndpointDef | undefined,
	): { status?: number; text: string; result: number; headers?: Record<string, string> } {
		const rid = requestIdOf(ctx.raw);
		const reply = (r: UserDataReply, headers?: Record<string, string>) => {
			const result = r.body.result as number;
			if (result >= 0) stats.userDataServed++;
			return { status: r.status, text: userDataJson(rid.raw, r.body), result, headers };
		};
		const auth = authenticate(ctx.headers.authorization);
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
		const out = def ? handleUserData(def, body, auth.rec) : handleUserWallets(auth.rec);
		return reply({ body: out });
	}

	function handleAuth(ctx: Ctx, res: http.ServerResponse): void {
		const q = ctx.url.searchParams;
		const page = (status: number, title: string, text: string) =>
			finish(
				ctx,
				res,
				status,
				`<!doctype html><html><head><title>${escapeHtml(title)}</title></head><body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p></body></html>`,
				'text/html; charset=UTF-8',
			);
		const clientId = q.get('client_id') ?? '';
		if (!clients.has(clientId)) {
			page(400, 'Invalid client', `Client not found: ${clientId}`);
			return;
		}
		const redirectUri = q.get('redirect_uri') ?? '';
		let target: URL;
		try {
			target = new URL(redirectUri);
		} catch {
			page(400, 'Invalid parameter', 'redirect_uri is missing or not an absolute URL');
			return;
		}
		const state = q.get('state');
		if (q.get('response_type') !== 'code') {
			target.searchParams.set('error', 'unsupported_response_type');
			if (state !== null) target.searchParams.set('state', state);
			finish(ctx, res, 302, '', 'text/plain', { Location: target.toString() });
			return;
		}
		const hint = q.get('login_hint');
		let user = users.get(DEMO.userId);
		if (hint) {
			user = users.get(hint) ?? [...users.values()].find((u) => u.email === hint) ?? user;
		}
		if (!user) {
			user = addUser({ userId: DEMO.userId, email: DEMO.email });
		}
		const requested = parseScopes(q.get('scope') ?? '');
		const code = randomId(20);
		codes.set(code, {
			userId: user.userId,
			clientId,
			redirectUri,
			// no scope asked for: the client's default scopes (discovery's client_scopes_default)
			scopes: requested.length > 0 ? requested : [...CLIENT_SCOPES_DEFAULT],
			exp: nowSec() + 600,
		});
		target.searchParams.set('code', code);
		if (state !== null) target.searchParams.set('state', state);
		finish(ctx, res, 302, '', 'text/plain', { Location: target.toString() });
	}

	// --- the OAuth endpoints: token, logout, revocation, introspection ---

	const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };

	function oauthError(ctx: Ctx, res: http.ServerResponse, status: number, error: string, description: string): void {
		sendJson(ctx, res, status, { error, error_description: description }, NO_STORE);
	}

	/** The parameters of an OAuth request: a form body (a JSON object is taken too). */
	function oauthParams(ctx: Ctx): Record<string, string> {
		const ct = String(ctx.headers['content-type'] ?? '');
		if (ct.includes('application/json') || /^\s*\{/.test(ctx.raw)) {
			try {
				const j = JSON.parse(ctx.raw);
				if (isPlainObject(j)) {
					const params: Record<string, string> = {};
					for (const [k, v] of Object.entries(j)) if (typeof v === 'string' || typeof v === 'number') params[k] = String(v);
					return params;
				}
			} catch {
				// not JSON: read it as a form
			}
		}
		return Object.fromEntries(new URLSearchParams(ctx.raw));
	}

	type ClientAuth = { ok: true; clientId: string } | { ok: false; description: string };

	/**
	 * Client authentication, the one check behind the token, logout, revocation and introspection
	 * endpoints: HTTP Basic (client_secret_basic), client_id + client_secret in the body
	 * (client_secret_post), or a signed client_assertion (client_secret_jwt HS256, private_key_jwt RS256).
	 */
	function authenticateClient(ctx: Ctx, params: Record<string, string>): ClientAuth {
		const authz = ctx.headers.authorization;
		const basic = authz ? /^Basic\s+(\S+)$/i.exec(authz.trim()) : null;
		if (basic) {
			const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
			const colon = decoded.indexOf(':');
			if (colon <= 0) return { ok: false, description: 'Invalid client credentials' };
			const dec = (s: string) => {
				try {
					return decodeURIComponent(s.replace(/\+/g, ' '));
				} catch {
					return s;
				}
			};
			const clientId = dec(decoded.slice(0, colon));
			if (params.client_id !== undefined && params.client_id !== clientId) return { ok: false, description: 'Invalid client credentials' };
			return secretMatches(clientId, dec(decoded.slice(colon + 1)));
		}
		if (params.client_assertion !== undefined || params.client_assertion_type !== undefined) return verifyClientAssertion(params);
		if (params.client_id !== undefined) {
			if (params.client_secret === undefined) return { ok: false, description: 'Invalid client credentials' };
			return secretMatches(params.client_id, params.client_secret);
		}
		return { ok: false, description: 'Invalid client credentials' };
	}

	function secretMatches(clientId: string, secret: string): ClientAuth {
		const expected = clients.get(clientId)?.secret;
		if (expected === undefined) return { ok: false, description: 'Invalid client or Invalid client credentials' };
		const a = Buffer.from(secret);
		const b = Buffer.from(expected);
		if (a.length !== b.length || !crypto.timingSafeEqual(a, b)) return { ok: false, description: 'Invalid client or Invalid client credentials' };
		return { ok: true, clientId };
	}

	/** A client_assertion as Keycloak checks it: type, signature, iss = sub = client, aud, exp, a jti used once. */
	function verifyClientAssertion(params: Record<string, string>): ClientAuth {
		const fail = (description: string): ClientAuth => ({ ok: false, description });
		const type = params.client_assertion_type;
		if (type === undefined) return fail('Parameter client_assertion_type is missing');
		if (type !== CLIENT_ASSERTION_TYPE) return fail(`Parameter client_assertion_type has value '${type}' but expected is '${CLIENT_ASSERTION_TYPE}'`);
		const assertion = params.client_assertion;
		if (assertion === undefined || assertion === '') return fail('client_assertion parameter missing');
		const parts = assertion.split('.');
		if (parts.length !== 3 || parts.some((p) => p === '' || !/^[A-Za-z0-9_-]+$/.test(p))) return fail('client_assertion is not a signed JWT');
		let header: unknown;
		let payload: unknown;
		try {
			header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
			payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
		} catch {
			return fail('client_assertion is not a signed JWT');
		}
		if (!isPlainObject(header) || !isPlainObject(payload)) return fail('client_assertion is not a signed JWT');
		const clientId = payload.sub;
		if (typeof clientId !== 'string' || clientId === '') return fail("Can't identify client. Subject missing on JWT token");
		if (payload.iss !== clientId) return fail('Issuer mismatch. The issuer should match the subject');
		if (params.client_id !== undefined && params.client_id !== clientId) return fail('client_id parameter does not match sub claim');
		const client = clients.get(clientId);
		if (!client) return fail(`Client not found: ${clientId}`);
		const signed = Buffer.from(`${parts[0]}.${parts[1]}`);
		const signature = Buffer.from(parts[2], 'base64url');
		let signatureOk = false;
		if (header.alg === 'HS256' && client.secret !== undefined) {
			const expected = crypto.createHmac('sha256', client.secret).update(signed).digest();
			signatureOk = expected.length === signature.length && crypto.timingSafeEqual(expected, signature);
		} else if (header.alg === 'RS256' && client.publicKey !== undefined) {
			try {
				signatureOk = crypto.verify('sha256', signed, client.publicKey, signature);
			} catch {
				signatureOk = false;
			}
		}
		if (!signatureOk) return fail('Signature on JWT token failed validation');
		const now = nowSec();
		if (typeof payload.exp !== 'number') return fail('Token exp claim is required');
		if (payload.exp <= now || (typeof payload.nbf === 'number' && payload.nbf > now)) return fail('Token is not active');
		const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
		const accepted = [issuer(), `${baseUrl}${TOKEN_PATH}`];
		if (!audiences.some((a) => typeof a === 'string' && accepted.includes(a))) return fail("Token audience doesn't match domain. The realm issuer or the token endpoint URL is expected");
		if (typeof payload.jti !== 'string' || payload.jti === '') return fail('Missing ID on the token');
		for (const [key, exp] of usedAssertions) if (exp <= now) usedAssertions.delete(key);
		const key = `${clientId} ${payload.jti}`;
		if (usedAssertions.has(key)) return fail('Token reuse detected');
		usedAssertions.set(key, payload.exp);
		return { ok: true, clientId };
	}

	/** Params and an authenticated client, or undefined once the error has been answered. */
	function oauthClient(ctx: Ctx, res: http.ServerResponse): { params: Record<string, string>; clientId: string } | undefined {
		const params = oauthParams(ctx);
		const client = authenticateClient(ctx, params);
		if (!client.ok) {
			oauthError(ctx, res, 401, 'invalid_client', client.description);
			return undefined;
		}
		return { params, clientId: client.clientId };
	}

	function handleToken(ctx: Ctx, res: http.ServerResponse): void {
		const auth = oauthClient(ctx, res);
		if (!auth) return;
		const { params, clientId } = auth;
		const grant = params.grant_type;
		if (grant === 'authorization_code') {
			const rec = params.code !== undefined ? codes.get(params.code) : undefined;
			if (params.code === undefined) {
				oauthError(ctx, res, 400, 'invalid_request', 'Missing parameter: code');
				return;
			}
			if (!rec || rec.clientId !== clientId || rec.exp <= nowSec()) {
				oauthError(ctx, res, 400, 'invalid_grant', 'Code not valid');
				return;
			}
			codes.delete(params.code);
			// RFC 6749 4.1.3: the redirect_uri of the authorization request is required, identical
			if (params.redirect_uri !== rec.redirectUri) {
				oauthError(ctx, res, 400, 'invalid_grant', 'Incorrect redirect_uri');
				return;
			}
			const user = users.get(rec.userId);
			const sid = startSession(rec.userId, clientId);
			const t = issue(rec.userId, clientId, rec.scopes, user?.wallets[0]?.address, opts.accessTokenLifetime, sid);
			stats.tokenGrants.authorization_code++;
			sendJson(ctx, res, 200, t, NO_STORE);
			return;
		}
		if (grant === 'refresh_token') {
			if (params.refresh_token === undefined) {
				oauthError(ctx, res, 400, 'invalid_request', 'Missing parameter: refresh_token');
				return;
			}
			// unknown, already used (rotation), revoked, or of a session that was logged out
			const rec = refreshRecordOf(params.refresh_token);
			if (!rec) {
				oauthError(ctx, res, 400, 'invalid_grant', 'Invalid refresh token');
				return;
			}
			if (rec.clientId !== clientId) {
				oauthError(ctx, res, 400, 'invalid_grant', 'Invalid refresh token. Token client and authorized client don\'t match');
				return;
			}
			if (rec.exp <= nowSec()) {
				oauthError(ctx, res, 400, 'invalid_grant', 'Token is not active');
				return;
			}
			refreshTokens.delete(rec.jti);
			const t = issue(rec.userId, clientId, rec.scopes, rec.wallet, opts.accessTokenLifetime, rec.sid);
			stats.tokenGrants.refresh_token++;
			sendJson(ctx, res, 200, t, NO_STORE);
			return;
		}
		if (grant === undefined) {
			oauthError(ctx, res, 400, 'invalid_request', 'Missing parameter: grant_type');
			return;
		}
		oauthError(ctx, res, 400, 'unsupported_grant_type', `Unsupported grant_type: ${grant}`);
	}

	/**
	 * Keycloak's back-channel logout: a refresh token of the calling client names the session, which
	 * ends (204). Its refresh tokens then give invalid_grant and its access tokens -1, as Keycloak's
	 * own checks (userinfo, introspection) refuse the tokens of a session that is gone.
	 */
	function handleLogout(ctx: Ctx, res: http.ServerResponse): void {
		const auth = oauthClient(ctx, res);
		if (!auth) return;
		const token = auth.params.refresh_token;
		if (token === undefined) {
			oauthError(ctx, res, 400, 'invalid_request', 'No refresh token');
			return;
		}
		const payload = verifyJwt(token);
		if (!payload || payload.typ !== 'Refresh') {
			oauthError(ctx, res, 400, 'invalid_grant', 'Invalid refresh token');
			return;
		}
		if (payload.azp !== auth.clientId) {
			oauthError(ctx, res, 400, 'invalid_grant', 'Invalid refresh token. Token client and authorized client don\'t match');
			return;
		}
		if (typeof payload.exp !== 'number' || payload.exp <= nowSec()) {
			oauthError(ctx, res, 400, 'invalid_grant', 'Token is not active');
			return;
		}
		// a session already gone (logged out, revoked, reset) is no error: there is nothing left to end
		if (typeof payload.sid === 'string' && sessions.has(payload.sid)) endSession(payload.sid);
		if (!res.destroyed) {
			res.writeHead(204, NO_STORE);
			res.end();
		}
		record(ctx, 204);
	}

	/**
	 * RFC 7009 as Keycloak does it. A refresh token: the client's consent is withdrawn, every session
	 * of that user with that client ends. An access token: that token alone. Unknown or dead tokens
	 * get 200 too (Keycloak adds an invalid_token body); a token of another client is refused.
	 */
	function handleRevoke(ctx: Ctx, res: http.ServerResponse): void {
		const auth = oauthClient(ctx, res);
		if (!auth) return;
		const token = auth.params.token;
		if (token === undefined) {
			oauthError(ctx, res, 400, 'invalid_request', 'Token not provided');
			return;
		}
		const payload = verifyJwt(token);
		if (!payload) {
			oauthError(ctx, res, 200, 'invalid_token', 'Invalid token');
			return;
		}
		if (payload.typ !== 'Refresh' && payload.typ !== 'Bearer') {
			oauthError(ctx, res, 400, 'unsupported_token_type', 'Unsupported token type');
			return;
		}
		if (payload.azp !== auth.clientId) {
			oauthError(ctx, res, 400, 'invalid_request', 'Unmatching clients');
			return;
		}
		if (payload.typ === 'Refresh') {
			if (typeof payload.sid !== 'string' || !sessions.has(payload.sid)) {
				oauthError(ctx, res, 200, 'invalid_token', 'Invalid token');
				return;
			}
			for (const session of [...sessions.values()]) {
				if (session.userId === payload.sub && session.clientId === auth.clientId) endSession(session.sid);
			}
		} else {
			const rec = accessRecordOf(token);
			if (!rec) {
				oauthError(ctx, res, 200, 'invalid_token', 'Invalid token');
				return;
			}
			accessTokens.delete(rec.jti);
		}
		finish(ctx, res, 200, '', 'text/plain', NO_STORE);
	}

	/**
	 * RFC 7662 for an authenticated client (any client of the realm may ask, as in Keycloak):
	 * {active: true, ...claims} for a token the emulator would accept now, else {active: false}.
	 */
	function handleIntrospect(ctx: Ctx, res: http.ServerResponse): void {
		const auth = oauthClient(ctx, res);
		if (!auth) return;
		const token = auth.params.token;
		if (token === undefined) {
			oauthError(ctx, res, 400, 'invalid_request', 'Token not provided');
			return;
		}
		const payload = verifyJwt(token);
		let active = false;
		if (payload?.typ === 'Bearer') {
			const rec = accessRecordOf(token);
			active = rec !== undefined && !accessExpired(rec);
		} else if (payload?.typ === 'Refresh') {
			const rec = refreshRecordOf(token);
			active = rec !== undefined && rec.exp > nowSec();
		}
		if (!payload || !active) {
			sendJson(ctx, res, 200, { active: false }, NO_STORE);
			return;
		}
		sendJson(ctx, res, 200, { ...payload, client_id: payload.azp, token_type: payload.typ, active: true }, NO_STORE);
	}

	// --- control endpoints (the same functions as the in-process methods) ---

	async function handleControl(req: http.IncomingMessage, res: http.ServerResponse, ctx: Ctx): Promise<void> {
		const body = await readBody(req);
		const json = (status: number, obj: unknown) => {
			const text = JSON.stringify(obj);
			res.writeHead(status, { 'Content-Type': 'application/json; charset=UTF-8', 'Content-Length': Buffer.byteLength(text) });
			res.end(text);
		};
		let input: Record<string, unknown> = {};
		if (body.raw.trim() !== '') {
			try {
				const parsed = JSON.parse(body.raw);
				if (!isPlainObject(parsed)) throw new Error('not an object');
				input = parsed;
			} catch {
				json(400, { error: 'body must be a JSON object' });
				return;
			}
		}
		const route = `${ctx.method} ${ctx.path.slice(CONTROL_PREFIX.length - 1)}`;
		try {
			switch (route) {
				case 'POST /tokens':
					json(200, createToken(input as CreateTokenOptions));
					return;
				case 'POST /users':
					json(200, addUser(input as unknown as UserInput));
					return;
				case 'POST /clients':
					addClient(input as unknown as ClientInput);
					json(200, { clientId: input.clientId });
					return;
				case 'GET /faults':
					json(200, { rules: faultRules });
					return;
				case 'POST /faults':
					setFaults(input.rules as FaultRule[], input.seed as number | undefined);
					json(200, { rules: faultRules });
					return;
				case 'DELETE /faults':
					faultRules = [];
					json(200, { rules: [] });
					return;
				case 'GET /requests':
					json(200, log);
					return;
				case 'DELETE /requests':
					log = [];
					json(200, { ok: true });
					return;
				case 'GET /store':
					json(200, store());
					return;
				case 'GET /stats':
					json(200, getStats());
					return;
				case 'DELETE /stats':
					clearStats();
					json(200, getStats());
					return;
				case 'POST /reset':
					seed();
					json(200, { ok: true });
					return;
				case 'GET /options':
					json(200, opts);
					return;
				case 'POST /options':
					json(200, setOptions(input as Partial<ResolvedOptions>));
					return;
				case 'POST /clock':
					advanceClock(input.advanceSeconds as number);
					json(200, { offsetSeconds: clockOffsetMs / 1000 });
					return;
				case 'GET /discovery':
					json(200, discovery());
					return;
				default:
					json(404, { error: 'not_found', message: `${ctx.method} ${ctx.path} is not a control endpoint` });
			}
		} catch (err) {
			if (err instanceof EmulatorError) json(err.status, { error: err.message });
			else json(500, { error: String(err) });
		}
	}

	const server = http.createServer((req, res) => {
		const url = new URL(req.url ?? '/', 'http://127.0.0.1');
		const authz = req.headers.authorization;
		const ctx: Ctx = {
			method: req.method ?? 'GET',
			path: url.pathname,
			url,
			headers: req.headers,
			raw: '',
			tooLarge: false,
			hasBearer: typeof authz === 'string' && /^Bearer\s/i.test(authz.trim() + ' '),
			started: Date.now(),
		};
		const handler = ctx.path.startsWith(CONTROL_PREFIX) ? handleControl : handleApi;
		handler(req, res, ctx).catch((err) => {
			if (!res.headersSent && !res.destroyed) {
				res.writeHead(500, { 'Content-Type': 'application/json; charset=UTF-8' });
				res.end(JSON.stringify({ error: 'internal_error', message: String(err) }));
			}
		});
	});
	server.keepAliveTimeout = 5000;

	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(opts.port, '127.0.0.1', () => {
			server.off('error', reject);
			resolve();
		});
	});
	const address = server.address();
	const port = typeof address === 'object' && address ? address.port : opts.port;
	opts.port = port;
	baseUrl = `http://127.0.0.1:${port}`;
	seed();

	let closed: Promise<void> | undefined;
	const emulator: Emulator = {
		url: baseUrl,
		port,
		options: opts,
		close() {
			if (!closed) {
				closed = new Promise<void>((resolve) => {
					for (const t of timers) clearTimeout(t);
					timers.clear();
					server.close(() => resolve());
					server.closeAllConnections();
				});
			}
			return closed;
		},
		reset: seed,
		createToken,
		addUser,
		addClient,
		setFaults,
		clearFaults() {
			faultRules = [];
		},
		faults: () => faultRules.map((f) => ({ ...f })),
		requests: () => log.map((e) => ({ ...e })),
		clearRequests() {
			log = [];
		},
		store,
		stats: getStats,
		clearStats,
		setOptions,
		advanceClock,
		discovery,
	};
	return emulator;
}
