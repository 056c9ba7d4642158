// The streaming detectors and the default ensemble: the registry, causality (prefix and
// state-restore equivalence), what each detector flags on synthetic series and where it stays quiet,
// score range and bad-input handling, and bounded state.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_DETECTOR, DETECTOR_NAMES, DETECTOR_OPTIONS, createDetector, restoreDetector, scoreToSeverity, severityToScore } from '../src/anomaly/index';
import { MadDetector } from '../src/anomaly/mad';
import type { Detector, DetectorResult, DetectorState } from '../src/anomaly/types';

const T0 = Date.UTC(2024, 0, 1);
const STEP = 5 * 60_000;
const DAY_POINTS = 288;

/** mulberry32 + Box-Muller: a reproducible Gaussian stream. */
function gaussian(seed: number): () => number {
  let a = seed >>> 0;
  const u = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

interface Series {
  ts: number[];
  vs: number[];
}

function series(n: number, f: (i: number, noise: number) => number, seed = 1): Series {
  const g = gaussian(seed);
  const ts: number[] = [];
  const vs: number[] = [];
  for (let i = 0; i < n; i++) {
    ts.push(T0 + i * STEP);
    vs.push(f(i, g()));
  }
  return { ts, vs };
}

const AT = 1500;
const N = 3000;
const daily = (i: number): number => Math.sin((2 * Math.PI * i) / DAY_POINTS);
const noisy = (): Series => series(N, (_i, e) => 100 + 5 * e);
const SCENARIOS = {
  noise: noisy,
  spike: () => series(N, (i, e) => 100 + 5 * e + (i === AT ? 60 : 0)),
  dip: () => series(N, (i, e) => 100 + 5 * e - (i === AT ? 60 : 0)),
  levelShift: () => series(N, (i, e) => 100 + 5 * e + (i >= AT ? 12 : 0)),
  varianceChange: () => series(N, (i, e) => 100 + (i >= AT ? 25 : 5) * e),
  trendChange: () => series(N, (i, e) => 100 + 5 * e + (i >= AT ? 2 * (i - AT) : 0)),
  flatThenChange: () => series(N, (i) => (i < AT ? 42 : 42.5)),
  seasonal: () => series(5 * DAY_POINTS, (i, e) => 100 + 30 * daily(i) + 2 * e),
  // Day 4 runs the pattern backwards: every value stays inside the usual range.
  brokenSeasonality: () => series(5 * DAY_POINTS, (i, e) => 100 + 30 * (i >= 3 * DAY_POINTS && i < 4 * DAY_POINTS ? -daily(i) : daily(i)) + 2 * e),
} as const;
type Scenario = keyof typeof SCENARIOS;

function run(d: Detector, s: Series): DetectorResult[] {
  return s.vs.map((v, i) => d.update(s.ts[i]!, v));
}

function runName(name: string, scenario: Scenario, options?: Record<string, unknown>): DetectorResult[] {
  return run(createDetector(name, options), SCENARIOS[scenario]());
}

/** Indices of the flagged points (score ≥ 0.9, the flag rule) and their flags. */
function flagged(results: readonly DetectorResult[]): { i: number; flags: string[] }[] {
  const out: { i: number; flags: string[] }[] = [];
  results.forEach((r, i) => {
    if (r.flags.length > 0) out.push({ i, flags: r.flags });
  });
  return out;
}

function firstFlag(results: readonly DetectorResult[], from: number, flag: string): number {
  for (let i = from; i < results.length; i++) if (results[i]!.flags.includes(flag)) return i;
  return -1;
}

describe('registry', () => {
  it('lists every detector with the ensemble first and as the default', () => {
    expect(DETECTOR_NAMES).toEqual(['ensemble', 'ewma', 'ma', 'roc', 'range', 'mad', 'page-hinkley', 'cusum', 'holt', 'seasonal']);
    expect(DEFAULT_DETECTOR).toBe('ensemble');
    for (const name of DETECTOR_NAMES) {
      const d = createDetector(name);
      expect(d.name).toBe(name);
      expect(d.toState().kind).toBe(name);
      // Every documented option has a default inside its range, and the state records them all.
      const spec = DETECTOR_OPTIONS[name]!;
      const defaults = Object.fromEntries(Object.entries(spec).map(([k, v]) => [k, v.def]));
      expect(d.toState()['options']).toMatchObject(defaults);
      expect(() => createDetector(name, defaults)).not.toThrow();
    }
    expect(Object.keys(DETECTOR_OPTIONS)).toEqual([...DETECTOR_NAMES]);
  });

  it('rejects unknown detectors, unknown options and out-of-range values by name', () => {
    expect(() => createDetector('ewmaa')).toThrow(new RangeError("unknown detector 'ewmaa' (expected one of ensemble, ewma, ma, roc, range, mad, page-hinkley, cusum, holt, seasonal)"));
    expect(() => createDetector('ewma', { alpah: 0.1 })).toThrow(new RangeError("ewma: unknown option 'alpah' (expected alpha, threshold, warmup, floor, minScale, clip, varianceCap)"));
    expect(() => createDetector('ewma', { alpha: 1 })).toThrow(new RangeError('ewma.alpha must be a number in (0, 1), got 1'));
    expect(() => createDetector('mad', { window: 10.5 })).toThrow(new RangeError('mad.window must be an integer in [3, 4096], got 10.5'));
    expect(() => createDetector('range', { margin: '5%' })).toThrow(new RangeError("range.margin must be a number in (0, 100], got '5%'"));
    expect(() => createDetector('seasonal', [] as unknown as Record<string, unknown>)).toThrow(new RangeError('seasonal: options must be an object, got an array'));
    expect(() => createDetector('ensemble', { weights: { rnage: 1 } })).toThrow(new RangeError('ensemble.weights: unknown component \'rnage\' (expected range, ewma, ma, roc, mad, page-hinkley, cusum, holt, seasonal)'));
    expect(() => createDetector('ensemble', { weights: { range: 0, ewma: 0, ma: 0, mad: 0, holt: 0, seasonal: 0 } })).toThrow(new RangeError('ensemble.weights: at least one component needs a weight above 0'));
    expect(() => createDetector('ensemble', { ewma: { alpha: 2 } })).toThrow(new RangeError('ewma.alpha must be a number in (0, 1), got 2'));
    expect(() => createDetector('ensemble', { holt: 3 })).toThrow(new RangeError("ensemble.holt must be an options object for the 'holt' component"));
    expect(() => createDetector('ensemble', { cooldown: -1 })).toThrow(new RangeError('ensemble.cooldown must be a number in [0, 10000000], got -1'));
  });

  it('rejects unknown and malformed states', () => {
    expect(() => restoreDetector({ kind: 'nope', version: 1 })).toThrow(new RangeError("unknown detector kind 'nope' (expected one of ensemble, ewma, ma, roc, range, mad, page-hinkley, cusum, holt, seasonal)"));
    const s = createDetector('ewma').toState();
    expect(() => restoreDetector({ ...s, version: 2 })).toThrow(new RangeError('ewma state version 2 is not supported (expected 1)'));
    expect(() => restoreDetector({ ...s, mean: null })).toThrow(new RangeError("ewma state: 'mean' must be a finite number, got null"));
    const m = createDetector('ma', { short: 2, long: 3 }).toState();
    expect(() => restoreDetector({ ...m, ring: [1, 2] })).toThrow(new RangeError("ma state: 'ring' must be an array of 5 numbers"));
    expect(() => restoreDetector({ ...m, head: 7 })).toThrow(new RangeError("ma state: 'head' must be an integer in [0, 4], got 7"));
    const e = createDetector('ensemble').toState();
    expect(() => restoreDetector({ ...e, parts: (e['parts'] as DetectorState[]).slice(1) })).toThrow(RangeError);
  });
});

describe('severity → score', () => {
  it('is 0 at 0, 0.9 exactly where a rule fires, monotone, below 1 for every finite severity it can tell apart', () => {
    expect(severityToScore(0)).toBe(0);
    expect(severityToScore(-3)).toBe(0);
    expect(severityToScore(Number.NaN)).toBe(0);
    expect(severityToScore(1)).toBeCloseTo(0.9, 15);
    expect(severityToScore(Infinity)).toBe(1);
    expect(severityToScore(50)).toBeLessThan(1);
    expect(severityToScore(50)).toBeGreaterThan(severityToScore(40));
    expect(scoreToSeverity(severityToScore(2.5))).toBeCloseTo(2.5, 12);
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e4, noNaN: true }), fc.double({ min: 0, max: 1e4, noNaN: true }), (a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        const sl = severityToScore(lo);
        const sh = severityToScore(hi);
        return sl >= 0 && sh <= 1 && sl <= sh;
      }),
    );
  });
});

describe('causality and state', () => {
  // A series with everything in it: seasonality, noise, a gap in time, spikes, a shift, flat runs.
  const mixed = (): Series => {
    const g = gaussian(7);
    const ts: number[] = [];
    const vs: number[] = [];
    let t = T0;
    for (let i = 0; i < 1600; i++) {
      t += i === 700 ? 40 * STEP : STEP;
      ts.push(t);
      let v = 50 + 20 * daily(i) + 3 * g();
      if (i % 311 === 0) v += 60;
      if (i >= 1000) v += 15;
      if (i >= 1300 && i < 1350) v = 65;
      vs.push(v);
    }
    return { ts, vs };
  };

  it.each(DETECTOR_NAMES)('%s: a prefix scores exactly as the whole series, and a restored state continues exactly', (name) => {
    const s = mixed();
    const full = run(createDetector(name), s);
    const cut = 1111;
    const prefix = run(createDetector(name), { ts: s.ts.slice(0, cut), vs: s.vs.slice(0, cut) });
    expect(prefix).toEqual(full.slice(0, cut));
    // Stop half-way, serialise through JSON, restore, continue.
    const d = createDetector(name);
    const before = run(d, { ts: s.ts.slice(0, cut), vs: s.vs.slice(0, cut) });
    const json = JSON.stringify(d.toState());
    const restored = restoreDetector(JSON.parse(json) as DetectorState);
    expect(restored.name).toBe(name);
    expect(JSON.stringify(restored.toState())).toBe(json);
    const after = run(restored, { ts: s.ts.slice(cut), vs: s.vs.slice(cut) });
    expect([...before, ...after]).toEqual(full);
    // Something was actually scored (the comparison is not between empty streams).
    expect(full.some((r) => r.score > 0.5)).toBe(true);
  });

  it.each(DETECTOR_NAMES)('%s: the state is plain JSON and stays bounded over 100 000 points', (name) => {
    const d = createDetector(name);
    const g = gaussian(3);
    const sizes: number[] = [];
    for (let i = 0; i < 100_000; i++) {
      d.update(T0 + i * STEP, 1000 + 100 * daily(i) + 10 * g() + (i % 997 === 0 ? 400 : 0));
      if (i === 19_999 || i === 99_999) {
        const st = d.toState();
        const json = JSON.stringify(st);
        expect(JSON.parse(json)).toEqual(st); // no typed arrays, NaN or Infinity inside
        sizes.push(json.length);
      }
    }
    // Same structure after 20k and 100k points: only the digits of the numbers differ.
    expect(sizes[1]!).toBeLessThan(sizes[0]! * 1.1 + 100);
    expect(sizes[1]!).toBeLessThan(200_000);
  });
});

/** Options that make each detector score almost at once (so short random inputs reach the scoring). */
const QUICK: Record<string, Record<string, unknown>> = {
  ensemble: { warmup: 2, ewma: { warmup: 2 }, range: { warmup: 2 }, mad: { warmup: 2 }, holt: { warmup: 2 }, ma: { short: 2, long: 3 }, seasonal: { warmup: 2, period: 10 * STEP } },
  ewma: { warmup: 2 },
  ma: { short: 2, long: 3 },
  roc: { warmup: 2 },
  range: { warmup: 2 },
  mad: { warmup: 2, window: 5 },
  'page-hinkley': { minInstances: 2 },
  cusum: { warmup: 2 },
  holt: { warmup: 2 },
  seasonal: { warmup: 2, period: 10 * STEP },
};

describe('scores and input handling', () => {
  it.each(DETECTOR_NAMES)('%s: scores stay in [0, 1]; a non-finite (or beyond ±1e150) value or time scores 0 and is not learned', (name) => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            { weight: 6, arbitrary: fc.double({ min: -1e6, max: 1e6, noNaN: true }) },
            { weight: 2, arbitrary: fc.constantFrom(0, 1, -1, 1e300, -1e300, 5e-324) },
            { weight: 1, arbitrary: fc.constantFrom(Number.NaN, Infinity, -Infinity) },
          ),
          { minLength: 1, maxLength: 400 },
        ),
        (values) => {
          const d = createDetector(name, QUICK[name]);
          values.forEach((v, i) => {
            const before = JSON.stringify(d.toState());
            const r = d.update(T0 + i * STEP, v);
            expect(r.score).toBeGreaterThanOrEqual(0);
            expect(r.score).toBeLessThanOrEqual(1);
            for (const k of ['expected', 'lower', 'upper'] as const) if (r[k] !== undefined) expect(Number.isNaN(r[k])).toBe(false);
            if (!Number.isFinite(v) || Math.abs(v) > 1e150) {
              expect(r).toEqual({ score: 0, flags: [] });
              expect(JSON.stringify(d.toState())).toBe(before);
            }
          });
          const before = JSON.stringify(d.toState());
          expect(d.update(Number.NaN, 1)).toEqual({ score: 0, flags: [] });
          expect(d.update(Infinity, 1)).toEqual({ score: 0, flags: [] });
          expect(JSON.stringify(d.toState())).toBe(before);
          // Whatever it went through, the state is still valid JSON that restores.
          expect(JSON.stringify(restoreDetector(JSON.parse(before) as DetectorState).toState())).toBe(before);
        },
      ),
      { numRuns: 40 },
    );
  });

  it.each(DETECTOR_NAMES)('%s: a constant series scores 0 throughout, without NaN', (name) => {
    for (const c of [0, 42, -7.5, 1e9]) {
      const rs = run(createDetector(name), series(2 * DAY_POINTS + 50, () => c));
      for (const r of rs) {
        expect(r.score).toBe(0);
        expect(r.flags).toEqual([]);
        for (const k of ['expected', 'lower', 'upper'] as const) if (r[k] !== undefined) expect(Number.isFinite(r[k])).toBe(true);
      }
    }
  });
});

describe('what each detector flags', () => {
  it('ewma: spikes, dips, a variance increase and leaving a flat line; rarely fires on plain noise', () => {
    expect(flagged(runName('ewma', 'spike'))).toContainEqual({ i: AT, flags: ['z_high'] });
    expect(flagged(runName('ewma', 'dip'))).toContainEqual({ i: AT, flags: ['z_low'] });
    const v = flagged(runName('ewma', 'varianceChange'));
    expect(v.filter((f) => f.i >= AT && f.i < AT + 100).length).toBeGreaterThanOrEqual(5);
    expect(firstFlag(runName('ewma', 'flatThenChange'), 0, 'z_high')).toBe(AT);
    // 3σ on Gaussian noise: about 0.3 % of the points.
    expect(flagged(runName('ewma', 'noise')).length).toBeLessThan(N * 0.01);
    const r = runName('ewma', 'spike')[AT]!;
    expect(r.expected).toBeCloseTo(100, -1);
    expect(r.upper! - r.expected!).toBeGreaterThan(10);
  });

  it('range: a new extreme beyond the seen range ± 5 %, once; nothing inside the range', () => {
    expect(flagged(runName('range', 'spike'))).toContainEqual({ i: AT, flags: ['range_high'] });
    expect(flagged(runName('range', 'dip'))).toContainEqual({ i: AT, flags: ['range_low'] });
    expect(flagged(runName('range', 'flatThenChange'))).toEqual([{ i: AT, flags: ['range_high'] }]);
    // The reversed day stays in range: the range break cannot see it.
    expect(flagged(runName('range', 'brokenSeasonality')).filter((f) => f.i >= 3 * DAY_POINTS)).toEqual([]);
    const d = createDetector('range', { warmup: 1 });
    d.update(T0, 10);
    d.update(T0 + STEP, 20);
    expect(d.update(T0 + 2 * STEP, 20.4).flags).toEqual([]); // within 5 % of the range above the max
    expect(d.update(T0 + 3 * STEP, 21).score).toBeGreaterThan(0.9);
    expect(d.update(T0 + 4 * STEP, 15).score).toBe(0);
  });

  it('ma: a sustained level shift of 2.4σ that no single point shows; quiet on noise', () => {
    const rs = runName('ma', 'levelShift');
    const at = firstFlag(rs, AT, 'ma_up');
    expect(at).toBeGreaterThanOrEqual(AT);
    expect(at).toBeLessThan(AT + 10);
    expect(flagged(runName('ma', 'noise'))).toEqual([]);
  });

  it('roc: sudden jumps and drops, not a steady climb', () => {
    expect(flagged(runName('roc', 'spike')).map((f) => f.flags)).toEqual([['roc_up'], ['roc_down']]);
    expect(flagged(runName('roc', 'dip'))[0]).toEqual({ i: AT, flags: ['roc_down'] });
    // The ramp adds 2 per point against noise changes of ~7: no single change stands out.
    expect(flagged(runName('roc', 'trendChange'))).toEqual([]);
    expect(flagged(runName('roc', 'noise'))).toEqual([]);
  });

  it('mad: spikes and dips against the rolling median; its floor keeps flat and quantised series sane', () => {
    expect(flagged(runName('mad', 'spike'))).toContainEqual({ i: AT, flags: ['mad_high'] });
    expect(flagged(runName('mad', 'dip'))).toContainEqual({ i: AT, flags: ['mad_low'] });
    expect(firstFlag(runName('mad', 'flatThenChange'), 0, 'mad_high')).toBe(AT);
    // Mostly 0 with a third of the points 1 (MAD = 0): a 1 is not an anomaly, a 9 is.
    const q = series(600, (i) => (i === 500 ? 9 : i % 3 === 0 ? 1 : 0));
    const rs = run(createDetector('mad'), q);
    expect(flagged(rs)).toEqual([{ i: 500, flags: ['mad_high'] }]);
    expect(flagged(runName('mad', 'noise')).length).toBeLessThan(N * 0.01);
  });

  it('mad: median and scale match a brute-force computation over the window', () => {
    const g = gaussian(11);
    for (const window of [3, 4, 9, 64]) {
      const d = new MadDetector({ window, warmup: 1, floor: 0, minScale: 0 });
      const win: number[] = [];
      for (let i = 0; i < 800; i++) {
        const x = i % 3 === 0 ? Math.round(2 * g()) : 10 * g(); // ties and spread
        d.step(0, x);
        if (win.length > 0) {
          const med = median(win);
          const mad = median(win.map((v) => Math.abs(v - med)));
          const meanAbs = win.reduce((a, v) => a + Math.abs(v - med), 0) / win.length;
          expect(d.median).toBeCloseTo(med, 9);
          expect(d.scale).toBeCloseTo(Math.max(1.4826 * mad, Math.sqrt(Math.PI / 2) * meanAbs), 7);
        }
        win.push(x);
        if (win.length > window) win.shift();
      }
    }
  });

  it('page-hinkley and cusum: a sustained shift, one signal each (the test restarts), quiet on noise', () => {
    for (const [name, flag] of [
      ['page-hinkley', 'drift_up'],
      ['cusum', 'cusum_up'],
    ] as const) {
      const rs = runName(name, 'levelShift');
      const f = flagged(rs);
      expect(f.length).toBe(1);
      expect(f[0]!.flags).toEqual([flag]);
      expect(f[0]!.i).toBeGreaterThan(AT);
      expect(f[0]!.i).toBeLessThan(AT + 40);
      // The evidence builds up before the detection.
      expect(rs[f[0]!.i - 3]!.score).toBeGreaterThan(0.3);
      expect(flagged(runName(name, 'noise'))).toEqual([]);
    }
    expect(flagged(runName('page-hinkley', 'dip'))).toEqual([]); // one spike is not a drift
  });

  it('holt: a change of slope, while a steady ramp is normal', () => {
    // Flat, then climbing by two noise standard deviations per point.
    const rs = run(createDetector('holt'), series(N, (i, e) => 100 + e + (i >= AT ? 2 * (i - AT) : 0)));
    const at = firstFlag(rs, 0, 'forecast_high');
    expect(at).toBeGreaterThan(AT);
    expect(at).toBeLessThan(AT + 10);
    const ramp = run(createDetector('holt'), series(N, (i, e) => 100 + 2 * i + 5 * e));
    expect(flagged(ramp)).toEqual([]);
    expect(ramp[2000]!.expected).toBeCloseTo(100 + 2 * 2000, -1);
    expect(flagged(runName('holt', 'noise'))).toEqual([]);
    expect(flagged(runName('holt', 'spike'))).toContainEqual({ i: AT, flags: ['forecast_high'] });
  });

  it('seasonal: a broken daily pattern inside the usual range, only once a full day is known', () => {
    const rs = runName('seasonal', 'brokenSeasonality');
    for (let i = 0; i <= DAY_POINTS; i++) expect(rs[i]!.score).toBe(0);
    expect(rs.slice(0, 3 * DAY_POINTS).filter((r) => r.flags.length > 0)).toEqual([]);
    const first = flagged(rs).find((f) => f.i >= 3 * DAY_POINTS)!;
    expect(first.i).toBeLessThan(3 * DAY_POINTS + 30);
    expect(first.flags).toEqual(['seasonal_low']); // the morning rise that did not come
    // Expected values follow the pattern.
    const r = rs[2 * DAY_POINTS + 72]!; // 06:00 on day 3, the daily peak
    expect(r.expected).toBeCloseTo(130, -1);
    expect(flagged(runName('seasonal', 'seasonal'))).toEqual([]);
    // The ewma sees nothing there.
    expect(flagged(runName('ewma', 'brokenSeasonality')).filter((f) => f.i >= 3 * DAY_POINTS)).toEqual([]);
  });

  it('seasonal: detects the sampling interval and follows the clock across gaps', () => {
    const d = createDetector('seasonal');
    const g = gaussian(5);
    const hourly = 3_600_000;
    let last: DetectorResult | undefined;
    for (let h = 0; h < 24 * 10; h++) {
      if (h >= 24 * 4 && h < 24 * 6) continue; // two days missing
      last = d.update(T0 + h * hourly, 10 + 5 * Math.sin((2 * Math.PI * h) / 24) + 0.2 * g());
    }
    const st = d.toState();
    expect(st['interval']).toBe(hourly);
    expect(st['slots']).toBe(24);
    expect(last!.expected).toBeCloseTo(10 + 5 * Math.sin((2 * Math.PI * 239) / 24), 0);
  });
});

describe('ensemble', () => {
  // Where the change starts, how soon the first signal must come, and how many flagged points the
  // 200 after it may hold (a growing anomaly — a runaway trend — may show a few new highs).
  const SIGNALS: Record<Exclude<Scenario, 'noise' | 'seasonal'>, { from: number; within: number; most: number }> = {
    spike: { from: AT, within: 1, most: 1 },
    dip: { from: AT, within: 1, most: 1 },
    levelShift: { from: AT, within: 10, most: 4 },
    varianceChange: { from: AT, within: 60, most: 4 },
    trendChange: { from: AT, within: 30, most: 6 },
    flatThenChange: { from: AT, within: 1, most: 1 },
    brokenSeasonality: { from: 3 * DAY_POINTS, within: 60, most: 3 },
  };

  it.each(Object.keys(SIGNALS) as (keyof typeof SIGNALS)[])('signals %s early and once', (scenario) => {
    const { from, within, most } = SIGNALS[scenario];
    const rs = runName('ensemble', scenario);
    const before = flagged(rs).filter((x) => x.i < from);
    const f = flagged(rs).filter((x) => x.i >= from);
    // Before the change: noise, at most the odd rare point (see the noise test below).
    expect(before.length).toBeLessThanOrEqual(from / 1000);
    expect(f.length).toBeGreaterThan(0);
    expect(f[0]!.i).toBeLessThan(from + within);
    // One incident, one early signal, not a storm (the components' own rules fire on dozens).
    expect(f.filter((x) => x.i < f[0]!.i + 200).length).toBeLessThanOrEqual(most);
  });

  it('stays quiet on plain noise and on a clean seasonal series', () => {
    // Gaussian noise: a 3σ rule flags ~0.3 % of the points; the ensemble less than 0.1 %.
    let points = 0;
    let ensembleFlags = 0;
    let ewmaFlags = 0;
    for (let seed = 1; seed <= 10; seed++) {
      const s = series(N, (_i, e) => 100 + 5 * e, seed);
      ensembleFlags += flagged(run(createDetector('ensemble'), s)).length;
      ewmaFlags += flagged(run(createDetector('ewma'), s)).length;
      points += N;
    }
    expect(ensembleFlags).toBeLessThan(points * 0.001);
    expect(ewmaFlags).toBeGreaterThan(points * 0.002);
    expect(flagged(runName('ensemble', 'seasonal'))).toEqual([]);
  });

  it('debounces: a sustained shift scores high once, the points after it are damped', () => {
    const big = series(N, (i, e) => 100 + 5 * e + (i >= AT ? 60 : 0));
    const rs = run(createDetector('ensemble'), big);
    expect(rs[AT]!.score).toBeGreaterThan(0.99);
    expect(rs[AT]!.flags).toEqual(expect.arrayContaining(['range_high', 'z_high']));
    expect(rs.slice(AT + 1, AT + 300).filter((r) => r.score >= 0.9).length).toBeLessThanOrEqual(2);
    // Without the debounce every point of the shift keeps scoring.
    const raw = run(createDetector('ensemble', { cooldown: 0, novelty: 0 }), big);
    expect(raw.slice(AT + 1, AT + 300).filter((r) => r.score >= 0.9).length).toBeGreaterThan(20);
  });

  it('scores 0 during its probation and reports the leading component\'s expectation', () => {
    const rs = runName('ensemble', 'spike', { warmup: 100 });
    for (let i = 0; i < 100; i++) expect(rs[i]!.score).toBe(0);
    expect(rs[AT]!.expected).toBeGreaterThan(90);
    expect(rs[AT]!.expected).toBeLessThan(110);
  });

  it('novelty: on a bursty series the same burst counts for less than on a calm one', () => {
    const bursty = series(N, (i, e) => 100 + 5 * e + (i % 150 === 0 && i < AT ? 40 : 0) + (i === AT ? 40 : 0));
    const calm = series(N, (i, e) => 100 + 5 * e + (i === AT ? 40 : 0));
    const b = run(createDetector('ensemble'), bursty)[AT]!.score;
    const c = run(createDetector('ensemble'), calm)[AT]!.score;
    expect(c).toBeGreaterThan(0.9);
    expect(b).toBeLessThan(0.9);
  });

  it('can run a chosen set of components with their own options', () => {
    const d = createDetector('ensemble', { weights: { range: 0, ewma: 0, ma: 0, mad: 0, holt: 0, seasonal: 0, cusum: 1 }, cusum: { h: 4 } });
    const st = d.toState();
    expect((st['parts'] as DetectorState[]).map((p) => p.kind)).toEqual(['cusum']);
    expect((st['parts'] as DetectorState[])[0]!['options']).toMatchObject({ h: 4 });
  });
});

function median(a: readonly number[]): number {
  const s = [...a].sort((x, y) => x - y);
  const h = s.length >> 1;
  return s.length % 2 === 1 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}
