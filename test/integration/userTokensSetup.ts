/** Authentication "Each User's Tokens": many users at the emulator, their tokens as input items. */
import type { IDataObject, INodeParameters } from 'n8n-workflow';

import { HyperIdClientApi } from '../../credentials/HyperIdClientApi.credentials';

import { HyperIdUserData } from '../../nodes/HyperIdUserData/HyperIdUserData.node';
import { DEMO, REVOKE_PATH } from '../emulator/server';
import type { Emulator } from '../emulator/server';
import { CredentialStore, CredentialTypes, jsonOf, runNode } from '../harness/harness';
import type { RunNodeOptions } from '../harness/harness';
import type { Run } from './setup';

export const CLIENT_TYPE = 'hyperIdClientApi';

export function clientCredential(emulator: Emulator, clientId: string = DEMO.clientId, secret?: string): CredentialStore {
	return new CredentialStore(
		{
			environment: 'custom',
			loginUrl: emulator.url,
			apiUrl: emulator.url,
			clientId,
			clientAuthentication: 'clientSecretPost',
			clientSecret: secret ?? (clientId === DEMO.clientId ? DEMO.clientSecret : `${clientId}-secret`),
		},
		{ type: CLIENT_TYPE, id: `client-${clientId}`, name: 'HyperID Client', credentialTypes: new CredentialTypes([new HyperIdClientApi()]) },
	);
}

export interface UserRow extends IDataObject {
	userId: string;
	accessToken: string;
	refreshToken: string;
}

let created = 0;

/** `count` new users of the demo client, each with a fresh token pair. */
export function newUsers(emulator: Emulator, count: number, clientId: string = DEMO.clientId): UserRow[] {
	return Array.from({ length: count }, () => {
		const userId = `user-${++created}`;
		emulator.addUser({ userId, email: `${userId}@example.com`, identityProviders: ['google'], wallets: [`0x${String(created).padStart(40, '0')}`] });
		const grant = emulator.createToken({ userId, clientId });
		return { userId, accessToken: grant.access_token, refreshToken: grant.refresh_token };
	});
}

/** Withdraws the user's consent for the demo client (RFC 7009 with a refresh token, as Keycloak does it). */
export async function revokeConsent(emulator: Emulator, refreshToken: string): Promise<void> {
	const response = await fetch(`${emulator.url}${REVOKE_PATH}`, {
		method: 'POST',
		headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
		body: new URLSearchParams({ token: refreshToken, token_type_hint: 'refresh_token', client_id: DEMO.clientId, client_secret: DEMO.clientSecret }),
	});
	if (!response.ok) throw new Error(`revoke answered ${response.status}`);
}

/** Whether a refresh token still refreshes at the emulator (spends it: returns the new pair). */
export async function refreshAtEmulator(emulator: Emulator, refreshToken: string): Promise<IDataObject> {
	const response = await fetch(`${emulator.url}/auth/realms/HyperID/protocol/openid-connect/token`, {
		method: 'POST',
		headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
		body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: DEMO.clientId, client_secret: DEMO.clientSecret }),
	});
	return (await response.json()) as IDataObject;
}

export const userTokens = (parameters: INodeParameters, withRefresh = true): INodeParameters => ({
	authentication: 'userTokens',
	accessToken: '={{ $json.accessToken }}',
	...(withRefresh ? { refreshToken: '={{ $json.refreshToken }}' } : {}),
	...parameters,
	options: { retryDelay: 1, ...((parameters.options as IDataObject) ?? {}) },
});

const node = new HyperIdUserData();

/** Runs the node in this mode; `client` is the HyperID Client credential, if any. */
export async function runForUsers(
	emulator: Emulator,
	client: CredentialStore | undefined,
	parameters: INodeParameters,
	inputItems: IDataObject[],
	extra: Partial<RunNodeOptions> = {},
): Promise<Run> {
	emulator.clearRequests();
	const result = await runNode({ nodeType: node, parameters, inputItems, credentials: client, ...extra });
	return { ...result, json: result.outputs ? jsonOf(result) : [], requests: emulator.requests() };
}
