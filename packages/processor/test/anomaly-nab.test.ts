// The NAB scorer on hand-computed cases (sigmoid values, per-row sweep scores, score at every
// threshold, the corpus-level threshold and its tie rule, per-file scoring including the "every row
// above the threshold" edge case, normalisation), NAB's window rule, and the generated anomaly corpus:
// byte-for-byte reproducible from its seed, with labels that follow the window rule.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  PROFILES,
  makeWindows,
  normalizeScore,
  optimizeThreshold,
  probationaryLength,
  scaledSigmoid,
  scoreAtThreshold,
  scoreDetector,
  scoresByThreshold,
  sweepScores,
} from '../src/anomaly/nab';
import type { AnomalyWindow, ScoredFile, SweepRow } from '../src/anomaly/nab';

const STEP = 300_000;
const ts = (n: number): number[] => Array.from({ length: n }, (_, i) => 1_700_000_000_000 + i * STEP);
function file(name: string, n: number, windows: AnomalyWindow[], hits: Record<number, number>): ScoredFile {
  const scores = new Array<number>(n).fill(0);
  for (const [i, s] of Object.entries(hits)) scores[Number(i)] = s;
  return { name, timestamps: ts(n), scores, windows };
}

// The tiny file used throughout: 200 rows (probation = floor(0.15 · 200) = 30 rows), one window
// [40, 59] (width 20). Detections: row 10 (probationary, ignored), row 45 (late, inside), row 60 (just
// after the window), row 150 (far after), row 40 (the window's left edge), row 35 (before any window).
const TINY = file('tiny.csv', 200, [[40, 59]], { 10: 0.95, 45: 0.9, 60: 0.8, 150: 0.7, 40: 0.6, 35: 0.5 });

// Hand-computed (scaledSigmoid(x) = 2/(1 + e^{5x}) − 1, maxTP = scaledSigmoid(−1) = 0.98661429815143):
const LATE = 0.9669890878000605; // row 45: position −(59 − 45 + 1)/20 = −0.75 → 0.95404… / maxTP
const JUST_AFTER = -0.014390730906933252; // row 60: 0.11 · scaledSigmoid(1/19) = 0.11 · −0.13082…
const ALL_DETECTED = -14.97432234188326; // every scorable row detected (10 · −0.11 before, Σ after, +1)

describe('scaledSigmoid and probation', () => {
  it('matches NAB reference values', () => {
    expect(scaledSigmoid(-1)).toBeCloseTo(0.98661, 5);
    expect(scaledSigmoid(0)).toBe(0);
    expect(scaledSigmoid(1)).toBeCloseTo(-0.98661, 5);
    expect(scaledSigmoid(-0.5)).toBeCloseTo(0.84828, 5);
    // Exactly −1 only beyond 3; at 3 the sigmoid is still (barely) above −1.
    expect(scaledSigmoid(3.0001)).toBe(-1);
    expect(scaledSigmoid(3)).toBeCloseTo(-0.9999993881955461, 15);
  });

  it('probation is 15 % of the rows, floored, capped at 750', () => {
    expect(probationaryLength(200)).toBe(30);
    expect(probationaryLength(2001)).toBe(300);
    expect(probationaryLength(4999)).toBe(749);
    expect(probationaryLength(8000)).toBe(750);
    expect(probationaryLength(22_695)).toBe(750);
    expect(probationaryLength(3)).toBe(0);
  });
});

describe('sweepScores', () => {
  const rows = sweepScores(TINY, 'standard');
  const at = (i: number): SweepRow => rows[i] as SweepRow;

  it('marks the probationary rows and names the window rows', () => {
    expect(rows.filter((r) => r.probationary).map((r) => r.index)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(rows.filter((r) => r.window !== null).map((r) => r.index)).toEqual(Array.from({ length: 20 }, (_, i) => 40 + i));
    expect(at(40).window).toBe('tiny.csv|40');
    expect(at(39).window).toBeNull();
    expect(at(60).window).toBeNull();
  });

  it('is worth exactly tpWeight at the left edge and less the later the detection', () => {
    expect(at(40).sweepScore).toBe(1);
    expect(at(45).sweepScore).toBeCloseTo(LATE, 14);
    expect(at(50).sweepScore).toBeCloseTo(0.8597925669097837, 14); // position −0.5
    expect(at(59).sweepScore).toBeCloseTo(0.1260401374727592, 14); // last row: position −1/20
    for (let i = 41; i < 60; i++) expect(at(i).sweepScore).toBeLessThan(at(i - 1).sweepScore);
  });

  it('costs −fpWeight before any window and far after one, ≈0 right after one', () => {
    expect(at(35).sweepScore).toBe(-0.11);
    expect(at(0).sweepScore).toBe(-0.11);
    expect(at(60).sweepScore).toBeCloseTo(JUST_AFTER, 15);
    expect(at(61).sweepScore).toBeCloseTo(-0.02829715222744806, 15);
    expect(at(116).sweepScore).toBeCloseTo(-0.10999993270151008, 15); // exactly 3 widths: |59 − 116|/19 = 3
    expect(at(117).sweepScore).toBe(-0.11);
    expect(at(150).sweepScore).toBe(-0.11);
  });

  it('scales with the profile weights', () => {
    const lowFn = sweepScores(TINY, 'reward_low_FN_rate');
    const lowFp = sweepScores(TINY, PROFILES.reward_low_FP_rate);
    expect(lowFn[40]?.sweepScore).toBe(1); // tpWeight is 1 in every profile
    expect(lowFp[150]?.sweepScore).toBe(-0.22);
    expect(lowFp[60]?.sweepScore).toBeCloseTo(2 * JUST_AFTER, 15);
    const custom = sweepScores(TINY, { tpWeight: 2, fpWeight: 0.5, fnWeight: 1 });
    expect(custom[40]?.sweepScore).toBe(2);
    expect(custom[150]?.sweepScore).toBe(-0.5);
  });

  it('after a one-row window every later row is a full false positive', () => {
    const r = sweepScores(file('one.csv', 100, [[50, 50]], {}), 'standard');
    expect(r[50]?.sweepScore).toBe(1);
    expect(r[51]?.sweepScore).toBe(-0.11);
  });

  it('rejects malformed input with a specific error', () => {
    expect(() => sweepScores({ ...TINY, timestamps: ts(10) })).toThrow(/10 timestamps but 200 scores/);
    expect(() => sweepScores(file('x', 50, [], { 3: 1.5 }))).toThrow(/row 3 is 1.5/);
    expect(() => sweepScores(file('x', 50, [], { 3: Number.NaN }))).toThrow(/row 3 is NaN/);
    expect(() => sweepScores(file('x', 50, [[10, 20], [20, 30]], {}))).toThrow(/overlaps/);
    expect(() => sweepScores(file('x', 50, [[10, 50]], {}))).toThrow(/not a valid inclusive row range/);
    expect(() => sweepScores(TINY, 'nope' as 'standard')).toThrow(/unknown NAB profile 'nope'/);
  });
});

describe('scoresByThreshold', () => {
  it('gives the score at every threshold, only the earliest detection per window counting', () => {
    const s = scoresByThreshold(sweepScores(TINY, 'standard'), 'standard');
    expect(s.map((r) => r.threshold)).toEqual([1.1, 0.9, 0.8, 0.7, 0.6, 0.5, 0]);
    const expected = [
      -1, // nothing detected: the window is missed (−fnWeight)
      LATE, // row 45 only: a late true positive
      LATE + JUST_AFTER, // + row 60, right after the window (≈ 0)
      LATE + JUST_AFTER - 0.11, // + row 150, far after the window (−fpWeight)
      1 + JUST_AFTER - 0.11, // + row 40, the left edge: replaces row 45 as the window's detection
      1 + JUST_AFTER - 0.11 - 0.11, // + row 35, before any window (−fpWeight)
      ALL_DETECTED,
    ];
    s.forEach((r, i) => expect(r.score).toBeCloseTo(expected[i] as number, 12));
    // NAB's row counts (170 scorable rows: 20 in the window, 150 outside).
    expect(s[0]).toMatchObject({ tpRows: 0, fnRows: 20, fpRows: 0, tnRows: 150, detectedWindows: 0, windows: 1 });
    expect(s[4]).toMatchObject({ tpRows: 2, fnRows: 18, fpRows: 2, tnRows: 148, detectedWindows: 1, windows: 1 });
    expect(s[6]).toMatchObject({ tpRows: 20, fnRows: 0, fpRows: 150, tnRows: 0 });
  });

  it('weights misses by fnWeight and false positives by fpWeight', () => {
    const lowFn = scoresByThreshold(sweepScores(TINY, 'reward_low_FN_rate'), 'reward_low_FN_rate');
    expect(lowFn[0]?.score).toBe(-2);
    expect(lowFn[1]?.score).toBeCloseTo(LATE, 12);
    const lowFp = scoresByThreshold(sweepScores(TINY, 'reward_low_FP_rate'), 'reward_low_FP_rate');
    expect(lowFp[3]?.score).toBeCloseTo(LATE + 2 * JUST_AFTER - 0.22, 12);
    expect(lowFp[6]?.score).toBeCloseTo(-30.94864468376652, 10);
  });
});

describe('optimizeThreshold and scoreAtThreshold', () => {
  it('picks the best threshold, and the highest one on ties', () => {
    // Left-edge detection at 0.9, a second detection in the same window at 0.5: both thresholds score 1.
    const f = file('tie.csv', 100, [[40, 49]], { 40: 0.9, 45: 0.5 });
    const all = scoresByThreshold(sweepScores(f));
    expect(all.map((r) => [r.threshold, r.score])).toEqual([[1.1, -1], [0.9, 1], [0.5, 1], [0, expect.any(Number)]]);
    expect(optimizeThreshold(sweepScores(f))).toMatchObject({ threshold: 0.9, score: 1 });
  });

  it('takes the row at the threshold, else the last one above it, else (all above) the last row', () => {
    const s = scoresByThreshold(sweepScores(TINY));
    expect(scoreAtThreshold(s, 0.8).row.threshold).toBe(0.8);
    expect(scoreAtThreshold(s, 0.85).row.threshold).toBe(0.9);
    expect(scoreAtThreshold(s, 0.85).allAboveThreshold).toBe(false);
    const only = scoresByThreshold(sweepScores(file('hi.csv', 20, [], Object.fromEntries(Array.from({ length: 20 }, (_, i) => [i, 0.95])))));
    expect(only.map((r) => r.threshold)).toEqual([1.1, 0.95]);
    expect(scoreAtThreshold(only, 0.3)).toMatchObject({ row: { threshold: 0.95 }, allAboveThreshold: true });
  });
});

describe('scoreDetector', () => {
  it('scores one file as NAB does and normalises against null and perfect', () => {
    const r = scoreDetector([TINY], { profile: 'standard' });
    expect(r.threshold).toBe(0.9);
    expect(r.raw).toBeCloseTo(LATE, 12);
    expect(r.nullRaw).toBe(-1);
    expect(r.perfect).toBe(1);
    expect(r.normalized).toBeCloseTo((100 * (LATE + 1)) / 2, 10);
    expect(r.perFile).toEqual([
      { name: 'tiny.csv', raw: r.raw, tp: 1, fp: 0, fn: 0, windows: 1, nullRaw: -1, perfect: 1, allAboveThreshold: false },
    ]);
    const lowFn = scoreDetector([TINY], { profile: 'reward_low_FN_rate' });
    expect(lowFn.nullRaw).toBe(-2);
    expect(lowFn.normalized).toBeCloseTo((100 * (LATE + 2)) / 3, 10);
  });

  it('uses one corpus-level threshold: an undetected window costs −fnWeight, a file entirely above it takes its last row', () => {
    const missed = file('missed.csv', 100, [[50, 59]], { 20: 0.3 });
    // Every scorable row of `flood` scores 0.95 and its window covers all of them: +1 at any T ≤ 0.95.
    const flood = { name: 'flood.csv', timestamps: ts(20), scores: new Array<number>(20).fill(0.95), windows: [[3, 19]] as AnomalyWindow[] };
    const r = scoreDetector([TINY, missed, flood]);
    expect(r.threshold).toBe(0.9);
    const [tiny, miss, fl] = r.perFile;
    expect(tiny).toMatchObject({ tp: 1, fp: 0, fn: 0, allAboveThreshold: false });
    expect(tiny?.raw).toBeCloseTo(LATE, 12);
    expect(miss).toEqual({ name: 'missed.csv', raw: -1, tp: 0, fp: 0, fn: 1, windows: 1, nullRaw: -1, perfect: 1, allAboveThreshold: false });
    expect(fl).toEqual({ name: 'flood.csv', raw: 1, tp: 1, fp: 0, fn: 0, windows: 1, nullRaw: -1, perfect: 1, allAboveThreshold: true });
    expect(r.raw).toBeCloseTo(LATE - 1 + 1, 12);
    expect(r.nullRaw).toBe(-3);
    expect(r.perfect).toBe(3);
    expect(r.normalized).toBeCloseTo((100 * (LATE + 3)) / 6, 10);
    // The per-file sum at the threshold equals the optimiser's corpus score.
    const all = [TINY, missed, flood].flatMap((f) => sweepScores(f));
    expect(optimizeThreshold(all).score).toBeCloseTo(r.raw, 12);
  });

  it('gives 0 to the null detector and 100 to a perfect one', () => {
    const windows: AnomalyWindow[][] = [[[300, 340], [700, 740]], [[500, 599]], []];
    const base = windows.map((w, k) => file(`f${k}.csv`, 1000, w, {}));
    const nulFiles = (fs: ScoredFile[]): ScoredFile[] => fs.map((f) => ({ ...f, scores: f.scores.map(() => 0.5) }));
    const nul = scoreDetector(nulFiles(base));
    expect(nul.normalized).toBe(0);
    expect(nul.threshold).toBe(1.1);
    // 1 at the first row of every window, 0 elsewhere.
    const ideal = base.map((f) => ({ ...f, scores: f.scores.map((_, i) => (f.windows.some(([s]) => s === i) ? 1 : 0)) }));
    const perfect = scoreDetector(ideal);
    expect(perfect.threshold).toBe(1);
    expect(perfect.raw).toBe(3);
    expect(perfect.normalized).toBe(100);
    for (const p of ['reward_low_FP_rate', 'reward_low_FN_rate'] as const) {
      expect(scoreDetector(ideal, { profile: p }).normalized).toBe(100);
      expect(scoreDetector(nulFiles(base), { profile: p }).normalized).toBe(0);
    }
  });

  it('a detector that fires everywhere scores far below null', () => {
    const base = [file('a.csv', 1000, [[300, 340]], {}), file('b.csv', 1000, [], {})];
    const always = scoreDetector(base.map((f) => ({ ...f, scores: f.scores.map(() => 1) })));
    // Firing everywhere is worse than never firing, so the optimiser keeps nothing: the null score.
    expect(always.threshold).toBe(1.1);
    expect(always.normalized).toBe(0);
  });

  it('checks names and options', () => {
    expect(() => scoreDetector([TINY, TINY])).toThrow(/duplicate file name 'tiny.csv'/);
    expect(() => scoreDetector([TINY], { probationPercent: 1 })).toThrow(/probationPercent/);
    expect(() => scoreDetector([TINY], { profile: { tpWeight: 1, fpWeight: -1, fnWeight: 1 } })).toThrow(/fpWeight/);
    expect(Number.isNaN(scoreDetector([file('none.csv', 100, [], {})]).normalized)).toBe(true);
    expect(normalizeScore(0, -2, 2)).toBe(50);
  });
});

describe('makeWindows (NAB window rule)', () => {
  it('centres int(0.10 · n / k) rows on each anomaly', () => {
    expect(makeWindows(1000, [500])).toEqual([[450, 550]]);
    expect(makeWindows(1000, [700, 300])).toEqual([[275, 325], [675, 725]]);
    expect(makeWindows(1001, [500])).toEqual([[450, 550]]); // int(100.1) = 100
    expect(makeWindows(1000, [])).toEqual([]);
  });

  it('clips at the end of the file, drops windows starting in the probation, merges overlaps', () => {
    expect(makeWindows(1000, [990])).toEqual([[940, 999]]);
    expect(makeWindows(1000, [160])).toEqual([]); // starts at 110 < 150
    expect(makeWindows(1000, [160, 600])).toEqual([[575, 625]]);
    expect(makeWindows(1000, [500, 520])).toEqual([[475, 545]]);
    expect(makeWindows(1000, [500, 550])).toEqual([[475, 575]]); // touching (525 ≥ 525) merges too
    expect(() => makeWindows(100, [100])).toThrow(/not a row/);
  });
});

// ---------------------------------------------------------------- the generated corpus

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CORPUS = join(ROOT, 'test/fixtures/anomaly');
function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}
const sha = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');

describe('anomaly corpus (test/fixtures/anomaly)', () => {
  it('regenerates byte-identically from its seed', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'dw-anomaly-corpus-'));
    try {
      const run = spawnSync(process.execPath, [join(ROOT, 'scripts/anomaly-corpus.mjs'), '--out', tmp], { encoding: 'utf8' });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      const committed = listFiles(CORPUS);
      expect(listFiles(tmp)).toEqual(committed);
      for (const f of committed) expect(sha(join(tmp, f)), f).toBe(sha(join(CORPUS, f)));
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('labels every file with NAB windows built from its anomaly points', () => {
    const labels = JSON.parse(readFileSync(join(CORPUS, 'labels.json'), 'utf8')) as Record<string, [string, string][]>;
    const manifest = JSON.parse(readFileSync(join(CORPUS, 'manifest.json'), 'utf8')) as {
      files: Record<string, { category: string; rows: number; anomalies: Array<{ timestamp: string; row: number }> }>;
    };
    const csvs = listFiles(CORPUS).filter((f) => f.endsWith('.csv'));
    expect(Object.keys(labels).sort()).toEqual(csvs);
    expect(Object.keys(manifest.files).sort()).toEqual(csvs);
    expect(csvs.length).toBeGreaterThanOrEqual(40);
    expect(csvs.length).toBeLessThanOrEqual(60);
    let bytes = 0;
    let noAnomaly = 0;
    for (const rel of csvs) {
      const text = readFileSync(join(CORPUS, rel), 'utf8');
      bytes += text.length;
      const lines = text.trimEnd().split('\n');
      expect(lines[0]).toBe('timestamp,value');
      const stamps = lines.slice(1).map((l) => l.split(',')[0] as string);
      const values = lines.slice(1).map((l) => Number(l.split(',')[1]));
      const n = stamps.length;
      expect(n, rel).toBeGreaterThanOrEqual(2000);
      expect(n, rel).toBeLessThanOrEqual(8000);
      expect(values.every(Number.isFinite), rel).toBe(true);
      const ms = stamps.map((s) => Date.parse(`${s.replace(' ', 'T')}Z`));
      expect(stamps[0], rel).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
      for (let i = 1; i < n; i++) expect((ms[i] as number) - (ms[i - 1] as number)).toBe(STEP);
      const info = manifest.files[rel];
      expect(info?.rows).toBe(n);
      const points = (info?.anomalies ?? []).map((a) => {
        expect(stamps[a.row]).toBe(a.timestamp);
        return a.row;
      });
      if (points.length === 0) noAnomaly++;
      const expected = makeWindows(n, points).map(([s, e]) => [stamps[s], stamps[e]]);
      expect(labels[rel], rel).toEqual(expected);
      expect(expected.length, `${rel}: no window lost to probation or merging`).toBe(points.length);
    }
    expect(noAnomaly).toBeGreaterThanOrEqual(5);
    expect(bytes).toBeLessThan(10 * 1024 * 1024);
    const categories = new Set(Object.values(manifest.files).map((f) => f.category));
    for (const c of ['spikes', 'dips', 'level_shift', 'variance_change', 'trend_change', 'seasonal_daily', 'seasonal_weekly', 'dropout', 'flat_quantised', 'no_anomaly', 'realistic']) {
      expect(categories.has(c), c).toBe(true);
    }
  });
});
