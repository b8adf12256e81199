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

	it('on a slow-down, goes down to the answers HyperID accepted since it last asked (more would only be refused)', async () => {
		const limit = new InFlightLimit(64);
		await Promise.all(Array.from({ length: 32 }, () => limit.acquire()));
		for (let i = 0; i < 5; i++) limit.answered(10, false);
		limit.answered(10, true);
		expect(limit.limit).toBe(5);
		// the others sent before it are refused too: the same signal
		for (let i = 0; i < 31; i++) limit.answered(10, true);
		expect(limit.limit).toBe(5);
		// a slow-down with nothing accepted before it halves
		for (let i = 0; i < 32; i++) limit.release();
		limit.answered(10, true);
		expect(limit.limit).toBe(2);
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

describe('InFlightLimit.aside (a request waiting to be resent gives its place back)', () => {
	/** A wait that ends when `end` is called. */
	function gate(): { wait: () => Promise<boolean>; end: (value?: boolean) => void } {
		let end: (value: boolean) => void = () => undefined;
		const done = new Promise<boolean>((resolve) => (end = resolve));
		return { wait: async () => await done, end: (value = true) => end(value) };
	}
	// the promise callbacks queued so far have run (each wait resolves within a few hops)
	const settle = async () => {
		for (let i = 0; i < 20; i++) await Promise.resolve();
	};
	async function fill(limit: InFlightLimit): Promise<void> {
		await Promise.all(Array.from({ length: limit.limit }, () => limit.acquire()));
	}
	function track(promise: Promise<unknown>, log: string[], name: string): void {
		void promise.then((value) => log.push(value === false ? `${name}:cancelled` : name));
	}

	it('lets a new item start in its place while it waits, and takes a place again before new items', async () => {
		const limit = new InFlightLimit(2, 2);
		await fill(limit);
		const log: string[] = [];
		const backoff = gate();
		track(limit.aside(backoff.wait), log, 'resent');
		await settle();
		// its place went to a new item
		track(limit.acquire(), log, 'new1');
		await settle();
		expect(log).toEqual(['new1']);
		track(limit.acquire(), log, 'new2');
		backoff.end();
		await settle();
		// both places taken: the resend waits, and goes before new2 once one is free
		expect(log).toEqual(['new1']);
		limit.release();
		await settle();
		expect(log).toEqual(['new1', 'resent']);
		limit.release();
		await settle();
		expect(log).toEqual(['new1', 'resent', 'new2']);
	});

	it('after HyperID asked to slow down, nobody gets a place until that wait is over: then resends, those held back, new items', async () => {
		const limit = new InFlightLimit(3, 3);
		await fill(limit);
		const log: string[] = [];
		const slow = gate();
		const other = gate();
		track(limit.aside(slow.wait, undefined, 'slowDown', 1), log, 'slowedDown');
		track(limit.aside(other.wait, undefined, 'resend', 1), log, 'resent');
		expect(limit.holdsBack).toBe(true);
		track(limit.acquire(), log, 'new');
		const held = gate();
		track(limit.aside(held.wait, undefined, 'turn'), log, 'heldBack');
		held.end();
		other.end();
		await settle();
		// three places free, but the slowed-down request is still waiting
		expect(log).toEqual([]);
		slow.end();
		await settle();
		// placed in one go (the order their waits resume in is the promise queue's)
		expect([...log].sort()).toEqual(['heldBack', 'resent', 'slowedDown']);
		expect(limit.holdsBack).toBe(false);
		limit.release();
		await settle();
		expect(log[3]).toBe('new');
	});

	it('among resends, the one refused most often gets the next place', async () => {
		const limit = new InFlightLimit(1, 1);
		await fill(limit);
		const log: string[] = [];
		const once = gate();
		const twice = gate();
		track(limit.aside(once.wait, undefined, 'resend', 1), log, 'refusedOnce');
		await limit.acquire();
		track(limit.aside(twice.wait, undefined, 'resend', 2), log, 'refusedTwice');
		await limit.acquire();
		once.end();
		twice.end();
		await settle();
		expect(log).toEqual([]);
		limit.release();
		await settle();
		expect(log).toEqual(['refusedTwice']);
		limit.release();
		await settle();
		expect(log).toEqual(['refusedTwice', 'refusedOnce']);
	});

	it('a cancel ends the wait for a place at once and takes it back: every place is released exactly once', async () => {
		const limit = new InFlightLimit(1, 1);
		await fill(limit);
		const controller = new AbortController();
		const log: string[] = [];
		const backoff = gate();
		track(limit.aside(backoff.wait, controller.signal), log, 'resent');
		// a new item took the place meanwhile; the resend, back from its backoff, waits for it
		await limit.acquire();
		backoff.end();
		await settle();
		expect(log).toEqual([]);
		controller.abort();
		await settle();
		expect(log).toEqual(['resent:cancelled']);
		// both release theirs: the limit of 1 lets exactly one new item in, then the next
		limit.release();
		limit.release();
		track(limit.acquire(), log, 'a');
		track(limit.acquire(), log, 'b');
		await settle();
		expect(log).toEqual(['resent:cancelled', 'a']);
		limit.release();
		await settle();
		expect(log).toEqual(['resent:cancelled', 'a', 'b']);
	});

	it('a cancel during the wait itself takes the place back at once (a slow-down too), and it is released once', async () => {
		const limit = new InFlightLimit(1, 1);
		await fill(limit);
		const controller = new AbortController();
		const backoff = gate();
		const resent = limit.aside(backoff.wait, controller.signal, 'slowDown');
		expect(limit.holdsBack).toBe(true);
		controller.abort();
		// the backoff (sleepUnlessCancelled) ends on the cancel
		backoff.end(false);
		await expect(resent).resolves.toBe(false);
		expect(limit.holdsBack).toBe(false);
		const log: string[] = [];
		track(limit.acquire(), log, 'next');
		await settle();
		expect(log).toEqual([]);
		limit.release();
		await settle();
		expect(log).toEqual(['next']);
	});
});
