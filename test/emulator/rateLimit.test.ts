import { rateLimited } from './faults';
import { call } from './helpers';
import { startEmulator, type Emulator } from './server';
import type { EmulatorState } from './state';

const stateWith = (rateLimitPerSecond: number) => ({ opts: { rateLimitPerSecond } }) as unknown as EmulatorState;

describe('emulator rate limit (rateLimitPerSecond)', () => {
	it('lets a burst of N through, refuses the next with the seconds to wait, refills at N per second', () => {
		const st = stateWith(4);
		expect([0, 0, 0, 0].map((t) => rateLimited(st, t))).toEqual([undefined, undefined, undefined, undefined]);
		expect(rateLimited(st, 0)).toBe(1);
		// a quarter second refills one request's worth
		expect(rateLimited(st, 250)).toBeUndefined();
		expect(rateLimited(st, 250)).toBe(1);
		expect(rateLimited(st, 1250)).toBeUndefined();
	});

	it('is off at 0', () => {
		const st = stateWith(0);
		for (let i = 0; i < 100; i++) expect(rateLimited(st, 0)).toBeUndefined();
	});

	describe('over HTTP', () => {
		let emu: Emulator;
		beforeAll(async () => {
			emu = await startEmulator({ log: false, rateLimitPerSecond: 1 });
		});
		afterAll(() => emu.close());

		it('answers HTTP 429 with Retry-After to a user-data request beyond the limit, and does not carry it out', async () => {
			const token = emu.createToken().access_token;
			let refused: Awaited<ReturnType<typeof call>> | undefined;
			let key = '';
			// a bucket of 1: the first request that comes within a second of the last one is refused
			for (let i = 0; i < 20 && !refused; i++) {
				const answer = await call(emu, '/user-data/set', { value_key: `k${i}`, value_data: 'v' }, token);
				if (answer.status === 429) {
					refused = answer;
					key = `k${i}`;
				} else expect(answer.json.result).toBe(0);
			}
			expect(refused).toBeDefined();
			expect(Number(refused!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
			emu.setOptions({ rateLimitPerSecond: 0 });
			const stored = await call(emu, '/user-data/get', { value_keys: [key] }, token);
			expect(stored.json).toEqual({ result: 1, values: [] });
		});
	});
});
