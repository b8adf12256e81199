/** Reading the emulator's request log in assertions. */
import type { Emulator } from './hyperid';

export interface ApiCall {
	path: string;
	body: Record<string, unknown>;
	result?: number;
	status: number;
	hasBearer: boolean;
}

/** User-data and user-wallets requests, in the order the emulator received them. */
export function apiCalls(emulator: Emulator): ApiCall[] {
	return emulator
		.requests()
		.filter((r) => r.path.startsWith('/user-data/') || r.path.startsWith('/user-wallets/'))
		.map((r) => ({
			path: r.path,
			body: (r.body ?? {}) as Record<string, unknown>,
			result: r.result,
			status: r.status,
			hasBearer: r.hasBearer,
		}));
}

/** Requests to the OAuth2 token endpoint (secrets masked by the emulator). */
export function tokenCalls(emulator: Emulator): Array<{ grantType: unknown; status: number }> {
	return emulator
		.requests()
		.filter((r) => r.path.endsWith('/protocol/openid-connect/token'))
		.map((r) => ({ grantType: (r.body as Record<string, unknown> | undefined)?.grant_type, status: r.status }));
}

/** Sort key for comparing calls made concurrently (their order on the wire is not fixed). */
export const byBody = (a: ApiCall, b: ApiCall) =>
	(a.path + JSON.stringify(a.body)).localeCompare(b.path + JSON.stringify(b.body));

/** Try a refresh token at the emulator's token endpoint (HTTP status; 200 = it was valid). */
export async function tryRefresh(
	emulator: Emulator,
	clientId: string,
	clientSecret: string,
	refreshToken: string,
): Promise<number> {
	const url = `${emulator.url.replace(/\/+$/, '')}/auth/realms/HyperID/protocol/openid-connect/token`;
	const res = await fetch(url, {
		method: 'POST',
		headers: { 'content-type': 'application/x-www-form-urlencoded' },
		body: new URLSearchParams({
			grant_type: 'refresh_token',
			refresh_token: refreshToken,
			client_id: clientId,
			client_secret: clientSecret,
		}).toString(),
	});
	await res.text();
	return res.status;
}

/** One user-data call with a given access token (result code; e.g. to prove a saved token works). */
export async function callWithToken(
	emulator: Emulator,
	accessToken: string,
	path: string,
	body: Record<string, unknown>,
): Promise<number | undefined> {
	const res = await fetch(`${emulator.url.replace(/\/+$/, '')}${path}`, {
		method: 'POST',
		headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` },
		body: JSON.stringify(body),
	});
	const json = (await res.json()) as { result?: number };
	return json.result;
}
