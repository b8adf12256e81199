/**
 * How many requests a run keeps in flight. n8n opens a new connection for every request, so each
 * one costs a few round trips: the longer the round trip, the more requests it takes in flight to
 * keep items moving. The limit starts at `start`, grows while HyperID answers as fast as before
 * (a round of answers no slower than the fastest round so far), shrinks back towards `start` when
 * answers slow down (the client or HyperID is saturated), halves when HyperID asks to slow down
 * (HTTP 429/503 or Retry-After), and is never above `max`, the user's Concurrency.
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
	private readonly waiting: Array<() => void> = [];
	private roundAnswers = 0;
	private roundLatencySum = 0;
	private fastestRound = Number.POSITIVE_INFINITY;
	/** after HyperID asked to slow down: grow by one request per round, not by a factor */
	private slowedDown = false;
	/** answers still due from requests sent before the last halving: their "slow down" is already counted */
	private answersBeforeHalving = 0;
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
		if (this.inFlight < this.current) {
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
	 * One HTTP answer came, `latencyMs` after its request was sent; `slowDown` when HyperID asked to
	 * slow down (429, 503, Retry-After).
	 */
	answered(latencyMs: number, slowDown: boolean): void {
		const sentBeforeHalving = this.answersBeforeHalving > 0;
		if (sentBeforeHalving) this.answersBeforeHalving--;
		if (slowDown) {
			if (!sentBeforeHalving) this.halve();
			return;
		}
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
		this.current = Math.max(1, Math.floor(this.current / 2));
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

	private wake(): void {
		while (this.waiting.length > 0 && this.inFlight < this.current) this.waiting.shift()!();
	}
}
