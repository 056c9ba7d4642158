/**
 * `holt`: Holt's double exponential smoothing (level ℓ, trend b; PromQL's `holt_winters` /
 * `double_exponential_smoothing`) as a one-step forecast f = ℓ + b with a residual band. The point is
 * scored by its forecast error r = x − f against the exponentially weighted standard deviation of
 * past errors (smoothing `residualAlpha`, floored at `floor · |f|`, at least `minScale`), then the
 * model learns in error-correction form: ℓ' = ℓ + b + α·r, b' = b + α·β·r. With `clip > 0` the error used for learning is winsorised at `clip` standard
 * deviations, so one outlier barely moves the level and trend; with `varianceCap > 0` the error
 * variance learns from squared errors capped at that many standard deviations, so a lasting
 * departure (a new slope) does not widen the band before it is flagged.
 *
 * Unlike a z-score against a mean, the forecast follows trends, so a steady ramp is normal and a
 * change of slope or an outlier against the trend is not. Flags `forecast_high` / `forecast_low`.
 */
import { BaseDetector, DOWN, UP, cappedSquare, cappedVarianceFactor, checkState, floorScale, num, resolveNumbers, stateOptions, zSeverity } from './common';
import type { NumberSpec } from './common';
import type { DetectorState } from './types';

export const HOLT_OPTIONS = {
  alpha: { def: 0.15, min: 0, max: 1, minOpen: true, doc: 'level smoothing factor' },
  beta: { def: 0.02, min: 0, max: 1, doc: 'trend smoothing factor' },
  residualAlpha: { def: 0.02, min: 0, max: 1, minOpen: true, maxOpen: true, doc: 'smoothing factor of the error variance' },
  threshold: { def: 4, min: 0, max: 1000, minOpen: true, doc: 'forecast errors (standard deviations) at which it is flagged' },
  warmup: { def: 30, min: 2, max: 1e6, integer: true, doc: 'points learned before scoring' },
  clip: { def: 0, min: 0, max: 1000, doc: 'winsorise the learning error at this many standard deviations (0: off)' },
  varianceCap: { def: 0, min: 0, max: 1000, doc: 'cap the squared errors the error variance learns from at this many standard deviations (0: as clip)' },
  floor: { def: 0.001, min: 0, max: 1, doc: 'error standard-deviation floor as a share of |forecast|' },
  minScale: { def: 1e-9, min: 0, max: 1e12, doc: 'absolute error standard-deviation floor' },
} as const satisfies Record<string, NumberSpec>;

export class HoltDetector extends BaseDetector {
  readonly name = 'holt';
  readonly flagUp = 'forecast_high';
  readonly flagDown = 'forecast_low';
  readonly options: Readonly<Record<keyof typeof HOLT_OPTIONS, number>>;
  n = 0;
  level = 0;
  trend = 0;
  /** Exponentially weighted mean square forecast error. */
  errVar = 0;

  private readonly _cap: number;
  private readonly _capFactor: number;

  constructor(options?: Record<string, unknown>) {
    super();
    this.options = resolveNumbers('holt', HOLT_OPTIONS, options);
    this._cap = this.options.varianceCap > 0 ? this.options.varianceCap : this.options.clip;
    this._capFactor = cappedVarianceFactor(this._cap);
  }

  step(_t: number, x: number): number {
    const o = this.options;
    let sev = 0;
    this.dir = 0;
    if (this.n === 0) {
      this.level = x;
      this.trend = 0;
      this.errVar = 0;
      this.n = 1;
      this.expected = x;
      this.lower = this.upper = Number.NaN;
      return 0;
    }
    const f = this.level + this.trend;
    const r = x - f;
    const sd = floorScale(Math.sqrt(this.errVar), f, o.floor, o.minScale);
    this.expected = f;
    this.lower = f - o.threshold * sd;
    this.upper = f + o.threshold * sd;
    const scoring = this.n >= o.warmup;
    if (scoring) {
      sev = zSeverity(r, sd, o.threshold);
      this.dir = r > 0 ? UP : r < 0 ? DOWN : 0;
    }
    let e = r;
    let e2 = r * r;
    if ((o.clip > 0 || this._cap > 0) && scoring) {
      if (o.clip > 0) {
        const c = o.clip * sd;
        if (e > c) e = c;
        else if (e < -c) e = -c;
      }
      e2 = cappedSquare(r, sd, this._cap, this._capFactor);
    }
    if (this.n === 1) {
      // Second point: the first trend estimate.
      this.trend = x - this.level;
      this.level = x;
    } else {
      this.level = f + o.alpha * e;
      this.trend += o.alpha * o.beta * e;
    }
    const w = this.n < 1 / o.residualAlpha ? 1 / this.n : o.residualAlpha;
    this.errVar += w * (e2 - this.errVar);
    this.n++;
    return sev;
  }

  toState(): DetectorState {
    return { kind: 'holt', version: 1, options: { ...this.options }, n: this.n, level: this.level, trend: this.trend, errVar: this.errVar };
  }

  static restore(state: DetectorState): HoltDetector {
    checkState(state, 'holt', 1);
    const d = new HoltDetector(stateOptions(state));
    d.n = num(state, 'n');
    d.level = num(state, 'level');
    d.trend = num(state, 'trend');
    d.errVar = num(state, 'errVar');
    return d;
  }
}
