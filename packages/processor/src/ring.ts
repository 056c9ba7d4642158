/**
 * A ring of time slots with the per-slot scalars in one `Float64Array` (struct of arrays): a slot
 * costs 7 to 13 numbers (its domain's fields), plus its latency buckets (`SlotLatencies`, compact) and an error-type map created
 * only when the slot sees a typed failure. Recording is a few additions; reading merges the newest
 * slots into a `WindowAggregate`.
 */
import { DEFAULT_MAX_BUCKETS, DEFAULT_SCALE } from './sketch';
import { SlotLatencies } from './slot-latency';
import type { SketchOptions } from './sketch';
import type { WindowAggregate } from './aggregate';
import type { Observation } from './aggregate';

/** Fields every slot has, at these offsets. */
export const F_COUNT = 0;
export const F_SUCCESSES = 1;
export const F_FAILURES = 2;
export const F_TIMEOUTS = 3;
export const F_FALLBACKS = 4;

/**
 * Where a ring keeps each domain-specific field inside a slot's run of `size` numbers (-1: not kept).
 * A domain's rings keep only what its observations can carry, so an LLM slot has no room for cache
 * hits and a cache slot none for tokens.
 */
export interface FieldLayout {
  readonly size: number;
  readonly retries: number;
  /** Observations that reported a retry count (the denominator of the mean). */
  readonly retriesCount: number;
  readonly tokens: number;
  readonly cost: number;
  readonly hits: number;
  readonly misses: number;
  readonly confidenceSum: number;
  readonly confidenceCount: number;
}

const layout = (names: readonly (keyof Omit<FieldLayout, 'size'>)[]): FieldLayout => {
  const l: Record<string, number> = { retries: -1, retriesCount: -1, tokens: -1, cost: -1, hits: -1, misses: -1, confidenceSum: -1, confidenceCount: -1 };
  names.forEach((n, k) => (l[n] = 5 + k));
  return { ...l, size: 5 + names.length } as unknown as FieldLayout;
};

/** Every field (stand-alone windows). */
export const LAYOUT_ALL = layout(['retries', 'retriesCount', 'tokens', 'cost', 'hits', 'misses', 'confidenceSum', 'confidenceCount']);
export const LAYOUT_LLM = layout(['retries', 'retriesCount', 'tokens', 'cost']);
export const LAYOUT_SELECTOR = layout(['confidenceSum', 'confidenceCount']);
export const LAYOUT_CACHE = layout(['hits', 'misses']);

/** Most error types kept per slot and per merged window; further types count as failures only. */
export const MAX_ERROR_TYPES = 64;

/** Outcome of `SlotRing.record`. */
export const RECORDED = 0;
/** The time is older than the ring (the slot it maps to holds a newer slot): nothing recorded. */
export const TOO_OLD = 1;

export class SlotRing {
  readonly slotMs: number;
  readonly slots: number;
  /** Slot number (`floor(time / slotMs)`) each ring entry holds, or -Infinity when empty. */
  readonly slotOf: Float64Array;
  readonly values: Float64Array;
  readonly layout: FieldLayout;
  /** Per slot, failures by error type as `[type, count, type, count, …]` (a Map costs more than the few types a slot sees). */
  readonly errors: ((string | number)[] | undefined)[];
  readonly latencies: SlotLatencies;

  constructor(slotMs: number, slots: number, sketch: SketchOptions = {}, fields: FieldLayout = LAYOUT_ALL) {
    this.slotMs = slotMs;
    this.slots = slots;
    this.layout = fields;
    this.slotOf = new Float64Array(slots).fill(-Infinity);
    this.values = new Float64Array(slots * fields.size);
    this.errors = new Array<(string | number)[] | undefined>(slots).fill(undefined);
    this.latencies = new SlotLatencies(slots, sketch.scale ?? DEFAULT_SCALE, sketch.maxBuckets ?? DEFAULT_MAX_BUCKETS);
  }

  /** The ring entry for slot number `slot`, cleared if it held an older slot; -1 if it holds a newer one. */
  private _entry(slot: number): number {
    const n = this.slots;
    const i = ((slot % n) + n) % n;
    const held = this.slotOf[i]!;
    if (held === slot) return i;
    if (held > slot) return -1;
    const size = this.layout.size;
    this.values.fill(0, i * size, i * size + size);
    this.errors[i] = undefined;
    // A reused slot starts again at the configured resolution, whatever an earlier occupant downscaled to.
    this.latencies.clear(i);
    this.slotOf[i] = slot;
    // The slot before this one is complete: give back the spare capacity its growing arrays kept.
    const prev = i === 0 ? n - 1 : i - 1;
    if (this.slotOf[prev] === slot - 1) {
      this.latencies.trim(prev);
      const errors = this.errors[prev];
      if (errors !== undefined) this.errors[prev] = errors.slice();
    }
    return i;
  }

  /** Records `o` (weighted `n`) at `timeMs`; `TOO_OLD` when the time is older than the ring. */
  record(timeMs: number, o: Observation, n: number, latencyIndex = Number.NaN, latencyScale = 0): number {
    const e = this._entry(Math.floor(timeMs / this.slotMs));
    if (e < 0) return TOO_OLD;
    const v = this.values;
    const L = this.layout;
    const b = e * L.size;
    if (o.uncounted !== true) v[b + F_COUNT]! += n;
    const success = o.success;
    if (success === true) v[b + F_SUCCESSES]! += n;
    else if (success === false) {
      v[b + F_FAILURES]! += n;
      const type = o.errorType;
      if (type !== undefined) {
        const m = this.errors[e];
        if (m === undefined) this.errors[e] = [type, n];
        else {
          let k = 0;
          while (k < m.length && m[k] !== type) k += 2;
          if (k < m.length) (m[k + 1] as number) += n;
          else if (m.length < MAX_ERROR_TYPES * 2) m.push(type, n);
        }
      }
    }
    if (o.timeout === true) v[b + F_TIMEOUTS]! += n;
    if (o.fallback === true) v[b + F_FALLBACKS]! += n;
    const retries = o.retries;
    if (retries !== undefined && L.retries >= 0) {
      v[b + L.retries]! += retries * n;
      v[b + L.retriesCount]! += n;
    }
    if (o.tokens !== undefined && L.tokens >= 0) v[b + L.tokens]! += o.tokens * n;
    if (o.cost !== undefined && L.cost >= 0) v[b + L.cost]! += o.cost * n;
    const hit = o.hit;
    if (hit !== undefined && L.hits >= 0) {
      if (hit) v[b + L.hits]! += n;
      else v[b + L.misses]! += n;
    }
    const confidence = o.confidence;
    if (confidence !== undefined && L.confidenceSum >= 0) {
      v[b + L.confidenceSum]! += confidence * n;
      v[b + L.confidenceCount]! += n;
    }
    const latency = o.latency;
    if (latency !== undefined) this.latencies.record(e, latency, n, latencyIndex, latencyScale);
    return RECORDED;
  }

  /**
   * Merges the `count` newest slots of the window ending at `nowMs` (slot numbers
   * `floor(nowMs/slotMs) − count + 1 .. floor(nowMs/slotMs)`) into `out`.
   */
  readInto(out: WindowAggregate, nowMs: number, count: number): void {
    const newest = Math.floor(nowMs / this.slotMs);
    const oldest = newest - count + 1;
    const v = this.values;
    const L = this.layout;
    const half = this.slotMs / 2;
    for (let i = 0; i < this.slots; i++) {
      const s = this.slotOf[i]!;
      if (s < oldest || s > newest) continue;
      const b = i * L.size;
      out.count += v[b + F_COUNT]!;
      out.successes += v[b + F_SUCCESSES]!;
      out.failures += v[b + F_FAILURES]!;
      out.timeouts += v[b + F_TIMEOUTS]!;
      out.fallbacks += v[b + F_FALLBACKS]!;
      if (L.retries >= 0) {
        out.retries += v[b + L.retries]!;
        out.retriesCount += v[b + L.retriesCount]!;
      }
      if (L.tokens >= 0) out.tokens += v[b + L.tokens]!;
      if (L.cost >= 0) out.cost += v[b + L.cost]!;
      if (L.hits >= 0) {
        out.hits += v[b + L.hits]!;
        out.misses += v[b + L.misses]!;
      }
      const cs = L.confidenceSum >= 0 ? v[b + L.confidenceSum]! : 0;
      const cn = L.confidenceSum >= 0 ? v[b + L.confidenceCount]! : 0;
      if (cn > 0) {
        // Confidence trend: every observation of a slot is placed at the slot's middle, in seconds
        // relative to the window's end (keeps the sums small).
        const t = (s * this.slotMs + half - nowMs) / 1000;
        out.confidenceSum += cs;
        out.confidenceCount += cn;
        out.confidenceT += cn * t;
        out.confidenceTT += cn * t * t;
        out.confidenceTC += cs * t;
        out.confidenceSlots += 1;
      }
      const m = this.errors[i];
      if (m !== undefined) for (let k = 0; k < m.length; k += 2) out.addErrorType(m[k] as string, m[k + 1] as number);
      this.latencies.mergeInto(i, out.latency);
    }
  }
}
