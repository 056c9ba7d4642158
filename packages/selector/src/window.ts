/**
 * Bounded windows over recent samples, for the in-process statistics. Everything here has a fixed
 * upper size; storage grows with use up to that size, so an idle selector costs a few bytes.
 *
 * @internal
 */
import type { DurationStats } from './model';

/** The last `capacity` numbers, oldest overwritten first. */
export class NumberWindow {
  private readonly _values: number[] = [];
  private _next = 0;
  /** Samples ever pushed (the window holds the last `min(count, capacity)`). */
  count = 0;

  constructor(readonly capacity: number) {}

  push(v: number): void {
    this.count++;
    if (this._values.length < this.capacity) {
      this._values.push(v);
    } else {
      this._values[this._next] = v;
      this._next = this._next + 1 === this.capacity ? 0 : this._next + 1;
    }
  }

  get size(): number {
    return this._values.length;
  }

  /** The samples held, oldest first (a copy). */
  values(): number[] {
    if (this._values.length < this.capacity || this._next === 0) return this._values.slice();
    return this._values.slice(this._next).concat(this._values.slice(0, this._next));
  }
}

/**
 * p50/p90/p95/p99 by linear interpolation between closest ranks (the "R-7" rule of R and NumPy's
 * default), plus mean, min and max; `undefined` fields when there are no samples.
 */
export function summarize(values: readonly number[]): DurationStats {
  const n = values.length;
  if (n === 0) return { samples: 0 };
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i]!;
  return {
    samples: n,
    mean: sum / n,
    min: sorted[0]!,
    max: sorted[n - 1]!,
    p50: quantile(sorted, 0.5),
    p90: quantile(sorted, 0.9),
    p95: quantile(sorted, 0.95),
    p99: quantile(sorted, 0.99),
  };
}

/** The q-quantile of sorted values, linear interpolation between closest ranks. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 1) return sorted[0]!;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/** Least-squares slope of values against their index (0, 1, 2…); undefined below 3 samples. */
export function slope(values: readonly number[]): number | undefined {
  const n = values.length;
  if (n < 3) return undefined;
  const xMean = (n - 1) / 2;
  let yMean = 0;
  for (const v of values) yMean += v;
  yMean /= n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    const dx = i - xMean;
    num += dx * (values[i]! - yMean);
    den += dx * dx;
  }
  return num / den;
}

export const OUTCOME_FALLBACK = 1;
export const OUTCOME_FAILURE = 2;

/**
 * Outcome flags of the last `2 × half` resolutions, split into a recent half and an earlier half,
 * with running counts of fallbacks and failures in each: pushing is O(1), reading the two ratios
 * is O(1).
 */
export class OutcomeWindow {
  private readonly _flags: Uint8Array;
  private _head = 0;
  size = 0;
  recentFallbacks = 0;
  recentFailures = 0;
  earlierFallbacks = 0;
  earlierFailures = 0;

  constructor(readonly half: number) {
    this._flags = new Uint8Array(half * 2);
  }

  push(flags: number): void {
    const cap = this._flags.length;
    const half = this.half;
    if (this.size === cap) {
      // The oldest sample (about to be overwritten) leaves the earlier half.
      const old = this._flags[this._head]!;
      if (old & OUTCOME_FALLBACK) this.earlierFallbacks--;
      if (old & OUTCOME_FAILURE) this.earlierFailures--;
    }
    if (this.size >= half) {
      // The sample pushed `half` pushes ago moves from the recent half to the earlier one.
      const moving = this._flags[(this._head - half + cap) % cap]!;
      if (moving & OUTCOME_FALLBACK) {
        this.recentFallbacks--;
        this.earlierFallbacks++;
      }
      if (moving & OUTCOME_FAILURE) {
        this.recentFailures--;
        this.earlierFailures++;
      }
    }
    this._flags[this._head] = flags;
    if (flags & OUTCOME_FALLBACK) this.recentFallbacks++;
    if (flags & OUTCOME_FAILURE) this.recentFailures++;
    this._head = this._head + 1 === cap ? 0 : this._head + 1;
    if (this.size < cap) this.size++;
  }

  /** True when both halves are full, so the two ratios compare like with like. */
  get full(): boolean {
    return this.size === this._flags.length;
  }
}
