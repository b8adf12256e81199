/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/** The HTTP plumbing every part answers through: the request context, bodies, replies, the request log. */
import type * as http from 'node:http';
import { OAUTH_FORM_PATHS, type RequestLogEntry } from './model';
import type { EmulatorState } from './state';
import { isPlainObject, maskSecrets, utf8Bytes } from './util';

/** One request as the parts see it; the body is read before a handler runs. */
export interface Ctx {
	method: string;
	path: string;
	url: URL;
	headers: http.IncomingHttpHeaders;
	raw: string;
	tooLarge: boolean;
	hasBearer: boolean;
	started: number;
	logBody?: unknown;
	fault?: RequestLogEntry['fault'];
	/** Set by a fault rule: the request is carried out now, its answer sent this much later. */
	answerDelayMs?: number;
}

/** An endpoint: answers the request (the body is in ctx.raw). */
export type Handler = (st: EmulatorState, ctx: Ctx, res: http.ServerResponse) => void;

export function newCtx(req: http.IncomingMessage): Ctx {
	const url = new URL(req.url ?? '/', 'http://127.0.0.1');
	const authz = req.headers.authorization;
	return {
		method: req.method ?? 'GET',
		path: url.pathname,
		url,
		headers: req.headers,
		raw: '',
		tooLarge: false,
		hasBearer: typeof authz === 'string' && /^Bearer\s/i.test(authz.trim() + ' '),
		started: Date.now(),
	};
}

export function finish(
	st: EmulatorState,
	ctx: Ctx,
	res: http.ServerResponse,
	status: number,
	body: string,
	contentType: string,
	extra: Record<string, string> = {},
	result?: number,
): void {
	if (ctx.answerDelayMs) {
		const delay = ctx.answerDelayMs;
		ctx.answerDelayMs = undefined;
		void sleep(st, delay).then(() => finish(st, ctx, res, status, body, contentType, extra, result));
		return;
	}
	if (!res.destroyed) {
		res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body), ...extra });
		res.end(body);
	}
	record(st, ctx, status, result);
}

export function sendJson(
	st: EmulatorState,
	ctx: Ctx,
	res: http.ServerResponse,
	status: number,
	obj: unknown,
	extra: Record<string, string> = {},
): void {
	const result = isPlainObject(obj) && typeof obj.result === 'number' ? obj.result : undefined;
	finish(st, ctx, res, status, JSON.stringify(obj), 'application/json; charset=UTF-8', extra, result);
}

export function record(st: EmulatorState, ctx: Ctx, status: number, result?: number): void {
	if (result !== undefined) st.stats.resultsByCode[String(result)] = (st.stats.resultsByCode[String(result)] ?? 0) + 1;
	if (!st.opts.log) return;
	const entry: RequestLogEntry = {
		seq: ++st.seq,
		method: ctx.method,
		path: ctx.path,
		hasBearer: ctx.hasBearer,
		status,
		at: new Date().toISOString(),
		durationMs: Date.now() - ctx.started,
	};
	const query = [...ctx.url.searchParams.keys()];
	if (query.length > 0) entry.query = maskSecrets(Object.fromEntries(ctx.url.searchParams)) as Record<string, string>;
	if (ctx.logBody !== undefined) entry.body = ctx.logBody;
	if (result !== undefined) entry.result = result;
	if (ctx.fault) entry.fault = ctx.fault;
	st.log.push(entry);
}

export function describeBody(st: EmulatorState, ctx: Ctx): unknown {
	if (ctx.raw === '') return undefined;
	if (ctx.tooLarge) return `<body over ${st.opts.maxBodyBytes} bytes>`;
	const ct = String(ctx.headers['content-type'] ?? '');
	try {
		return maskSecrets(JSON.parse(ctx.raw));
	} catch {
		if (ct.includes('application/x-www-form-urlencoded') || OAUTH_FORM_PATHS.includes(ctx.path)) {
			return maskSecrets(Object.fromEntries(new URLSearchParams(ctx.raw)));
		}
		return `<unparsable body, ${utf8Bytes(ctx.raw)} bytes>`;
	}
}

/** A delay that close() can cut short (its timer is in st.timers). */
export function sleep(st: EmulatorState, ms: number): Promise<void> {
	if (ms <= 0) return Promise.resolve();
	return new Promise((resolve) => {
		const t = setTimeout(() => {
			st.timers.delete(t);
			resolve();
		}, ms);
		st.timers.add(t);
	});
}

export function readBody(st: EmulatorState, req: http.IncomingMessage): Promise<{ raw: string; tooLarge: boolean }> {
	return new Promise((resolve, reject) => {
		const chunks: Buffer[] = [];
		let size = 0;
		let tooLarge = false;
		req.on('data', (chunk: Buffer) => {
			size += chunk.length;
			if (size > st.opts.maxBodyBytes) tooLarge = true;
			else chunks.push(chunk);
		});
		req.on('end', () => resolve({ raw: tooLarge ? '' : Buffer.concat(chunks).toString('utf8'), tooLarge }));
		req.on('error', reject);
	});
}
