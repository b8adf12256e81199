/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * Each User's Tokens checks what was mapped before sending (issue 24, point 7): a value that is
 * not a three-part JWT, or a token of another kind (a refresh token or an ID token in Access Token,
 * an access token in Refresh Token: Keycloak's `typ` claim), fails its item with TOKEN_MALFORMED,
 * saying what was mapped wrongly; the emulator receives nothing for it.
 */
import type { IDataObject } from 'n8n-workflow';

import { errorOf, useEmulator } from './setup';
import type { Emulator } from './setup';
import { clientCredential, newUsers, runForUsers, userTokens } from './userTokensSetup';

let emulator: Emulator;
useEmulator((started) => (emulator = started));

const setValue = () => userTokens({ resource: 'userDataByEmail', operation: 'set', key: 'plan', value: '={{ $json.plan }}' });

/** A JWT with these claims (unsigned for HyperID: the node must refuse it before HyperID could). */
const jwt = (claims: IDataObject) =>
	`${Buffer.from('{"alg":"HS256","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.c2lnbmF0dXJl`;

test('a value that is not a JWT, or a token of the wrong kind, fails its item with TOKEN_MALFORMED and nothing is sent for it', async () => {
	const [good, other] = newUsers(emulator, 2);
	const client = clientCredential(emulator);
	const idToken = jwt({ sub: other.userId, typ: 'ID', aud: 'demo', azp: 'demo' });
	const items: IDataObject[] = [
		{ ...good, plan: 'ok' },
		{ accessToken: other.refreshToken, refreshToken: other.refreshToken, plan: 'refresh token as access token' },
		{ accessToken: other.userId, refreshToken: other.refreshToken, plan: 'user id' },
		{ accessToken: idToken, refreshToken: other.refreshToken, plan: 'id token' },
		{ accessToken: 'eyJhbGciOiJIUzI1NiJ9.bm90LWpzb24.c2ln', refreshToken: other.refreshToken, plan: 'payload not JSON' },
		{ accessToken: other.accessToken, refreshToken: other.accessToken, plan: 'access token as refresh token' },
		{ accessToken: other.accessToken, refreshToken: jwt({ typ: 'Offline', sub: other.userId }).replace(/\..*$/, ''), plan: 'one part' },
	];
	const r = await runForUsers(emulator, client, setValue(), items, { continueOnFail: true });
	expect(r.error).toBeUndefined();
	expect(r.json.map((item) => item.errorCode)).toEqual([undefined, ...Array(6).fill('TOKEN_MALFORMED')]);
	expect(r.json.map((item) => item.error)).toEqual([
		undefined,
		'Access Token is a refresh token (typ "Refresh"), not an access token (item 1)',
		"Access Token is not a HyperID token (HyperID's tokens are JWTs: three parts separated by dots) (item 2)",
		'Access Token is an ID token (typ "ID"), not an access token (item 3)',
		"Access Token is not a HyperID token (HyperID's tokens are JWTs: three parts separated by dots) (item 4)",
		'Refresh Token is an access token (typ "Bearer"), not a refresh token (item 5)',
		"Refresh Token is not a HyperID token (HyperID's tokens are JWTs: three parts separated by dots) (item 6)",
	]);
	// only the good item reached HyperID: no Bearer request, no token request for the others
	expect(r.requests.map((entry) => entry.path)).toEqual(['/user-data/by-email/set']);
	expect(JSON.stringify(r.json)).not.toContain(other.refreshToken);
	expect(JSON.stringify(r.json)).not.toContain(other.accessToken);

	// without Continue on Fail the run stops before anything is sent
	const stopped = await runForUsers(emulator, client, setValue(), items.slice(1, 2));
	expect(errorOf(stopped).message).toBe('Access Token is a refresh token (typ "Refresh"), not an access token (item 0)');
	expect(stopped.requests).toEqual([]);
});

test("an offline refresh token (typ Offline) and an access token without typ are accepted", async () => {
	const [user] = newUsers(emulator, 1);
	const client = clientCredential(emulator);
	// HyperID decides whether these are good (they are not signed by it): the node lets them through to ask
	const items = [
		{ accessToken: jwt({ sub: user.userId }), plan: 'no typ' },
		{ accessToken: user.accessToken, refreshToken: jwt({ sub: user.userId, typ: 'Offline' }), plan: 'offline' },
	];
	const r = await runForUsers(emulator, client, userTokens({ resource: 'userDataByEmail', operation: 'set', key: 'plan', value: '={{ $json.plan }}' }, false), items.slice(0, 1), { continueOnFail: true });
	expect(r.json[0].errorCode).not.toBe('TOKEN_MALFORMED');
	expect(r.requests.length).toBeGreaterThan(0);
	const offline = await runForUsers(emulator, client, setValue(), items.slice(1), { continueOnFail: true });
	expect(offline.json[0]).toMatchObject({ success: true });
});
