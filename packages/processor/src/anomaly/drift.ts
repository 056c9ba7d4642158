/**
 * Mean-drift detectors, both two-sided, on standardised and winsorised deviations (so a single spike
 * cannot raise a drift alone), both restarting after a detection so one shift gives one signal:
 *
 * - `page-hinkley`: the Page-Hinkley test. The reference is the running mean since the last reset
 *   (with the running standard deviation, floored); g⁺ ← max(0, g⁺ + z − δ), g⁻ ← max(0, g⁻ − z − δ);
 *   a drift is declared when g ≥ λ. Flags `drift_up` / `drift_down`.
 * - `cusum`: Page's tabular CUSUM against an exponentially weighted baseline (mean and standard
 *   deviation with smoothing `alpha`), reference value k = 0.5 and decision interval h = 8 standard
 *   deviations (the textbook h = 4–5 raises a false alarm every few hundred points of plain noise on
 *   each side; h = 8 every ~20 000, and still catches a 1σ shift in ~16 points). Flags `cusum_up` /
 *   `cusum_down`.
 *
 * The severity is g / λ (g / h): it rises while the evidence accumulates and is 1 when the test fires.
 */
import { BaseDetector, DOWN, UP, checkState, floorScale, num, resolveNumbers, stateOptions } from './common';
import type { NumberSpec } from './common';
import type { DetectorState } from './types';

export const PAGE_HINKLEY_OPTIONS = {
  delta: { def: 0.25, min: 0, max: 100, doc: 'tolerated drift per point, in standard deviations' },
  lambda: { def: 25, min: 0, max: 1e6, minOpen: true, doc: 'detection threshold of the cumulative sum, in standard deviations' },
  minInstances: { def: 30, min: 2, max: 1e6, integer: true, doc: 'points learned after a (re)start before testing' },
  clip: { def: 3, min: 0, max: 1000, minOpen: true, doc: 'deviations are winsorised at this many standard deviations' },
  floor: { def: 0.001, min: 0, max: 1, doc: 'standard-deviation floor as a share of |mean|' },
  minScale: { def: 1e-9, min: 0, max: 1e12, doc: 'absolute standard-deviation floor' },
} as const satisfies Record<string, NumberSpec>;

export class PageHinkleyDetector extends BaseDetector {
  readonly name = 'page-hinkley';
  readonly flagUp = 'drift_up';
  readonly flagDown = 'drift_down';
  readonly options: Readonly<Record<keyof typeof PAGE_HINKLEY_OPTIONS, number>>;
  /** Points since the last (re)start, their mean and sum of squared deviations (Welford). */
  n = 0;
  mean = 0;
  m2 = 0;
  up = 0;
  down = 0;
  /** Drifts declared so far. */
  detections = 0;

  constructor(options?: Record<string, unknown>) {
    super();
    this.options = resolveNumbers('page-hinkley', PAGE_HINKLEY_OPTIONS, options);
  }

  step(_t: number, x: number): number {
    const o = this.options;
    let sev = 0;
    this.dir = 0;
    if (this.n >= o.minInstances) {
      const sd = floorScale(Math.sqrt(this.m2 / (this.n - 1)), this.mean, o.floor, o.minScale);
      let z = (x - this.mean) / sd;
      if (z > o.clip) z = o.clip;
      else if (z < -o.clip) z = -o.clip;
      this.up = Math.max(0, this.up + z - o.delta);
      this.down = Math.max(0, this.down - z - o.delta);
      this.expected = this.mean;
      this.lower = this.mean - o.clip * sd;
      this.upper = this.mean + o.clip * sd;
      if (this.up >= this.down) {
        sev = this.up / o.lambda;
        this.dir = this.up > 0 ? UP : 0;
      } else {
        sev = this.down / o.lambda;
        this.dir = DOWN;
      }
      if (sev >= 1) {
        // Drift declared: start learning the new regime from this point.
        this.detections++;
        this.n = 0;
        this.mean = 0;
        this.m2 = 0;
        this.up = 0;
        this.down = 0;
      }
    } else {
      this.expected = this.n > 0 ? this.mean : Number.NaN;
      this.lower = this.upper = Number.NaN;
    }
    this.n++;
    const d = x - this.mean;
    this.mean += d / this.n;
    this.m2 += d * (x - this.mean);
    return sev;
  }

  toState(): DetectorState {
    return { kind: 'page-hinkley', version: 1, options: { ...this.options }, n: this.n, mean: this.mean, m2: this.m2, up: this.up, down: this.down, detections: this.detections };
  }

  static restore(state: DetectorState): PageHinkleyDetector {
    checkState(state, 'page-hinkley', 1);
    const d = new PageHinkleyDetector(stateOptions(state));
    d.n = num(state, 'n');
    d.mean = num(state, 'mean');
    d.m2 = num(state, 'm2');
    d.up = num(state, 'up');
    d.down = num(state, 'down');
    d.detections = num(state, 'detections');
    return d;
  }
}

export const CUSUM_OPTIONS = {
  k: { def: 0.5, min: 0, max: 100, doc: 'reference value (allowed slack per point), in standard deviations' },
  h: { def: 8, min: 0, max: 1e6, minOpen: true, doc: 'decision interval, in standard deviations' },
  alpha: { def: 0.01, min: 0, max: 1, minOpen: true, maxOpen: true, doc: 'smoothing factor of the baseline mean and variance' },
  warmup: { def: 30, min: 2, max: 1e6, integer: true, doc: 'points learned after a (re)start before testing' },
  clip: { def: 3, min: 0, max: 1000, minOpen: true, doc: 'deviations are winsorised at this many standard deviations' },
  floor: { def: 0.001, min: 0, max: 1, doc: 'standard-deviation floor as a share of |mean|' },
  minScale: { def: 1e-9, min: 0, max: 1e12, doc: 'absolute standard-deviation floor' },
} as const satisfies Record<string, NumberSpec>;

export class CusumDetector extends BaseDetector {
  readonly name = 'cusum';
  readonly flagUp = 'cusum_up';
  readonly flagDown = 'cusum_down';
  readonly options: Readonly<Record<keyof typeof CUSUM_OPTIONS, number>>;
  n = 0;
  mean = 0;
  variance = 0;
  up = 0;
  down = 0;
  detections = 0;

  constructor(options?: Record<string, unknown>) {
    super();
    this.options = resolveNumbers('cusum', CUSUM_OPTIONS, options);
  }

  step(_t: number, x: number): number {
    const o = this.options;
    let sev = 0;
    this.dir = 0;
    let sd = 0;
    let z = 0;
    if (this.n > 0) {
      sd = floorScale(Math.sqrt(this.variance), this.mean, o.floor, o.minScale);
      z = (x - this.mean) / sd;
      if (z > o.clip) z = o.clip;
      else if (z < -o.clip) z = -o.clip;
    }
    if (this.n >= o.warmup) {
      this.up = Math.max(0, this.up + z - o.k);
      this.down = Math.max(0, this.down - z - o.k);
      this.expected = this.mean;
      this.lower = this.mean - o.clip * sd;
      this.upper = this.mean + o.clip * sd;
      if (this.up >= this.down) {
        sev = this.up / o.h;
        this.dir = this.up > 0 ? UP : 0;
      } else {
        sev = this.down / o.h;
        this.dir = DOWN;
      }
      if (sev >= 1) {
        this.detections++;
        this.n = 0;
        this.up = 0;
        this.down = 0;
      }
    } else {
      this.expected = this.n > 0 ? this.mean : Number.NaN;
      this.lower = this.upper = Number.NaN;
    }
    if (this.n === 0) {
      this.mean = x;
      this.variance = 0;
      this.n = 1;
      return sev;
    }
    // The baseline learns from winsorised deviations, so a shift does not drag it along at once.
    const e = this.n >= o.warmup ? z * sd : x - this.mean;
    const w = this.n < 1 / o.alpha ? 1 / (this.n + 1) : o.alpha;
    this.mean += w * e;
    this.variance = (1 - w) * (this.variance + w * e * e);
    this.n++;
    return sev;
  }

  toState(): DetectorState {
    return { kind: 'cusum', version: 1, options: { ...this.options }, n: this.n, mean: this.mean, variance: this.variance, up: this.up, down: this.down, detections: this.detections };
  }

  static restore(state: DetectorState): CusumDetector {
    checkState(state, 'cusum', 1);
    const d = new CusumDetector(stateOptions(state));
    d.n = num(state, 'n');
    d.mean = num(state, 'mean');
    d.variance = num(state, 'variance');
    d.up = num(state, 'up');
    d.down = num(state, 'down');
    d.detections = num(state, 'detections');
    return d;
  }
}
