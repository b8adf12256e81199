import { InFlightLimit, START_IN_FLIGHT } from '../../nodes/HyperIdUserData/transport/inFlight';

/** `limit.limit` answers of the same latency: one round. */
function round(limit: InFlightLimit, latencyMs: number): number {
	const n = limit.limit;
	for (let i = 0; i < n; i++) limit.answered(latencyMs, false);
	return limit.limit;
}

describe('InFlightLimit (requests in flight that follow the round trip and HyperID)', () => {
	it('starts at 32, or at the user maximum when lower', () => {
		expect(new InFlightLimit(64).limit).toBe(START_IN_FLIGHT);
		expect(new InFlightLimit(10).limit).toBe(10);
		expect(new InFlightLimit(1).limit).toBe(1);
	});

	it('sends more while answers stay as fast (the first round only sets the pace), never above the maximum', () => {
		const limit = new InFlightLimit(64);
		expect(round(limit, 150)).toBe(32);
		expect([round(limit, 150), round(limit, 160), round(limit, 150), round(limit, 150), round(limit, 150)]).toEqual([40, 50, 63, 64, 64]);
		const capped = new InFlightLimit(10);
		for (let i = 0; i < 20; i++) expect(round(capped, 100)).toBe(10);
	});

	it('stops growing when answers get slower, and shrinks back (not below the start) when they get much slower', () => {
		const limit = new InFlightLimit(64);
		round(limit, 100);
		expect(round(limit, 100)).toBe(40);
		// 1.3x the fastest round: saturated enough not to grow, not enough to shrink
		expect(round(limit, 130)).toBe(40);
		expect(round(limit, 200)).toBe(32);
		expect(round(limit, 400)).toBe(32);
	});

	it('halves when HyperID asks to slow down, once for the requests already in flight, then grows one at a time', async () => {
		const limit = new InFlightLimit(64);
		const started = [];
		for (let i = 0; i < 32; i++) started.push(limit.acquire());
		await Promise.all(started);
		limit.answered(50, true);
		expect(limit.limit).toBe(16);
		// the other 31 requests were sent before the halving: their 429s are the same signal
		for (let i = 0; i < 31; i++) limit.answered(50, true);
		expect(limit.limit).toBe(16);
		for (let i = 0; i < 32; i++) limit.release();
		// a new request's 429 halves again
		limit.answered(50, true);
		expect(limit.limit).toBe(8);
		expect(round(limit, 50)).toBe(8);
		expect([round(limit, 50), round(limit, 50), round(limit, 50)]).toEqual([9, 10, 11]);
		// never below one
		for (let i = 0; i < 10; i++) limit.answered(50, true);
		expect(limit.limit).toBe(1);
	});

	it('never lets more than the limit start, and lets waiting requests start in order as answers come', async () => {
		const limit = new InFlightLimit(2, 2);
		const order: number[] = [];
		const starts = [0, 1, 2, 3].map((i) => limit.acquire().then(() => order.push(i)));
		await Promise.all(starts.slice(0, 2));
		await Promise.resolve();
		expect(order).toEqual([0, 1]);
		limit.release();
		await starts[2];
		expect(order).toEqual([0, 1, 2]);
		limit.release();
		await starts[3];
		expect(order).toEqual([0, 1, 2, 3]);
	});
});
