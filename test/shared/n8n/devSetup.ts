/**
 * What `npm run dev` puts into n8n, in one place: scripts/dev.ts starts the editor with it and
 * test/browser/dev.browser.test.ts checks, in a real browser, that a user meets what dev promises.
 */
import type { StartEditorOptions } from './editor';
import { DEMO } from './hyperid';
import { clientCredential, SERVICE_CLIENT } from './signIn';
import { DEFAULT_CREDENTIAL_NAME } from './workflow';

/** The connected account (HyperID OAuth2 API): the one new HyperID User Data nodes get. */
export const DEV_ACCOUNT = { id: 'hyperIdDevCred01', name: DEFAULT_CREDENTIAL_NAME };
/** A second HyperID client application of the same user (examples/02 reads shared keys with it). */
export const DEV_SECOND_APP = {
	id: 'hyperIdDevCred02',
	name: 'HyperID second app',
	clientId: 'hyperid-second-app',
	clientSecret: 'second-secret',
};
/** Your service's own client (HyperID Client API): for HyperID Sign-In and Each User's Tokens. */
export const DEV_CLIENT = { id: 'hyperIdClient', name: 'HyperID Client' };

/** Where the editor should open: the workflows list with the imported examples (n8n 2.41 alone opens its Assistant page). */
export const DEV_START_PATH = '/home/workflows';

/**
 * The credential n8n's editor gives a new HyperID User Data node in dev. The editor picks the most
 * recently updated credential of the node's types (NodeCredentials.vue); n8n 2.41 sends it each
 * credential's updatedAt, so the connected account, stamped newest, wins. n8n 2.8.4 sends no
 * updatedAt, and the editor then takes the last listed: a HyperID Client API credential if any.
 */
export function newNodeCredential(n8nVersion: string): string {
	const [major, minor] = n8nVersion.split('.').map(Number);
	return major > 2 || (major === 2 && minor >= 41) ? DEV_ACCOUNT.name : DEV_CLIENT.name;
}

/** The credentials `npm run dev` imports; the connected account is stamped as updated last (see startEditor). */
export function devCredentials(): Pick<StartEditorOptions, 'credentials' | 'extraCredentials'> {
	return {
		credentials: [DEV_ACCOUNT, DEV_SECOND_APP],
		extraCredentials: (emulator) => [clientCredential(emulator, DEV_CLIENT.id, DEV_CLIENT.name)],
	};
}

/** The banner's lines on the credentials: which one does what. */
export function devCredentialLines(emulatorUrl: string, baseUrl: string, n8nVersion: string): string[] {
	const taken = newNodeCredential(n8nVersion);
	const name = (n: string) => `"${n}"`.padEnd(DEV_SECOND_APP.name.length + 3);
	const more = ' '.repeat(DEV_SECOND_APP.name.length + 7);
	return [
		taken === DEV_ACCOUNT.name
			? `  credentials (new HyperID User Data nodes take "${DEV_ACCOUNT.name}"):`
			: `  credentials (n8n ${n8nVersion} gives new HyperID User Data nodes "${taken}": pick "${DEV_ACCOUNT.name}"):`,
		`    ${name(DEV_ACCOUNT.name)}HyperID OAuth2 API, connected to the emulator as ${DEMO.email}:`,
		`${more}Connected Account: Set, Get ... act for this one user`,
		`    ${name(DEV_SECOND_APP.name)}HyperID OAuth2 API, the same user in a second client app (examples/02)`,
		`    ${name(DEV_CLIENT.name)}HyperID Client API, your service's client ${SERVICE_CLIENT.clientId}: for the`,
		`${more}HyperID Sign-In node and User Data's Each User's Tokens (tokens come from items)`,
		`  sign a user in: publish examples/07, then open ${baseUrl}/webhook/hyperid-sign-in/start`,
		`  emulator: ${emulatorUrl}  (request log: /__emulator/requests, stored data: /__emulator/store)`,
	];
}
