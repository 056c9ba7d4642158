// Trend projection (linear and Holt) with threshold crossing, seasonality recognition and the
// lagged correlation used to rank related series.
import { describe, expect, it } from 'vitest';
import { detectSeasonality, laggedCorrelation, projectTrend } from '../src/anomaly/trend';

const T0 = Date.UTC(2026, 10, 1);
const HOUR = 3_600_000;

describe('projectTrend', () => {
  it('fits a line and says when it crosses the threshold ("daily cost reaches $10 on …")', () => {
    // Daily cost rising by $0.5 a day from $4: $10 is reached 12 days after the first point.
    const ts = Array.from({ length: 8 }, (_, i) => T0 + i * 24 * HOUR);
    const vs = ts.map((_, i) => 4 + 0.5 * i);
    const p = projectTrend(ts, vs, 10)!;
    expect(p.method).toBe('linear');
    expect(p.slopePerSecond * 86_400).toBeCloseTo(0.5, 9);
    expect(p.level).toBeCloseTo(7.5, 9);
    expect(p.crossesAt).toBeCloseTo(T0 + 12 * 24 * HOUR, -3);
  });

  it('never crosses when moving away from the threshold, and skips non-finite points', () => {
    const ts = [T0, T0 + HOUR, T0 + 2 * HOUR, T0 + 3 * HOUR];
    expect(projectTrend(ts, [5, 4, Number.NaN, 2], 10)!.crossesAt).toBeUndefined();
    expect(projectTrend(ts, [5, 4, Number.NaN, 2], 10)!.points).toBe(3);
    expect(projectTrend([T0], [1], 2)).toBeUndefined();
    expect(() => projectTrend([T0], [1, 2], 3)).toThrow('same length');
  });

  it('Holt follows a recent change of slope faster than the line through all points', () => {
    const ts = Array.from({ length: 40 }, (_, i) => T0 + i * HOUR);
    const vs = ts.map((_, i) => (i < 30 ? 100 : 100 + (i - 29) * 10)); // flat, then +10 per hour
    const linear = projectTrend(ts, vs, 300)!;
    const holt = projectTrend(ts, vs, 300, { method: 'holt', alpha: 0.6, beta: 0.5 })!;
    expect(holt.slopePerSecond * 3600).toBeGreaterThan(linear.slopePerSecond * 3600);
    expect(holt.slopePerSecond * 3600).toBeGreaterThan(7);
    expect(holt.crossesAt!).toBeLessThan(linear.crossesAt!);
  });
});

describe('detectSeasonality', () => {
  it('finds a daily period in hourly data, and none in noise', () => {
    let seed = 1;
    const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5);
    const ts = Array.from({ length: 24 * 10 }, (_, i) => T0 + i * HOUR);
    const daily = ts.map((_, i) => 100 + 40 * Math.sin((2 * Math.PI * i) / 24) + 5 * rnd());
    expect(detectSeasonality(ts, daily)).toEqual({ periodMs: 24 * HOUR, strength: expect.any(Number) });
    expect(detectSeasonality(ts, daily)!.strength).toBeGreaterThan(0.8);
    const noise = ts.map(() => 100 + 5 * rnd());
    expect(detectSeasonality(ts, noise)).toBeUndefined();
  });

  it('needs two full periods', () => {
    const ts = Array.from({ length: 30 }, (_, i) => T0 + i * HOUR);
    expect(detectSeasonality(ts, ts.map((_, i) => Math.sin((2 * Math.PI * i) / 24)))).toBeUndefined();
  });
});

describe('laggedCorrelation', () => {
  it('finds a series that follows another two steps later', () => {
    const a = Array.from({ length: 40 }, (_, i) => Math.sin(i / 3) + (i % 7) * 0.1);
    const b = a.map((_, i) => (i >= 2 ? a[i - 2]! * 3 + 1 : 0));
    const c = laggedCorrelation(a, b, 3)!;
    expect(c.lag).toBe(2);
    expect(c.correlation).toBeGreaterThan(0.99);
    expect(laggedCorrelation(a, a.map(() => 5), 3)).toBeUndefined(); // constant
  });
});
