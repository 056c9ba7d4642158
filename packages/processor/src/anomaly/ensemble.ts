/**
 * `ensemble` (the default detector): several cheap detectors on the same stream, combined into one
 * calibrated score with a causal debounce.
 *
 * 1. Every component returns a severity (1 = its own rule fires). The combined severity is the
 *    largest weighted severity plus an agreement bonus: `agreement ×` the second largest, so two
 *    detectors seeing the same thing count for more than one.
 * 2. Debounce: the ensemble remembers the highest combined severity of the recent past, decaying with
 *    a half-life of `cooldown` points. A point that does not exceed it is damped by
 *    `(raw / recent)^sharpness`, so one incident gives one early high score, not a storm, while a
 *    clearly stronger new development still shows through.
 * 3. Probation: for the first `warmup` points the score is 0 (the components are learning).
 *
 * The score is `severityToScore(out)`, so 0.9 still means "a component's rule fired and was not
 * suppressed". Flags are those of the components whose rule fired on an unsuppressed point.
 */
import { BaseDetector, checkState, f64, int, num, resolveNumbers, severityToScore, stateOptions } from './common';
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
  ma: 0,
  roc: 0,
  mad: 0.6,
  'page-hinkley': 0,
  cusum: 0,
  holt: 0.6,
  seasonal: 0.8,
});

/** Default options of the components inside the ensemble (differing from their stand-alone defaults). */
const COMPONENT_DEFAULTS: Readonly<Partial<Record<EnsembleComponent, Record<string, number>>>> = Object.freeze({});

export const ENSEMBLE_OPTIONS = {
  cooldown: { def: 50, min: 0, max: 1e7, doc: 'half-life in points of the memory of recent high scores (0: no debounce)' },
  sharpness: { def: 4, min: 0, max: 100, doc: 'how hard points below the recent high are damped' },
  agreement: { def: 0.25, min: 0, max: 1, doc: 'share of the second-highest component severity added to the highest' },
  novelty: { def: 0, min: 0, max: 10, doc: 'damp a component by its own recent peak severity: severity / max(1, novelty · peak) (0: off)' },
  noveltyHalfLife: { def: 2000, min: 1, max: 1e9, doc: 'half-life in points of each component\'s peak memory' },
  warmup: { def: 50, min: 0, max: 1e6, integer: true, doc: 'points scored 0 at the start' },
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

  constructor(options?: Record<string, unknown>, restoring?: readonly DetectorState[]) {
    super();
    this.options = resolveNumbers('ensemble', ENSEMBLE_OPTIONS, options, EXTRA_KEYS);
    this.weights = resolveWeights(options?.['weights']);
    const co: Partial<Record<EnsembleComponent, Record<string, unknown>>> = {};
    for (const c of ENSEMBLE_COMPONENTS) {
      const given = options?.[c];
      if (given !== undefined && (given === null || typeof given !== 'object' || Array.isArray(given))) throw new RangeError(`ensemble.${c} must be an options object for the '${c}' component`);
      const merged = { ...COMPONENT_DEFAULTS[c], ...(given as Record<string, unknown> | undefined) };
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
    this._peakDecay = Math.pow(0.5, 1 / this.options.noveltyHalfLife);
    this._decay = this.options.cooldown > 0 ? Math.pow(0.5, 1 / this.options.cooldown) : 0;
  }

  step(t: number, x: number): number {
    const parts = this.parts;
    const nov = this.options.novelty;
    let best = 0;
    let second = 0;
    let bestI = -1;
    for (let i = 0; i < parts.length; i++) {
      const s0 = parts[i]!.step(t, x);
      let s = s0 * this.partWeights[i]!;
      this.partSev[i] = s;
      if (nov > 0) {
        const pk = this.partPeak[i]!;
        const m = nov * pk;
        if (m > 1 && this.partNames[i] !== 'range') s /= m;
        const dp = pk * this._peakDecay;
        this.partPeak[i] = s0 > dp ? s0 : dp;
      }
      if (s > best) {
        second = best;
        best = s;
        bestI = i;
      } else if (s > second) second = s;
    }
    const o = this.options;
    const raw = best + o.agreement * second;
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
    if (!Number.isFinite(timestamp) || !Number.isFinite(value)) return { score: 0, flags: [] };
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
    return d;
  }
}
