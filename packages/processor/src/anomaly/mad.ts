/**
 * `mad`: rolling median and median absolute deviation over the last `window` points (the modified
 * z-score of Iglewicz and Hoaglin, flagged at 3.5). The window is kept twice in typed arrays — in
 * arrival order (a ring) and sorted — so a point costs one binary search and one shift of at most
 * `window` numbers; the MAD is read from the sorted window by walking outwards from the median.
 *
 * The MAD is 0 on flat or quantised series (more than half of the window on one value), which would
 * make every change infinitely anomalous. Its scale therefore has two floors: the mean absolute
 * deviation from the median (×1.2533, the same σ for Gaussian data, and non-zero as soon as any value
 * differs), and `floor · |median|` (at least `minScale`).
 *
 * Flags `mad_high` / `mad_low` when the modified z ≥ `threshold`.
 */
import { BaseDetector, DOWN, UP, checkState, f64, floorScale, int, num, resolveNumbers, stateOptions, zSeverity } from './common';
import type { NumberSpec } from './common';
import type { DetectorState } from './types';

export const MAD_OPTIONS = {
  window: { def: 64, min: 3, max: 4096, integer: true, doc: 'points in the rolling window' },
  threshold: { def: 3.5, min: 0, max: 1000, minOpen: true, doc: 'modified z at which the point is flagged' },
  warmup: { def: 30, min: 1, max: 1e6, integer: true, doc: 'points learned before scoring (at most the window)' },
  floor: { def: 0.001, min: 0, max: 1, doc: 'scale floor as a share of |median|' },
  minScale: { def: 1e-9, min: 0, max: 1e12, doc: 'absolute scale floor' },
} as const satisfies Record<string, NumberSpec>;

/** MAD → σ for Gaussian data. */
const MAD_TO_SD = 1.4826;
/** Mean absolute deviation → σ for Gaussian data (√(π/2)). */
const MEAN_ABS_TO_SD = Math.sqrt(Math.PI / 2);

export class MadDetector extends BaseDetector {
  readonly name = 'mad';
  readonly flagUp = 'mad_high';
  readonly flagDown = 'mad_low';
  readonly options: Readonly<Record<keyof typeof MAD_OPTIONS, number>>;
  /** Arrival order; `head` is where the next point goes. */
  readonly ring: Float64Array;
  /** The same points, ascending, in `sorted[0 .. size)`. */
  readonly sorted: Float64Array;
  head = 0;
  size = 0;
  /** Sum of the window and of its lower half (the ⌊n/2⌋ smallest values). */
  sum = 0;
  lowerSum = 0;
  /** Steady-state updates since the sums were recomputed exactly. */
  sinceExact = 0;
  /** The last median, MAD-based scale and modified z (for inspection). */
  median = Number.NaN;
  scale = Number.NaN;

  constructor(options?: Record<string, unknown>) {
    super();
    this.options = resolveNumbers('mad', MAD_OPTIONS, options);
    this.ring = new Float64Array(this.options.window);
    this.sorted = new Float64Array(this.options.window);
  }

  step(_t: number, x: number): number {
    const o = this.options;
    let sev = 0;
    this.dir = 0;
    const n = this.size;
    if (n >= Math.min(o.warmup, o.window) && n > 0) {
      const s = this.sorted;
      const h = n >> 1;
      const odd = (n & 1) === 1;
      const med = odd ? s[h]! : 0.5 * (s[h - 1]! + s[h]!);
      // Deviations from the median: the left side walking down from `h − 1`, the right side walking
      // up from `h` (even n) or `h + 1` (odd n, whose median is itself the deviation 0 of rank 0).
      const mad = odd ? (h === 0 ? 0 : kthDeviation(s, med, h - 1, h + 1, n, h - 1)) : 0.5 * (kthDeviation(s, med, h - 1, h, n, h - 1) + kthDeviation(s, med, h - 1, h, n, h));
      // Σ|x − median| = (sum above the median) − (sum below it).
      const sumAbs = this.sum - 2 * this.lowerSum - (odd ? s[h]! : 0);
      let sd = MAD_TO_SD * mad;
      const sdMean = (MEAN_ABS_TO_SD * (sumAbs > 0 ? sumAbs : 0)) / n;
      if (sdMean > sd) sd = sdMean;
      sd = floorScale(sd, med, o.floor, o.minScale);
      const d = x - med;
      sev = zSeverity(d, sd, o.threshold);
      this.dir = d > 0 ? UP : d < 0 ? DOWN : 0;
      this.median = med;
      this.scale = sd;
      this.expected = med;
      this.lower = med - o.threshold * sd;
      this.upper = med + o.threshold * sd;
    } else {
      this.expected = this.lower = this.upper = Number.NaN;
    }
    this.learn(x);
    return sev;
  }

  private learn(x: number): void {
    const W = this.options.window;
    const s = this.sorted;
    const n = this.size;
    if (n === W) {
      // Steady state: one point out, one in; the lower half (the h = W/2 smallest) keeps its size,
      // so its sum follows in O(1).
      const h = W >> 1;
      const old = this.ring[this.head]!;
      const p = lowerBound(s, n, old); // s[p] === old
      if (p < h) {
        const next = s[h]!;
        this.lowerSum += (x < next ? x : next) - old;
      } else if (h > 0) {
        const top = s[h - 1]!;
        if (x < top) this.lowerSum += x - top;
      }
      this.sum += x - old;
      s.copyWithin(p, p + 1, n);
      const q = upperBound(s, n - 1, x);
      s.copyWithin(q + 1, q, n - 1);
      s[q] = x;
      if (++this.sinceExact >= W) this.recompute();
    } else {
      const q = upperBound(s, n, x);
      s.copyWithin(q + 1, q, n);
      s[q] = x;
      this.size = n + 1;
      this.recompute();
    }
    this.ring[this.head] = x;
    this.head = (this.head + 1) % W;
  }

  /** Exact sums from the sorted window (while it fills, and every window length against rounding). */
  private recompute(): void {
    const s = this.sorted;
    const n = this.size;
    const h = n >> 1;
    let lo = 0;
    let all = 0;
    for (let i = 0; i < n; i++) {
      all += s[i]!;
      if (i === h - 1) lo = all;
    }
    this.lowerSum = h > 0 ? lo : 0;
    this.sum = all;
    this.sinceExact = 0;
  }

  toState(): DetectorState {
    // The sorted copy is rebuilt from the ring on restore.
    const ordered: number[] = [];
    const W = this.options.window;
    const start = (this.head - this.size + W) % W;
    for (let k = 0; k < this.size; k++) ordered.push(this.ring[(start + k) % W]!);
    return { kind: 'mad', version: 1, options: { ...this.options }, values: ordered, sum: this.sum, lowerSum: this.lowerSum, sinceExact: this.sinceExact };
  }

  static restore(state: DetectorState): MadDetector {
    checkState(state, 'mad', 1);
    const d = new MadDetector(stateOptions(state));
    const v = state['values'];
    if (!Array.isArray(v) || v.length > d.options.window) throw new RangeError(`mad state: 'values' must be an array of at most ${d.options.window} numbers`);
    const values = f64(state, 'values', v.length);
    for (const x of values) d.learn(x);
    // The running sums carry their own rounding: take them as they were, not recomputed.
    d.sinceExact = int(state, 'sinceExact', 0, d.options.window);
    d.sum = num(state, 'sum');
    d.lowerSum = num(state, 'lowerSum');
    return d;
  }
}

/** First index in s[0..n) with s[i] ≥ x. */
function lowerBound(s: Float64Array, n: number, x: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (s[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index in s[0..n) with s[i] > x. */
function upperBound(s: Float64Array, n: number, x: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (s[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}


/**
 * The deviation of rank `k` (0-based) from `med` among the left side s[left], s[left − 1], … s[0]
 * (deviations med − s[i], ascending) and the right side s[right], … s[n − 1] (s[i] − med, ascending):
 * the k-th smallest of two sorted sequences, by binary search on how many come from the left.
 */
function kthDeviation(s: Float64Array, med: number, left: number, right: number, n: number, k: number): number {
  const a = left + 1; // left deviations: A(i) = med − s[left − i], i < a
  const b = n - right; // right deviations: B(j) = s[right + j] − med, j < b
  const need = k + 1;
  let lo = need - b > 0 ? need - b : 0;
  let hi = need < a ? need : a;
  // Find i (taken from A) with A(i − 1) ≤ B(need − i) and B(need − i − 1) ≤ A(i).
  while (lo < hi) {
    const i = (lo + hi) >> 1;
    const j = need - i;
    // Too few from A when A(i) < B(j − 1).
    if (j > 0 && i < a && med - s[left - i]! < s[right + j - 1]! - med) lo = i + 1;
    else hi = i;
  }
  const i = lo;
  const j = need - i;
  const ai = i > 0 ? med - s[left - i + 1]! : -Infinity;
  const bj = j > 0 ? s[right + j - 1]! - med : -Infinity;
  return ai > bj ? ai : bj;
}
