/**
 * How many requests a run keeps in flight. n8n opens a new connection for every request, so each
 * one costs a few round trips: the longer the round trip, the more requests it takes in flight to
 * keep items moving. The limit starts at `start`, grows while HyperID answers as fast as before
 * (a round of answers no slower than the fastest round so far), shrinks back towards `start` when
 * answers slow down (the client or HyperID is saturated), halves when HyperID asks to slow down
 * (HTTP 429/503 or Retry-After; down to the answers it accepted since it last asked), and is never
 * above `max`, the user's Concurrency.
 *
 * A request waiting to be resent (or an item waiting on an earlier write) gives its place back
 * meanwhile and takes one again before it goes on, ahead of new items; while a request HyperID asked
 * to slow down waits, no request gets a place.
 *
 * Everything is counted in answers, not time: the same answers give the same limits.
 */

/** A round's mean latency within this factor of the fastest round counts as flat. */
export const FLAT_FACTOR = 1.2;
/** A round's mean latency beyond this factor of the fastest round counts as saturated. */
export const SATURATED_FACTOR = 1.5;
/** Growth per flat round until HyperID first asks to slow down (then one request per round). */
export const GROWTH_FACTOR = 1.25;
/** The share of the limit kept when answers slow down. */
export const SHRINK_FACTOR = 0.8;
/** The limit a run starts with when the user's maximum allows it. */
export const START_IN_FLIGHT = 32;

export class InFlightLimit {
	private current: number;
	private inFlight = 0;
	/** new items waiting for a place */
	private readonly waiting: Array<() => void> = [];
	/** requests back from a wait, taking a place again: they go first, those refused most often first of all */
	private readonly resuming: Array<() => void> = [];
	/** how often each one in `resuming` was refused: an item runs out of retries, not of waiting */
	private readonly refusals: number[] = [];
	/** requests held back before sending (holdsBack): after those, before new items */
	private readonly heldBack: Array<() => void> = [];
	/** requests waiting out HyperID's "slow down" (their backoff) */
	private slowingDown = 0;
	private roundAnswers = 0;
	private roundLatencySum = 0;
	private fastestRound = Number.POSITIVE_INFINITY;
	/** after HyperID asked to slow down: grow by one request per round, not by a factor */
	private slowedDown = false;
	/** answers still due from requests sent before the last halving: their "slow down" is already counted */
	private answersBeforeHalving = 0;
	/** answers HyperID accepted since it last asked to slow down */
	private acceptedSinceSlowDown = 0;
	/** the lowest limit growth may not go below by latency alone (a halving lowers it) */
	private floor: number;

	constructor(
		readonly max: number,
		start = START_IN_FLIGHT,
	) {
		this.current = Math.max(1, Math.min(max, start));
		this.floor = this.current;
	}

	/** Requests that may be in flight now. */
	get limit(): number {
		return this.current;
	}

	/** Resolves once one more request may start; pair every call with release(). */
	acquire(): Promise<void> {
		if (this.inFlight < this.current && this.next() === undefined && this.slowingDown === 0) {
			this.inFlight++;
			return Promise.resolve();
		}
		return new Promise((resolve) =>
			this.waiting.push(() => {
				this.inFlight++;
				resolve();
			}),
		);
	}

	release(): void {
		this.inFlight--;
		this.wake();
	}

	/**
	 * Whether a request about to be sent should first give its place back and wait its turn: its
	 * place was taken before HyperID asked to slow down and the limit fell, or such a request waits.
	 */
	get holdsBack(): boolean {
		// a limit lowered by latency alone lets places already taken go (holding them back cost 9% at 0 ms)
		return this.slowingDown > 0 || (this.slowedDown && this.inFlight > this.current);
	}

	/**
	 * Runs `wait` without holding a place, then takes one again; resolves to what `wait` resolved
	 * to. How it takes it again:
	 * - 'resend' (a retry's backoff, an earlier write): before anyone else;
	 * - 'slowDown' (a backoff after HyperID asked to slow down): the same, and no request at all
	 *   gets a place until this wait is over;
	 * - 'turn' (held back before sending, see holdsBack): after those, before new items.
	 * `refused`: how many attempts of this request were refused so far (ranks it among resends).
	 * When `signal` aborts, the place is taken back at once (its holder releases it as usual) and
	 * this resolves false.
	 */
	async aside(wait: () => Promise<boolean>, signal?: AbortSignal, reason: 'resend' | 'slowDown' | 'turn' = 'resend', refused = 0): Promise<boolean> {
		this.inFlight--;
		if (reason === 'slowDown') this.slowingDown++;
		this.wake();
		let waited = false;
		try {
			waited = await wait();
		} finally {
			if (reason === 'slowDown') this.slowingDown--;
			const placed = await this.retake(reason === 'turn' ? undefined : refused, signal);
			waited &&= placed;
		}
		return waited;
	}

	/** A place again, as a resend refused `refused` times or (undefined) held back: true in turn, false when taken at once on a cancel. */
	private retake(refused: number | undefined, signal?: AbortSignal): Promise<boolean> {
		if (signal?.aborted) {
			this.inFlight++;
			return Promise.resolve(false);
		}
		return new Promise((resolve) => {
			const onAbort = () => {
				const at = (refused === undefined ? this.heldBack : this.resuming).indexOf(placed);
				if (refused === undefined) this.heldBack.splice(at, 1);
				else {
					this.resuming.splice(at, 1);
					this.refusals.splice(at, 1);
				}
				this.inFlight++;
				resolve(false);
			};
			const placed = () => {
				signal?.removeEventListener('abort', onAbort);
				this.inFlight++;
				resolve(true);
			};
			signal?.addEventListener('abort', onAbort, { once: true });
			if (refused === undefined) this.heldBack.push(placed);
			else {
				let at = this.refusals.length;
				while (at > 0 && this.refusals[at - 1] < refused) at--;
				this.resuming.splice(at, 0, placed);
				this.refusals.splice(at, 0, refused);
			}
			// placed at once when its turn has come
			this.wake();
		});
	}

	/**
	 * One HTTP answer came, `latencyMs` after its request was sent; `slowDown` when HyperID asked to
	 * slow down (429, 503, Retry-After).
	 */
	answered(latencyMs: number, slowDown: boolean): void {
		const sentBeforeHalving = this.answersBeforeHalving > 0;
		if (sentBeforeHalving) this.answersBeforeHalving--;
		if (slowDown) {
			if (!sentBeforeHalving) this.halve();
			this.acceptedSinceSlowDown = 0;
			return;
		}
		this.acceptedSinceSlowDown++;
		if (sentBeforeHalving) return;
		this.roundAnswers++;
		this.roundLatencySum += latencyMs;
		if (this.roundAnswers < this.current) return;
		const mean = this.roundLatencySum / this.roundAnswers;
		this.newRound();
		if (this.fastestRound === Number.POSITIVE_INFINITY) {
			// the first round only sets what "as fast as before" means
		} else if (mean <= this.fastestRound * FLAT_FACTOR) {
			const grown = this.slowedDown ? this.current + 1 : Math.ceil(this.current * GROWTH_FACTOR);
			this.current = Math.min(this.max, grown);
		} else if (mean > this.fastestRound * SATURATED_FACTOR) {
			this.current = Math.max(this.floor, Math.floor(this.current * SHRINK_FACTOR));
		}
		this.fastestRound = Math.min(this.fastestRound, mean);
		this.wake();
	}

	private halve(): void {
		// more in flight than HyperID accepted between two refusals would only be refused
		const accepted = this.acceptedSinceSlowDown > 0 ? this.acceptedSinceSlowDown : Number.POSITIVE_INFINITY;
		this.current = Math.max(1, Math.min(Math.floor(this.current / 2), accepted));
		this.floor = Math.min(this.floor, this.current);
		this.slowedDown = true;
		// the others in flight (the answering request still holds its place)
		this.answersBeforeHalving = Math.max(0, this.inFlight - 1);
		this.newRound();
	}

	private newRound(): void {
		this.roundAnswers = 0;
		this.roundLatencySum = 0;
	}

	/**
	 * Who gets the next free place: nobody while a request HyperID asked to slow down waits (its
	 * answer is the newest word on the limit), else a request back from a wait, one held back, a new item.
	 */
	private next(): Array<() => void> | undefined {
		if (this.slowingDown > 0) return undefined;
		if (this.resuming.length > 0) return this.resuming;
		if (this.heldBack.length > 0) return this.heldBack;
		return this.waiting.length > 0 ? this.waiting : undefined;
	}

	private wake(): void {
		for (let queue = this.next(); queue && this.inFlight < this.current; queue = this.next()) {
			if (queue === this.resuming) this.refusals.shift();
			queue.shift()!();
		}
	}
}
