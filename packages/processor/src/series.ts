/**
 * Series: one per interned dimension tuple of a domain, each a set of slot rings. The table is
 * bounded: past `limit − 1` series, new tuples share one overflow series (`otel.metric.overflow` =
 * true), so every observation is still counted; a series idle for `expireAfterMs` is dropped and, if
 * its tuple comes back, restarts with a new start time.
 */
import type { Attributes } from '@opentelemetry/api';
import { ATTR_OTEL_METRIC_OVERFLOW } from '@driftwatch/semconv';
import { LAYOUT_CACHE, LAYOUT_LLM, LAYOUT_SELECTOR, SlotRing, TOO_OLD } from './ring';
import type { Observation } from './aggregate';
import type { Domain, RingPlan } from './config';
import { DEFAULT_SCALE, bucketIndex } from './sketch';
import type { SketchOptions } from './sketch';

export class Series {
  readonly domain: Domain;
  /** The interned key: the dimension values joined by U+001F. */
  readonly key: string;
  readonly attributes: Attributes;
  readonly overflow: boolean;
  /** Epoch ms of the first observation (a restarted series gets a new one). */
  startMs: number;
  /** Epoch ms of the latest observation. */
  lastMs: number;
  readonly rings: SlotRing[];

  constructor(domain: Domain, key: string, attributes: Attributes, overflow: boolean, rings: readonly RingPlan[], sketch: SketchOptions, nowMs: number) {
    this.domain = domain;
    this.key = key;
    this.attributes = attributes;
    this.overflow = overflow;
    this.startMs = nowMs;
    this.lastMs = nowMs;
    const fields = domain === 'llm' ? LAYOUT_LLM : domain === 'selector' ? LAYOUT_SELECTOR : LAYOUT_CACHE;
    this.rings = rings.map((r) => new SlotRing(r.slotMs, r.slots, sketch, fields));
    this._scale = sketch.scale ?? DEFAULT_SCALE;
  }
  private readonly _scale: number;

  /** Records into every ring; false when the time is older than a ring holds (nothing recorded there). */
  record(timeMs: number, o: Observation, n: number): boolean {
    let ok = true;
    const rings = this.rings;
    // The latency's bucket index, computed once for every ring's sketch.
    const latency = o.latency;
    const scale = this._scale;
    const index = latency !== undefined && latency > 0 ? bucketIndex(latency, scale) : Number.NaN;
    for (let i = 0; i < rings.length; i++) if (rings[i]!.record(timeMs, o, n, index, scale) === TOO_OLD) ok = false;
    if (timeMs > this.lastMs) this.lastMs = timeMs;
    return ok;
  }
}

/**
 * The interned key of a dimension tuple: unambiguous (an absent value, `''`, `1` and `'1'` are four
 * different keys, and no separator inside a value can make two tuples collide).
 */
export function keyOf(values: readonly unknown[]): string {
  return JSON.stringify(values.map((v) => (v === undefined ? null : v)));
}

/**
 * A trie over dimension values: one `Map` lookup per dimension with the attribute values themselves
 * as keys (their hashes are cached by the engine), so finding a span's series allocates nothing.
 */
type TrieNode = Map<unknown, TrieNode | Series>;

export class SeriesTable {
  readonly domain: Domain;
  /** Live series by interned key (the overflow series excluded). */
  readonly series = new Map<string, Series>();
  /** Observations that went to the overflow series (weighted). */
  overflowed = 0;
  /** Series dropped after being idle for `expireAfterMs`. */
  expired = 0;
  private _overflow: Series | undefined;
  private readonly _trie: TrieNode = new Map();
  private readonly _values = new WeakMap<Series, readonly unknown[]>();
  private readonly _limit: number;
  private readonly _rings: readonly RingPlan[];
  private readonly _sketch: SketchOptions;

  /** Idle time after which a series is dropped (and restarts if its tuple comes back). */
  readonly expireAfterMs: number;

  constructor(domain: Domain, limit: number, rings: readonly RingPlan[], sketch: SketchOptions, expireAfterMs = Infinity) {
    this.domain = domain;
    this.expireAfterMs = expireAfterMs;
    this._limit = limit;
    this._rings = rings;
    this._sketch = sketch;
  }

  /** Live series, the overflow series included. */
  get size(): number {
    return this.series.size + (this._overflow === undefined ? 0 : 1);
  }

  get overflowSeries(): Series | undefined {
    return this._overflow;
  }

  /** The live series of a dimension tuple, without creating it. */
  find(values: readonly unknown[]): Series | undefined {
    let node: TrieNode | Series | undefined = this._trie;
    for (let i = 0; i < values.length && node !== undefined; i++) node = (node as TrieNode).get(values[i]);
    return node instanceof Series ? node : undefined;
  }

  /**
   * The series of a dimension tuple, created on first sight with `attributes()` (called only then),
   * or the overflow series when the table is full.
   */
  get(values: readonly unknown[], attributes: () => Attributes, nowMs: number): Series {
    const n = values.length;
    let node = this._trie;
    for (let i = 0; i < n - 1; i++) {
      const next = node.get(values[i]);
      if (next === undefined) return this._create(values, attributes, nowMs);
      node = next as TrieNode;
    }
    const leaf = n === 0 ? (this.series.get('') as Series | undefined) : (node.get(values[n - 1]) as Series | undefined);
    if (leaf === undefined) return this._create(values, attributes, nowMs);
    if (leaf.lastMs < nowMs - this.expireAfterMs) {
      // Idle past the expiry even if no sweep has run yet: it restarts, with a new start time.
      this._remove(leaf);
      this.expired++;
      return this._create(values, attributes, nowMs);
    }
    return leaf;
  }

  private _create(values: readonly unknown[], attributes: () => Attributes, nowMs: number): Series {
    if (this.series.size >= this._limit - 1) {
      let o = this._overflow;
      if (o !== undefined && o.lastMs < nowMs - this.expireAfterMs) {
        this._overflow = o = undefined;
        this.expired++;
      }
      if (o === undefined) o = this._overflow = new Series(this.domain, '', { [ATTR_OTEL_METRIC_OVERFLOW]: true }, true, this._rings, this._sketch, nowMs);
      return o;
    }
    const s = new Series(this.domain, keyOf(values), Object.freeze(attributes()), false, this._rings, this._sketch, nowMs);
    this._insert(values, s);
    return s;
  }

  private _insert(values: readonly unknown[], s: Series): void {
    this.series.set(s.key, s);
    this._values.set(s, values.slice());
    const n = values.length;
    if (n === 0) return;
    let node = this._trie;
    for (let i = 0; i < n - 1; i++) {
      let next = node.get(values[i]) as TrieNode | undefined;
      if (next === undefined) node.set(values[i], (next = new Map()));
      node = next;
    }
    node.set(values[n - 1], s);
  }

  private _remove(s: Series): void {
    this.series.delete(s.key);
    const values = this._values.get(s);
    if (values === undefined || values.length === 0) return;
    const path: TrieNode[] = [this._trie];
    for (let i = 0; i < values.length - 1; i++) {
      const next = path[i]!.get(values[i]) as TrieNode | undefined;
      if (next === undefined) return;
      path.push(next);
    }
    path[values.length - 1]!.delete(values[values.length - 1]);
    for (let i = values.length - 1; i > 0 && path[i]!.size === 0; i--) path[i - 1]!.delete(values[i - 1]);
  }

  /** Adds a restored series (snapshots) under its dimension values; false when the table is full. */
  adopt(s: Series, values: readonly unknown[]): boolean {
    if (s.overflow) {
      this._overflow = s;
      return true;
    }
    if (this.series.size >= this._limit - 1 || this.series.has(s.key)) return false;
    this._insert(values, s);
    return true;
  }

  /** Drops series idle since before `cutoffMs`; returns how many. */
  expire(cutoffMs: number): number {
    let n = 0;
    for (const s of this.series.values()) {
      if (s.lastMs < cutoffMs) {
        this._remove(s);
        n++;
      }
    }
    if (this._overflow !== undefined && this._overflow.lastMs < cutoffMs) {
      this._overflow = undefined;
      n++;
    }
    this.expired += n;
    return n;
  }

  *all(): IterableIterator<Series> {
    yield* this.series.values();
    if (this._overflow !== undefined) yield this._overflow;
  }
}
