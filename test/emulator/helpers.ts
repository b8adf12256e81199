import type { Emulator } from './server';

export interface CallResult {
	status: number;
	text: string;
	json: Record<string, unknown>;
	headers: Headers;
}

export interface CallOptions {
	method?: string;
	headers?: Record<string, string>;
	/** false = send no Authorization header at all */
	auth?: boolean;
}

/** Status, text and (when it parses) JSON of an answer. */
async function resultOf(res: Response): Promise<CallResult> {
	const text = await res.text();
	let json: Record<string, unknown> = {};
	try {
		json = JSON.parse(text);
	} catch {
		json = {};
	}
	return { status: res.status, text, json, headers: res.headers };
}

/** POST a JSON (or raw string) body with a Bearer token, as the node would. */
export async function call(
	emu: Emulator,
	path: string,
	body: unknown,
	token?: string,
	options: CallOptions = {},
): Promise<CallResult> {
	const headers: Record<string, string> = { 'Content-Type': 'application/json', ...(options.headers ?? {}) };
	if (token !== undefined && options.auth !== false) headers.Authorization = `Bearer ${token}`;
	const method = options.method ?? 'POST';
	const res = await fetch(`${emu.url}${path}`, {
		method,
		headers,
		body: method === 'GET' || method === 'HEAD' ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
	});
	return await resultOf(res);
}

/** A control endpoint call. */
export async function control(emu: Emulator, method: string, path: string, body?: unknown): Promise<CallResult> {
	const res = await fetch(`${emu.url}/__emulator/${path}`, {
		method,
		headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	return await resultOf(res);
}

/** POST a form body to an OAuth endpoint of the login host (token, logout, revoke, token/introspect). */
export async function oauthRequest(
	emu: Emulator,
	path: string,
	form: Record<string, string>,
	headers: Record<string, string> = {},
): Promise<CallResult> {
	const res = await fetch(`${emu.url}${path}`, {
		method: 'POST',
		headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
		body: new URLSearchParams(form).toString(),
	});
	return await resultOf(res);
}

/** POST the token endpoint with a form body. */
export async function tokenRequest(
	emu: Emulator,
	form: Record<string, string>,
	headers: Record<string, string> = {},
): Promise<CallResult> {
	return await oauthRequest(emu, '/auth/realms/HyperID/protocol/openid-connect/token', form, headers);
}

export function decodeJwt(token: string): Record<string, unknown> {
	return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
}
