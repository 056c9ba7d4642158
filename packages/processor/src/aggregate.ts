/**
 * What one observation says, and the merged aggregate a window read produces (the derived ratios,
 * means and rates are getters on it).
 */
import { ExponentialSketch } from './sketch';
import type { SketchOptions } from './sketch';

/** What one observation says (every field optional; absent fields are simply not counted). */
export interface Observation {
  /** Seconds (e.g. the call's duration), for the latency quantiles. */
  latency?: number;
  /** `true` success, `false` failure; absent: not an outcome-bearing observation. */
  success?: boolean;
  /** `error.type` of a failure (low cardinality). */
  errorType?: string;
  timeout?: boolean;
  fallback?: boolean;
  retries?: number;
  tokens?: number;
  cost?: number;
  /** Cache read result. */
  hit?: boolean;
  /** Selector confidence, 0..1. */
  confidence?: number;
  /**
   * Adds its tokens and cost without counting as a call (a provider attempt inside a logical call:
   * the logical call is the one counted).
   */
  uncounted?: boolean;
}

const nonNegative = (v: number | undefined): number | undefined => (v !== undefined && v >= 0 && v < Infinity ? v : undefined);

/** `o` with out-of-range numbers (negative, NaN, infinite; confidence outside 0..1) left out. */
export function cleanObservation(o: Observation): Observation {
  const c: Observation = {};
  if (o.success === true || o.success === false) c.success = o.success;
  if (o.success === false && typeof o.errorType === 'string') c.errorType = o.errorType;
  if (o.timeout === true) c.timeout = true;
  if (o.fallback === true) c.fallback = true;
  if (o.hit === true || o.hit === false) c.hit = o.hit;
  const latency = nonNegative(o.latency);
  if (latency !== undefined) c.latency = latency;
  const retries = nonNegative(o.retries);
  if (retries !== undefined) c.retries = retries;
  const tokens = nonNegative(o.tokens);
  if (tokens !== undefined) c.tokens = tokens;
  const cost = nonNegative(o.cost);
  if (cost !== undefined) c.cost = cost;
  if (o.confidence !== undefined && o.confidence >= 0 && o.confidence <= 1) c.confidence = o.confidence;
  return c;
}

/** Most error types an aggregate keeps; further types count as failures only. */
const MAX_TYPES = 64;

/** The aggregate of a merged window (or of directly added observations). */
export class WindowAggregate {
  count = 0;
  successes = 0;
  failures = 0;
  timeouts = 0;
  fallbacks = 0;
  retries = 0;
  /** Observations that reported a retry count (the denominator of `meanRetries`). */
  retriesCount = 0;
  tokens = 0;
  cost = 0;
  hits = 0;
  misses = 0;
  confidenceSum = 0;
  confidenceCount = 0;
  /** Weighted time sums for the confidence trend (seconds relative to the window's end). */
  confidenceT = 0;
  confidenceTT = 0;
  confidenceTC = 0;
  /** Slots that held a confidence (a trend needs two). */
  confidenceSlots = 0;
  readonly errorTypes = new Map<string, number>();
  readonly latency: ExponentialSketch;

  constructor(sketch: SketchOptions = {}) {
    this.latency = new ExponentialSketch(sketch);
  }

  /** Adds one (cleaned) observation `n` times, at time offset 0 for the trend. */
  add(o: Observation, n = 1): void {
    const c = cleanObservation(o);
    this.count += n;
    if (c.success === true) this.successes += n;
    else if (c.success === false) {
      this.failures += n;
      if (c.errorType !== undefined) this.addErrorType(c.errorType, n);
    }
    if (c.timeout) this.timeouts += n;
    if (c.fallback) this.fallbacks += n;
    if (c.retries !== undefined) {
      this.retries += c.retries * n;
      this.retriesCount += n;
    }
    if (c.tokens !== undefined) this.tokens += c.tokens * n;
    if (c.cost !== undefined) this.cost += c.cost * n;
    if (c.hit === true) this.hits += n;
    else if (c.hit === false) this.misses += n;
    if (c.confidence !== undefined) {
      this.confidenceSum += c.confidence * n;
      this.confidenceCount += n;
    }
    if (c.latency !== undefined) this.latency.record(c.latency, n);
  }

  addErrorType(type: string, n: number): void {
    const mine = this.errorTypes;
    const had = mine.get(type);
    if (had !== undefined) mine.set(type, had + n);
    else if (mine.size < MAX_TYPES) mine.set(type, n);
  }

  /** Outcomes observed (successes + failures). */
  get outcomes(): number {
    return this.successes + this.failures;
  }
  /** Success ratio; `undefined` when no outcome was observed (an idle window says nothing). */
  get successRatio(): number | undefined {
    return this.outcomes === 0 ? undefined : this.successes / this.outcomes;
  }
  get errorRatio(): number | undefined {
    return this.outcomes === 0 ? undefined : this.failures / this.outcomes;
  }
  /** Failures of one `error.type` over all outcomes. */
  errorRatioOf(type: string): number | undefined {
    return this.outcomes === 0 ? undefined : (this.errorTypes.get(type) ?? 0) / this.outcomes;
  }
  get timeoutRatio(): number | undefined {
    return this.count === 0 ? undefined : this.timeouts / this.count;
  }
  get fallbackRatio(): number | undefined {
    return this.count === 0 ? undefined : this.fallbacks / this.count;
  }
  /** Mean retries over the observations that reported a retry count. */
  get meanRetries(): number | undefined {
    return this.retriesCount === 0 ? undefined : this.retries / this.retriesCount;
  }
  get hitRatio(): number | undefined {
    const reads = this.hits + this.misses;
    return reads === 0 ? undefined : this.hits / reads;
  }
  get meanConfidence(): number | undefined {
    return this.confidenceCount === 0 ? undefined : this.confidenceSum / this.confidenceCount;
  }
  /**
   * Least-squares slope of confidence over time, per second (each observation placed at its slot's
   * middle); `undefined` unless confidences fell in at least two slots.
   */
  get confidenceTrend(): number | undefined {
    const n = this.confidenceCount;
    if (this.confidenceSlots < 2 || n === 0) return undefined;
    const tMean = this.confidenceT / n;
    const sxx = this.confidenceTT - n * tMean * tMean;
    if (!(sxx > 0)) return undefined;
    const sxy = this.confidenceTC - tMean * this.confidenceSum;
    return sxy / sxx;
  }
  /** Cost per successful call: all the window's cost (failures cost too) over its successes; `undefined` without successes. */
  get costPerSuccess(): number | undefined {
    return this.successes === 0 ? undefined : this.cost / this.successes;
  }
}
