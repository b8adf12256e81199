/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * The control API under /__emulator/, for tests: users, clients, tokens and sign-ins, faults, the
 * request log, counters, options, the clock, reset. Written for tests only; HyperID has no such API.
 */
import type * as http from 'node:http';
import {
	CONTROL_PREFIX,
	EmulatorError,
	type AddUsersOptions,
	type ClientInput,
	type CreateTokenOptions,
	type FaultRule,
	type ResolvedOptions,
	type UserInput,
} from './model';
import { setFaults } from './faults';
import { readBody, type Ctx } from './http';
import { discovery, signInNext } from './login';
import type { EmulatorState } from './state';
import { addUsers, createToken, expireAccessTokens } from './tokens';
import { isPlainObject } from './util';

/** A request under /__emulator/: the same functions as the in-process methods, JSON in and out; not logged or counted. */
export async function handleControl(st: EmulatorState, req: http.IncomingMessage, res: http.ServerResponse, ctx: Ctx): Promise<void> {
	const body = await readBody(st, req);
	const json = (status: number, obj: unknown) => {
		const text = JSON.stringify(obj);
		res.writeHead(status, { 'Content-Type': 'application/json; charset=UTF-8', 'Content-Length': Buffer.byteLength(text) });
		res.end(text);
	};
	let input: Record<string, unknown> = {};
	if (body.raw.trim() !== '') {
		try {
			const parsed = JSON.parse(body.raw);
			if (!isPlainObject(parsed)) throw new Error('not an object');
			input = parsed;
		} catch {
			json(400, { error: 'body must be a JSON object' });
			return;
		}
	}
	const route = `${ctx.method} ${ctx.path.slice(CONTROL_PREFIX.length - 1)}`;
	try {
		switch (route) {
			case 'POST /tokens':
				json(200, createToken(st, input as CreateTokenOptions));
				return;
			case 'POST /users':
				// {count, ...}: many users signed in at once; else one user as given
				json(200, input.count !== undefined ? addUsers(st, input as unknown as AddUsersOptions) : st.addUser(input as unknown as UserInput));
				return;
			case 'POST /sign-in':
				json(200, signInNext(st, input as { userId?: string; email?: string }));
				return;
			case 'POST /tokens/expire':
				json(200, { expired: expireAccessTokens(st, input as { userId?: string; clientId?: string }) });
				return;
			case 'POST /clients':
				st.addClient(input as unknown as ClientInput);
				json(200, { clientId: input.clientId });
				return;
			case 'GET /faults':
				json(200, { rules: st.faultRules });
				return;
			case 'POST /faults':
				setFaults(st, input.rules as FaultRule[], input.seed as number | undefined);
				json(200, { rules: st.faultRules });
				return;
			case 'DELETE /faults':
				st.faultRules = [];
				json(200, { rules: [] });
				return;
			case 'GET /requests':
				json(200, st.log);
				return;
			case 'DELETE /requests':
				st.log = [];
				json(200, { ok: true });
				return;
			case 'GET /store':
				json(200, st.store());
				return;
			case 'GET /stats':
				json(200, st.getStats());
				return;
			case 'DELETE /stats':
				st.clearStats();
				json(200, st.getStats());
				return;
			case 'POST /reset':
				st.reset();
				json(200, { ok: true });
				return;
			case 'GET /options':
				json(200, st.opts);
				return;
			case 'POST /options':
				json(200, st.setOptions(input as Partial<ResolvedOptions>));
				return;
			case 'POST /clock':
				st.advanceClock(input.advanceSeconds as number);
				json(200, { offsetSeconds: st.clockOffsetMs / 1000 });
				return;
			case 'GET /discovery':
				json(200, discovery(st));
				return;
			default:
				json(404, { error: 'not_found', message: `${ctx.method} ${ctx.path} is not a control endpoint` });
		}
	} catch (err) {
		if (err instanceof EmulatorError) json(err.status, { error: err.message });
		else json(500, { error: String(err) });
	}
}
