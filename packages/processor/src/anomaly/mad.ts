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
import { BaseDetector, DOWN, UP, checkState, f64, floorScale, resolveNumbers, stateOptions, zSeverity } from './common';
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
      const med = n & 1 ? s[h]! : 0.5 * (s[h - 1]! + s[h]!);
      // Mean absolute deviation from the median.
      let sumAbs = 0;
      for (let i = 0; i < n; i++) {
        const v = s[i]!;
        sumAbs += v > med ? v - med : med - v;
      }
      // MAD: merge the deviations of the left side (walking down) and the right side (walking up)
      // up to rank h; for odd n the median itself is the deviation of rank 0.
      let i = h - 1;
      let j = n & 1 ? h + 1 : h;
      let taken = n & 1 ? 1 : 0;
      let last = 0;
      let prev = 0;
      while (taken <= h) {
        const dl = i >= 0 ? med - s[i]! : Infinity;
        const dr = j < n ? s[j]! - med : Infinity;
        prev = last;
        if (dl <= dr) {
          last = dl;
          i--;
        } else {
          last = dr;
          j++;
        }
        taken++;
      }
      // `last` is the deviation of rank h; for even n the MAD is the mean of ranks h − 1 and h.
      const mad = n & 1 ? last : 0.5 * (prev + last);
      let sd = MAD_TO_SD * mad;
      const sdMean = (MEAN_ABS_TO_SD * sumAbs) / n;
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
    let n = this.size;
    if (n === W) {
      // Remove the oldest point from the sorted window.
      const old = this.ring[this.head]!;
      let p = lowerBound(s, n, old);
      // `p` holds a value equal to `old` (it is in the window).
      for (; p < n - 1; p++) s[p] = s[p + 1]!;
      n--;
    }
    const q = upperBound(s, n, x);
    for (let p = n; p > q; p--) s[p] = s[p - 1]!;
    s[q] = x;
    this.size = n + 1;
    this.ring[this.head] = x;
    this.head = (this.head + 1) % W;
  }

  toState(): DetectorState {
    // The sorted copy is rebuilt from the ring on restore.
    const ordered: number[] = [];
    const W = this.options.window;
    const start = (this.head - this.size + W) % W;
    for (let k = 0; k < this.size; k++) ordered.push(this.ring[(start + k) % W]!);
    return { kind: 'mad', version: 1, options: { ...this.options }, values: ordered };
  }

  static restore(state: DetectorState): MadDetector {
    checkState(state, 'mad', 1);
    const d = new MadDetector(stateOptions(state));
    const v = state['values'];
    if (!Array.isArray(v) || v.length > d.options.window) throw new RangeError(`mad state: 'values' must be an array of at most ${d.options.window} numbers`);
    const values = f64(state, 'values', v.length);
    for (const x of values) d.learn(x);
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

