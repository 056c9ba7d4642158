/**
 * The latency histograms of a ring's slots, stored compactly: one header row per slot in shared typed
 * arrays (count, sum, min, max, zeros, scale, bucket range) and, per slot that saw a latency, one array
 * of buckets in the cheapest of three forms:
 *
 * - packed: a sorted plain array with one number per populated bucket, `(index + 2^21) · 2^30 + count`
 *   (8 bytes a bucket; below 2^52, so exact in a double), while counts are integers;
 * - pairs: a plain array of `index, count` (16 bytes a bucket), once a count is fractional (sampling
 *   weights);
 * - dense: a typed array over the slot's bucket range whose element grows with the counts (`Uint8Array`,
 *   then 16 and 32 bits, then `Float64Array`), once that takes less room than the sparse form.
 *
 * A slot that saw a handful of latencies therefore costs a handful of numbers, and no slot costs more
 * than its bucket range at one to eight bytes a bucket. Bucket semantics, scales and downscaling are
 * those of `ExponentialSketch`, which a window read merges the slots into.
 */
import { bucketIndex } from './sketch';
import type { ExponentialSketch } from './sketch';

const PACK_BIAS = 2 ** 21;
const PACK_UNIT = 2 ** 30;
/** Packed entries need `|index| < 2^21` (true at scales up to 10) and integer counts below 2^30. */
const PACK_INDEX_LIMIT = PACK_BIAS - 1;
const PACK_COUNT_LIMIT = PACK_UNIT - 1;

const MODE_NONE = 0;
const MODE_PACKED = 1;
const MODE_PAIRS = 2;
const MODE_DENSE = 3;

/** Rough fixed cost of a typed array (object, buffer and backing store), to compare forms by size. */
const TYPED_ARRAY_OVERHEAD = 160;

type Dense = Uint8Array | Uint16Array | Uint32Array | Float64Array;

function widerDense(d: Dense, need: number, fractional: boolean): Dense {
  let next: Dense;
  if (fractional || need > 0xffffffff) next = new Float64Array(d.length);
  else if (need > 0xffff) next = new Uint32Array(d.length);
  else next = new Uint16Array(d.length);
  for (let k = 0; k < d.length; k++) next[k] = d[k]!;
  return next;
}

function capOf(d: Dense): number {
  return d instanceof Uint8Array ? 0xff : d instanceof Uint16Array ? 0xffff : d instanceof Uint32Array ? 0xffffffff : Infinity;
}

/** Float header fields, `F` per slot in one `Float64Array`. */
const H_COUNT = 0;
const H_SUM = 1;
const H_MIN = 2;
const H_MAX = 3;
const H_ZERO = 4;
const H = 5;
/** Integer header fields, `I` per slot in one `Int32Array`. */
const I_SCALE = 0;
const I_LO = 1;
const I_HI = 2;
const I_OFFSET = 3;
const I_MODE = 4;
const I = 5;

export class SlotLatencies {
  /** Per slot: count, sum, min, max, zeros. */
  private readonly _f: Float64Array;
  /** Per slot: scale, lowest and highest populated bucket (`lo > hi` when none), dense offset, form. */
  private readonly _i: Int32Array;
  readonly data: (number[] | Dense | undefined)[];
  private readonly _initialScale: number;
  private readonly _maxBuckets: number;

  constructor(slots: number, scale: number, maxBuckets: number) {
    this._f = new Float64Array(slots * H);
    this._i = new Int32Array(slots * I);
    this.data = new Array<number[] | Dense | undefined>(slots).fill(undefined);
    this._initialScale = scale;
    this._maxBuckets = maxBuckets;
    for (let i = 0; i < slots; i++) this.clear(i);
  }

  count(i: number): number {
    return this._f[i * H + H_COUNT]!;
  }
  sum(i: number): number {
    return this._f[i * H + H_SUM]!;
  }
  min(i: number): number {
    return this._f[i * H + H_MIN]!;
  }
  max(i: number): number {
    return this._f[i * H + H_MAX]!;
  }
  zero(i: number): number {
    return this._f[i * H + H_ZERO]!;
  }
  scale(i: number): number {
    return this._i[i * I + I_SCALE]!;
  }
  lo(i: number): number {
    return this._i[i * I + I_LO]!;
  }
  hi(i: number): number {
    return this._i[i * I + I_HI]!;
  }
  /** 0 empty, 1 packed, 2 pairs, 3 dense. */
  mode(i: number): number {
    return this._i[i * I + I_MODE]!;
  }
  /** Bytes of the typed arrays (headers). */
  get headerBytes(): number {
    return this._f.byteLength + this._i.byteLength;
  }

  /** Gives back the spare capacity of slot `i`'s sparse array (a complete slot no longer grows). */
  trim(i: number): void {
    const d = this.data[i];
    if (Array.isArray(d)) this.data[i] = d.slice();
  }

  /** Empties slot `i`, back at the configured scale. */
  clear(i: number): void {
    this._f[i * H + H_COUNT] = 0;
    this._f[i * H + H_SUM] = 0;
    this._f[i * H + H_MIN] = Infinity;
    this._f[i * H + H_MAX] = -Infinity;
    this._f[i * H + H_ZERO] = 0;
    this._i[i * I + I_SCALE] = this._initialScale;
    this._i[i * I + I_LO] = 1;
    this._i[i * I + I_HI] = 0;
    this._i[i * I + I_MODE] = MODE_NONE;
    this.data[i] = undefined;
  }

  /**
   * Adds a valid latency (`value ≥ 0`, finite) `n` times to slot `i`; `index` is its bucket at
   * `indexScale` (≥ the slot's scale), or NaN to compute it here.
   */
  record(i: number, value: number, n: number, index: number, indexScale: number): void {
    const f = this._f;
    const h = i * H;
    f[h + H_COUNT]! += n;
    f[h + H_SUM]! += value * n;
    if (value < f[h + H_MIN]!) f[h + H_MIN] = value;
    if (value > f[h + H_MAX]!) f[h + H_MAX] = value;
    if (value === 0) {
      f[h + H_ZERO]! += n;
      return;
    }
    const ints = this._i;
    const k = i * I;
    let scale = ints[k + I_SCALE]!;
    let b = index === index && indexScale >= scale ? index >> (indexScale - scale) : bucketIndex(value, scale);
    const lo = ints[k + I_LO]!;
    const hi = ints[k + I_HI]!;
    if (lo > hi) {
      ints[k + I_LO] = ints[k + I_HI] = b;
    } else if (b < lo || b > hi) {
      const nlo = b < lo ? b : lo;
      const nhi = b > hi ? b : hi;
      if (nhi - nlo + 1 > this._maxBuckets) {
        let by = 0;
        while ((nhi >> by) - (nlo >> by) + 1 > this._maxBuckets) by++;
        this._downscale(i, by);
        scale = ints[k + I_SCALE]!;
        b = index === index && indexScale >= scale ? index >> (indexScale - scale) : bucketIndex(value, scale);
      }
      if (b < ints[k + I_LO]!) ints[k + I_LO] = b;
      if (b > ints[k + I_HI]!) ints[k + I_HI] = b;
    }
    this._add(i, b, n);
  }

  private _add(i: number, b: number, n: number): void {
    const mode = this._i[i * I + I_MODE]!;
    if (mode === MODE_DENSE) {
      this._addDense(i, b, n);
      return;
    }
    if (mode === MODE_NONE) {
      if (Number.isInteger(n) && n <= PACK_COUNT_LIMIT && b < PACK_INDEX_LIMIT && b > -PACK_INDEX_LIMIT) {
        this._i[i * I + I_MODE] = MODE_PACKED;
        this.data[i] = [(b + PACK_BIAS) * PACK_UNIT + n];
      } else {
        this._i[i * I + I_MODE] = MODE_PAIRS;
        this.data[i] = [b, n];
      }
      return;
    }
    const arr = this.data[i] as number[];
    if (mode === MODE_PACKED) {
      if (Number.isInteger(n) && b < PACK_INDEX_LIMIT && b > -PACK_INDEX_LIMIT) {
        const base = (b + PACK_BIAS) * PACK_UNIT;
        const end = base + PACK_UNIT;
        // Entries are kept sorted (by bucket, since the bucket is the high part): binary search.
        let lo = 0;
        let hi = arr.length;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (arr[mid]! < base) lo = mid + 1;
          else hi = mid;
        }
        if (lo < arr.length && arr[lo]! < end) {
          const c = arr[lo]! - base + n;
          if (c <= PACK_COUNT_LIMIT) {
            arr[lo] = base + c;
            return;
          }
        } else if (arr.length * 8 < this._denseBytes(i, 1)) {
          if (lo === arr.length) arr.push(base + n);
          else arr.splice(lo, 0, base + n);
          return;
        }
      }
      // A fractional count, one past 2^30, or the dense form is now smaller: leave the packed form.
      this._unpack(i);
      this._add(i, b, n);
      return;
    }
    // MODE_PAIRS
    for (let k = 0; k < arr.length; k += 2) {
      if (arr[k] === b) {
        arr[k + 1]! += n;
        return;
      }
    }
    if (arr.length * 8 < this._denseBytes(i, 8)) {
      arr.push(b, n);
      return;
    }
    this._toDense(i);
    this._addDense(i, b, n);
  }

  /** Bytes a dense form of slot `i`'s current range would take at `bytes` a bucket. */
  private _denseBytes(i: number, bytes: number): number {
    return (this.hi(i) - this.lo(i) + 1) * bytes + TYPED_ARRAY_OVERHEAD;
  }

  /** Packed → pairs when a count is fractional or huge, else → dense. */
  private _unpack(i: number): void {
    const arr = this.data[i] as number[];
    const pairs: number[] = [];
    for (let k = 0; k < arr.length; k++) {
      const e = arr[k]!;
      const idx = Math.floor(e / PACK_UNIT);
      pairs.push(idx - PACK_BIAS, e - idx * PACK_UNIT);
    }
    this.data[i] = pairs;
    this._i[i * I + I_MODE] = MODE_PAIRS;
    if (pairs.length * 4 >= this._denseBytes(i, 1)) this._toDense(i);
  }

  private _toDense(i: number): void {
    const mode = this._i[i * I + I_MODE]!;
    const lo = this.lo(i);
    const len = this.hi(i) - lo + 1;
    let d: Dense = new Uint8Array(len);
    this._i[i * I + I_OFFSET] = lo;
    const add = (b: number, c: number): void => {
      const k = b - lo;
      const v = d[k]! + c;
      if (v > capOf(d) || !Number.isInteger(v)) d = widerDense(d, v, !Number.isInteger(v));
      d[k] = v;
    };
    const arr = this.data[i] as number[] | undefined;
    if (arr !== undefined) {
      if (mode === MODE_PACKED) {
        for (let k = 0; k < arr.length; k++) {
          const e = arr[k]!;
          const idx = Math.floor(e / PACK_UNIT);
          add(idx - PACK_BIAS, e - idx * PACK_UNIT);
        }
      } else {
        for (let k = 0; k < arr.length; k += 2) add(arr[k]!, arr[k + 1]!);
      }
    }
    this.data[i] = d;
    this._i[i * I + I_MODE] = MODE_DENSE;
  }

  private _addDense(i: number, b: number, n: number): void {
    let d = this.data[i] as Dense;
    let off = this._i[i * I + I_OFFSET]!;
    if (b < off || b >= off + d.length) {
      // Grow to the slot's current range with some slack, never past maxBuckets.
      const lo = this.lo(i);
      const hi = this.hi(i);
      const need = hi - lo + 1;
      const slack = Math.min(32, need >> 3);
      const size = Math.min(need + 2 * slack, Math.max(need, this._maxBuckets));
      const start = Math.max(lo - slack, hi + 1 - size);
      const next = new (d.constructor as new (n: number) => Dense)(size);
      for (let k = 0; k < d.length; k++) {
        const c = d[k]!;
        if (c !== 0) next[off + k - start] = c;
      }
      d = next;
      off = start;
      this.data[i] = d;
      this._i[i * I + I_OFFSET] = off;
    }
    const k = b - off;
    const v = d[k]! + n;
    if (v > capOf(d) || !Number.isInteger(v)) {
      d = widerDense(d, v, !Number.isInteger(v));
      this.data[i] = d;
    }
    d[k] = v;
  }

  /** Halves slot `i`'s resolution `by` times. */
  private _downscale(i: number, by: number): void {
    const buckets: number[] = [];
    this.forEachBucket(i, (b, c) => buckets.push(b >> by, c));
    const k = i * I;
    this._i[k + I_SCALE]! -= by;
    if (this._i[k + I_LO]! <= this._i[k + I_HI]!) {
      this._i[k + I_LO]! >>= by;
      this._i[k + I_HI]! >>= by;
    }
    this._i[i * I + I_MODE] = MODE_NONE;
    this.data[i] = undefined;
    for (let k = 0; k < buckets.length; k += 2) this._add(i, buckets[k]!, buckets[k + 1]!);
  }

  /** Calls `fn(index, count)` for every non-empty bucket of slot `i`, in no particular order. */
  forEachBucket(i: number, fn: (index: number, count: number) => void): void {
    const mode = this._i[i * I + I_MODE]!;
    const data = this.data[i];
    if (data === undefined) return;
    if (mode === MODE_PACKED) {
      const arr = data as number[];
      for (let k = 0; k < arr.length; k++) {
        const e = arr[k]!;
        const idx = Math.floor(e / PACK_UNIT);
        fn(idx - PACK_BIAS, e - idx * PACK_UNIT);
      }
    } else if (mode === MODE_PAIRS) {
      const arr = data as number[];
      for (let k = 0; k < arr.length; k += 2) fn(arr[k]!, arr[k + 1]!);
    } else {
      const d = data as Dense;
      const off = this._i[i * I + I_OFFSET]!;
      for (let k = 0; k < d.length; k++) if (d[k] !== 0) fn(off + k, d[k]!);
    }
  }

  /** Adds slot `i` into a sketch (a window read). */
  mergeInto(i: number, target: ExponentialSketch): void {
    const h = i * H;
    const f = this._f;
    if (f[h + H_COUNT] === 0) return;
    target.mergeParts(this.scale(i), this.lo(i), this.hi(i), f[h + H_ZERO]!, f[h + H_COUNT]!, f[h + H_SUM]!, f[h + H_MIN]!, f[h + H_MAX]!, (fn) => this.forEachBucket(i, fn));
  }

  /**
   * Replaces slot `i` with a saved histogram (state restore): `counts[k]` is bucket `offset + k` at
   * `scale`, which must not be finer than the configured scale.
   */
  restore(i: number, s: { scale: number; zero: number; count: number; sum: number; min: number; max: number; offset: number; counts: readonly number[] }): void {
    this.clear(i);
    const k = i * I;
    const scale = Math.min(s.scale, this._initialScale);
    this._i[k + I_SCALE] = scale;
    const shift = s.scale - scale;
    for (let j = 0; j < s.counts.length; j++) {
      const c = s.counts[j]!;
      if (c > 0) {
        const b = (s.offset + j) >> shift;
        if (this._i[k + I_LO]! > this._i[k + I_HI]!) this._i[k + I_LO] = this._i[k + I_HI] = b;
        else {
          if (b < this._i[k + I_LO]!) this._i[k + I_LO] = b;
          if (b > this._i[k + I_HI]!) this._i[k + I_HI] = b;
        }
        this._add(i, b, c);
      }
    }
    const h = i * H;
    this._f[h + H_COUNT] = s.count;
    this._f[h + H_SUM] = s.sum;
    this._f[h + H_ZERO] = s.zero;
    if (s.count > 0) {
      this._f[h + H_MIN] = s.min;
      this._f[h + H_MAX] = s.max;
    }
    this.trim(i);
  }
}
