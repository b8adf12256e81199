/**
 * What Connected Account hands n8n-core to sign a request with: the stored credential read once per
 * run (not on every request), without its refresh token (n8n-core refreshes inside a request only
 * after a 401 the node never lets through; if it ever did, a refresh token read at the start of the
 * run may have been spent by another execution since, and HyperID would end the sign-in).
 */
import type { ICredentialDataDecryptedObject, IDataObject, IHttpRequestOptions } from 'n8n-workflow';

import { ConnectedAccount } from '../../nodes/HyperIdUserData/transport/connectedAccount';
import type { HyperIdContext } from '../../nodes/shared/environment';

function fakeContext(stored: () => ICredentialDataDecryptedObject) {
	const seenBySigning: ICredentialDataDecryptedObject[] = [];
	let reads = 0;
	const ctx = {
		getNode: () => ({ name: 'HyperID', type: 'n8n-nodes-hyperid.hyperIdUserData', typeVersion: 1.2, parameters: {}, id: 'n', position: [0, 0] }),
		getCredentials: async () => {
			reads++;
			return structuredClone(stored());
		},
		helpers: {
			// as n8n-core's requestOAuth2 does: reads the credential through the context it is called on
			async httpRequestWithAuthentication(this: { getCredentials: (type: string) => Promise<ICredentialDataDecryptedObject> }, type: string) {
				seenBySigning.push(await this.getCredentials(type));
				return { statusCode: 200, headers: {}, body: { result: 0 } };
			},
		},
	};
	return { ctx: ctx as unknown as HyperIdContext, seenBySigning, reads: () => reads };
}

const options = { retries: 0, timeoutMs: 1000, backoff: () => 0, onRefreshAttempt: () => undefined, onRetry: () => undefined };
const request: IHttpRequestOptions = { url: 'https://api.hyperid.example/user-data/by-email/set', method: 'POST' };

test("n8n signs with the stored access token, read once for many requests, and never sees the refresh token", async () => {
	const stored = { environment: 'production', clientSecret: 's', oauthTokenData: { access_token: 'A1', refresh_token: 'R1', token_type: 'Bearer' } };
	const { ctx, seenBySigning, reads } = fakeContext(() => stored);
	const signer = new ConnectedAccount(ctx, { environment: 'production', loginHost: 'https://login.hyperid.example', tokenAtStart: 'A1' }, options);
	const sent = Array.from({ length: 5 }, () => ({}) as { token?: string });
	await Promise.all(sent.map(async (s, i) => await signer.send({ ...request }, i, s)));
	expect(sent.map((s) => s.token)).toEqual(['A1', 'A1', 'A1', 'A1', 'A1']);
	expect(reads()).toBe(1);
	for (const credentials of seenBySigning) {
		expect((credentials.oauthTokenData as IDataObject).access_token).toBe('A1');
		expect(credentials.oauthTokenData).not.toHaveProperty('refresh_token');
	}
	// the stored credential itself is untouched
	expect(stored.oauthTokenData.refresh_token).toBe('R1');
});

test('a credential read without a token (reconnected meanwhile) is read again by the next request', async () => {
	const now: { tokens?: IDataObject } = {};
	const { ctx, reads } = fakeContext(() => ({ environment: 'production', ...(now.tokens ? { oauthTokenData: now.tokens } : {}) }));
	const signer = new ConnectedAccount(ctx, { environment: 'production', loginHost: 'https://login.hyperid.example' }, options);
	const first: { token?: string } = {};
	await signer.send({ ...request }, 0, first);
	expect(first.token).toBeUndefined();
	now.tokens = { access_token: 'A2', refresh_token: 'R2' };
	const second: { token?: string } = {};
	await signer.send({ ...request }, 1, second);
	expect(second.token).toBe('A2');
	expect(reads()).toBe(2);
});
