// The compact per-slot latency store: whichever form a slot is in (packed, pairs, dense at 8 to 64
// bits), merging it into a sketch answers exactly as an ExponentialSketch fed the same values.
import { describe, expect, it } from 'vitest';
import { ExponentialSketch } from '@driftwatch/processor';
import { SlotLatencies } from '../src/slot-latency';

const QS = [0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 1];

function check(l: SlotLatencies, i: number, ref: ExponentialSketch): void {
  const merged = new ExponentialSketch();
  l.mergeInto(i, merged);
  expect(merged.count).toBe(ref.count);
  expect(merged.sum).toBeCloseTo(ref.sum, 9);
  expect(merged.scale).toBe(ref.scale);
  expect(QS.map((q) => merged.quantile(q))).toEqual(QS.map((q) => ref.quantile(q)));
}

function lognormal(seed: number): () => number {
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) + 1) / (2 ** 31 + 1);
  return () => 0.2 * Math.exp(Math.sqrt(-2 * Math.log(rnd())) * Math.cos(2 * Math.PI * rnd()));
}

describe('SlotLatencies', () => {
  it('stays packed (one number a bucket) for a few values, and answers as a sketch', () => {
    const l = new SlotLatencies(2, 6, 2048);
    const ref = new ExponentialSketch();
    for (const v of [0.001, 1.001, 2, 2, 0, 0.25]) {
      l.record(0, v, 1, Number.NaN, 6);
      ref.record(v);
    }
    expect(l.mode(0)).toBe(1);
    expect((l.data[0] as number[]).length).toBe(4);
    check(l, 0, ref);
  });

  it('goes dense once that is smaller, and widens its counts from 8 to 16 to 32 bits', () => {
    const l = new SlotLatencies(1, 6, 2048);
    const ref = new ExponentialSketch();
    const next = lognormal(7);
    for (let k = 0; k < 5000; k++) {
      const v = next();
      l.record(0, v, 1, Number.NaN, 6);
      ref.record(v);
    }
    expect(l.mode(0)).toBe(3);
    expect(l.data[0]).toBeInstanceOf(Uint8Array);
    check(l, 0, ref);
    for (let k = 0; k < 300; k++) {
      l.record(0, 0.2, 1, Number.NaN, 6);
      ref.record(0.2);
    }
    expect(l.data[0]).toBeInstanceOf(Uint16Array);
    l.record(0, 0.2, 70_000, Number.NaN, 6);
    ref.record(0.2, 70_000);
    expect(l.data[0]).toBeInstanceOf(Uint32Array);
    check(l, 0, ref);
  });

  it('keeps fractional (sampling-weighted) counts exactly, as pairs and then as 64-bit dense counts', () => {
    const l = new SlotLatencies(1, 6, 2048);
    const ref = new ExponentialSketch();
    l.record(0, 0.1, 1, Number.NaN, 6);
    ref.record(0.1);
    l.record(0, 0.3, 1.5, Number.NaN, 6);
    ref.record(0.3, 1.5);
    expect(l.mode(0)).toBe(2);
    check(l, 0, ref);
    const next = lognormal(11);
    for (let k = 0; k < 3000; k++) {
      const v = next();
      l.record(0, v, 2.5, Number.NaN, 6);
      ref.record(v, 2.5);
    }
    expect(l.data[0]).toBeInstanceOf(Float64Array);
    check(l, 0, ref);
  });

  it('downscales past maxBuckets like a sketch, and a cleared slot starts again at the configured scale', () => {
    const l = new SlotLatencies(1, 6, 64);
    const ref = new ExponentialSketch({ maxBuckets: 64 });
    for (const v of [1e-6, 0.5, 3, 7200, 0.01]) {
      l.record(0, v, 1, Number.NaN, 6);
      ref.record(v);
    }
    expect(l.scale(0)).toBeLessThan(6);
    check(l, 0, ref);
    l.clear(0);
    expect(l.scale(0)).toBe(6);
    l.record(0, 0.2, 1, Number.NaN, 6);
    const fresh = new ExponentialSketch({ maxBuckets: 64 });
    fresh.record(0.2);
    check(l, 0, fresh);
  });

  it('uses a bucket index computed by the caller at a finer scale (shifted to its own)', () => {
    const l = new SlotLatencies(1, 4, 2048);
    const ref = new ExponentialSketch({ scale: 4 });
    for (const v of [0.12, 0.5, 9]) {
      const fine = new ExponentialSketch({ scale: 6 });
      fine.record(v);
      let index = Number.NaN;
      fine.forEachBucket((i) => (index = i));
      l.record(0, v, 1, index, 6);
      ref.record(v);
    }
    check(l, 0, ref);
  });

  it('restores a saved histogram into a slot', () => {
    const src = new ExponentialSketch();
    const next = lognormal(3);
    for (let k = 0; k < 500; k++) src.record(next(), k % 3 === 0 ? 1.5 : 1);
    const l = new SlotLatencies(2, 6, 2048);
    const st = src.toState();
    l.restore(1, { ...st, min: st.min!, max: st.max! });
    check(l, 1, src);
  });
});
