/**
 * `ensemble` (the default detector): several cheap detectors on the same stream, combined into one
 * calibrated score with a causal debounce. Per point:
 *
 * 1. Every component (by default `range`, `ewma`, `ma`, `mad`, `holt`, `seasonal`) scores the point
 *    as a severity, 1 being its own rule firing, times its weight (`range` 1, the others 0.8).
 * 2. Novelty: each component except the range break (which only fires on new records anyway) is
 *    divided by `novelty ×` its own recent peak severity when that is above 1. The peak halves every
 *    `noveltyHalfLife` points and takes a severity in only `noveltyLag` points after it happened, so
 *    an anomaly that grows is not measured against itself. A detector that keeps firing on a noisy,
 *    bursty series has to beat its own recent record to count, while on a calm series it counts in
 *    full; this is what lets one threshold fit all series.
 * 3. The combined severity is `gain ×` (the largest component severity + `agreement ×` the second
 *    largest), so two detectors seeing the same thing count for more than one; with `gain` 0.8 a
 *    single component needs 1.25× its own rule to reach score 0.9.
 * 4. Debounce: the ensemble remembers the highest combined severity of the recent past, halving every
 *    `cooldown` points. A point that does not exceed it is damped by `(raw / recent)^sharpness`, so
 *    one incident gives one early high score, not a storm, while a stronger development (a new
 *    high) still shows through.
 * 5. Probation: for the first `warmup` points the score is 0 (the components are learning).
 *
 * The score is `severityToScore(out)`: 0.9 means "a component's rule fired clearly, beyond its
 * recent record, and was not suppressed". Flags are those of the components whose own rule fired on
 * a point scoring ≥ 0.9; `expected` and the band come from the component with the highest severity.
 * Per point it costs the sum of its components (about 0.7 µs with the defaults) and allocates only
 * the result.
 */
import { BaseDetector, checkState, f64, int, num, resolveNumbers, severityToScore, stateOptions, usable } from './common';
import type { NumberSpec } from './common';
import type { DetectorResult, DetectorState } from './types';
import { CusumDetector, PageHinkleyDetector } from './drift';
import { EwmaDetector } from './ewma';
import { HoltDetector } from './holt';
import { MadDetector } from './mad';
import { MovingAverageDetector } from './ma';
import { RangeDetector } from './range';
import { RateOfChangeDetector } from './roc';
import { SeasonalDetector } from './seasonal';

/** Components the ensemble can run, in the order they are evaluated. */
export const ENSEMBLE_COMPONENTS = ['range', 'ewma', 'ma', 'roc', 'mad', 'page-hinkley', 'cusum', 'holt', 'seasonal'] as const;
export type EnsembleComponent = (typeof ENSEMBLE_COMPONENTS)[number];

type Builder = { create: (o?: Record<string, unknown>) => BaseDetector; restore: (s: DetectorState) => BaseDetector };

const BUILDERS: Readonly<Record<EnsembleComponent, Builder>> = {
  range: { create: (o) => new RangeDetector(o), restore: (s) => RangeDetector.restore(s) },
  ewma: { create: (o) => new EwmaDetector(o), restore: (s) => EwmaDetector.restore(s) },
  ma: { create: (o) => new MovingAverageDetector(o), restore: (s) => MovingAverageDetector.restore(s) },
  roc: { create: (o) => new RateOfChangeDetector(o), restore: (s) => RateOfChangeDetector.restore(s) },
  mad: { create: (o) => new MadDetector(o), restore: (s) => MadDetector.restore(s) },
  'page-hinkley': { create: (o) => new PageHinkleyDetector(o), restore: (s) => PageHinkleyDetector.restore(s) },
  cusum: { create: (o) => new CusumDetector(o), restore: (s) => CusumDetector.restore(s) },
  holt: { create: (o) => new HoltDetector(o), restore: (s) => HoltDetector.restore(s) },
  seasonal: { create: (o) => new SeasonalDetector(o), restore: (s) => SeasonalDetector.restore(s) },
};

/** Default weight of each component (0: not run). */
export const ENSEMBLE_WEIGHTS: Readonly<Record<EnsembleComponent, number>> = Object.freeze({
  range: 1,
  ewma: 0.8,
  ma: 0.8,
  roc: 0,
  mad: 0.8,
  'page-hinkley': 0,
  cusum: 0,
  holt: 0.8,
  seasonal: 0.8,
});

/**
 * Options of the components inside the ensemble that differ from their stand-alone defaults: a
 * longer MAD window; an EWMA, a Holt forecast and a seasonal baseline (with a slower level) that
 * learn robustly (winsorised steps, variance from errors capped at 2σ), so a lasting anomaly keeps
 * its severity instead of being absorbed within a few points (stand-alone they adapt fast, which
 * debounces them; here the ensemble's debounce does that); and a range break whose margin is at
 * least half a standard deviation (plain noise keeps setting tiny records).
 */
export const ENSEMBLE_COMPONENT_DEFAULTS: Readonly<Partial<Record<EnsembleComponent, Readonly<Record<string, number>>>>> = Object.freeze({
  mad: Object.freeze({ window: 128 }),
  ewma: Object.freeze({ clip: 4, varianceCap: 2 }),
  holt: Object.freeze({ clip: 4, varianceCap: 2 }),
  seasonal: Object.freeze({ clip: 2, varianceCap: 2, alpha: 0.02, residualAlpha: 0.005 }),
  range: Object.freeze({ noise: 0.5 }),
});

export const ENSEMBLE_OPTIONS = {
  cooldown: { def: 50, min: 0, max: 1e7, doc: 'half-life in points of the memory of recent high scores (0: no debounce)' },
  sharpness: { def: 4, min: 0, max: 100, doc: 'how hard points below the recent high are damped' },
  agreement: { def: 0.25, min: 0, max: 1, doc: 'share of the second-highest component severity added to the highest' },
  novelty: { def: 1, min: 0, max: 10, doc: 'damp a component by its own recent peak severity: severity / max(1, novelty · peak) (0: off)' },
  noveltyHalfLife: { def: 3000, min: 1, max: 1e9, doc: 'half-life in points of each component\'s peak memory' },
  noveltyLag: { def: 8, min: 0, max: 10_000, integer: true, doc: 'points before a severity enters the peak memory (a growing anomaly is not measured against itself)' },
  gain: { def: 0.8, min: 0, max: 100, minOpen: true, doc: 'scale of the combined severity: 0.8 needs 1.25× a component rule for score 0.9' },
  warmup: { def: 150, min: 0, max: 1e6, integer: true, doc: 'points scored 0 at the start' },
} as const satisfies Record<string, NumberSpec>;

const EXTRA_KEYS = ['weights', ...ENSEMBLE_COMPONENTS];

function resolveWeights(w: unknown): Record<EnsembleComponent, number> {
  const out = { ...ENSEMBLE_WEIGHTS };
  if (w === undefined) return out;
  if (w === null || typeof w !== 'object' || Array.isArray(w)) throw new RangeError('ensemble.weights must be an object of component weights');
  for (const [k, v] of Object.entries(w)) {
    if (!(ENSEMBLE_COMPONENTS as readonly string[]).includes(k)) throw new RangeError(`ensemble.weights: unknown component '${k}' (expected ${ENSEMBLE_COMPONENTS.join(', ')})`);
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 100) throw new RangeError(`ensemble.weights.${k} must be a number in [0, 100], got ${String(v)}`);
    out[k as EnsembleComponent] = v;
  }
  if (!ENSEMBLE_COMPONENTS.some((c) => out[c] > 0)) throw new RangeError('ensemble.weights: at least one component needs a weight above 0');
  return out;
}

export class EnsembleDetector extends BaseDetector {
  readonly name = 'ensemble';
  readonly flagUp = '';
  readonly flagDown = '';
  readonly options: Readonly<Record<keyof typeof ENSEMBLE_OPTIONS, number>>;
  readonly weights: Readonly<Record<EnsembleComponent, number>>;
  /** Options given to each component (for `toState`). */
  readonly componentOptions: Readonly<Partial<Record<EnsembleComponent, Record<string, unknown>>>>;
  /** Running components, their names and weights (parallel arrays). */
  readonly parts: BaseDetector[] = [];
  readonly partNames: EnsembleComponent[] = [];
  readonly partWeights: Float64Array;
  /** Last severity of each component. */
  readonly partSev: Float64Array;
  /** Decaying peak severity of each component (novelty normalisation). */
  readonly partPeak: Float64Array;
  /** Points seen. */
  n = 0;
  /** Decaying memory of the recent highest combined severity. */
  recent = 0;
  /** Combined severity before and after the debounce, on the last point. */
  raw = 0;
  out = 0;
  private readonly _decay: number;
  private readonly _peakDecay: number;
  /** Per component, the last `noveltyLag` severities (component i at [i·lag, (i+1)·lag)), and the ring head. */
  readonly lagRing: Float64Array;
  lagHead = 0;
  /** 1 for components damped by their own peak (all but the range break, which only fires on records anyway). */
  private readonly _novel: Uint8Array;

  constructor(options?: Record<string, unknown>, restoring?: readonly DetectorState[]) {
    super();
    this.options = resolveNumbers('ensemble', ENSEMBLE_OPTIONS, options, EXTRA_KEYS);
    this.weights = resolveWeights(options?.['weights']);
    const co: Partial<Record<EnsembleComponent, Record<string, unknown>>> = {};
    for (const c of ENSEMBLE_COMPONENTS) {
      const given = options?.[c];
      if (given !== undefined && (given === null || typeof given !== 'object' || Array.isArray(given))) throw new RangeError(`ensemble.${c} must be an options object for the '${c}' component`);
      const merged = { ...ENSEMBLE_COMPONENT_DEFAULTS[c], ...(given as Record<string, unknown> | undefined) };
      if (Object.keys(merged).length > 0) co[c] = merged;
    }
    this.componentOptions = co;
    const active = ENSEMBLE_COMPONENTS.filter((c) => this.weights[c] > 0);
    active.forEach((c, i) => {
      const b = BUILDERS[c];
      const s = restoring?.[i];
      this.parts.push(s === undefined ? b.create(co[c]) : b.restore(s));
      this.partNames.push(c);
    });
    if (restoring !== undefined && restoring.length !== active.length) throw new RangeError(`ensemble state: expected ${active.length} component states, got ${restoring.length}`);
    this.partWeights = Float64Array.from(active.map((c) => this.weights[c]));
    this.partSev = new Float64Array(active.length);
    this.partPeak = new Float64Array(active.length);
    this._novel = Uint8Array.from(active.map((c) => (c === 'range' ? 0 : 1)));
    this._peakDecay = Math.pow(0.5, 1 / this.options.noveltyHalfLife);
    this.lagRing = new Float64Array(active.length * this.options.noveltyLag);
    this._decay = this.options.cooldown > 0 ? Math.pow(0.5, 1 / this.options.cooldown) : 0;
  }

  step(t: number, x: number): number {
    const parts = this.parts;
    const nov = this.options.novelty;
    const lag = this.options.noveltyLag;
    let best = 0;
    let second = 0;
    let bestI = -1;
    for (let i = 0; i < parts.length; i++) {
      const s0 = parts[i]!.step(t, x);
      let s = s0 * this.partWeights[i]!;
      this.partSev[i] = s;
      if (nov > 0 && this._novel[i] === 1) {
        const pk = this.partPeak[i]!;
        const m = nov * pk;
        if (m > 1) s /= m;
        // The severity enters the peak `noveltyLag` points later.
        let enter = s0;
        if (lag > 0) {
          const k = i * lag + this.lagHead;
          enter = this.lagRing[k]!;
          this.lagRing[k] = s0;
        }
        const dp = pk * this._peakDecay;
        this.partPeak[i] = enter > dp ? enter : dp;
      }
      if (s > best) {
        second = best;
        best = s;
        bestI = i;
      } else if (s > second) second = s;
    }
    if (lag > 0 && nov > 0) this.lagHead = this.lagHead + 1 < lag ? this.lagHead + 1 : 0;
    const o = this.options;
    const raw = o.gain * (best + o.agreement * second);
    this.raw = raw;
    const lead = bestI >= 0 ? parts[bestI]! : undefined;
    this.dir = lead?.dir ?? 0;
    this.expected = lead?.expected ?? Number.NaN;
    this.lower = lead?.lower ?? Number.NaN;
    this.upper = lead?.upper ?? Number.NaN;
    this.n++;
    let out: number;
    if (this.n <= o.warmup) out = 0;
    else if (raw > this.recent || this.recent <= 0) out = raw;
    else out = raw * Math.pow(raw / this.recent, o.sharpness);
    const decayed = this.recent * this._decay;
    this.recent = raw > decayed ? raw : decayed;
    this.out = out;
    return out;
  }

  override update(timestamp: number, value: number): DetectorResult {
    if (!usable(timestamp, value)) return { score: 0, flags: [] };
    const out = this.step(timestamp, value);
    const flags: string[] = [];
    if (out >= 1) {
      for (let i = 0; i < this.parts.length; i++) {
        if (this.partSev[i]! >= this.partWeights[i]!) {
          // The component's own rule fired (its unweighted severity ≥ 1).
          const p = this.parts[i]!;
          if (p.dir !== 0) flags.push(p.dir > 0 ? p.flagUp : p.flagDown);
        }
      }
    }
    const r: DetectorResult = { score: severityToScore(out), flags };
    if (Number.isFinite(this.expected)) r.expected = this.expected;
    if (Number.isFinite(this.lower)) r.lower = this.lower;
    if (Number.isFinite(this.upper)) r.upper = this.upper;
    return r;
  }

  toState(): DetectorState {
    return {
      kind: 'ensemble',
      version: 1,
      options: { ...this.options, weights: { ...this.weights }, ...this.componentOptions },
      n: this.n,
      recent: this.recent,
      peaks: Array.from(this.partPeak),
      lagRing: Array.from(this.lagRing),
      lagHead: this.lagHead,
      parts: this.parts.map((p) => p.toState()),
    };
  }

  static restore(state: DetectorState): EnsembleDetector {
    checkState(state, 'ensemble', 1);
    const parts = state['parts'];
    if (!Array.isArray(parts)) throw new RangeError(`ensemble state: 'parts' must be an array of component states`);
    const d = new EnsembleDetector(stateOptions(state), parts as DetectorState[]);
    d.n = int(state, 'n', 0, Number.MAX_SAFE_INTEGER);
    d.recent = num(state, 'recent');
    d.partPeak.set(f64(state, 'peaks', d.parts.length));
    d.lagRing.set(f64(state, 'lagRing', d.lagRing.length));
    d.lagHead = int(state, 'lagHead', 0, Math.max(0, d.options.noveltyLag - 1));
    return d;
  }
}
