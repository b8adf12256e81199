/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * HyperID emulator: a real HTTP server that plays both the HyperID REST API (user data, user wallets)
 * and the HyperID login host as Keycloak runs it (OpenID discovery, auth, token, userinfo, logout,
 * revocation, introspection), plus control endpoints under /__emulator/ for tests.
 *
 * Written from /work/shared/spec (API.md and seeds/) only. It imports nothing from nodes/ or
 * credentials/ on purpose: the node under test and this emulator must not share a code table.
 *
 * This file starts the server and sends each request to its part:
 *   login.ts     the login host (OIDC; how a test signs a user in is told at its top)
 *   userdata.ts  the user data API and /user-wallets/get
 *   control.ts   the control API (/__emulator/...)
 * which share state.ts (users, clients, data, the log, counters, clock), tokens.ts (JWTs, sessions),
 * faults.ts (fault rules), http.ts (request context, replies, the request log), util.ts and model.ts
 * (the public constants and types, all re-exported here). clientAuth.ts is the login host's.
 */
import * as http from 'node:http';
import { CONTROL_PREFIX, type Emulator, type EmulatorOptions } from './model';
import { handleControl } from './control';
import { pickFault, rateLimited, setFaults } from './faults';
import { describeBody, newCtx, readBody, record, sendJson, sleep, type Ctx } from './http';
import { discovery, loginHandler, signInNext } from './login';
import { EmulatorState } from './state';
import { addUsers, createToken, expireAccessTokens } from './tokens';
import { answerResult, isUserDataPath, userDataHandler } from './userdata';
import { statusText } from './util';

export * from './model';
export { mulberry32 } from './util';
export { USER_DATA_PATHS, USER_WALLETS_PATH } from './userdata';

/** A request to the login host or the REST API: counted, logged, subject to latency and faults. */
async function handleApi(st: EmulatorState, req: http.IncomingMessage, res: http.ServerResponse, ctx: Ctx): Promise<void> {
	const { method, path } = ctx;
	st.stats.totalApiRequests++;
	st.stats.requestsByPath[path] = (st.stats.requestsByPath[path] ?? 0) + 1;
	st.stats.inFlight++;
	if (st.stats.inFlight > st.stats.maxInFlight) st.stats.maxInFlight = st.stats.inFlight;
	let counted = true;
	const done = () => {
		if (counted) {
			counted = false;
			st.stats.inFlight--;
		}
	};
	res.on('close', done);
	res.on('finish', done);

	const body = await readBody(st, req);
	ctx.raw = body.raw;
	ctx.tooLarge = body.tooLarge;
	ctx.logBody = describeBody(st, ctx);

	const userData = userDataHandler(method, path);
	const handler = userData ?? loginHandler(method, path);
	if (!handler) {
		sendJson(st, ctx, res, 404, { error: 'not_found', message: `${method} ${path} is not an endpoint` });
		return;
	}

	const isUserData = isUserDataPath(path);
	if (isUserData && st.opts.latencyMs > 0) await sleep(st, st.opts.latencyMs);

	const waitSeconds = isUserData ? rateLimited(st, Date.now()) : undefined;
	if (waitSeconds !== undefined) {
		ctx.fault = 'status';
		sendJson(st, ctx, res, 429, { error: statusText(429) }, { 'Retry-After': String(waitSeconds) });
		return;
	}

	const fault = pickFault(st, path, isUserData);
	if (fault) {
		if (fault.delayMs) await sleep(st, fault.delayMs);
		if (fault.reset) {
			ctx.fault = 'reset';
			record(st, ctx, 0);
			req.socket.destroy();
			return;
		}
		if (fault.status !== undefined) {
			ctx.fault = 'status';
			const errBody: Record<string, unknown> = { error: statusText(fault.status) };
			if (fault.result !== undefined) errBody.result = fault.result;
			sendJson(st, ctx, res, fault.status, errBody, fault.retryAfter !== undefined ? { 'Retry-After': fault.retryAfter } : {});
			return;
		}
		if (fault.result !== undefined) {
			ctx.fault = 'result';
			if (userData) answerResult(st, ctx, res, fault.result);
			else sendJson(st, ctx, res, 200, { result: fault.result });
			return;
		}
		ctx.fault = 'delay';
		if (fault.answerDelayMs) ctx.answerDelayMs = fault.answerDelayMs;
	}
	handler(st, ctx, res);
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
	const st = new EmulatorState(options);

	const server = http.createServer((req, res) => {
		const ctx = newCtx(req);
		const handled = ctx.path.startsWith(CONTROL_PREFIX) ? handleControl(st, req, res, ctx) : handleApi(st, req, res, ctx);
		handled.catch((err) => {
			if (!res.headersSent && !res.destroyed) {
				res.writeHead(500, { 'Content-Type': 'application/json; charset=UTF-8' });
				res.end(JSON.stringify({ error: 'internal_error', message: String(err) }));
			}
		});
	});
	server.keepAliveTimeout = 5000;

	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(st.opts.port, '127.0.0.1', () => {
			server.off('error', reject);
			resolve();
		});
	});
	const address = server.address();
	const port = typeof address === 'object' && address ? address.port : st.opts.port;
	st.opts.port = port;
	st.baseUrl = `http://127.0.0.1:${port}`;
	st.reset();

	let closed: Promise<void> | undefined;
	return {
		url: st.baseUrl,
		port,
		options: st.opts,
		close() {
			if (!closed) {
				closed = new Promise<void>((resolve) => {
					for (const t of st.timers) clearTimeout(t);
					st.timers.clear();
					server.close(() => resolve());
					server.closeAllConnections();
				});
			}
			return closed;
		},
		reset: () => st.reset(),
		createToken: (o) => createToken(st, o),
		addUser: (u) => st.addUser(u),
		addUsers: (o) => addUsers(st, o),
		signInNext: (u) => signInNext(st, u),
		expireAccessTokens: (f) => expireAccessTokens(st, f),
		addClient: (c) => st.addClient(c),
		setFaults: (rules, seed) => setFaults(st, rules, seed),
		clearFaults() {
			st.faultRules = [];
		},
		faults: () => st.faultRules.map((f) => ({ ...f })),
		requests: () => st.log.map((e) => ({ ...e })),
		clearRequests() {
			st.log = [];
		},
		store: () => st.store(),
		stats: () => st.getStats(),
		clearStats: () => st.clearStats(),
		setOptions: (patch) => st.setOptions(patch),
		advanceClock: (seconds) => st.advanceClock(seconds),
		discovery: () => discovery(st),
	};
}
