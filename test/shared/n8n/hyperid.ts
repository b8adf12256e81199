/**
 * The HyperID side of an e2e run: the emulator (in this process) and `hyperIdOAuth2Api` credentials
 * connected to it (environment Custom, loginUrl and apiUrl = the emulator, oauthTokenData from a
 * token the emulator issued, as if a user had clicked "Connect").
 */
import { DEMO, startEmulator, type Emulator, type EmulatorOptions } from '../../emulator/server';
import { CREDENTIAL_TYPE } from './workflow';

export { DEMO };
export type { Emulator };

export const DEFAULT_SCOPES = 'openid email user-data-get user-data-set';

export interface CredentialSpec {
	/** credential id in n8n */
	id: string;
	/** credential name in n8n */
	name: string;
	clientId?: string;
	clientSecret?: string;
	userId?: string;
	scopes?: string;
	/** access token lifetime, seconds */
	expiresIn?: number;
	/** store these fields too (e.g. to probe whether n8n honours stored hidden fields) */
	extra?: Record<string, unknown>;
}

export interface ImportableCredential {
	id: string;
	name: string;
	type: string;
	data: Record<string, unknown>;
}

/** What the runner knows about a credential it created (not imported into n8n). */
export interface CredentialMeta {
	accessToken: string;
	refreshToken: string;
	/** the emulator's userDataServed counter when the token was issued (see expireTokensEveryRequests) */
	servedAtIssue: number;
}

export async function startHyperIdEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
	return startEmulator({ port: 0, ...options });
}

/** A credential as `n8n import:credentials` takes it: plain data, a connected OAuth2 token. */
export function connectedCredential(
	emulator: Emulator,
	spec: CredentialSpec,
): ImportableCredential & { meta: CredentialMeta } {
	const clientId = spec.clientId ?? DEMO.clientId;
	const clientSecret = spec.clientSecret ?? DEMO.clientSecret;
	if (spec.clientId && spec.clientId !== DEMO.clientId) emulator.addClient({ clientId, clientSecret });
	const scopes = spec.scopes ?? DEFAULT_SCOPES;
	const servedAtIssue = emulator.stats().userDataServed;
	const token = emulator.createToken({
		userId: spec.userId ?? DEMO.userId,
		clientId,
		scopes,
		...(spec.expiresIn !== undefined ? { expiresIn: spec.expiresIn } : {}),
	});
	const url = emulator.url.replace(/\/+$/, '');
	return {
		id: spec.id,
		name: spec.name,
		type: CREDENTIAL_TYPE,
		data: {
			environment: 'custom',
			loginUrl: url,
			apiUrl: url,
			clientId,
			clientSecret,
			scope: scopes,
			oauthTokenData: {
				access_token: token.access_token,
				refresh_token: token.refresh_token,
				token_type: 'Bearer',
				expires_in: token.expires_in,
				scope: scopes,
			},
			...spec.extra,
		},
		meta: { accessToken: token.access_token, refreshToken: token.refresh_token, servedAtIssue },
	};
}
