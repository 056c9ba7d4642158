// The quantile sketch: bucket indexes against their definition, quantiles against exact sorted
// quantiles within the documented relative-error bound, exact merges, bounded memory by downscaling,
// refused input.
import { describe, expect, it } from 'vitest';
import { DEFAULT_SCALE, ExponentialSketch, bucketIndex, relativeErrorAt } from '@driftwatch/processor';

/** A seeded generator (mulberry32), so every run sees the same values. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const QUANTILES = [0, 0.01, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1];

function exact(sorted: number[], q: number): number {
  return sorted[Math.floor(q * (sorted.length - 1))]!;
}

function expectWithinBound(sketch: ExponentialSketch, values: number[]): void {
  const sorted = [...values].sort((a, b) => a - b);
  const bound = sketch.relativeError;
  for (const q of QUANTILES) {
    const want = exact(sorted, q);
    const got = sketch.quantile(q);
    if (want === 0) expect(got).toBe(0);
    else expect(Math.abs(got - want) / want, `q=${q}: ${got} vs ${want}`).toBeLessThanOrEqual(bound + 1e-12);
  }
}

const distributions: Record<string, (r: () => number) => number> = {
  // Latencies in seconds: a log-normal body around 120 ms with a long tail.
  lognormal: (r) => Math.exp(Math.log(0.12) + 0.9 * Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r())),
  exponential: (r) => -Math.log(1 - r()) * 0.05,
  uniform: (r) => 0.001 + r() * 30,
  // Token counts: integers, many repeats.
  tokens: (r) => Math.floor(r() * 4000),
};

describe('bucketIndex', () => {
  it('puts a value in the bucket (base^i, base^(i+1)] at positive, zero and negative scales', () => {
    const r = rng(1);
    for (const scale of [-3, -1, 0, 1, 3, 6, 10]) {
      const base = 2 ** (2 ** -scale);
      for (let n = 0; n < 2000; n++) {
        const v = Math.exp((r() - 0.5) * 40);
        const i = bucketIndex(v, scale);
        // Allow for floating-point rounding right at a boundary.
        expect(base ** i, `scale ${scale}, value ${v}`).toBeLessThan(v * (1 + 1e-12));
        expect(base ** (i + 1) * (1 + 1e-12), `scale ${scale}, value ${v}`).toBeGreaterThanOrEqual(v);
      }
    }
  });

  it('places exact powers of two at the top of their bucket', () => {
    expect(bucketIndex(1, 0)).toBe(-1);
    expect(bucketIndex(2, 0)).toBe(0);
    expect(bucketIndex(1024, 0)).toBe(9);
    expect(bucketIndex(8, 3)).toBe(3 * 8 - 1);
    expect(bucketIndex(0.5, 6)).toBe(-64 - 1);
    expect(bucketIndex(4, -1)).toBe(0);
    expect(bucketIndex(5, -1)).toBe(1);
  });
});

describe('ExponentialSketch quantiles', () => {
  it('has a relative-error bound of 0.54 % at the default scale (≤ 1 %) and 1.08 % at scale 5', () => {
    expect(DEFAULT_SCALE).toBe(6);
    expect(relativeErrorAt(6)).toBeCloseTo(0.005415, 5);
    expect(relativeErrorAt(5)).toBeCloseTo(0.01083, 4);
    expect(new ExponentialSketch().relativeError).toBeLessThanOrEqual(0.01);
  });

  for (const [name, draw] of Object.entries(distributions)) {
    it(`${name}: every quantile within the bound of the exact one, 50,000 values`, () => {
      const r = rng(name.length * 7919);
      const values = Array.from({ length: 50_000 }, () => draw(r));
      const s = new ExponentialSketch();
      for (const v of values) expect(s.record(v)).toBe(true);
      expect(s.count).toBe(values.length);
      expect(s.sum).toBeCloseTo(values.reduce((a, b) => a + b, 0), 6);
      expect(s.min).toBe(Math.min(...values));
      expect(s.max).toBe(Math.max(...values));
      expectWithinBound(s, values);
    });
  }

  it('returns exact min and max at q=0 and q=1, 0 for zeros, NaN when empty or q is out of range', () => {
    const s = new ExponentialSketch();
    expect(s.quantile(0.5)).toBeNaN();
    expect(s.min).toBeNaN();
    s.record(0, 3);
    s.record(0.25);
    s.record(7);
    expect(s.quantile(0)).toBe(0);
    expect(s.quantile(0.5)).toBe(0);
    expect(s.quantile(1)).toBe(7);
    expect(s.quantile(-0.1)).toBeNaN();
    expect(s.quantile(1.5)).toBeNaN();
    expect(s.quantile(Number.NaN)).toBeNaN();
  });

  it('counts weighted records as repeated ones', () => {
    const a = new ExponentialSketch();
    const b = new ExponentialSketch();
    a.record(0.2, 5);
    for (let i = 0; i < 5; i++) b.record(0.2);
    expect([a.count, a.sum, a.quantile(0.5)]).toEqual([b.count, b.sum, b.quantile(0.5)]);
  });
});

describe('ExponentialSketch merge and bounds', () => {
  it('a merge of per-slot sketches answers exactly as one sketch of all the values', () => {
    const r = rng(42);
    const all = new ExponentialSketch();
    const slots = Array.from({ length: 12 }, () => new ExponentialSketch());
    const values: number[] = [];
    for (let i = 0; i < 24_000; i++) {
      const v = distributions.lognormal!(r);
      values.push(v);
      all.record(v);
      slots[i % 12]!.record(v);
    }
    const merged = new ExponentialSketch();
    for (const s of slots) merged.merge(s);
    expect(merged.count).toBe(all.count);
    expect(merged.sum).toBeCloseTo(all.sum, 9);
    for (const q of QUANTILES) expect(merged.quantile(q)).toBe(all.quantile(q));
    expectWithinBound(merged, values);
  });

  it('merging a coarser sketch downscales to its scale, keeping the (coarser) bound', () => {
    const r = rng(7);
    const fine = new ExponentialSketch({ scale: 6 });
    const coarse = new ExponentialSketch({ scale: 3 });
    const values: number[] = [];
    for (let i = 0; i < 10_000; i++) {
      const v = distributions.exponential!(r);
      values.push(v);
      (i % 2 ? fine : coarse).record(v);
    }
    fine.merge(coarse);
    expect(fine.scale).toBe(3);
    expect(fine.count).toBe(10_000);
    expectWithinBound(fine, values);
  });

  it('downscales instead of growing past maxBuckets, and the bound follows the new scale', () => {
    const s = new ExponentialSketch({ scale: 6, maxBuckets: 160 });
    const r = rng(3);
    // 1 µs .. 100 s: 27 doublings need 27 × 64 buckets at scale 6, so it must downscale to fit 160.
    const values = Array.from({ length: 20_000 }, () => 1e-6 * 1e8 ** r());
    for (const v of values) s.record(v);
    expect(s.scale).toBeLessThan(6);
    expect(s.scale).toBeGreaterThanOrEqual(2);
    expect(s.relativeError).toBeGreaterThan(relativeErrorAt(6));
    expectWithinBound(s, values);
  });

  it('refuses negative, NaN and infinite values or counts, recording nothing', () => {
    const s = new ExponentialSketch();
    for (const [v, n] of [
      [-1, 1],
      [Number.NaN, 1],
      [Infinity, 1],
      [1, 0],
      [1, -2],
      [1, Number.NaN],
    ] as const) {
      expect(s.record(v, n)).toBe(false);
    }
    expect(s.count).toBe(0);
    expect(s.quantile(0.5)).toBeNaN();
  });

  it('rejects a bad scale or bucket bound at construction with a clear message', () => {
    expect(() => new ExponentialSketch({ scale: 21 })).toThrow('scale must be an integer in [-9, 20], got 21');
    expect(() => new ExponentialSketch({ scale: 1.5 })).toThrow('scale must be an integer in [-9, 20], got 1.5');
    expect(() => new ExponentialSketch({ maxBuckets: 1 })).toThrow('maxBuckets must be an integer of at least 2, got 1');
  });

  it('clear() empties it for reuse as a ring slot', () => {
    const s = new ExponentialSketch();
    s.record(0.3);
    s.record(0);
    s.clear();
    expect([s.count, s.sum]).toEqual([0, 0]);
    expect(s.quantile(0.5)).toBeNaN();
    s.record(2);
    expect(s.quantile(0.5)).toBeCloseTo(2, 1);
    expect(s.count).toBe(1);
  });
});
