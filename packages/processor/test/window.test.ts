// Sliding windows as rings of time slots: what falls in and out of the window as time advances,
// the derived ratios and rates, idle windows saying nothing, bounded error-type maps, bad options.
import { describe, expect, it } from 'vitest';
import { SlidingWindow, WindowAggregate } from '@driftwatch/processor';

const T0 = 1_700_000_000_000;

describe('SlidingWindow', () => {
  it('keeps exactly the observations of the last windowMs, slot by slot', () => {
    const w = new SlidingWindow({ windowMs: 60_000, slots: 6 }); // 10 s slots
    for (let s = 0; s < 12; s++) w.record(T0 + s * 10_000 + 1, { success: true, latency: 0.1 });
    // At T0 + 115 s the window covers slots 6..11 (the newest six).
    expect(w.read(T0 + 115_000).count).toBe(6);
    // Ten seconds later the oldest of them has left, and nothing new came.
    expect(w.read(T0 + 125_000).count).toBe(5);
    // Long after, the window is empty again.
    expect(w.read(T0 + 10 * 60_000).count).toBe(0);
  });

  it('reuses a ring slot for a newer time and ignores an observation older than the window', () => {
    const w = new SlidingWindow({ windowMs: 1_000, slots: 2 });
    expect(w.record(T0, { success: true })).toBe(true);
    expect(w.record(T0 + 1_000, { success: false, errorType: 'TimeoutError' })).toBe(true); // same ring entry as T0
    expect(w.record(T0, { success: true })).toBe(false); // that slot is gone
    const agg = w.read(T0 + 1_000);
    expect([agg.count, agg.successes, agg.failures]).toEqual([1, 0, 1]);
    expect(Object.fromEntries(agg.errorTypes)).toEqual({ TimeoutError: 1 });
  });

  it('derives ratios, means, cost per success and latency quantiles from the merged slots', () => {
    const w = new SlidingWindow({ windowMs: 300_000, slots: 30 });
    const obs = [
      { success: true, latency: 0.2, tokens: 100, cost: 0.001, retries: 0 },
      { success: true, latency: 0.4, tokens: 300, cost: 0.003, retries: 1, fallback: true },
      { success: false, errorType: 'RateLimitError', latency: 1.6, retries: 2 },
      { success: false, errorType: 'TimeoutError', timeout: true, latency: 30 },
    ];
    obs.forEach((o, i) => w.record(T0 + i * 20_000, o));
    const agg = w.read(T0 + 100_000);
    expect(agg.count).toBe(4);
    expect(agg.successRatio).toBe(0.5);
    expect(agg.errorRatio).toBe(0.5);
    expect(agg.timeoutRatio).toBe(0.25);
    expect(agg.fallbackRatio).toBe(0.25);
    expect(agg.meanRetries).toBe(1); // 3 retries over the 3 calls that reported a retry count
    expect(agg.tokens).toBe(400);
    expect(agg.costPerSuccess).toBeCloseTo(0.002, 12);
    expect(Object.fromEntries(agg.errorTypes)).toEqual({ RateLimitError: 1, TimeoutError: 1 });
    expect(agg.latency.quantile(0.5)).toBeGreaterThan(0.4 * (1 - agg.latency.relativeError));
    expect(agg.latency.quantile(0.5)).toBeLessThan(0.4 * (1 + agg.latency.relativeError));
    expect(agg.latency.quantile(1)).toBe(30);
  });

  it('has no ratio at all for an idle window (never 0 or 1 for no activity)', () => {
    const agg = new SlidingWindow({ windowMs: 60_000 }).read(T0);
    expect([agg.successRatio, agg.errorRatio, agg.timeoutRatio, agg.hitRatio, agg.meanConfidence, agg.costPerSuccess, agg.meanRetries]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('cache hit ratio and selector confidence from their own observations', () => {
    const w = new SlidingWindow({ windowMs: 60_000 });
    for (let i = 0; i < 8; i++) w.record(T0 + i, { hit: i < 6 });
    w.record(T0, { confidence: 0.9 });
    w.record(T0, { confidence: 0.5 });
    w.record(T0, { confidence: 1.5 }); // outside 0..1: not a confidence
    const agg = w.read(T0 + 10);
    expect(agg.hitRatio).toBe(0.75);
    expect(agg.meanConfidence).toBeCloseTo(0.7, 12);
  });

  it('rates use the covered time: the full window, or less for a series younger than it', () => {
    const w = new SlidingWindow({ windowMs: 60_000, slots: 60 });
    expect(w.rate(T0)).toBeUndefined();
    for (let i = 0; i < 30; i++) w.record(T0 + i * 1_000, { success: true });
    expect(w.rate(T0 + 30_000)).toBeCloseTo(1, 12); // 30 events over the 30 s the series has existed
    // A full minute later the first event's slot has just left the window: 29 events over 60 s.
    expect(w.rate(T0 + 60_000)).toBeCloseTo(29 / 60, 12);
  });

  it('bounds the error types per aggregate at 64', () => {
    const agg = new WindowAggregate();
    for (let i = 0; i < 100; i++) agg.add({ success: false, errorType: `E${i}` });
    expect(agg.errorTypes.size).toBe(64);
    expect(agg.failures).toBe(100);
  });

  it('refuses bad options with a clear message', () => {
    expect(() => new SlidingWindow({ windowMs: 0 })).toThrow('windowMs must be a positive integer of milliseconds, got 0');
    expect(() => new SlidingWindow({ windowMs: 1000, slots: 3 })).toThrow('slots must be a positive integer dividing windowMs (1000), got 3');
    expect(new SlidingWindow({ windowMs: 60_000 }).slotMs).toBe(1_000);
    expect(new SlidingWindow({ windowMs: 3_600_000, slots: 60 }).slotMs).toBe(60_000);
  });
});
