/**
 * A base-2 exponential bucket histogram: the OpenTelemetry ExponentialHistogram data model used as a
 * quantile sketch. At scale `s` the buckets grow by `base = 2^(2^-s)`; bucket `i` holds the values in
 * `(base^i, base^(i+1)]`, and a quantile is estimated from its bucket with a relative error of at most
 * `(base − 1) / (base + 1)`: 0.54 % at the default scale 6, 1.08 % at scale 5.
 *
 * Counts live in one growable `Float64Array` window over the bucket indexes in use. When the values
 * span more buckets than `maxBuckets`, the histogram downscales (halves its resolution) until they
 * fit, exactly as the OTel SDK's exponential aggregation does, so memory stays bounded and the error
 * bound degrades predictably. Two histograms merge exactly (the finer one is downscaled first), which
 * is what lets a sliding window be a ring of per-slot histograms merged on read.
 *
 * Values must be finite and non-negative (durations, token counts, costs); anything else is refused.
 */

/** The finest scale kept (the OTel SDK's maximum). */
export const MAX_SCALE = 20;
/** The coarsest scale a histogram downscales to. */
export const MIN_SCALE = -10;
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
  return Math.ceil((Math.log(value) / LN2) * 2 ** scale) - 1;
}

/** A mergeable, bounded quantile sketch over non-negative values. */
export class ExponentialSketch {
  private _scale: number;
  private readonly _maxBuckets: number;
  private _counts = new Float64Array(16);
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
    this._count += n;
    this._sum += value * n;
    if (value < this._min) this._min = value;
    if (value > this._max) this._max = value;
    if (value === 0) {
      this._zero += n;
      return true;
    }
    let i = bucketIndex(value, this._scale);
    if (this._lo > this._hi) {
      this._lo = this._hi = i;
      this._offset = i - (this._counts.length >> 1);
    } else if (i < this._lo || i > this._hi) {
      const lo = Math.min(i, this._lo);
      const hi = Math.max(i, this._hi);
      if (hi - lo + 1 > this._maxBuckets) {
        let by = 0;
        while (((hi >> by) - (lo >> by) + 1) > this._maxBuckets) by++;
        this._downscale(by);
        i = bucketIndex(value, this._scale);
      }
      this._lo = Math.min(i, this._lo);
      this._hi = Math.max(i, this._hi);
      this._fit();
    }
    this._counts[i - this._offset]! += n;
    return true;
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
    let seen = this._zero;
    const base = 2 ** (2 ** -this._scale);
    for (let i = this._lo; i <= this._hi; i++) {
      seen += this._counts[i - this._offset]!;
      if (seen > rank) {
        // The estimate with equal worst-case relative error at both bucket ends.
        const lower = base ** i;
        const estimate = (2 * lower * base) / (1 + base);
        return Math.min(this._max, Math.max(this._min, estimate));
      }
    }
    return this._max;
  }

  /** Adds every value of `other` (downscaling this sketch to the coarser scale, or further to fit). */
  merge(other: ExponentialSketch): void {
    if (other._count === 0) return;
    if (other._scale < this._scale) this._downscale(this._scale - other._scale);
    const otherHas = other._lo <= other._hi;
    if (otherHas) {
      for (;;) {
        const shift = other._scale - this._scale;
        const lo = other._lo >> shift;
        const hi = other._hi >> shift;
        const empty = this._lo > this._hi;
        const span = (empty ? hi : Math.max(hi, this._hi)) - (empty ? lo : Math.min(lo, this._lo)) + 1;
        if (span <= this._maxBuckets || this._scale <= MIN_SCALE) break;
        this._downscale(1);
      }
    }
    this._count += other._count;
    this._sum += other._sum;
    this._zero += other._zero;
    if (other._min < this._min) this._min = other._min;
    if (other._max > this._max) this._max = other._max;
    if (!otherHas) return;
    const shift = other._scale - this._scale;
    const lo = other._lo >> shift;
    const hi = other._hi >> shift;
    if (this._lo > this._hi) {
      this._offset = lo - (this._counts.length >> 1);
      this._lo = lo;
      this._hi = hi;
    } else {
      this._lo = Math.min(lo, this._lo);
      this._hi = Math.max(hi, this._hi);
    }
    this._fit();
    for (let i = other._lo; i <= other._hi; i++) {
      const c = other._counts[i - other._offset]!;
      if (c !== 0) this._counts[(i >> shift) - this._offset]! += c;
    }
  }

  /** Empties the sketch (keeping its buffer), at its initial resolution or the current one. */
  clear(scale = this._scale): void {
    this._counts.fill(0);
    this._lo = 1;
    this._hi = 0;
    this._zero = 0;
    this._count = 0;
    this._sum = 0;
    this._min = Infinity;
    this._max = -Infinity;
    this._scale = scale;
  }

  /** Halves the resolution `by` times: bucket `i` becomes `i >> by`. */
  private _downscale(by: number): void {
    if (by <= 0) return;
    if (this._scale - by < MIN_SCALE) by = this._scale - MIN_SCALE;
    if (by <= 0) return;
    if (this._lo <= this._hi) {
      const lo = this._lo >> by;
      const hi = this._hi >> by;
      const next = new Float64Array(Math.max(16, this._counts.length));
      const offset = lo;
      for (let i = this._lo; i <= this._hi; i++) {
        const c = this._counts[i - this._offset]!;
        if (c !== 0) next[(i >> by) - offset]! += c;
      }
      this._counts = next;
      this._offset = offset;
      this._lo = lo;
      this._hi = hi;
    }
    this._scale -= by;
  }

  /** Grows or re-centres the buffer so that `_lo..._hi` fits. */
  private _fit(): void {
    const need = this._hi - this._lo + 1;
    if (this._lo >= this._offset && this._hi < this._offset + this._counts.length) return;
    let size = this._counts.length;
    while (size < need * 2) size *= 2;
    size = Math.min(Math.max(size, 16), this._maxBuckets * 2);
    const next = new Float64Array(size);
    const offset = this._lo - ((size - need) >> 1);
    const from = Math.max(this._offset, offset);
    const to = Math.min(this._offset + this._counts.length, offset + size);
    for (let i = from; i < to; i++) next[i - offset] = this._counts[i - this._offset]!;
    this._counts = next;
    this._offset = offset;
  }
}
