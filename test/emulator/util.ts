/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/** Small helpers every part of the emulator uses: encodings, checks, masking, a seedable PRNG. */
import * as crypto from 'node:crypto';

const MASK = '***';
const SECRET_FIELDS = new Set([
	'refresh_token',
	'client_secret',
	'code',
	'client_assertion',
	'access_token',
	'id_token',
	'password',
	'token',
]);

export function b64url(input: Buffer | string): string {
	return Buffer.from(input).toString('base64url');
}

export function randomId(bytes = 16): string {
	return crypto.randomBytes(bytes).toString('hex');
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
	return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A small seedable PRNG (mulberry32): fault probabilities, and deterministic test inputs. */
export function mulberry32(seed: number): () => number {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

export function maskSecrets(value: unknown): unknown {
	if (Array.isArray(value)) return value.map(maskSecrets);
	if (isPlainObject(value)) {
		const out: Record<string, unknown> = {};
		for (const [k, v] of Object.entries(value)) out[k] = SECRET_FIELDS.has(k) ? MASK : maskSecrets(v);
		return out;
	}
	return value;
}

/**
 * The raw source text of a top-level field of a JSON object (text already known to be valid JSON),
 * so that an int64 request_id is echoed digit for digit even beyond 2^53.
 */
export function topLevelRawValue(text: string, field: string): string | undefined {
	let i = 0;
	const n = text.length;
	const ws = () => {
		while (i < n && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
	};
	const readString = (): string => {
		const start = i;
		i++;
		while (i < n) {
			const c = text[i];
			if (c === '\\') i += 2;
			else if (c === '"') {
				i++;
				break;
			} else i++;
		}
		return JSON.parse(text.slice(start, i)) as string;
	};
	const skipValue = () => {
		const c = text[i];
		if (c === '"') {
			readString();
			return;
		}
		if (c === '{' || c === '[') {
			let depth = 0;
			while (i < n) {
				const d = text[i];
				if (d === '"') {
					readString();
					continue;
				}
				if (d === '{' || d === '[') depth++;
				else if (d === '}' || d === ']') {
					depth--;
					if (depth === 0) {
						i++;
						return;
					}
				}
				i++;
			}
			return;
		}
		while (i < n && !',}] \t\n\r'.includes(text[i])) i++;
	};
	ws();
	if (text[i] !== '{') return undefined;
	i++;
	let found: string | undefined;
	while (i < n) {
		ws();
		if (text[i] !== '"') break;
		const key = readString();
		ws();
		if (text[i] !== ':') break;
		i++;
		ws();
		const start = i;
		skipValue();
		if (key === field) found = text.slice(start, i);
		ws();
		if (text[i] === ',') {
			i++;
			continue;
		}
		break;
	}
	return found;
}

export function statusText(status: number): string {
	const known: Record<number, string> = {
		400: 'bad_request',
		401: 'unauthorized',
		403: 'forbidden',
		404: 'not_found',
		408: 'request_timeout',
		409: 'conflict',
		413: 'payload_too_large',
		429: 'too_many_requests',
		500: 'internal_server_error',
		502: 'bad_gateway',
		503: 'service_unavailable',
		504: 'gateway_timeout',
	};
	return known[status] ?? `http_${status}`;
}

export function utf8Bytes(s: string): number {
	return Buffer.byteLength(s, 'utf8');
}

export function codePointLength(s: string): number {
	let n = 0;
	for (const _ of s) n++;
	return n;
}

export function parseScopes(input: unknown): string[] {
	if (Array.isArray(input)) return input.filter((s): s is string => typeof s === 'string' && s !== '');
	if (typeof input === 'string') return input.split(/\s+/).filter((s) => s !== '');
	return [];
}

export function isAbsoluteHttpUrl(s: string): boolean {
	try {
		const u = new URL(s);
		return u.protocol === 'http:' || u.protocol === 'https:';
	} catch {
		return false;
	}
}

/** RFC 7636: a verifier, and a plain challenge, are 43-128 characters of [A-Za-z0-9-._~]. */
export function isPkceString(s: string): boolean {
	return /^[A-Za-z0-9._~-]{43,128}$/.test(s);
}

export function s256(verifier: string): string {
	return crypto.createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

export function escapeHtml(s: string): string {
	return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** EVM (0x…) addresses are hex, so case does not matter; base58 ones (Solana) are case-sensitive. */
export function walletKey(address: string): string {
	return /^0x/i.test(address) ? address.toLowerCase() : address;
}
