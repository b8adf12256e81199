/**
 * The sign-in webhook in a running n8n, for the e2e suite and `npm run demo`: a regular n8n
 * (`startDeployment`) with a HyperID Client credential for the emulator, and a user's browser
 * played with plain HTTP (no redirect followed on its own, so every hop is seen):
 *
 *   GET  n8n  /webhook/hyperid-sign-in/start      -> 307 to HyperID's authorization URL, Set-Cookie hyperid_sign_in
 *   GET  HyperID (emulator) authorization URL     -> 302 to the callback with code and state
 *   GET  n8n  /webhook/hyperid-sign-in/callback   -> 200 "Signed in as ..." (the browser sends its cookie back)
 */
import type { Emulator } from './hyperid';
import type { WorkflowJson } from './workflow';

export const START_PATH = 'hyperid-sign-in/start';
export const CALLBACK_PATH = 'hyperid-sign-in/callback';

/**
 * The service's own client at the emulator, with the sign-in callback registered as a developer
 * registers it in HyperID's portal; on localhost / 127.0.0.1 any port (Keycloak ignores a loopback
 * URI's port), as n8n's port is chosen at start.
 */
export const SERVICE_CLIENT = {
	clientId: 'my-service',
	clientSecret: 'my-service-secret',
	redirectUris: [`http://localhost/webhook/${CALLBACK_PATH}`, `http://127.0.0.1/webhook/${CALLBACK_PATH}`],
};

export interface CredentialImport {
	id: string;
	name: string;
	type: string;
	data: Record<string, unknown>;
}

/** The HyperID Client credential for the emulator, as `n8n import:credentials` takes it. */
export function clientCredential(emulator: Emulator, id = 'hyperIdClient', name = 'HyperID Client'): CredentialImport {
	emulator.addClient({ ...SERVICE_CLIENT });
	return {
		id,
		name,
		type: 'hyperIdClientApi',
		data: {
			environment: 'custom',
			loginUrl: emulator.url,
			apiUrl: emulator.url,
			clientId: SERVICE_CLIENT.clientId,
			clientAuthentication: 'clientSecretPost',
			clientSecret: SERVICE_CLIENT.clientSecret,
		},
	};
}

/** A copy of `wf` with id `id` and every credential of the given types pointed at the given one. */
export function bindByType(wf: WorkflowJson, id: string, byType: Record<string, { id: string; name: string }>): WorkflowJson {
	const copy = JSON.parse(JSON.stringify(wf)) as WorkflowJson;
	copy.id = id;
	copy.active = false;
	for (const node of copy.nodes) {
		for (const type of Object.keys(node.credentials ?? {})) {
			if (byType[type]) node.credentials![type] = { ...byType[type] };
		}
	}
	return copy;
}

/** The public URL the sign-in examples name in their Redirect URI fields: replaced by the running n8n's. */
export const EXAMPLE_PUBLIC_URL = 'https://n8n.example.com';

/** A copy of `wf` whose Redirect URIs (and anything else naming the example's public URL) name `baseUrl`. */
export function withPublicUrl<T extends object>(wf: T, baseUrl: string): T {
	return JSON.parse(JSON.stringify(wf).split(EXAMPLE_PUBLIC_URL).join(baseUrl)) as T;
}

/** The cookie n8n's start webhook sets to bind the sign-in to the browser. */
export const SIGN_IN_COOKIE = 'hyperid_sign_in';

export interface BrowsedSignIn {
	/** where n8n's start webhook sent the browser (HyperID's authorization URL) */
	authorizationUrl: URL;
	/** the Set-Cookie n8n's start webhook answered with, as the browser sends it back ("name=value") */
	cookie: string | undefined;
	/** the whole Set-Cookie header (attributes included) */
	setCookie: string | undefined;
	/** where HyperID sent the browser back (n8n's callback with code and state) */
	callbackUrl: URL;
	/** n8n's answer to the callback */
	status: number;
	body: string;
}

async function redirectOf(url: string, what: string, headers: Record<string, string> = {}): Promise<{ location: URL; setCookie: string | undefined }> {
	const response = await fetch(url, { redirect: 'manual', headers, signal: AbortSignal.timeout(60_000) });
	const location = response.headers.get('location');
	if (response.status < 300 || response.status >= 400 || !location) {
		throw new Error(`${what} answered HTTP ${response.status} without a redirect: ${(await response.text()).slice(0, 300)}`);
	}
	const setCookie = response.headers.getSetCookie().find((c) => c.startsWith(`${SIGN_IN_COOKIE}=`));
	return { location: new URL(location, url), setCookie };
}

/** A browser opens n8n's start webhook: where it is sent, and the cookie it keeps. */
export async function startSignIn(n8nBaseUrl: string, email?: string): Promise<{ authorizationUrl: URL; cookie: string | undefined; setCookie: string | undefined }> {
	const start = `${n8nBaseUrl}/webhook/${START_PATH}${email ? `?email=${encodeURIComponent(email)}` : ''}`;
	const { location, setCookie } = await redirectOf(start, "n8n's start webhook");
	return { authorizationUrl: location, setCookie, cookie: setCookie?.split(';')[0] };
}

/** The user at HyperID (the emulator signs them in at once): where HyperID sends the browser back. */
export async function atHyperId(authorizationUrl: URL): Promise<URL> {
	return (await redirectOf(authorizationUrl.toString(), "HyperID's authorization endpoint")).location;
}

/** A browser arriving at n8n's callback, with the cookie it holds (if any). */
export async function openCallback(callbackUrl: URL, cookie: string | undefined): Promise<{ status: number; body: string }> {
	const response = await fetch(callbackUrl, { headers: cookie ? { cookie } : {}, signal: AbortSignal.timeout(60_000) });
	return { status: response.status, body: await response.text() };
}

/** A user's browser through the whole sign-in; `email` becomes the login hint (the emulator signs that user in). */
export async function browseSignIn(n8nBaseUrl: string, email?: string): Promise<BrowsedSignIn> {
	const { authorizationUrl, cookie, setCookie } = await startSignIn(n8nBaseUrl, email);
	const callbackUrl = await atHyperId(authorizationUrl);
	return { authorizationUrl, cookie, setCookie, callbackUrl, ...(await openCallback(callbackUrl, cookie)) };
}

const OWNER = { email: 'owner@example.com', firstName: 'Test', lastName: 'Owner', password: 'Owner-passw0rd' };
const BROWSER_ID = 'hyperid-sign-in-test';

/** Sets up n8n's owner (a fresh n8n has none) and returns the session cookie for its REST API. */
export async function ownerSession(n8nBaseUrl: string): Promise<string> {
	const response = await fetch(`${n8nBaseUrl}/rest/owner/setup`, {
		method: 'POST',
		headers: { 'content-type': 'application/json', 'browser-id': BROWSER_ID },
		body: JSON.stringify(OWNER),
		signal: AbortSignal.timeout(30_000),
	});
	const cookie = response.headers.getSetCookie().find((c) => c.startsWith('n8n-auth='));
	if (!response.ok || !cookie) throw new Error(`n8n owner setup: HTTP ${response.status} ${(await response.text()).slice(0, 300)}`);
	return cookie.split(';')[0];
}

/** n8n's own credential test (the editor's "Test" button: POST /rest/credentials/test) on an imported credential with `data`. */
export async function testCredential(
	n8nBaseUrl: string,
	cookie: string,
	credential: CredentialImport,
	data: Record<string, unknown>,
): Promise<{ status: string; message?: string }> {
	const response = await fetch(`${n8nBaseUrl}/rest/credentials/test`, {
		method: 'POST',
		headers: { 'content-type': 'application/json', 'browser-id': BROWSER_ID, cookie },
		body: JSON.stringify({ credentials: { id: credential.id, name: credential.name, type: credential.type, data } }),
		signal: AbortSignal.timeout(60_000),
	});
	const text = await response.text();
	if (!response.ok) throw new Error(`n8n credential test: HTTP ${response.status} ${text.slice(0, 300)}`);
	const body = JSON.parse(text) as { data?: { status: string; message?: string } };
	if (!body.data) throw new Error(`n8n credential test: unexpected answer ${text.slice(0, 300)}`);
	return body.data;
}
