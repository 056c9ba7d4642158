/**
 * Trend and capacity planning on a series of points: a linear or Holt (double exponential) projection
 * with the time it crosses a threshold ("daily cost reaches $10 on …"), and seasonal pattern
 * recognition (which period, if any, the series repeats with). Pure functions over arrays.
 */

export interface TrendProjection {
  method: 'linear' | 'holt';
  /** Level at the last point (the fitted value). */
  level: number;
  /** Change per second. */
  slopePerSecond: number;
  /** Epoch ms at which the projection reaches the threshold; absent when it never does going forward. */
  crossesAt?: number;
  /** Points the projection was fitted on. */
  points: number;
}

function check(timestamps: readonly number[], values: readonly number[]): void {
  if (timestamps.length !== values.length) throw new RangeError(`timestamps (${timestamps.length}) and values (${values.length}) must have the same length`);
}

/**
 * Least-squares line (method `'linear'`) or Holt's linear smoothing with `alpha`/`beta` (method
 * `'holt'`, evenly spaced points assumed for the slope's time unit) through the points, projected to
 * `threshold`. Non-finite points are skipped. Undefined with fewer than two usable points.
 */
export function projectTrend(
  timestamps: readonly number[],
  values: readonly number[],
  threshold: number,
  options: { method?: 'linear' | 'holt'; alpha?: number; beta?: number } = {},
): TrendProjection | undefined {
  check(timestamps, values);
  const ts: number[] = [];
  const vs: number[] = [];
  for (let i = 0; i < values.length; i++) {
    if (Number.isFinite(timestamps[i]) && Number.isFinite(values[i])) {
      ts.push(timestamps[i]!);
      vs.push(values[i]!);
    }
  }
  const n = ts.length;
  if (n < 2) return undefined;
  const last = ts[n - 1]!;
  let level: number;
  let slope: number;
  const method = options.method ?? 'linear';
  if (method === 'linear') {
    let mt = 0;
    let mv = 0;
    for (let i = 0; i < n; i++) {
      mt += (ts[i]! - last) / 1000;
      mv += vs[i]!;
    }
    mt /= n;
    mv /= n;
    let sxx = 0;
    let sxy = 0;
    for (let i = 0; i < n; i++) {
      const dt = (ts[i]! - last) / 1000 - mt;
      sxx += dt * dt;
      sxy += dt * (vs[i]! - mv);
    }
    slope = sxx > 0 ? sxy / sxx : 0;
    level = mv + slope * (0 - mt);
  } else {
    const alpha = options.alpha ?? 0.5;
    const beta = options.beta ?? 0.3;
    if (!(alpha > 0 && alpha <= 1) || !(beta > 0 && beta <= 1)) throw new RangeError('alpha and beta must be in (0, 1]');
    const step = (last - ts[0]!) / 1000 / (n - 1) || 1;
    level = vs[0]!;
    let trend = (vs[1]! - vs[0]!) / step;
    for (let i = 1; i < n; i++) {
      const prev = level;
      level = alpha * vs[i]! + (1 - alpha) * (level + trend * step);
      trend = beta * ((level - prev) / step) + (1 - beta) * trend;
    }
    slope = trend;
  }
  const out: TrendProjection = { method, level, slopePerSecond: slope, points: n };
  if (level === threshold) out.crossesAt = last;
  else if (slope !== 0 && Math.sign(threshold - level) === Math.sign(slope)) out.crossesAt = last + ((threshold - level) / slope) * 1000;
  return out;
}

export interface Seasonality {
  /** The period in ms (e.g. 86 400 000 for daily). */
  periodMs: number;
  /** Autocorrelation at that period, 0..1. */
  strength: number;
}

const CANDIDATES_MS = [3_600_000, 86_400_000, 7 * 86_400_000];

/**
 * The strongest of the hourly, daily and weekly periods the series repeats with (autocorrelation of
 * the evenly sampled series at that lag ≥ `minStrength`, default 0.3), or undefined. Needs at least
 * two full periods of evenly spaced points; the sampling interval is the median spacing.
 */
export function detectSeasonality(timestamps: readonly number[], values: readonly number[], minStrength = 0.3): Seasonality | undefined {
  check(timestamps, values);
  const n = values.length;
  if (n < 8) return undefined;
  const gaps: number[] = [];
  for (let i = 1; i < n; i++) gaps.push(timestamps[i]! - timestamps[i - 1]!);
  gaps.sort((a, b) => a - b);
  const step = gaps[gaps.length >> 1]!;
  if (!(step > 0)) return undefined;
  let mean = 0;
  let m = 0;
  for (const v of values) {
    if (Number.isFinite(v)) {
      mean += v;
      m++;
    }
  }
  mean /= m || 1;
  let variance = 0;
  for (const v of values) if (Number.isFinite(v)) variance += (v - mean) ** 2;
  if (!(variance > 0)) return undefined;
  let best: Seasonality | undefined;
  for (const period of CANDIDATES_MS) {
    const lag = Math.round(period / step);
    if (lag < 2 || n < 2 * lag) continue;
    let s = 0;
    for (let i = lag; i < n; i++) {
      const a = values[i]!;
      const b = values[i - lag]!;
      if (Number.isFinite(a) && Number.isFinite(b)) s += (a - mean) * (b - mean);
    }
    const acf = s / variance;
    if (acf >= minStrength && (best === undefined || acf > best.strength)) best = { periodMs: period, strength: Math.min(1, acf) };
  }
  return best;
}

/**
 * The Pearson correlation of `a` and `b` (same length) with `b` shifted by up to `maxLag` points
 * either way, maximised over the shift: `{ correlation, lag }` (lag > 0: `b` follows `a`). Non-finite
 * pairs are skipped; undefined with fewer than 4 usable pairs at every lag or a constant side.
 */
export function laggedCorrelation(a: ArrayLike<number>, b: ArrayLike<number>, maxLag = 3): { correlation: number; lag: number } | undefined {
  let best: { correlation: number; lag: number } | undefined;
  for (let lag = -maxLag; lag <= maxLag; lag++) {
    let n = 0;
    let sa = 0;
    let sb = 0;
    let saa = 0;
    let sbb = 0;
    let sab = 0;
    for (let i = 0; i < a.length; i++) {
      const j = i + lag;
      if (j < 0 || j >= b.length) continue;
      const x = a[i]!;
      const y = b[j]!;
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      n++;
      sa += x;
      sb += y;
      saa += x * x;
      sbb += y * y;
      sab += x * y;
    }
    if (n < 4) continue;
    const va = saa - (sa * sa) / n;
    const vb = sbb - (sb * sb) / n;
    if (!(va > 1e-12 * Math.max(1, saa)) || !(vb > 1e-12 * Math.max(1, sbb))) continue;
    const r = (sab - (sa * sb) / n) / Math.sqrt(va * vb);
    if (best === undefined || Math.abs(r) > Math.abs(best.correlation)) best = { correlation: r, lag };
  }
  return best;
}
