/**
 * `range`: a range break — a value beyond the previously seen [min, max] by more than `margin` of the
 * seen range (the NAB "spatial anomaly" rule). The severity is the excess over the seen extreme in
 * units of `margin · range`, so 1 (score 0.9) is exactly "outside [min, max] ± margin"; values inside
 * the range score 0. The range of a flat series is floored at `floor · |level|` (at least `minScale`)
 * so that leaving a flat line is a break but rounding noise is not.
 *
 * With `noise > 0` the margin is at least `noise` running standard deviations, so the small new
 * records that plain noise keeps setting (a Gaussian record beats the old one by a fraction of σ) do
 * not count as breaks; 0 keeps the classic rule.
 *
 * With `horizon > 0` old extremes fade: every point, min and max move towards the running level by
 * `1/horizon` of their distance, so a spike long ago does not hide today's smaller one (0: the range
 * only ever widens, the classic rule). Flags `range_high` / `range_low`.
 */
import { BaseDetector, DOWN, UP, checkState, num, resolveNumbers, stateOptions } from './common';
import type { NumberSpec } from './common';
import type { DetectorState } from './types';

export const RANGE_OPTIONS = {
  margin: { def: 0.05, min: 0, max: 100, minOpen: true, doc: 'share of the seen range a new extreme must exceed' },
  warmup: { def: 30, min: 1, max: 1e6, integer: true, doc: 'points learned before scoring' },
  horizon: { def: 0, min: 0, max: 1e9, doc: 'points over which old extremes fade towards the level (0: never)' },
  noise: { def: 0, min: 0, max: 100, doc: 'the margin is at least this many running standard deviations (0: the classic rule)' },
  floor: { def: 0.001, min: 0, max: 1, doc: 'range floor as a share of |level|' },
  minScale: { def: 1e-9, min: 0, max: 1e12, doc: 'absolute range floor' },
} as const satisfies Record<string, NumberSpec>;

export type RangeOptions = Partial<Record<keyof typeof RANGE_OPTIONS, number>>;

export class RangeDetector extends BaseDetector {
  readonly name = 'range';
  readonly flagUp = 'range_high';
  readonly flagDown = 'range_low';
  readonly options: Readonly<Record<keyof typeof RANGE_OPTIONS, number>>;
  n = 0;
  min = 0;
  max = 0;
  /** Running level (mean over the horizon), the point extremes fade towards, and variance around it. */
  level = 0;
  variance = 0;

  constructor(options?: Record<string, unknown>) {
    super();
    this.options = resolveNumbers('range', RANGE_OPTIONS, options);
  }

  step(_t: number, x: number): number {
    const o = this.options;
    if (this.n === 0) {
      this.min = this.max = this.level = x;
      this.n = 1;
      this.dir = 0;
      this.expected = x;
      this.lower = this.upper = Number.NaN;
      return 0;
    }
    const mid = Math.abs(this.level);
    let width = this.max - this.min;
    const f = o.floor * mid > o.minScale ? o.floor * mid : o.minScale;
    if (width < f) width = f;
    let m = o.margin * width;
    if (o.noise > 0) {
      const sd = o.noise * Math.sqrt(this.variance);
      if (sd > m) m = sd;
    }
    this.expected = this.level;
    this.lower = this.min - m;
    this.upper = this.max + m;
    let sev = 0;
    this.dir = 0;
    if (this.n >= o.warmup) {
      if (x > this.max) {
        sev = (x - this.max) / m;
        this.dir = UP;
      } else if (x < this.min) {
        sev = (this.min - x) / m;
        this.dir = DOWN;
      }
      if (!(sev < 1e6)) sev = 1e6;
    }
    if (x > this.max) this.max = x;
    if (x < this.min) this.min = x;
    const h = o.horizon;
    const w = h > 0 ? 1 / (this.n + 1 < h ? this.n + 1 : h) : 1 / (this.n + 1);
    const d = x - this.level;
    this.level += w * d;
    this.variance = (1 - w) * (this.variance + w * d * d);
    if (h > 0) {
      const k = 1 / h;
      if (this.max > this.level) this.max -= k * (this.max - (this.level > x ? this.level : x));
      if (this.min < this.level) this.min += k * ((this.level < x ? this.level : x) - this.min);
    }
    this.n++;
    return sev;
  }

  toState(): DetectorState {
    return { kind: 'range', version: 1, options: { ...this.options }, n: this.n, min: this.min, max: this.max, level: this.level, variance: this.variance };
  }

  static restore(state: DetectorState): RangeDetector {
    checkState(state, 'range', 1);
    const d = new RangeDetector(stateOptions(state));
    d.n = num(state, 'n');
    d.min = num(state, 'min');
    d.max = num(state, 'max');
    d.level = num(state, 'level');
    d.variance = num(state, 'variance');
    return d;
  }
}
