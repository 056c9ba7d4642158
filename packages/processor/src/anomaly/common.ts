/**
 * Shared pieces of the streaming detectors: the severity → score mapping, option checking, and the
 * helpers that write and read their plain-JSON states.
 *
 * Every detector computes a *severity* `x ≥ 0` scaled so that `x = 1` is exactly its own rule (e.g.
 * "3 standard deviations away" for the EWMA z-score) and maps it to a score with one smooth,
 * monotone curve, `score = 9x⁴ / (9x⁴ + 1)`: 0 at x = 0, 0.1 at x ≈ 0.58, 0.5 at x ≈ 0.76, **0.9 at
 * x = 1** (the rule fires, the flag is set), 0.99 at x ≈ 1.8, 0.9999 at x ≈ 5.8, and never exactly 1
 * for a finite severity, so a threshold sweep keeps the ordering of strong anomalies.
 */
import type { Detector, DetectorResult, DetectorState } from './types';

/** The score of a severity (see the module comment). Non-finite or negative severities are handled. */
export function severityToScore(x: number): number {
  if (!(x > 0)) return 0;
  if (x > 1e4) return 1;
  const x2 = x * x;
  const a = 9 * x2 * x2;
  return a / (a + 1);
}

/** The inverse of `severityToScore` on (0, 1): the severity at which a score is reached. */
export function scoreToSeverity(score: number): number {
  if (!(score > 0)) return 0;
  if (score >= 1) return Infinity;
  return Math.sqrt(Math.sqrt(score / (9 * (1 - score))));
}

/** The numeric range of one option. */
export interface NumberSpec {
  readonly def: number;
  readonly min: number;
  readonly max: number;
  /** Whether `min` / `max` themselves are excluded (default: included). */
  readonly minOpen?: boolean;
  readonly maxOpen?: boolean;
  readonly integer?: boolean;
  readonly doc: string;
}

function describeRange(s: NumberSpec): string {
  const lo = `${s.minOpen === true ? '(' : '['}${s.min}`;
  const hi = `${s.max}${s.maxOpen === true ? ')' : ']'}`;
  return `${s.integer === true ? 'an integer' : 'a number'} in ${lo}, ${hi}`;
}

/**
 * Checks `options` against `spec` (unknown keys, types, ranges) and returns every option with its
 * default filled in. Throws a `RangeError` naming the detector and the offending option.
 */
export function resolveNumbers<K extends string>(detector: string, spec: Readonly<Record<K, NumberSpec>>, options: Record<string, unknown> | undefined, extraKeys: readonly string[] = []): Record<K, number> {
  if (options !== undefined && (options === null || typeof options !== 'object' || Array.isArray(options))) {
    throw new RangeError(`${detector}: options must be an object, got ${options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options}`);
  }
  const keys = Object.keys(spec) as K[];
  if (options !== undefined) {
    for (const k of Object.keys(options)) {
      if (!(keys as string[]).includes(k) && !extraKeys.includes(k)) {
        throw new RangeError(`${detector}: unknown option '${k}' (expected ${[...keys, ...extraKeys].join(', ')})`);
      }
    }
  }
  const out = {} as Record<K, number>;
  for (const k of keys) {
    const s = spec[k];
    const v = options?.[k];
    if (v === undefined) {
      out[k] = s.def;
      continue;
    }
    const ok =
      typeof v === 'number' &&
      Number.isFinite(v) &&
      (s.minOpen === true ? v > s.min : v >= s.min) &&
      (s.maxOpen === true ? v < s.max : v <= s.max) &&
      (s.integer !== true || Number.isInteger(v));
    if (!ok) throw new RangeError(`${detector}.${k} must be ${describeRange(s)}, got ${typeof v === 'string' ? `'${v}'` : String(v)}`);
    out[k] = v;
  }
  return intern(detector, keys, out);
}

/**
 * Detectors with the same options share one frozen options object (a processor keeps one detector per
 * series and derived value, nearly all with the defaults). Bounded: past 256 distinct option sets a
 * new set is simply not shared.
 */
const INTERNED = new Map<string, Readonly<Record<string, number>>>();
function intern<K extends string>(detector: string, keys: readonly K[], out: Record<K, number>): Record<K, number> {
  let key = detector;
  for (const k of keys) key += `|${out[k]}`;
  const had = INTERNED.get(key);
  if (had !== undefined) return had as Record<K, number>;
  const frozen = Object.freeze(out);
  if (INTERNED.size < 256) INTERNED.set(key, frozen);
  return frozen;
}

/** Reads a state's `options` back (they were written by `resolveNumbers`, so they are checked again). */
export function stateOptions(state: DetectorState): Record<string, unknown> {
  const o = state['options'];
  if (o === null || typeof o !== 'object' || Array.isArray(o)) throw new RangeError(`${state.kind} state: 'options' must be an object`);
  return o as Record<string, unknown>;
}

/** Throws unless `state` is a state of `kind` at `version`. */
export function checkState(state: DetectorState, kind: string, version: number): void {
  if (state === null || typeof state !== 'object') throw new RangeError('detector state must be an object');
  if (state.kind !== kind) throw new RangeError(`expected a '${kind}' state, got '${String(state.kind)}'`);
  if (state.version !== version) throw new RangeError(`${kind} state version ${String(state.version)} is not supported (expected ${version})`);
}

/** A finite number field of a state. */
export function num(state: DetectorState, key: string): number {
  const v = state[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new RangeError(`${state.kind} state: '${key}' must be a finite number, got ${String(v)}`);
  return v;
}

/** An integer field of a state in [min, max]. */
export function int(state: DetectorState, key: string, min: number, max: number): number {
  const v = state[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new RangeError(`${state.kind} state: '${key}' must be an integer in [${min}, ${max}], got ${String(v)}`);
  return v;
}

/** A field of a state that is a finite number or null (null stands for "none yet"). */
export function numOrNaN(state: DetectorState, key: string): number {
  const v = state[key];
  if (v === null) return Number.NaN;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new RangeError(`${state.kind} state: '${key}' must be a finite number or null, got ${String(v)}`);
  return v;
}

/** NaN → null, for state fields that may not have a value yet (JSON has no NaN). */
export function orNull(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

/** A `Float64Array` of `length` from a state's number array. */
export function f64(state: DetectorState, key: string, length: number): Float64Array {
  const v = state[key];
  if (!Array.isArray(v) || v.length !== length) throw new RangeError(`${state.kind} state: '${key}' must be an array of ${length} numbers`);
  const out = new Float64Array(length);
  for (let i = 0; i < length; i++) {
    const x: unknown = v[i];
    if (typeof x !== 'number' || !Number.isFinite(x)) throw new RangeError(`${state.kind} state: '${key}[${i}]' must be a finite number`);
    out[i] = x;
  }
  return out;
}

/** A typed array as a plain number array (for JSON). */
export function toArray(a: Float64Array): number[] {
  return Array.from(a);
}

/**
 * Largest |value| a detector learns from: squares of larger values overflow a double, which would
 * poison a variance for good. Larger values are treated like non-finite ones (score 0, not learned).
 */
export const MAX_ABS_VALUE = 1e150;

/** Whether a point can be scored and learned from (finite time, finite value within ±`MAX_ABS_VALUE`). */
export function usable(timestamp: number, value: number): boolean {
  return Number.isFinite(timestamp) && value >= -MAX_ABS_VALUE && value <= MAX_ABS_VALUE;
}

/** Direction of the last scored deviation. */
export const UP = 1;
export const DOWN = -1;

/**
 * The common frame of a detector: `step()` scores one finite point and learns from it, leaving the
 * direction and the expectation in fields; `update()` guards bad input and builds the result. The
 * ensemble calls `step()` directly, so a component allocates nothing per point.
 */
export abstract class BaseDetector implements Detector {
  abstract readonly name: string;
  /** Flag names for a deviation up and down. */
  abstract readonly flagUp: string;
  abstract readonly flagDown: string;
  /** Direction of the last deviation (`UP` / `DOWN`, 0 when none). */
  dir = 0;
  /** Expectation and band of the last step (NaN when none). */
  expected = Number.NaN;
  lower = Number.NaN;
  upper = Number.NaN;

  /** Scores a finite point (severity ≥ 0, 1 = the rule fires) and learns from it. */
  abstract step(timestamp: number, value: number): number;
  abstract toState(): DetectorState;

  update(timestamp: number, value: number): DetectorResult {
    if (!usable(timestamp, value)) return { score: 0, flags: [] };
    const x = this.step(timestamp, value);
    return this.result(x);
  }

  protected result(x: number): DetectorResult {
    const r: DetectorResult = { score: severityToScore(x), flags: x >= 1 && this.dir !== 0 ? [this.dir > 0 ? this.flagUp : this.flagDown] : [] };
    if (Number.isFinite(this.expected)) r.expected = this.expected;
    if (Number.isFinite(this.lower)) r.lower = this.lower;
    if (Number.isFinite(this.upper)) r.upper = this.upper;
    return r;
  }
}

/**
 * A noise floor for a scale estimate around `level`: `rel · |level|`, and never below `abs` (both are
 * options of the detectors that use it). A flat series then has a scale of about `rel` of its level
 * instead of zero, so tiny wiggles do not score as certain anomalies.
 */
export function floorScale(scale: number, level: number, rel: number, abs: number): number {
  const f = rel * Math.abs(level);
  const m = f > abs ? f : abs;
  return scale > m ? scale : m;
}

/** |z| as a severity: `|z| / threshold`, a division by zero giving a large finite severity. */
export function zSeverity(dev: number, scale: number, threshold: number): number {
  const a = dev < 0 ? -dev : dev;
  if (a === 0) return 0;
  if (!(scale > 0)) return 1e6;
  const x = a / scale / threshold;
  return x < 1e6 ? x : 1e6;
}

/** erf(x), Abramowitz & Stegun 7.1.26 (absolute error < 1.5e-7). */
export function erf(x: number): number {
  const sgn = x < 0 ? -1 : 1;
  const a = x < 0 ? -x : x;
  const t = 1 / (1 + 0.3275911 * a);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a);
  return sgn * y;
}

/** E[min(Z², c²)] for a standard normal Z: what a variance learnt from errors capped at c σ converges to. */
export function cappedVarianceFactor(c: number): number {
  if (!(c > 0) || c > 40) return 1;
  const tail = 1 - erf(c / Math.SQRT2); // P(|Z| > c)
  const inner = 1 - tail - c * Math.sqrt(2 / Math.PI) * Math.exp(-0.5 * c * c); // E[Z²; |Z| ≤ c]
  return inner + c * c * tail;
}

/**
 * The squared error a robust learner adds to its variance: e² capped at (cap·sd)², divided by
 * `factor = cappedVarianceFactor(cap)` so it stays unbiased on Gaussian noise (cap ≤ 0: plain e²).
 * With a cap of 2 the variance grows by at most ~3.3·α per point during a sustained anomaly; capped
 * at `clip` = 4 it grows by up to 15·α per point (+30 % a point at α = 0.02), which hides a lasting
 * anomaly after a few points but also re-learns a new regime quickly.
 */
export function cappedSquare(e: number, sd: number, cap: number, factor: number): number {
  const a = e * e;
  if (!(cap > 0)) return a;
  const c = cap * sd;
  const m = c * c;
  return (a < m ? a : m) / factor;
}
