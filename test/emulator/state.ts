/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * The emulator's state, shared by its three parts (login host, user data API, control API): users,
 * clients, stored values, tokens and sessions, fault rules, the request log, counters, the clock and
 * the options. reset() brings back what the emulator started with.
 */
import * as crypto from 'node:crypto';
import {
	DEMO,
	REALM_PATH,
	EmulatorError,
	type ActiveFault,
	type ClientInput,
	type EmulatorOptions,
	type EmulatorStats,
	type RequestLogEntry,
	type ResolvedOptions,
	type StoreSnapshot,
	type StoredValue,
	type User,
	type UserInput,
	type Wallet,
} from './model';
import { isAbsoluteHttpUrl, isPlainObject, mulberry32 } from './util';

export interface Entry {
	value: string;
	owner: string;
	scope: 0 | 1;
}

export interface AccessRecord {
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
export interface RefreshRecord {
	jti: string;
	token: string;
	userId: string;
	clientId: string;
	sid: string;
	scopes: string[];
	wallet?: string;
	exp: number;
}

/**
 * A sign-in of one user to one client (Keycloak's user session with its one client session);
 * refreshes keep it, logout and revocation end it, a reused refresh token or code detaches its client.
 */
export interface SessionRecord {
	sid: string;
	userId: string;
	clientId: string;
	/** Keycloak's detachFromUserSession: the user session stays, this client's tokens no longer work */
	detached: boolean;
	/** jti of the refresh token last presented (Keycloak's clientSession.getRefreshToken): its reuse is "Maximum allowed ...", an older one's "Stale token" */
	lastPresentedRefresh?: string;
}

export interface ClientRecord {
	secret?: string;
	publicKey?: crypto.KeyObject;
	/** as Keycloak matches them (login.ts redirectUriAllowed); empty: no sign-in can come back */
	redirectUris: string[];
}

/** An authorization code; kept once used until it expires, so that a second use ends its session (Keycloak). */
export interface CodeRecord {
	userId: string;
	clientId: string;
	/** the redirect_uri the authorization request sent; the exchange must repeat it (none sent: none checked) */
	redirectUriParam?: string;
	scopes: string[];
	exp: number;
	/** the session the sign-in started (session_state) */
	sid: string;
	nonce?: string;
	codeChallenge?: string;
	codeChallengeMethod?: string;
	used: boolean;
}

export interface SearchRecord {
	userId: string;
	clientId: string;
	target: string;
	/** every stored key of the target at the first page, sorted */
	keys: string[];
	/** keys[i] is shown to the caller (another client's public key) */
	visible: boolean[];
	offset: number;
}

export const MAX_SEARCHES = 10000;

function resolveOptions(options: EmulatorOptions): ResolvedOptions {
	const maxValueBytes = options.maxValueBytes ?? 65536;
	return {
		port: options.port ?? 0,
		maxKeyLength: options.maxKeyLength ?? 256,
		maxKeysPerGet: options.maxKeysPerGet ?? 100,
		maxValueBytes,
		latencyMs: options.latencyMs ?? 0,
		rateLimitPerSecond: options.rateLimitPerSecond ?? 0,
		defaultPageSize: options.defaultPageSize ?? 100,
		accessTokenLifetime: options.accessTokenLifetime ?? 3600,
		refreshTokenLifetime: options.refreshTokenLifetime ?? 30 * 24 * 3600,
		codeLifetime: options.codeLifetime ?? 60,
		expireTokensEveryRequests: options.expireTokensEveryRequests ?? 0,
		log: options.log ?? true,
		maxBodyBytes: options.maxBodyBytes ?? Math.max(1024 * 1024, maxValueBytes * 4),
	};
}

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
		refreshReuses: 0,
	};
}

export class EmulatorState {
	/** Mutable: changes apply to the next request. */
	readonly opts: ResolvedOptions;
	/** What the emulator started with: reset() restores these too (setOptions changes are state). */
	private readonly startOptions: ResolvedOptions;
	/** Signs every token the emulator issues (HS256). */
	readonly jwtSecret = crypto.randomBytes(32);
	/** http://127.0.0.1:PORT, once listening */
	baseUrl = '';
	/** Pending delays (latency, faults): close() clears them. */
	readonly timers = new Set<NodeJS.Timeout>();

	// --- mutable state (everything reset() restores) ---
	users = new Map<string, User>();
	clients = new Map<string, ClientRecord>();
	data = new Map<string, Map<string, Map<string, Entry>>>();
	accessTokens = new Map<string, AccessRecord>();
	refreshTokens = new Map<string, RefreshRecord>();
	sessions = new Map<string, SessionRecord>();
	/** jti of accepted client assertions ("clientId jti" -> exp): a reused one is refused. */
	usedAssertions = new Map<string, number>();
	codes = new Map<string, CodeRecord>();
	/** userIds the next authorization requests sign in, first first (signInNext) */
	nextSignIns: string[] = [];
	searches = new Map<string, SearchRecord>();
	faultRules: ActiveFault[] = [];
	rng = mulberry32(crypto.randomInt(2 ** 31));
	log: RequestLogEntry[] = [];
	seq = 0;
	clockOffsetMs = 0;
	stats: EmulatorStats = freshStats();

	constructor(options: EmulatorOptions) {
		this.opts = resolveOptions(options);
		this.startOptions = { ...this.opts };
	}

	nowMs(): number {
		return Date.now() + this.clockOffsetMs;
	}

	nowSec(): number {
		return Math.floor(this.nowMs() / 1000);
	}

	issuer(): string {
		return `${this.baseUrl}${REALM_PATH}`;
	}

	/** Everything back to the start: the demo user and client only, the start options, no tokens, no log. */
	reset(): void {
		Object.assign(this.opts, this.startOptions, { port: this.opts.port });
		this.users = new Map();
		this.clients = new Map();
		this.data = new Map();
		this.accessTokens = new Map();
		this.refreshTokens = new Map();
		this.sessions = new Map();
		this.usedAssertions = new Map();
		this.codes = new Map();
		this.nextSignIns = [];
		this.searches = new Map();
		this.faultRules = [];
		this.rng = mulberry32(crypto.randomInt(2 ** 31));
		this.log = [];
		this.seq = 0;
		this.clockOffsetMs = 0;
		const inFlight = this.stats.inFlight;
		this.stats = freshStats();
		this.stats.inFlight = inFlight;
		this.addUser({
			userId: DEMO.userId,
			email: DEMO.email,
			identityProviders: [...DEMO.identityProviders],
			wallets: [
				{ address: DEMO.privateWallet, chain: '1', family: 0, label: 'Demo private wallet', tags: ['demo', 'private'], public: false },
				{ address: DEMO.publicWallet, chain: '137', family: 0, label: 'Demo public wallet', tags: ['demo', 'public'], public: true },
			],
		});
		this.clients.set(DEMO.clientId, { secret: DEMO.clientSecret, redirectUris: [...DEMO.redirectUris] });
	}

	findUser(idOrEmail: string): User | undefined {
		return this.users.get(idOrEmail) ?? [...this.users.values()].find((u) => u.email === idOrEmail);
	}

	// --- users / clients ---

	addUser(input: UserInput): User {
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
		this.users.set(user.userId, user);
		return structuredClone(user);
	}

	addClient(input: ClientInput): void {
		if (!isPlainObject(input) || typeof input.clientId !== 'string' || input.clientId === '') {
			throw new EmulatorError(400, 'clientId (non-empty string) is required');
		}
		if (input.clientSecret !== undefined && typeof input.clientSecret !== 'string') throw new EmulatorError(400, 'clientSecret must be a string');
		if (input.publicKeyPem !== undefined && typeof input.publicKeyPem !== 'string') throw new EmulatorError(400, 'publicKeyPem must be a string');
		if (input.clientSecret === undefined && input.publicKeyPem === undefined) {
			throw new EmulatorError(400, 'clientSecret (string) or publicKeyPem (PEM string) is required');
		}
		const redirectUris = input.redirectUris ?? [];
		if (!Array.isArray(redirectUris) || redirectUris.some((u) => typeof u !== 'string' || !isAbsoluteHttpUrl(u.replace(/\*$/, '')))) {
			throw new EmulatorError(400, 'redirectUris must be an array of absolute http(s) URLs (a trailing * matches any rest)');
		}
		const client: ClientRecord = { redirectUris: [...redirectUris] };
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
		this.clients.set(input.clientId, client);
	}

	// --- snapshots ---

	store(): StoreSnapshot {
		const out: StoreSnapshot['data'] = {};
		for (const [userId, targets] of this.data) {
			const u: Record<string, Record<string, StoredValue>> = {};
			for (const [target, entries] of targets) {
				const t: Record<string, StoredValue> = {};
				for (const [k, e] of entries) t[k] = { value_data: e.value, access_scope: e.scope, client_id: e.owner };
				u[target] = t;
			}
			out[userId] = u;
		}
		return {
			users: [...this.users.values()].map((u) => structuredClone(u)),
			clients: [...this.clients.keys()].map((clientId) => ({ clientId })),
			data: out,
			tokens: { access: this.accessTokens.size, refresh: this.refreshTokens.size, codes: this.codes.size, searches: this.searches.size, sessions: this.sessions.size },
			faults: this.faultRules.map((f) => ({ ...f })),
			clock: { offsetSeconds: this.clockOffsetMs / 1000 },
		};
	}

	getStats(): EmulatorStats {
		return structuredClone(this.stats);
	}

	clearStats(): void {
		const inFlight = this.stats.inFlight;
		const served = this.stats.userDataServed;
		this.stats = freshStats();
		this.stats.inFlight = inFlight;
		this.stats.maxInFlight = inFlight;
		// the served counter drives token expiry; keep it so clearing stats does not revive tokens
		this.stats.userDataServed = served;
	}

	setOptions(patch: Partial<ResolvedOptions>): ResolvedOptions {
		if (!isPlainObject(patch)) throw new EmulatorError(400, 'options must be an object');
		for (const [k, v] of Object.entries(patch)) {
			if (!(k in this.opts) || k === 'port') throw new EmulatorError(400, `unknown or read-only option: ${k}`);
			const current = (this.opts as unknown as Record<string, unknown>)[k];
			if (typeof v !== typeof current) throw new EmulatorError(400, `option ${k} must be a ${typeof current}`);
			if (typeof v === 'number' && (!Number.isFinite(v) || v < 0)) throw new EmulatorError(400, `option ${k} must be >= 0`);
		}
		Object.assign(this.opts, patch);
		return { ...this.opts };
	}

	advanceClock(seconds: number): void {
		if (typeof seconds !== 'number' || !Number.isFinite(seconds)) throw new EmulatorError(400, 'seconds must be a number');
		this.clockOffsetMs += seconds * 1000;
	}
}
