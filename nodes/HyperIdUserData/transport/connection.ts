/** The HyperID OAuth2 credential of Connected Account mode: where HyperID lives and the token stored at the start. */
import type { ICredentialDataDecryptedObject, IDataObject } from 'n8n-workflow';

import type { HyperIdContext, HyperIdLocation } from '../../shared/environment';
import { whereHyperIdLives } from '../../shared/environment';

export const CREDENTIAL_TYPE = 'hyperIdOAuth2Api';

/** Where HyperID lives for one credential: read once per execution. */
export interface Connection extends HyperIdLocation {
	/** The access token stored when the execution started: the first one a refused request is compared with. */
	tokenAtStart?: string;
}

/** The access token of credential data as n8n stores it, if any. */
export function accessTokenOf(credentials: ICredentialDataDecryptedObject | undefined): string | undefined {
	const token = (credentials?.oauthTokenData as IDataObject | undefined)?.access_token;
	return typeof token === 'string' && token !== '' ? token : undefined;
}

export function connectionFromCredentials(
	ctx: HyperIdContext,
	credentials: ICredentialDataDecryptedObject,
): Connection {
	return { ...whereHyperIdLives(ctx, credentials), tokenAtStart: accessTokenOf(credentials) };
}

export async function readConnection(ctx: HyperIdContext): Promise<Connection> {
	const credentials = await ctx.getCredentials(CREDENTIAL_TYPE);
	return connectionFromCredentials(ctx, credentials);
}
