import { describe, expect, it } from 'vitest';
import { formatReport } from '@driftwatch/selector';
import type { SelectorTelemetry } from '@driftwatch/selector';
import { fixed, useHarness } from './harness';

const h = useHarness();
const T0 = Date.UTC(2026, 2, 1, 12, 0, 0);

/** `n` records of `name`, one per second from `from`, each built by `make(i)`. */
function records(t: SelectorTelemetry, name: string, n: number, from: number, make: (i: number) => Parameters<SelectorTelemetry['recordResolution']>[1]): void {
  for (let i = 0; i < n; i++) t.recordResolution(name, { startTime: from + i * 1000, ...make(i) });
}

describe('getSelectorStats', () => {
  it('percentiles of resolution and per-strategy times (linear interpolation) over the window', () => {
    const t = h.telemetry();
    // Durations 1…100 ms, shuffled, so the order they arrive in does not matter.
    const durations = Array.from({ length: 100 }, (_, i) => i + 1).sort((a, b) => ((a * 37) % 101) - ((b * 37) % 101));
    records(t, 'search.box', 100, T0, (i) => ({ strategy: 'css', durationMs: durations[i]! }));
    const stats = t.getSelectorStats('search.box')!;
    const expected = { samples: 100, mean: 50.5, min: 1, max: 100, p50: 50.5, p90: 90.1, p95: 95.05, p99: 99.01 };
    for (const [k, v] of Object.entries(expected)) {
      expect(stats.duration[k as keyof typeof expected]).toBeCloseTo(v, 9);
      expect(stats.strategies.css!.duration[k as keyof typeof expected]).toBeCloseTo(v, 9);
    }
    expect(stats.strategies.css).toMatchObject({ attempts: 100, wins: 100, results: { matched: 100 } });
  });

  it('keeps the last 1024 samples per selector and 256 per strategy only', () => {
    const t = h.telemetry();
    records(t, 'busy', 1500, T0, (i) => ({ strategy: 'css', durationMs: i < 476 ? 1000 : 1 }));
    const stats = t.getSelectorStats('busy')!;
    expect(stats.uses).toBe(1500);
    expect(stats.duration).toMatchObject({ samples: 1024, max: 1, p99: 1 });
    expect(stats.strategies.css!.duration.samples).toBe(256);
  });

  it('usage count and success, fallback, timeout and ambiguous rates', () => {
    const t = h.telemetry();
    records(t, 'login.submit', 100, T0, (i) => {
      if (i < 80) return { strategy: 'css', confidence: 0.9 };
      if (i < 90) return { strategy: 'text', fallbackUsed: true, fallbackFrom: 'css', confidence: 0.8 };
      if (i < 95) return { result: 'timeout' };
      return { result: 'ambiguous', candidates: 2 };
    });
    const stats = t.getSelectorStats('login.submit')!;
    expect(stats).toMatchObject({
      name: 'login.submit',
      uses: 100,
      results: { success: 90, not_found: 0, ambiguous: 5, timeout: 5, low_confidence: 0, error: 0 },
      successRate: 0.9,
      fallbackRate: 0.1,
      timeoutRate: 0.05,
      ambiguousRate: 0.05,
      failureRate: 0.1,
      baselineStrategy: 'css',
      lastStrategy: 'text',
      firstSeen: T0,
      lastSeen: T0 + 99_000,
    });
    expect(stats.confidence.samples).toBe(90);
    expect(stats.confidence.mean).toBeCloseTo((80 * 0.9 + 10 * 0.8) / 90, 12);
    expect(stats.strategies.text).toMatchObject({ attempts: 10, wins: 10 });
    expect(t.getSelectorStats('never.resolved')).toBeUndefined();
  });

  it('the confidence trend is the least-squares slope per resolution over the recent window', () => {
    const t = h.telemetry();
    records(t, 'falling', 50, T0, (i) => ({ strategy: 'heuristic', confidence: 0.99 - 0.002 * i }));
    expect(t.getSelectorStats('falling')!.confidence.trend).toBeCloseTo(-0.002, 12);
    records(t, 'flat', 10, T0, () => ({ strategy: 'css', confidence: 0.9 }));
    expect(t.getSelectorStats('flat')!.confidence.trend).toBeCloseTo(0, 12);
    records(t, 'young', 2, T0, () => ({ strategy: 'css', confidence: 0.9 }));
    expect(t.getSelectorStats('young')!.confidence.trend).toBeUndefined();
  });

  it('is fed by resolve() too', async () => {
    const t = h.telemetry();
    for (let i = 0; i < 5; i++) await t.resolve('r', [fixed('css', { count: 0 }), fixed('text', { count: 1 })]);
    const stats = t.getSelectorStats('r')!;
    expect(stats).toMatchObject({ uses: 5, successRate: 1, fallbackRate: 1, baselineStrategy: 'text' });
    expect(stats.strategies.css).toMatchObject({ attempts: 5, wins: 0, results: { no_match: 5 } });
    expect(stats.strategies.text).toMatchObject({ attempts: 5, wins: 5, results: { matched: 5 } });
    expect(stats.duration.samples).toBe(5);
    expect(stats.strategies.css!.duration.p99).toBeGreaterThanOrEqual(stats.strategies.css!.duration.p50!);
  });
});

describe('detectAnomalies', () => {
  it('reports drift states in force and the windowed fallback ratio', () => {
    const t = h.telemetry();
    records(t, 'cart.add', 50, T0, () => ({ strategy: 'css', confidence: 0.95 }));
    records(t, 'cart.add', 50, T0 + 50_000, () => ({ strategy: 'text', fallbackUsed: true, fallbackFrom: 'css', confidence: 0.95 }));
    const anomalies = t.detectAnomalies();
    expect(anomalies).toEqual([
      {
        name: 'cart.add',
        kind: 'strategy_change',
        source: 'drift',
        since: T0 + 50_000,
        evidence: { fallbackRate: 0.5, resolutions: 100 },
        message: 'cart.add: served by "text" instead of its baseline "css"',
      },
      {
        name: 'cart.add',
        kind: 'fallback_rate',
        source: 'drift',
        since: T0 + 99_000,
        evidence: { recentRatio: 1, earlierRatio: 0, window: 50, factor: 2 },
        message: 'cart.add: fallback ratio 1.00 in the last 50 resolutions against 0.00 before',
      },
    ]);
    expect(t.getSelectorStats('cart.add')!.drift).toEqual(['strategy_change', 'fallback_rate']);
  });

  it('reports the failure ratio of the recent window against the earlier one', () => {
    const t = h.telemetry();
    records(t, 'search.submit', 60, T0, () => ({ strategy: 'css', confidence: 1 }));
    records(t, 'search.submit', 40, T0 + 60_000, (i) => (i % 4 === 0 ? { strategy: 'css', confidence: 1 } : { result: 'not_found' }));
    // Recent 50: 10 successes + 30 failures of the second batch, 10 successes of the first.
    expect(t.detectAnomalies()).toEqual([
      {
        name: 'search.submit',
        kind: 'failure_rate',
        source: 'window',
        evidence: { recentRatio: 0.6, earlierRatio: 0, window: 50, factor: 2 },
        message: 'search.submit: failure ratio 0.60 in the last 50 resolutions against 0.00 before',
      },
    ]);
  });

  it('reports a falling confidence trend before it crosses the floor', () => {
    const t = h.telemetry();
    records(t, 'price.label', 40, T0, (i) => ({ strategy: 'heuristic', confidence: 0.99 - 0.005 * i }));
    const anomalies = t.detectAnomalies();
    expect(anomalies).toHaveLength(1);
    expect(anomalies[0]).toMatchObject({ name: 'price.label', kind: 'confidence_trend', source: 'window', message: 'price.label: confidence falling by 0.20 over the last 40 resolutions' });
    expect(anomalies[0]!.evidence.slope).toBeCloseTo(-0.005, 12);
    expect(anomalies[0]!.evidence.fall).toBeCloseTo(0.195, 12);
    expect(anomalies[0]!.evidence.samples).toBe(40);
    expect(anomalies[0]!.evidence.mean).toBeCloseTo(0.99 - 0.005 * 19.5, 12);
  });

  it('is empty for healthy selectors', () => {
    const t = h.telemetry();
    records(t, 'ok', 200, T0, () => ({ strategy: 'css', confidence: 1 }));
    expect(t.detectAnomalies()).toEqual([]);
  });
});

describe('generateReport and formatReport', () => {
  it('summarises the resolutions of a period per selector, with the anomalies of those selectors', () => {
    const t = h.telemetry();
    records(t, 'checkout.submit', 4, T0, (i) => (i < 3 ? { strategy: 'css', confidence: 1, durationMs: 10 * (i + 1) } : { strategy: 'text', fallbackUsed: true, confidence: 0.92, durationMs: 40 }));
    records(t, 'search.box', 2, T0, (i) => (i === 0 ? { strategy: 'css', durationMs: 5, confidence: 1 } : { result: 'not_found', durationMs: 100 }));
    records(t, 'outside', 1, T0 + 3_600_000, () => ({ strategy: 'css', durationMs: 1 }));
    const report = t.generateReport({ from: T0, to: new Date(T0 + 10_000) });
    expect(report).toEqual({
      generatedAt: expect.any(String),
      period: { from: new Date(T0).toISOString(), to: new Date(T0 + 10_000).toISOString() },
      totals: {
        resolutions: 6,
        selectors: 2,
        successRate: 5 / 6,
        fallbackRate: 1 / 6,
        results: { success: 5, not_found: 1, ambiguous: 0, timeout: 0, low_confidence: 0, error: 0 },
      },
      selectors: [
        {
          name: 'checkout.submit',
          resolutions: 4,
          results: { success: 4, not_found: 0, ambiguous: 0, timeout: 0, low_confidence: 0, error: 0 },
          successRate: 1,
          fallbackRate: 0.25,
          strategies: { css: 3, text: 1 },
          confidence: { samples: 4, mean: expect.closeTo(0.98, 12), min: 0.92, trend: expect.closeTo(-0.024, 12) },
          duration: { samples: 4, mean: 25, min: 10, max: 40, p50: 25, p90: 37, p95: 38.5, p99: expect.closeTo(39.7, 9) },
          drift: { strategy_change: 1 },
        },
        {
          name: 'search.box',
          resolutions: 2,
          results: { success: 1, not_found: 1, ambiguous: 0, timeout: 0, low_confidence: 0, error: 0 },
          successRate: 0.5,
          fallbackRate: 0,
          strategies: { css: 1 },
          confidence: { samples: 1, mean: 1, min: 1 },
          duration: { samples: 2, mean: 52.5, min: 5, max: 100, p50: 52.5, p90: 90.5, p95: 95.25, p99: expect.closeTo(99.05, 9) },
          drift: {},
        },
      ],
      anomalies: [
        {
          name: 'checkout.submit',
          kind: 'strategy_change',
          source: 'drift',
          since: T0 + 3000 + 40,
          evidence: { fallbackRate: 0.25, resolutions: 4 },
          message: 'checkout.submit: served by "text" instead of its baseline "css"',
        },
      ],
      truncated: false,
    });
    // JSON-serialisable as it is.
    expect(JSON.parse(JSON.stringify(report))).toEqual(JSON.parse(JSON.stringify(report)));
    expect(new Date(report.generatedAt).getTime()).toBeGreaterThan(T0);

    const md = formatReport(report);
    expect(md).toContain('# Selector report');
    expect(md).toContain(`Period: ${new Date(T0).toISOString()} to ${new Date(T0 + 10_000).toISOString()}`);
    expect(md).toContain('**6 resolutions** of **2 selectors**: success 83.3 %, served by a fallback 16.7 %.');
    expect(md).toContain('| selector | resolutions | success | not found | ambiguous | timeout | low conf. | error | fallback | mean conf. | min conf. | p50 ms | p95 ms | served by | drift |');
    expect(md).toContain('| checkout.submit | 4 | 4 | 0 | 0 | 0 | 0 | 0 | 25.0 % | 0.98 | 0.92 | 25.00 | 38.50 | css 3, text 1 | strategy_change 1 |');
    expect(md).toContain('| search.box | 2 | 1 | 1 | 0 | 0 | 0 | 0 | 0.0 % | 1.00 | 1.00 | 52.50 | 95.25 | css 1 | – |');
    expect(md).toContain('## Anomalies');
    expect(md).toContain('- **checkout.submit** · `strategy_change` (drift since ');
    expect(md).toContain('Evidence: fallbackRate=0.250, resolutions=4.');
  });

  it('covers everything in the log by default, and says when there is nothing', () => {
    const t = h.telemetry();
    const empty = t.generateReport();
    expect(empty.totals).toEqual({ resolutions: 0, selectors: 0, successRate: 0, fallbackRate: 0, results: { success: 0, not_found: 0, ambiguous: 0, timeout: 0, low_confidence: 0, error: 0 } });
    expect(formatReport(empty)).toContain('None detected.');
    records(t, 'a', 3, T0, () => ({ strategy: 'css', durationMs: 1 }));
    const all = t.generateReport();
    expect(all.totals.resolutions).toBe(3);
    expect(all.period.from).toBe(new Date(T0 + 1).toISOString());
    // Nothing has left the log, so an open period is complete.
    expect(all.truncated).toBe(false);
    expect(formatReport(all)).not.toContain('no longer reaches back');
  });

  it('says when the bounded log no longer reaches back to the start of the period', () => {
    const t = h.telemetry();
    records(t, 'flood', 10_050, T0, () => ({ strategy: 'css', durationMs: 1 }));
    const report = t.generateReport({ from: T0 });
    expect(report.truncated).toBe(true);
    expect(report.totals.resolutions).toBe(10_000);
    expect(formatReport(report)).toContain('the oldest resolutions are missing');
    expect(t.generateReport({ from: T0 + 60 * 1000 }).truncated).toBe(false);
  });

  it('rejects a bad period with a TypeError', () => {
    const t = h.telemetry();
    expect(() => t.generateReport({ from: Number.NaN })).toThrow('report period "from" must be a Date or epoch milliseconds, got NaN');
    expect(() => t.generateReport({ to: new Date('nope') })).toThrow('report period "to" must be a Date or epoch milliseconds');
    expect(() => t.generateReport({ from: 2, to: 1 })).toThrow('report period "from" is after "to"');
  });
});
