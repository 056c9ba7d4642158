/**
 * `ma`: a short moving average against the long moving average before it. One ring of
 * `short + long` points; the newest `short` points (the current one included) form the short window,
 * the `long` points before them the baseline. Both windows keep running sums, so a point costs O(1).
 * The statistic is the z of the short mean against the baseline: (m_short − m_long) / (σ_long / √short),
 * with σ_long floored at `floor · |m_long|` (at least `minScale`). Sustained shifts of the level show
 * up here well before any single point looks extreme.
 *
 * Flags `ma_up` / `ma_down` when |z| ≥ `threshold`. `expected` is the baseline mean, the band the
 * range the short mean may move in.
 */
import { BaseDetector, DOWN, UP, checkState, f64, floorScale, int, num, resolveNumbers, stateOptions, toArray, zSeverity } from './common';
import type { NumberSpec } from './common';
import type { DetectorState } from './types';

export const MA_OPTIONS = {
  short: { def: 5, min: 1, max: 10_000, integer: true, doc: 'points in the short window' },
  long: { def: 60, min: 2, max: 100_000, integer: true, doc: 'points in the baseline window before it' },
  threshold: { def: 4, min: 0, max: 1000, minOpen: true, doc: 'z of the short mean at which it is flagged' },
  floor: { def: 0.001, min: 0, max: 1, doc: 'standard-deviation floor as a share of |baseline|' },
  minScale: { def: 1e-9, min: 0, max: 1e12, doc: 'absolute standard-deviation floor' },
} as const satisfies Record<string, NumberSpec>;

export class MovingAverageDetector extends BaseDetector {
  readonly name = 'ma';
  readonly flagUp = 'ma_up';
  readonly flagDown = 'ma_down';
  readonly options: Readonly<Record<keyof typeof MA_OPTIONS, number>>;
  /** Ring of the last `short + long` points; `head` is where the next one goes. */
  readonly ring: Float64Array;
  head = 0;
  /** Points in the ring (≤ short + long). */
  size = 0;
  shortSum = 0;
  longSum = 0;
  /** Sum of squared deviations of the long window from its mean. */
  longM2 = 0;
  /** Updates since the sums were last recomputed exactly (rounding is reset every ring length). */
  sinceExact = 0;

  constructor(options?: Record<string, unknown>) {
    super();
    this.options = resolveNumbers('ma', MA_OPTIONS, options);
    this.ring = new Float64Array(this.options.short + this.options.long);
  }

  private at(back: number): number {
    // back = 1: the newest point.
    const cap = this.ring.length;
    return this.ring[(this.head - back + 2 * cap) % cap]!;
  }

  step(_t: number, x: number): number {
    const S = this.options.short;
    const L = this.options.long;
    let sev = 0;
    this.dir = 0;
    // The short window with x in it: x and the newest short − 1 points; the baseline is the long
    // window before the short window the ring holds (one point older, so x never shares a window).
    const cap = S + L;
    if (this.size >= cap) {
      const shortSum = this.shortSum + x - this.at(S);
      const lm = this.longSum / L;
      const sd = floorScale(Math.sqrt(Math.max(0, this.longM2) / (L - 1)), lm, this.options.floor, this.options.minScale);
      const se = sd / Math.sqrt(S);
      const d = shortSum / S - lm;
      sev = zSeverity(d, se, this.options.threshold);
      this.dir = d > 0 ? UP : d < 0 ? DOWN : 0;
      this.expected = lm;
      this.lower = lm - this.options.threshold * se;
      this.upper = lm + this.options.threshold * se;
    } else {
      this.expected = this.lower = this.upper = Number.NaN;
    }
    this.learn(x);
    return sev;
  }

  private learn(x: number): void {
    const S = this.options.short;
    const L = this.options.long;
    const cap = S + L;
    // The point leaving the short window joins the long one; the oldest long point leaves the ring.
    const toLong = this.size >= S ? this.at(S) : Number.NaN;
    const fromLong = this.size >= cap ? this.at(cap) : Number.NaN;
    this.ring[this.head] = x;
    this.head = (this.head + 1) % cap;
    this.shortSum += x;
    if (this.size < cap) this.size++;
    if (!Number.isNaN(toLong)) {
      this.shortSum -= toLong;
      if (Number.isNaN(fromLong)) {
        // The long window grows: Welford.
        const n = this.size - S;
        const oldMean = n > 1 ? this.longSum / (n - 1) : 0;
        this.longSum += toLong;
        const newMean = this.longSum / n;
        this.longM2 += (toLong - oldMean) * (toLong - newMean);
        if (n === 1) this.longM2 = 0;
      } else {
        // Sliding: one in, one out.
        const oldMean = this.longSum / L;
        this.longSum += toLong - fromLong;
        const newMean = this.longSum / L;
        this.longM2 += (toLong - fromLong) * (toLong - newMean + fromLong - oldMean);
      }
    }
    if (++this.sinceExact >= cap) this.recompute();
  }

  /** Recomputes the running sums from the ring (bounds rounding drift; O(ring) every ring length). */
  private recompute(): void {
    const S = this.options.short;
    const L = this.options.long;
    this.sinceExact = 0;
    const sN = Math.min(this.size, S);
    let s = 0;
    for (let b = 1; b <= sN; b++) s += this.at(b);
    this.shortSum = s;
    const lN = Math.max(0, Math.min(this.size - S, L));
    let ls = 0;
    for (let b = S + 1; b <= S + lN; b++) ls += this.at(b);
    this.longSum = ls;
    let m2 = 0;
    if (lN > 0) {
      const m = ls / lN;
      for (let b = S + 1; b <= S + lN; b++) m2 += (this.at(b) - m) ** 2;
    }
    this.longM2 = m2;
  }

  toState(): DetectorState {
    return {
      kind: 'ma',
      version: 1,
      options: { ...this.options },
      ring: toArray(this.ring),
      head: this.head,
      size: this.size,
      shortSum: this.shortSum,
      longSum: this.longSum,
      longM2: this.longM2,
      sinceExact: this.sinceExact,
    };
  }

  static restore(state: DetectorState): MovingAverageDetector {
    checkState(state, 'ma', 1);
    const d = new MovingAverageDetector(stateOptions(state));
    d.ring.set(f64(state, 'ring', d.ring.length));
    d.head = int(state, 'head', 0, d.ring.length - 1);
    d.size = int(state, 'size', 0, d.ring.length);
    d.shortSum = num(state, 'shortSum');
    d.longSum = num(state, 'longSum');
    d.longM2 = num(state, 'longM2');
    d.sinceExact = int(state, 'sinceExact', 0, d.ring.length);
    return d;
  }
}
