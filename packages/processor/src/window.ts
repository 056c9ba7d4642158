/**
 * Sliding windows as rings of time slots, never per-event lists: a window of `windowMs` is `slots`
 * equal slots; an observation lands in the slot of its time, a slot older than the window is cleared
 * and reused, and a read merges the slots still inside the window. Memory is fixed per window;
 * recording is a few additions (plus one sketch insertion for a latency).
 */
import { ExponentialSketch } from './sketch';
import type { SketchOptions } from './sketch';

export interface WindowOptions extends SketchOptions {
  /** Window length in milliseconds (a positive integer). */
  windowMs: number;
  /** Number of slots (an integer ≥ 1 dividing `windowMs`); default 60 when it divides, else 10, else 1. */
  slots?: number;
}

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
}

/** The aggregate of one slot, and of a merged window. */
export class WindowAggregate {
  count = 0;
  successes = 0;
  failures = 0;
  timeouts = 0;
  fallbacks = 0;
  retries = 0;
  tokens = 0;
  cost = 0;
  hits = 0;
  misses = 0;
  confidenceSum = 0;
  confidenceCount = 0;
  readonly errorTypes = new Map<string, number>();
  readonly latency: ExponentialSketch;

  constructor(sketch: SketchOptions = {}) {
    this.latency = new ExponentialSketch(sketch);
  }

  add(o: Observation, n = 1): void {
    this.count += n;
    if (o.success === true) {
      this.successes += n;
    } else if (o.success === false) {
      this.failures += n;
      if (o.errorType !== undefined && (this.errorTypes.size < 64 || this.errorTypes.has(o.errorType))) {
        this.errorTypes.set(o.errorType, (this.errorTypes.get(o.errorType) ?? 0) + n);
      }
    }
    if (o.timeout === true) this.timeouts += n;
    if (o.fallback === true) this.fallbacks += n;
    if (o.retries !== undefined && o.retries >= 0 && Number.isFinite(o.retries)) this.retries += o.retries * n;
    if (o.tokens !== undefined && o.tokens >= 0 && Number.isFinite(o.tokens)) this.tokens += o.tokens * n;
    if (o.cost !== undefined && o.cost >= 0 && Number.isFinite(o.cost)) this.cost += o.cost * n;
    if (o.hit === true) this.hits += n;
    else if (o.hit === false) this.misses += n;
    if (o.confidence !== undefined && o.confidence >= 0 && o.confidence <= 1) {
      this.confidenceSum += o.confidence * n;
      this.confidenceCount += n;
    }
    if (o.latency !== undefined) this.latency.record(o.latency, n);
  }

  merge(other: WindowAggregate): void {
    this.count += other.count;
    this.successes += other.successes;
    this.failures += other.failures;
    this.timeouts += other.timeouts;
    this.fallbacks += other.fallbacks;
    this.retries += other.retries;
    this.tokens += other.tokens;
    this.cost += other.cost;
    this.hits += other.hits;
    this.misses += other.misses;
    this.confidenceSum += other.confidenceSum;
    this.confidenceCount += other.confidenceCount;
    for (const [k, v] of other.errorTypes) {
      if (this.errorTypes.size < 64 || this.errorTypes.has(k)) this.errorTypes.set(k, (this.errorTypes.get(k) ?? 0) + v);
    }
    this.latency.merge(other.latency);
  }

  clear(): void {
    this.count = this.successes = this.failures = this.timeouts = this.fallbacks = 0;
    this.retries = this.tokens = this.cost = 0;
    this.hits = this.misses = this.confidenceSum = this.confidenceCount = 0;
    this.errorTypes.clear();
    this.latency.clear();
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
  get timeoutRatio(): number | undefined {
    return this.count === 0 ? undefined : this.timeouts / this.count;
  }
  get fallbackRatio(): number | undefined {
    return this.count === 0 ? undefined : this.fallbacks / this.count;
  }
  get meanRetries(): number | undefined {
    return this.count === 0 ? undefined : this.retries / this.count;
  }
  get hitRatio(): number | undefined {
    const reads = this.hits + this.misses;
    return reads === 0 ? undefined : this.hits / reads;
  }
  get meanConfidence(): number | undefined {
    return this.confidenceCount === 0 ? undefined : this.confidenceSum / this.confidenceCount;
  }
  /** Cost per successful call: all the window's cost (failures cost too) over its successes; `undefined` without successes. */
  get costPerSuccess(): number | undefined {
    return this.successes === 0 ? undefined : this.cost / this.successes;
  }
}

function validate(o: WindowOptions): { windowMs: number; slots: number } {
  if (o === null || typeof o !== 'object') throw new RangeError('window options must be an object with windowMs');
  const { windowMs } = o;
  if (!Number.isInteger(windowMs) || windowMs < 1) throw new RangeError(`windowMs must be a positive integer of milliseconds, got ${String(windowMs)}`);
  const slots = o.slots ?? (windowMs % 60 === 0 ? 60 : windowMs % 10 === 0 ? 10 : 1);
  if (!Number.isInteger(slots) || slots < 1 || windowMs % slots !== 0) {
    throw new RangeError(`slots must be a positive integer dividing windowMs (${windowMs}), got ${String(slots)}`);
  }
  return { windowMs, slots };
}

/** A window of `windowMs` kept as a ring of `slots` aggregates. Times are epoch (or any monotonic) milliseconds. */
export class SlidingWindow {
  readonly windowMs: number;
  readonly slotMs: number;
  private readonly _ring: WindowAggregate[];
  /** Slot number (time / slotMs) each ring entry holds, or -Infinity when empty. */
  private readonly _slotOf: Float64Array;
  private readonly _sketch: SketchOptions;
  private _first = Infinity;

  constructor(options: WindowOptions) {
    const { windowMs, slots } = validate(options);
    this.windowMs = windowMs;
    this.slotMs = windowMs / slots;
    this._sketch = { scale: options.scale, maxBuckets: options.maxBuckets };
    this._ring = Array.from({ length: slots }, () => new WindowAggregate(this._sketch));
    this._slotOf = new Float64Array(slots).fill(-Infinity);
  }

  /** Records an observation made at `timeMs` (`n` times). An observation older than the window is ignored (returns false). */
  record(timeMs: number, o: Observation, n = 1): boolean {
    if (!Number.isFinite(timeMs) || !(n > 0)) return false;
    const slot = Math.floor(timeMs / this.slotMs);
    const i = ((slot % this._ring.length) + this._ring.length) % this._ring.length;
    const held = this._slotOf[i]!;
    if (held !== slot) {
      if (held > slot) return false; // older than what this ring entry now holds: outside the window
      this._ring[i]!.clear();
      this._slotOf[i] = slot;
    }
    this._ring[i]!.add(o, n);
    if (timeMs < this._first) this._first = timeMs;
    return true;
  }

  /** The merged aggregate of the slots inside the window ending at `nowMs` (a fresh object). */
  read(nowMs: number): WindowAggregate {
    const out = new WindowAggregate(this._sketch);
    const newest = Math.floor(nowMs / this.slotMs);
    const oldest = newest - this._ring.length + 1;
    for (let i = 0; i < this._ring.length; i++) {
      const s = this._slotOf[i]!;
      if (s >= oldest && s <= newest) out.merge(this._ring[i]!);
    }
    return out;
  }

  /**
   * Seconds the window at `nowMs` covers for rates: the full window, or less while the window has
   * existed for less than that (so a new series' rate is not diluted by time before its first record).
   */
  coveredSeconds(nowMs: number): number {
    if (this._first === Infinity) return 0;
    return Math.max(0, Math.min(this.windowMs, nowMs - this._first)) / 1000;
  }

  /** Events per second over the window at `nowMs`; `undefined` when nothing is covered yet. */
  rate(nowMs: number, agg: WindowAggregate = this.read(nowMs)): number | undefined {
    const s = this.coveredSeconds(nowMs);
    return s > 0 ? agg.count / s : undefined;
  }
}
