/**
 * The sign-in webhook in a running n8n, for the e2e suite and `npm run demo`: a regular n8n
 * (`startDeployment`) with a HyperID Client credential for the emulator, and a user's browser
 * played with plain HTTP (no redirect followed on its own, so every hop is seen):
 *
 *   GET  n8n  /webhook/hyperid-sign-in/start      -> 302 to HyperID's authorization URL
 *   GET  HyperID (emulator) authorization URL     -> 302 to the callback with code and state
 *   GET  n8n  /webhook/hyperid-sign-in/callback   -> 200 "Signed in as ..."
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

export interface BrowsedSignIn {
	/** where n8n's start webhook sent the browser (HyperID's authorization URL) */
	authorizationUrl: URL;
	/** where HyperID sent the browser back (n8n's callback with code and state) */
	callbackUrl: URL;
	/** n8n's answer to the callback */
	status: number;
	body: string;
}

async function redirectOf(url: string, what: string): Promise<URL> {
	const response = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(60_000) });
	const location = response.headers.get('location');
	if (response.status < 300 || response.status >= 400 || !location) {
		throw new Error(`${what} answered HTTP ${response.status} without a redirect: ${(await response.text()).slice(0, 300)}`);
	}
	return new URL(location, url);
}

/** A user's browser through the whole sign-in; `email` becomes the login hint (the emulator signs that user in). */
export async function browseSignIn(n8nBaseUrl: string, email?: string): Promise<BrowsedSignIn> {
	const start = `${n8nBaseUrl}/webhook/${START_PATH}${email ? `?email=${encodeURIComponent(email)}` : ''}`;
	const authorizationUrl = await redirectOf(start, "n8n's start webhook");
	const callbackUrl = await redirectOf(authorizationUrl.toString(), "HyperID's authorization endpoint");
	const response = await fetch(callbackUrl, { signal: AbortSignal.timeout(60_000) });
	return { authorizationUrl, callbackUrl, status: response.status, body: await response.text() };
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
