/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * Webhook load for a running n8n: many POSTs to one production webhook, either all at once (a
 * burst) or started at a steady pace, each waiting for n8n's answer (with "respond when the last
 * node finishes" the answer says whether the execution succeeded).
 *
 *   const r = await webhookLoad({ url, count: 50, body: (i) => ({ key: `k${i}` }) });
 *   r.results.filter((x) => !x.ok)
 */
import * as http from 'node:http';

export interface WebhookCall {
	index: number;
	/** HTTP status; 0 when no answer came (connection error or timeout) */
	status: number;
	/** 2xx */
	ok: boolean;
	/** the answer's body (parsed JSON when it is JSON) */
	body: unknown;
	/** the connection error or timeout, when there was no answer */
	error?: string;
	startedMs: number;
	ms: number;
}

export interface WebhookLoadOptions {
	url: string;
	count: number;
	body: (index: number) => unknown;
	/** start one call every `everyMs` (a steady pace); 0 or absent: all at once */
	everyMs?: number;
	/** per call [120 s] */
	timeoutMs?: number;
	/** called after each answer (progress) */
	onAnswer?: (call: WebhookCall, done: number) => void;
}

export interface WebhookLoadResult {
	results: WebhookCall[];
	/** from the first call to the last answer */
	seconds: number;
	failed: number;
}

export async function webhookLoad(opts: WebhookLoadOptions): Promise<WebhookLoadResult> {
	const started = Date.now();
	// one connection per call, as independent webhook callers would open them
	const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
	let done = 0;
	const one = async (index: number): Promise<WebhookCall> => {
		const startedMs = Date.now() - started;
		const call = await post(opts.url, opts.body(index), opts.timeoutMs ?? 120_000, agent);
		const result = { index, startedMs, ms: Date.now() - started - startedMs, ...call, ok: call.status >= 200 && call.status < 300 };
		done++;
		opts.onAnswer?.(result, done);
		return result;
	};
	const pending: Array<Promise<WebhookCall>> = [];
	for (let i = 0; i < opts.count; i++) {
		if (opts.everyMs && i > 0) {
			const due = started + i * opts.everyMs;
			const wait = due - Date.now();
			if (wait > 0) await new Promise((r) => setTimeout(r, wait));
		}
		pending.push(one(i));
	}
	const results = await Promise.all(pending);
	agent.destroy();
	return { results, seconds: (Date.now() - started) / 1000, failed: results.filter((r) => !r.ok).length };
}

function post(
	url: string,
	body: unknown,
	timeoutMs: number,
	agent: http.Agent,
): Promise<{ status: number; body: unknown; error?: string }> {
	return new Promise((resolve) => {
		const payload = JSON.stringify(body);
		const req = http.request(
			url,
			{
				method: 'POST',
				agent,
				headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
				timeout: timeoutMs,
			},
			(res) => {
				const chunks: Buffer[] = [];
				res.on('data', (c: Buffer) => chunks.push(c));
				res.on('end', () => {
					const text = Buffer.concat(chunks).toString();
					let parsed: unknown = text;
					try {
						parsed = JSON.parse(text);
					} catch {
						/* not JSON: keep the text */
					}
					resolve({ status: res.statusCode ?? 0, body: parsed });
				});
				res.on('error', (e) => resolve({ status: 0, body: undefined, error: e.message }));
			},
		);
		req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs / 1000}s`)));
		req.on('error', (e) => resolve({ status: 0, body: undefined, error: e.message }));
		req.end(payload);
	});
}
