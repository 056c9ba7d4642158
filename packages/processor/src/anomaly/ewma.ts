/**
 * `ewma`: exponentially weighted mean and variance, scored as a z-score (the "more than 3 standard
 * deviations from the mean" rule). Score first, then learn: μ ← μ + α·d, v ← (1 − α)(v + α·d²) with
 * d = x − μ. The standard deviation has a floor relative to the level (`floor · |μ|`, at least
 * `minScale`), so a flat or quantised series does not turn every wiggle into a certain anomaly. During
 * the warm-up the detector learns and scores 0. With `clip > 0` the learning step is winsorised at
 * `clip` standard deviations, and the variance learns from squared errors capped at `varianceCap`
 * (default: `clip`) standard deviations, so one outlier moves the baseline only a little.
 *
 * Flags `z_high` / `z_low` when |z| ≥ `threshold`.
 */
import { BaseDetector, DOWN, UP, cappedSquare, cappedVarianceFactor, checkState, floorScale, num, resolveNumbers, stateOptions, zSeverity } from './common';
import type { NumberSpec } from './common';
import type { DetectorState } from './types';

export const EWMA_OPTIONS = {
  alpha: { def: 0.01, min: 0, max: 1, minOpen: true, maxOpen: true, doc: 'smoothing factor of the mean and variance' },
  threshold: { def: 3, min: 0, max: 1000, minOpen: true, doc: 'z at which the point is flagged (score 0.9)' },
  warmup: { def: 30, min: 1, max: 1e6, integer: true, doc: 'points learned before scoring' },
  floor: { def: 0.001, min: 0, max: 1, doc: 'standard-deviation floor as a share of |mean|' },
  minScale: { def: 1e-9, min: 0, max: 1e12, doc: 'absolute standard-deviation floor' },
  clip: { def: 0, min: 0, max: 1000, doc: 'winsorise the learning step at this many standard deviations (0: off)' },
  varianceCap: { def: 0, min: 0, max: 1000, doc: 'cap the squared errors the variance learns from at this many standard deviations (0: as clip)' },
} as const satisfies Record<string, NumberSpec>;

export type EwmaOptions = Partial<Record<keyof typeof EWMA_OPTIONS, number>>;

export class EwmaDetector extends BaseDetector {
  readonly name = 'ewma';
  readonly flagUp = 'z_high';
  readonly flagDown = 'z_low';
  readonly options: Readonly<Record<keyof typeof EWMA_OPTIONS, number>>;
  /** Points learned. */
  n = 0;
  mean = 0;
  variance = 0;
  /** The last z-score (signed; 0 during warm-up). */
  z = 0;

  private readonly _cap: number;
  private readonly _capFactor: number;

  constructor(options?: Record<string, unknown>) {
    super();
    this.options = resolveNumbers('ewma', EWMA_OPTIONS, options);
    this._cap = this.options.varianceCap > 0 ? this.options.varianceCap : this.options.clip;
    this._capFactor = cappedVarianceFactor(this._cap);
  }

  /** The standard deviation used for scoring (with its floor). */
  scale(): number {
    return floorScale(Math.sqrt(this.variance), this.mean, this.options.floor, this.options.minScale);
  }

  step(_t: number, x: number): number {
    const o = this.options;
    let sev = 0;
    if (this.n === 0) {
      this.mean = x;
      this.variance = 0;
      this.n = 1;
      this.z = 0;
      this.dir = 0;
      this.expected = x;
      this.lower = this.upper = Number.NaN;
      return 0;
    }
    const d = x - this.mean;
    const s = this.scale();
    this.expected = this.mean;
    this.lower = this.mean - o.threshold * s;
    this.upper = this.mean + o.threshold * s;
    if (this.n >= o.warmup) {
      sev = zSeverity(d, s, o.threshold);
      this.z = d / s;
      this.dir = d > 0 ? UP : d < 0 ? DOWN : 0;
    } else {
      this.z = 0;
      this.dir = 0;
    }
    let e = d;
    let e2 = d * d;
    if (o.clip > 0 && this.n >= o.warmup) {
      const c = o.clip * s;
      if (e > c) e = c;
      else if (e < -c) e = -c;
      e2 = cappedSquare(d, s, this._cap, this._capFactor);
    }
    const a = o.alpha;
    // Before the first 1/α points, learn as a plain running mean so the start is not biased.
    const w = this.n < 1 / a ? 1 / (this.n + 1) : a;
    this.mean += w * e;
    this.variance = (1 - w) * (this.variance + w * e2);
    this.n++;
    return sev;
  }

  toState(): DetectorState {
    return { kind: 'ewma', version: 1, options: { ...this.options }, n: this.n, mean: this.mean, variance: this.variance };
  }

  static restore(state: DetectorState): EwmaDetector {
    checkState(state, 'ewma', 1);
    const d = new EwmaDetector(stateOptions(state));
    d.n = num(state, 'n');
    d.mean = num(state, 'mean');
    d.variance = num(state, 'variance');
    return d;
  }
}
