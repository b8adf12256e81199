/**
 * Reuse detection as HyperID's Keycloak does it with "Revoke Refresh Token" on (issue 22):
 * services/src/main/java/org/keycloak/protocol/oidc/TokenManager.java, validateTokenReuseForRefresh
 * and validateTokenReuse. A spent refresh token presented again is refused with invalid_grant AND
 * detaches the client session from the user session (detachFromUserSession): every token of that
 * sign-in stops working, the pair the first refresh issued included. Other sign-ins are untouched.
 */
import { DEMO, INTROSPECT_PATH, LOGOUT_PATH, USERINFO_PATH, startEmulator, type Emulator } from './server';
import { call, oauthRequest, tokenRequest, type CallResult } from './helpers';

const CLIENT = { client_id: DEMO.clientId, client_secret: DEMO.clientSecret };

describe('HyperID emulator: a spent refresh token presented again ends that sign-in (Keycloak reuse detection)', () => {
	let emu: Emulator;

	beforeAll(async () => {
		emu = await startEmulator();
	});
	beforeEach(() => emu.reset());
	afterAll(async () => {
		await emu.close();
	});

	const refresh = (token: string) => tokenRequest(emu, { grant_type: 'refresh_token', refresh_token: token, ...CLIENT });
	const read = (accessToken: string) => call(emu, '/user-data/by-email/get', { value_keys: ['k'] }, accessToken);
	const introspect = (token: string) => oauthRequest(emu, INTROSPECT_PATH, { token, ...CLIENT });
	const userinfo = (accessToken: string) => fetch(`${emu.url}${USERINFO_PATH}`, { headers: { Authorization: `Bearer ${accessToken}` } });
	const refused = (r: CallResult) => [r.status, r.json.error, r.json.error_description];

	test('the token presented again: "Maximum allowed refresh token reuse exceeded", and the newest pair stops working', async () => {
		const rt1 = emu.createToken().refresh_token;
		const second = await refresh(rt1);
		expect(second.status).toBe(200);
		const rt2 = second.json.refresh_token as string;
		const at2 = second.json.access_token as string;
		expect((await read(at2)).json.result).toBe(1);

		expect(refused(await refresh(rt1))).toEqual([400, 'invalid_grant', 'Maximum allowed refresh token reuse exceeded']);

		// TokenManager.validateToken: the user session is there, this client's session is not
		expect(refused(await refresh(rt2))).toEqual([400, 'invalid_grant', "Session doesn't have required client"]);
		expect((await read(at2)).json.result).toBe(-1);
		expect((await introspect(at2)).json).toEqual({ active: false });
		expect((await introspect(rt2)).json).toEqual({ active: false });
		expect((await userinfo(at2)).status).toBe(401);
		expect(emu.stats().refreshReuses).toBe(1);
	});

	test('an older spent token: "Stale token", and the sign-in ends too', async () => {
		const rt1 = emu.createToken().refresh_token;
		const rt2 = (await refresh(rt1)).json.refresh_token as string;
		const third = await refresh(rt2);
		expect(third.status).toBe(200);
		expect(refused(await refresh(rt1))).toEqual([400, 'invalid_grant', 'Stale token']);
		expect(refused(await refresh(third.json.refresh_token as string))).toEqual([400, 'invalid_grant', "Session doesn't have required client"]);
		expect((await read(third.json.access_token as string)).json.result).toBe(-1);
	});

	test('two refreshes with the same token at the same moment: one pair, then the other request ends the sign-in', async () => {
		const rt1 = emu.createToken().refresh_token;
		const [a, b] = await Promise.all([refresh(rt1), refresh(rt1)]);
		const ok = [a, b].filter((r) => r.status === 200);
		expect(ok).toHaveLength(1);
		expect(refused([a, b].find((r) => r.status !== 200) as CallResult)).toEqual([400, 'invalid_grant', 'Maximum allowed refresh token reuse exceeded']);
		expect((await refresh(ok[0].json.refresh_token as string)).json.error_description).toBe("Session doesn't have required client");
	});

	test('only that sign-in ends: the same user signed in again, and other users, keep working', async () => {
		const mine = emu.createToken();
		const sameUserOtherSignIn = emu.createToken();
		const otherUser = emu.createToken({ userId: 'someone-else' });
		const rt2 = (await refresh(mine.refresh_token)).json.refresh_token as string;
		expect((await refresh(mine.refresh_token)).status).toBe(400);
		expect((await refresh(rt2)).status).toBe(400);
		expect((await read(sameUserOtherSignIn.access_token)).json.result).toBe(1);
		expect((await refresh(sameUserOtherSignIn.refresh_token)).status).toBe(200);
		expect((await refresh(otherUser.refresh_token)).status).toBe(200);
	});

	test('a refresh that never came back (the answer was lost) still spent the token: sending it again ends the sign-in', async () => {
		const rt1 = emu.createToken().refresh_token;
		emu.setFaults([{ path: '/auth/realms/HyperID/protocol/openid-connect/token', answerDelayMs: 200 }]);
		const lost = new AbortController();
		const pending = fetch(`${emu.url}/auth/realms/HyperID/protocol/openid-connect/token`, {
			method: 'POST',
			headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
			body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: rt1, ...CLIENT }).toString(),
			signal: lost.signal,
		});
		// wait until the emulator has carried the refresh out, then give up on the answer
		for (let i = 0; i < 200 && emu.stats().tokenGrants.refresh_token === 0; i++) await new Promise((r) => setTimeout(r, 10));
		expect(emu.stats().tokenGrants.refresh_token).toBe(1);
		lost.abort();
		await expect(pending).rejects.toThrow();
		emu.clearFaults();
		expect(refused(await refresh(rt1))).toEqual([400, 'invalid_grant', 'Maximum allowed refresh token reuse exceeded']);
	});

	test('a reused authorization code detaches its sign-in too (TokenEndpoint: "use same code twice should invalidate existing clientSession")', async () => {
		const redirect = 'http://localhost:5678/rest/oauth2-credential/callback';
		emu.addClient({ clientId: 'svc', clientSecret: 'svc-secret', redirectUris: [redirect] });
		const q = new URLSearchParams({ response_type: 'code', client_id: 'svc', redirect_uri: redirect, scope: 'openid user-data-get' });
		const res = await fetch(`${emu.url}/auth/realms/HyperID/protocol/openid-connect/auth?${q}`, { redirect: 'manual' });
		const code = new URL(res.headers.get('location') as string).searchParams.get('code') as string;
		const form = { grant_type: 'authorization_code', code, redirect_uri: redirect, client_id: 'svc', client_secret: 'svc-secret' };
		const first = await tokenRequest(emu, form);
		expect(first.status).toBe(200);
		expect(refused(await tokenRequest(emu, form))).toEqual([400, 'invalid_grant', 'Code not valid']);
		const again = await tokenRequest(emu, { grant_type: 'refresh_token', refresh_token: first.json.refresh_token as string, client_id: 'svc', client_secret: 'svc-secret' });
		expect(refused(again)).toEqual([400, 'invalid_grant', "Session doesn't have required client"]);
	});

	test('logout with a spent refresh token still ends the sign-in (LogoutEndpoint checks no reuse)', async () => {
		const rt1 = emu.createToken().refresh_token;
		const second = await refresh(rt1);
		const out = await oauthRequest(emu, LOGOUT_PATH, { refresh_token: rt1, ...CLIENT });
		expect(out.status).toBe(204);
		expect(refused(await refresh(second.json.refresh_token as string))).toEqual([400, 'invalid_grant', 'Session not active']);
		expect(emu.stats().refreshReuses).toBe(0);
	});
});
