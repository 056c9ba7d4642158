/**
 * Series: one per interned dimension tuple of a domain, each a set of slot rings. The table is
 * bounded: past `limit − 1` series, new tuples share one overflow series (`otel.metric.overflow` =
 * true), so every observation is still counted; a series idle for `expireAfterMs` is dropped and, if
 * its tuple comes back, restarts with a new start time.
 */
import type { Attributes } from '@opentelemetry/api';
import { ATTR_OTEL_METRIC_OVERFLOW } from '@driftwatch/semconv';
import { SlotRing, TOO_OLD } from './ring';
import type { Observation } from './aggregate';
import type { Domain, RingPlan } from './config';
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
    this.rings = rings.map((r) => new SlotRing(r.slotMs, r.slots, sketch));
  }

  /** Records into every ring; false when the time is older than a ring holds (nothing recorded there). */
  record(timeMs: number, o: Observation, n: number): boolean {
    let ok = true;
    const rings = this.rings;
    for (let i = 0; i < rings.length; i++) if (rings[i]!.record(timeMs, o, n) === TOO_OLD) ok = false;
    if (timeMs > this.lastMs) this.lastMs = timeMs;
    return ok;
  }
}

export const KEY_SEPARATOR = '\u001f';

export class SeriesTable {
  readonly domain: Domain;
  readonly series = new Map<string, Series>();
  /** Observations that went to the overflow series (weighted). */
  overflowed = 0;
  /** Series dropped after being idle for `expireAfterMs`. */
  expired = 0;
  private _overflow: Series | undefined;
  private readonly _limit: number;
  private readonly _rings: readonly RingPlan[];
  private readonly _sketch: SketchOptions;

  constructor(domain: Domain, limit: number, rings: readonly RingPlan[], sketch: SketchOptions) {
    this.domain = domain;
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

  /**
   * The series for `key`, created on first sight from `attributes()` (called only then), or the
   * overflow series when the table is full.
   */
  get(key: string, attributes: () => Attributes, nowMs: number): Series {
    const s = this.series.get(key);
    if (s !== undefined) return s;
    if (this.series.size >= this._limit - 1) {
      let o = this._overflow;
      if (o === undefined) o = this._overflow = new Series(this.domain, '', { [ATTR_OTEL_METRIC_OVERFLOW]: true }, true, this._rings, this._sketch, nowMs);
      return o;
    }
    const created = new Series(this.domain, key, Object.freeze(attributes()), false, this._rings, this._sketch, nowMs);
    this.series.set(key, created);
    return created;
  }

  /** Adds a restored series (snapshots); false when the table is full. */
  adopt(s: Series): boolean {
    if (s.overflow) {
      this._overflow = s;
      return true;
    }
    if (this.series.size >= this._limit - 1) return false;
    this.series.set(s.key, s);
    return true;
  }

  /** Drops series idle since before `cutoffMs`; returns how many. */
  expire(cutoffMs: number): number {
    let n = 0;
    for (const [k, s] of this.series) {
      if (s.lastMs < cutoffMs) {
        this.series.delete(k);
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
