/**
 * A base-2 exponential bucket histogram: the OpenTelemetry ExponentialHistogram data model used as a
 * quantile sketch. At scale `s` the buckets grow by `base = 2^(2^-s)`; bucket `i` holds the values in
 * `(base^i, base^(i+1)]`, and a quantile is estimated from its bucket with a relative error of at most
 * `(base − 1) / (base + 1)`: 0.54 % at the default scale 6, 1.08 % at scale 5.
 *
 * Counts start as a few (index, count) pairs and, past `SPARSE_PAIRS` distinct buckets, move to one
 * growable array over the bucket indexes in use, so a ring slot that saw a handful of values stays
 * small. When the values
 * span more buckets than `maxBuckets`, the histogram downscales (halves its resolution) until they
 * fit, exactly as the OTel SDK's exponential aggregation does, so memory stays bounded and the error
 * bound degrades predictably. Two histograms merge exactly (the finer one is downscaled first), which
 * is what lets a sliding window be a ring of per-slot histograms merged on read.
 *
 * Values must be finite and non-negative (durations, token counts, costs); anything else is refused.
 */

/** The finest scale kept (the OTel SDK's maximum). */
export const MAX_SCALE = 20;
/** The coarsest scale a histogram downscales to (at −10 the base, 2^1024, is not a finite double). */
export const MIN_SCALE = -9;
/** Default scale: a 0.54 % relative-error bound. */
export const DEFAULT_SCALE = 6;
/** Default bound on buckets: at scale 6, 2048 buckets cover a 2^32 ratio between the smallest and largest value. */
export const DEFAULT_MAX_BUCKETS = 2048;

export interface SketchOptions {
  /** Initial (finest) scale, `MIN_SCALE`..`MAX_SCALE`. Default 6. */
  scale?: number;
  /** Bound on populated-bucket span; the histogram downscales beyond it. At least 2; default 2048. */
  maxBuckets?: number;
}

/** The relative-error bound of quantile estimates at a scale: `(base − 1) / (base + 1)`. */
export function relativeErrorAt(scale: number): number {
  const base = 2 ** (2 ** -scale);
  return (base - 1) / (base + 1);
}

const LN2 = Math.LN2;
const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
// Little-endian on every platform Node supports: the high word holds the sign, exponent and top mantissa bits.
const HI = 1;
const LO = 0;

/** The bucket index of `value` (> 0) at `scale`: the `i` with `base^i < value <= base^(i+1)`. */
export function bucketIndex(value: number, scale: number): number {
  F64[0] = value;
  const hi = U32[HI]!;
  const biased = (hi >>> 20) & 0x7ff;
  const exactPowerOfTwo = (hi & 0xfffff) === 0 && U32[LO] === 0 && biased !== 0;
  if (scale <= 0) {
    // Exact: the binary exponent, shifted. A power of two sits at the top of the bucket below.
    const exp = biased === 0 ? Math.floor(Math.log2(value)) : biased - 1023;
    const e = exactPowerOfTwo ? exp - 1 : exp;
    return e >> -scale;
  }
  if (exactPowerOfTwo) return ((biased - 1023) << scale) - 1;
  if (biased === 0) return Math.ceil((Math.log(value) / LN2) * 2 ** scale) - 1; // subnormal
  // Exponent and significand apart: log2 of the whole value would round away the few ulps that put
  // a value just above a power of two into the next bucket.
  U32[HI] = (hi & 0x800fffff) | 0x3ff00000; // the significand, in [1, 2)
  const significand = F64[0]!;
  return ((biased - 1023) << scale) + Math.ceil(Math.log2(significand) * 2 ** scale) - 1;
}

/** Pairs (bucket index, count) a sketch keeps before it switches to a dense bucket array. */
export const SPARSE_PAIRS = 48;

/** A serialisable copy of a sketch (for state snapshots). */
export interface SketchState {
  scale: number;
  zero: number;
  count: number;
  sum: number;
  min: number | null;
  max: number | null;
  /** Bucket index of `counts[0]`. */
  offset: number;
  counts: number[];
}

/** A mergeable, bounded quantile sketch over non-negative values. */
export class ExponentialSketch {
  private _scale: number;
  private readonly _maxBuckets: number;
  /**
   * Sparse phase: `(index, count)` pairs, appended unsorted (a few values cost a few numbers, not a
   * bucket array spanning their range). Past `SPARSE_PAIRS` pairs they fold into `_counts`.
   */
  private _pairs: number[] | null = null;
  /** Dense phase: counts of buckets `_offset`.. in a plain array (small integers stay 4 bytes each). */
  private _counts: number[] | null = null;
  /** Bucket index of `_counts[0]`. */
  private _offset = 0;
  /** Lowest and highest populated bucket index (`_lo > _hi` when none). */
  private _lo = 1;
  private _hi = 0;
  private _zero = 0;
  private _count = 0;
  private _sum = 0;
  private _min = Infinity;
  private _max = -Infinity;

  constructor(options: SketchOptions = {}) {
    const scale = options.scale ?? DEFAULT_SCALE;
    if (!Number.isInteger(scale) || scale < MIN_SCALE || scale > MAX_SCALE) {
      throw new RangeError(`scale must be an integer in [${MIN_SCALE}, ${MAX_SCALE}], got ${String(scale)}`);
    }
    const max = options.maxBuckets ?? DEFAULT_MAX_BUCKETS;
    if (!Number.isInteger(max) || max < 2) throw new RangeError(`maxBuckets must be an integer of at least 2, got ${String(max)}`);
    this._scale = scale;
    this._maxBuckets = max;
  }

  /** The current scale (lower after a downscale). */
  get scale(): number {
    return this._scale;
  }
  get count(): number {
    return this._count;
  }
  get sum(): number {
    return this._sum;
  }
  /** Count of exact zeros. */
  get zeroCount(): number {
    return this._zero;
  }
  /** Smallest value recorded (`NaN` when empty). */
  get min(): number {
    return this._count === 0 ? Number.NaN : this._min;
  }
  /** Largest value recorded (`NaN` when empty). */
  get max(): number {
    return this._count === 0 ? Number.NaN : this._max;
  }
  /** The relative-error bound of quantile estimates at the current scale. */
  get relativeError(): number {
    return relativeErrorAt(this._scale);
  }

  /** Adds a value `n` times (default once). Returns false, recording nothing, for a negative, non-finite or NaN value or count. */
  record(value: number, n = 1): boolean {
    if (!(value >= 0) || value === Infinity || !(n > 0) || n === Infinity) return false;
    this._insert(value, value === 0 ? 0 : bucketIndex(value, this._scale), this._scale, n);
    return true;
  }

  private _insert(value: number, index: number, scale: number, n: number): void {
    this._count += n;
    this._sum += value * n;
    if (value < this._min) this._min = value;
    if (value > this._max) this._max = value;
    if (value === 0) {
      this._zero += n;
      return;
    }
    let i = index;
    if (this._lo > this._hi) {
      this._lo = this._hi = i;
    } else if (i < this._lo || i > this._hi) {
      const lo = i < this._lo ? i : this._lo;
      const hi = i > this._hi ? i : this._hi;
      if (hi - lo + 1 > this._maxBuckets) {
        let by = 0;
        while ((hi >> by) - (lo >> by) + 1 > this._maxBuckets) by++;
        this._downscale(by);
        i = index >> (scale - this._scale);
      }
      if (i < this._lo) this._lo = i;
      if (i > this._hi) this._hi = i;
    }
    this._add(i, n);
  }

  private _add(i: number, n: number): void {
    const counts = this._counts;
    if (counts !== null) {
      if (i < this._offset || i >= this._offset + counts.length) this._fit();
      this._counts![i - this._offset]! += n;
      return;
    }
    let pairs = this._pairs;
    if (pairs === null) pairs = this._pairs = [];
    else {
      for (let k = 0; k < pairs.length; k += 2) {
        if (pairs[k] === i) {
          pairs[k + 1]! += n;
          return;
        }
      }
      if (pairs.length >= SPARSE_PAIRS * 2) {
        this._densify();
        this._counts![i - this._offset]! += n;
        return;
      }
    }
    pairs.push(i, n);
  }

  /** Moves the sparse pairs into a dense array covering `_lo.._hi`. */
  private _densify(): void {
    const pairs = this._pairs;
    this._pairs = null;
    this._counts = null;
    this._fit();
    if (pairs !== null) {
      const counts = this._counts!;
      for (let k = 0; k < pairs.length; k += 2) counts[pairs[k]! - this._offset]! += pairs[k + 1]!;
    }
  }

  /** Calls `fn(index, count)` for every non-empty bucket, in no particular order. */
  forEachBucket(fn: (index: number, count: number) => void): void {
    const pairs = this._pairs;
    if (pairs !== null) {
      for (let k = 0; k < pairs.length; k += 2) fn(pairs[k]!, pairs[k + 1]!);
      return;
    }
    const counts = this._counts;
    if (counts === null || this._lo > this._hi) return;
    for (let i = this._lo; i <= this._hi; i++) {
      const c = counts[i - this._offset]!;
      if (c !== 0) fn(i, c);
    }
  }

  /**
   * The value at quantile `q` (0..1; the value of rank `floor(q × (count − 1))` in sorted order),
   * within the relative-error bound, clamped to [min, max] (exact for the lowest and highest rank).
   * `NaN` when empty or `q` is outside 0..1.
   */
  quantile(q: number): number {
    if (this._count === 0 || !(q >= 0 && q <= 1)) return Number.NaN;
    const rank = Math.floor(q * (this._count - 1));
    // The extremes are known exactly.
    if (rank === 0) return this._min;
    if (rank >= this._count - 1) return this._max;
    if (rank < this._zero) return 0;
    if (this._pairs !== null) this._densify();
    const counts = this._counts;
    if (counts === null) return this._max;
    let seen = this._zero;
    const width = 2 ** -this._scale;
    const base = 2 ** width;
    for (let i = this._lo; i <= this._hi; i++) {
      seen += counts[i - this._offset]!;
      if (seen > rank) {
        // The estimate with equal worst-case relative error at both bucket ends, 2·base^(i+1)/(1+base),
        // computed so that it neither overflows near Number.MAX_VALUE nor underflows to 0 at subnormals.
        const estimate = Math.max(Number.MIN_VALUE, 2 ** (i * width) * ((2 * base) / (1 + base)));
        return Math.min(this._max, Math.max(this._min, estimate));
      }
    }
    return this._max;
  }

  /** Adds every value of `other` (downscaling this sketch to the coarser scale, or further to fit). */
  merge(other: ExponentialSketch): void {
    if (other._count === 0) return;
    if (other._pairs === null && other._counts !== null && other._lo <= other._hi) {
      // Dense source: a direct loop over its array.
      const oc = other._counts;
      const oo = other._offset;
      this.mergeParts(other._scale, other._lo, other._hi, other._zero, other._count, other._sum, other._min, other._max, (fn) => {
        for (let i = other._lo; i <= other._hi; i++) {
          const c = oc[i - oo]!;
          if (c !== 0) fn(i, c);
        }
      });
      return;
    }
    this.mergeParts(other._scale, other._lo, other._hi, other._zero, other._count, other._sum, other._min, other._max, (fn) => other.forEachBucket(fn));
  }

  /**
   * Adds a histogram given by its parts: buckets `lo..hi` at `scale` (`lo > hi` when it has none),
   * visited by `visit`. This is how ring slots, which store their buckets compactly, merge into a
   * window's sketch.
   *
   * @internal
   */
  mergeParts(
    scale: number,
    lo: number,
    hi: number,
    zero: number,
    count: number,
    sum: number,
    min: number,
    max: number,
    visit: (fn: (index: number, count: number) => void) => void,
  ): void {
    if (count === 0) return;
    if (scale < this._scale) this._downscale(this._scale - scale);
    const has = lo <= hi;
    if (has) {
      for (;;) {
        const shift = scale - this._scale;
        const slo = lo >> shift;
        const shi = hi >> shift;
        const empty = this._lo > this._hi;
        const span = (empty ? shi : Math.max(shi, this._hi)) - (empty ? slo : Math.min(slo, this._lo)) + 1;
        if (span <= this._maxBuckets || this._scale <= MIN_SCALE) break;
        this._downscale(1);
      }
    }
    this._count += count;
    this._sum += sum;
    this._zero += zero;
    if (min < this._min) this._min = min;
    if (max > this._max) this._max = max;
    if (!has) return;
    const shift = scale - this._scale;
    const slo = lo >> shift;
    const shi = hi >> shift;
    if (this._lo > this._hi) {
      this._lo = slo;
      this._hi = shi;
    } else {
      if (slo < this._lo) this._lo = slo;
      if (shi > this._hi) this._hi = shi;
    }
    // A merge target is read (quantiles) more than it is recorded into: go dense at once.
    if (this._counts === null) this._densify();
    else this._fit();
    const counts = this._counts!;
    const off = this._offset;
    if (shift === 0) {
      visit((i, c) => {
        counts[i - off]! += c;
      });
    } else {
      visit((i, c) => {
        counts[(i >> shift) - off]! += c;
      });
    }
  }

  /** Empties the sketch, at its initial resolution or the current one (dense storage is kept for reuse). */
  clear(scale = this._scale): void {
    if (this._counts !== null) {
      if (this._lo <= this._hi) this._counts.fill(0, Math.max(0, this._lo - this._offset), Math.min(this._counts.length, this._hi - this._offset + 1));
      // A slot that went dense once but whose range moves keeps at most its array; the sparse phase
      // restarts only for small arrays (cheap to rebuild).
      if (this._counts.length <= SPARSE_PAIRS * 2) this._counts = null;
    }
    this._pairs = null;
    this._lo = 1;
    this._hi = 0;
    this._zero = 0;
    this._count = 0;
    this._sum = 0;
    this._min = Infinity;
    this._max = -Infinity;
    this._scale = scale;
  }

  /** A serialisable copy. */
  toState(): SketchState {
    const counts: number[] = [];
    const lo = this._lo;
    if (lo <= this._hi) {
      counts.length = this._hi - lo + 1;
      counts.fill(0);
      this.forEachBucket((i, c) => {
        counts[i - lo]! += c;
      });
    }
    return {
      scale: this._scale,
      zero: this._zero,
      count: this._count,
      sum: this._sum,
      min: this._count === 0 ? null : this._min,
      max: this._count === 0 ? null : this._max,
      offset: lo <= this._hi ? lo : 0,
      counts,
    };
  }

  /** Rebuilds a sketch from `toState()` output; throws a `TypeError` naming the bad field. */
  static fromState(state: SketchState, options: SketchOptions = {}): ExponentialSketch {
    const s = new ExponentialSketch({ ...options, scale: state.scale });
    for (const k of ['zero', 'count', 'sum', 'offset'] as const) {
      if (typeof state[k] !== 'number' || !Number.isFinite(state[k])) throw new TypeError(`sketch state: ${k} must be a finite number`);
    }
    if (!Array.isArray(state.counts) || state.counts.some((c) => typeof c !== 'number' || !(c >= 0))) {
      throw new TypeError('sketch state: counts must be an array of non-negative numbers');
    }
    if (state.counts.length > s._maxBuckets) throw new TypeError(`sketch state: ${state.counts.length} buckets exceed maxBuckets`);
    s._zero = state.zero;
    s._count = state.count;
    s._sum = state.sum;
    if (state.count > 0) {
      s._min = state.min ?? 0;
      s._max = state.max ?? 0;
    }
    let first = -1;
    let last = -1;
    for (let k = 0; k < state.counts.length; k++) {
      if (state.counts[k]! > 0) {
        if (first < 0) first = k;
        last = k;
      }
    }
    if (first >= 0) {
      s._lo = state.offset + first;
      s._hi = state.offset + last;
      s._densify();
      for (let k = first; k <= last; k++) s._counts![state.offset + k - s._offset]! += state.counts[k]!;
    }
    return s;
  }

  /** Halves the resolution `by` times: bucket `i` becomes `i >> by`. */
  private _downscale(by: number): void {
    if (by <= 0) return;
    if (this._scale - by < MIN_SCALE) by = this._scale - MIN_SCALE;
    if (by <= 0) return;
    const pairs = this._pairs;
    if (pairs !== null) {
      const next: number[] = [];
      outer: for (let k = 0; k < pairs.length; k += 2) {
        const j = pairs[k]! >> by;
        for (let m = 0; m < next.length; m += 2) {
          if (next[m] === j) {
            next[m + 1]! += pairs[k + 1]!;
            continue outer;
          }
        }
        next.push(j, pairs[k + 1]!);
      }
      this._pairs = next;
    } else if (this._counts !== null && this._lo <= this._hi) {
      const lo = this._lo >> by;
      const hi = this._hi >> by;
      const next = new Array<number>(hi - lo + 1).fill(0);
      for (let i = this._lo; i <= this._hi; i++) {
        const c = this._counts[i - this._offset]!;
        if (c !== 0) next[(i >> by) - lo]! += c;
      }
      this._counts = next;
      this._offset = lo;
    }
    if (this._lo <= this._hi) {
      this._lo >>= by;
      this._hi >>= by;
    }
    this._scale -= by;
  }

  /** Creates, grows or re-centres the dense array so that `_lo.._hi` fits, with a little slack. */
  private _fit(): void {
    const counts = this._counts;
    if (counts !== null && this._lo >= this._offset && this._hi < this._offset + counts.length) return;
    const need = this._hi - this._lo + 1;
    const slack = Math.min(64, Math.max(8, need >> 3));
    const size = Math.min(need + 2 * slack, Math.max(need, this._maxBuckets));
    const next = new Array<number>(size).fill(0);
    const offset = this._lo - ((size - need) >> 1);
    if (counts !== null) {
      const from = Math.max(this._offset, offset);
      const to = Math.min(this._offset + counts.length, offset + size);
      for (let i = from; i < to; i++) next[i - offset] = counts[i - this._offset]!;
    }
    this._counts = next;
    this._offset = offset;
  }
}
