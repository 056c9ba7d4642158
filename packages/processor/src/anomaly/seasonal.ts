/**
 * `seasonal`: a daily (or weekly, or any `period`) baseline by slot of the period — additive
 * Holt-Winters without trend, with the season kept per clock slot (e.g. each 5 minutes of the day):
 * expected = level + season[slot]. The sampling interval is detected from the first timestamps (the
 * median of the first 9 positive gaps); the slot length is that interval, widened so that a period
 * has at most `maxSlots` slots. Slots follow the clock (`timestamp mod period`), so gaps in the data
 * do not shift the pattern.
 *
 * The detector learns from the first point but only scores once a full period of history exists and
 * `warmup` points have been scored against it, so the residual scale is known; a slot never seen
 * (a gap) scores 0. The residual r = x − expected is scored against the exponentially weighted
 * standard deviation of past residuals (floored at `floor · |expected|`, at least `minScale`), and
 * learning uses r winsorised at `clip` standard deviations, so an anomaly does not become next
 * period's expectation; the residual variance learns from squared residuals capped at `varianceCap`
 * (default: `clip`) standard deviations, so a lasting change widens the band within tens of points
 * (a lower cap keeps the band, and the alarm, longer). Flags `seasonal_high` / `seasonal_low` — e.g. a pattern that breaks while the
 * values stay inside their usual range.
 */
import { BaseDetector, DOWN, UP, cappedSquare, cappedVarianceFactor, checkState, f64, floorScale, int, num, numOrNaN, orNull, resolveNumbers, stateOptions, toArray, zSeverity } from './common';
import type { NumberSpec } from './common';
import type { DetectorState } from './types';

const DAY_MS = 86_400_000;

export const SEASONAL_OPTIONS = {
  period: { def: DAY_MS, min: 1, max: 366 * DAY_MS, integer: true, doc: 'length of a season in ms (86400000: daily, 604800000: weekly)' },
  maxSlots: { def: 288, min: 2, max: 10_080, integer: true, doc: 'most slots per period' },
  alpha: { def: 0.05, min: 0, max: 1, minOpen: true, doc: 'level smoothing factor' },
  gamma: { def: 0.25, min: 0, max: 1, minOpen: true, doc: 'per-slot season smoothing factor' },
  residualAlpha: { def: 0.02, min: 0, max: 1, minOpen: true, maxOpen: true, doc: 'smoothing factor of the residual variance' },
  threshold: { def: 4, min: 0, max: 1000, minOpen: true, doc: 'residual standard deviations at which it is flagged' },
  warmup: { def: 30, min: 1, max: 1e6, integer: true, doc: 'points learned against a full season before scoring' },
  clip: { def: 4, min: 0, max: 1000, minOpen: true, doc: 'learning residuals are winsorised at this many standard deviations' },
  varianceCap: { def: 0, min: 0, max: 1000, doc: 'cap the squared residuals the variance learns from at this many standard deviations (0: as clip)' },
  floor: { def: 0.001, min: 0, max: 1, doc: 'residual standard-deviation floor as a share of |expected|' },
  minScale: { def: 1e-9, min: 0, max: 1e12, doc: 'absolute residual standard-deviation floor' },
} as const satisfies Record<string, NumberSpec>;

/** Positive gaps sampled to find the interval. */
const GAP_SAMPLES = 9;

export class SeasonalDetector extends BaseDetector {
  readonly name = 'seasonal';
  readonly flagUp = 'seasonal_high';
  readonly flagDown = 'seasonal_low';
  readonly options: Readonly<Record<keyof typeof SEASONAL_OPTIONS, number>>;
  /** First and last timestamps (NaN before the first point). */
  first = Number.NaN;
  last = Number.NaN;
  /** Positive gaps seen while the interval is unknown. */
  gaps: number[] = [];
  /** Sampling interval and slot length (0 until known), slots per period. */
  interval = 0;
  slotMs = 0;
  slots = 0;
  level = 0;
  n = 0;
  /** Season offset per slot and how often each slot was learned (allocated once the interval is known). */
  season: Float64Array = new Float64Array(0);
  seen: Float64Array = new Float64Array(0);
  residVar = 0;
  /** Points scored against a full season (the residual variance has learned from these). */
  residN = 0;

  private readonly _cap: number;
  private readonly _capFactor: number;

  constructor(options?: Record<string, unknown>) {
    super();
    this.options = resolveNumbers('seasonal', SEASONAL_OPTIONS, options);
    this._cap = this.options.varianceCap > 0 ? this.options.varianceCap : this.options.clip;
    this._capFactor = cappedVarianceFactor(this._cap);
  }

  /** Whether a full period of history exists (the baseline is usable). */
  get active(): boolean {
    return this.slots > 0 && this.last - this.first >= this.options.period;
  }

  private learnInterval(t: number): void {
    const gap = t - this.last;
    if (gap > 0) this.gaps.push(gap);
    if (this.gaps.length < GAP_SAMPLES) return;
    const g = [...this.gaps].sort((a, b) => a - b);
    this.interval = g[GAP_SAMPLES >> 1]!;
    this.gaps = [];
    const P = this.options.period;
    this.slotMs = Math.max(this.interval, Math.ceil(P / this.options.maxSlots));
    this.slots = Math.ceil(P / this.slotMs);
    if (this.slots < 2) {
      // The period is not longer than the sampling interval: no season to learn.
      this.slots = 0;
      return;
    }
    this.season = new Float64Array(this.slots);
    this.seen = new Float64Array(this.slots);
  }

  private slotOf(t: number): number {
    const P = this.options.period;
    const k = Math.floor((((t % P) + P) % P) / this.slotMs);
    return k < this.slots ? k : this.slots - 1;
  }

  step(t: number, x: number): number {
    const o = this.options;
    let sev = 0;
    this.dir = 0;
    this.expected = this.lower = this.upper = Number.NaN;
    if (this.n === 0) {
      this.first = this.last = t;
      this.level = x;
      this.n = 1;
      return 0;
    }
    if (this.interval === 0) this.learnInterval(t);
    this.last = t;
    const a = o.alpha;
    const wl = this.n < 1 / a ? 1 / (this.n + 1) : a;
    if (this.slots === 0) {
      this.level += wl * (x - this.level);
      this.n++;
      return 0;
    }
    const k = this.slotOf(t);
    if (this.seen[k] === 0) {
      // First visit of the slot: its offset is what the value is above the level.
      this.season[k] = x - this.level;
      this.seen[k] = 1;
      this.level += wl * (x - this.season[k]! - this.level);
      this.n++;
      return 0;
    }
    const f = this.level + this.season[k]!;
    const r = x - f;
    const sd = floorScale(Math.sqrt(this.residVar), f, o.floor, o.minScale);
    let e = r;
    let e2 = r * r;
    if (this.active) {
      if (this.residN >= o.warmup) {
        sev = zSeverity(r, sd, o.threshold);
        this.dir = r > 0 ? UP : r < 0 ? DOWN : 0;
        this.expected = f;
        this.lower = f - o.threshold * sd;
        this.upper = f + o.threshold * sd;
        const c = o.clip * sd;
        if (e > c) e = c;
        else if (e < -c) e = -c;
        e2 = cappedSquare(r, sd, this._cap, this._capFactor);
      }
      const wr = this.residN < 1 / o.residualAlpha ? 1 / (this.residN + 1) : o.residualAlpha;
      this.residVar += wr * (e2 - this.residVar);
      this.residN++;
    }
    this.level += wl * e;
    this.season[k] = this.season[k]! + o.gamma * (1 - wl) * e;
    if (this.seen[k]! < 1e9) this.seen[k] = this.seen[k]! + 1;
    this.n++;
    return sev;
  }

  toState(): DetectorState {
    return {
      kind: 'seasonal',
      version: 1,
      options: { ...this.options },
      first: orNull(this.first),
      last: orNull(this.last),
      gaps: [...this.gaps],
      interval: this.interval,
      slotMs: this.slotMs,
      slots: this.slots,
      level: this.level,
      n: this.n,
      season: toArray(this.season),
      seen: toArray(this.seen),
      residVar: this.residVar,
      residN: this.residN,
    };
  }

  static restore(state: DetectorState): SeasonalDetector {
    checkState(state, 'seasonal', 1);
    const d = new SeasonalDetector(stateOptions(state));
    d.first = numOrNaN(state, 'first');
    d.last = numOrNaN(state, 'last');
    const gaps = state['gaps'];
    if (!Array.isArray(gaps) || gaps.length >= GAP_SAMPLES) throw new RangeError(`seasonal state: 'gaps' must be an array of fewer than ${GAP_SAMPLES} numbers`);
    d.gaps = Array.from(f64(state, 'gaps', gaps.length));
    d.interval = num(state, 'interval');
    d.slotMs = num(state, 'slotMs');
    d.slots = int(state, 'slots', 0, d.options.maxSlots);
    if (d.slots > 0 && !(d.slotMs > 0)) throw new RangeError(`seasonal state: 'slotMs' must be positive when there are slots`);
    d.level = num(state, 'level');
    d.n = num(state, 'n');
    d.season = f64(state, 'season', d.slots);
    d.seen = f64(state, 'seen', d.slots);
    d.residVar = num(state, 'residVar');
    d.residN = num(state, 'residN');
    return d;
  }
}
