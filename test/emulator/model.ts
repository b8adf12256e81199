/**
 * The emulator's public contract: its paths, the demo account, its options, and the shapes its
 * in-process API and control API take and give. Everything here is re-exported by server.ts.
 */

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
/** PKCE methods Keycloak accepts on the authorization request (discovery: code_challenge_methods_supported). */
export const CODE_CHALLENGE_METHODS = ['plain', 'S256'];
/** The endpoints that take a form body (and client authentication). */
export const OAUTH_FORM_PATHS = [TOKEN_PATH, LOGOUT_PATH, REVOKE_PATH, INTROSPECT_PATH];
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
	/** Every path on this machine, any port (Keycloak ignores the port of a loopback redirect URI): n8n's port varies. */
	redirectUris: ['http://localhost/*', 'http://127.0.0.1/*'],
	/** Listed in wallets_private; the default `wallet_address` claim of demo tokens. */
	privateWallet: '0x5a0b54d5dc17e0aadc383d2db43b0a0d3e029c4c',
	/** Listed in wallets_public. */
	publicWallet: '0x2e1d3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e',
} as const;

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
	/** 0 = off. N > 0: user-data requests beyond N per second (a bucket of N refilled at N/s) get HTTP 429 with Retry-After. [0] */
	rateLimitPerSecond?: number;
	/** shared-list-get page size when page_size is absent or 0. [100] */
	defaultPageSize?: number;
	/** Access token lifetime in seconds. [3600] */
	accessTokenLifetime?: number;
	/** Refresh token lifetime in seconds. [2592000 = 30 days] */
	refreshTokenLifetime?: number;
	/** Authorization code lifetime in seconds (Keycloak's default). [60] */
	codeLifetime?: number;
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
	rateLimitPerSecond: number;
	defaultPageSize: number;
	accessTokenLifetime: number;
	refreshTokenLifetime: number;
	codeLifetime: number;
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
	/**
	 * Valid redirect URIs, as Keycloak matches them: exact, or a prefix ending in `*`; the port of an
	 * http://localhost or http://127.0.0.1 URI is ignored. Without any, every sign-in is refused (a 400 page).
	 */
	redirectUris?: string[];
}

export interface AddUsersOptions {
	/** How many new users (1..10000). */
	count: number;
	/** userIds are prefix + 1, 2, ... (numbers already taken are skipped). ["user-"] */
	prefix?: string;
	/** The client the tokens are issued to. [the demo client] */
	clientId?: string;
	scopes?: string[] | string;
	/** Access token lifetime in seconds. [accessTokenLifetime] */
	expiresIn?: number;
}

/** A user created by addUsers, signed in to the client: the pair a service keeps for that user. */
export interface SignedInUser {
	userId: string;
	email: string;
	accessToken: string;
	refreshToken: string;
	expiresIn: number;
	refreshExpiresIn: number;
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
	/** the session id (the access token's `sid`), as Keycloak answers */
	session_state: string;
	'not-before-policy': number;
}

export interface FaultRule {
	/** Exact request path; omitted = every user-data path (/user-data/..., /user-wallets/...). */
	path?: string;
	/** How many matching requests it answers. [1]; -1 = unlimited. */
	times?: number;
	/** Let this many matching requests through (handled normally) before it applies, e.g. to fail a resend and not the first try. [0] */
	skip?: number;
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
	/** Matching requests still let through before it applies. */
	skipRemaining: number;
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
	/** Spent refresh tokens presented again (each detached its session: the user was signed out of that client). */
	refreshReuses: number;
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
	/** Many new users at once, each signed in to one client (no browser): their token pairs. */
	addUsers(opts: AddUsersOptions): SignedInUser[];
	/** The next authorization request signs in this user (created when unknown), before any login_hint. */
	signInNext(user: { userId?: string; email?: string }): User;
	/** Every live access token (of that user / client, if given) expires now; refresh tokens stay. The count. */
	expireAccessTokens(filter?: { userId?: string; clientId?: string }): number;
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
