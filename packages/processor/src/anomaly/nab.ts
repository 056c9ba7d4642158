/**
 * A faithful port of the Numenta Anomaly Benchmark (NAB v1.1) scorer: windowed, early-detection
 * rewarding scoring of anomaly-score streams against labelled anomaly windows, with one
 * corpus-level threshold per detector and cost profile. Pure functions over arrays, no I/O.
 *
 * The algorithm (NAB `sweeper.py`, `optimizer.py`, `scorer.py`, `runner.normalize`):
 * 1. the first `probationaryLength(n)` rows of every file are not scored;
 * 2. every row gets a sweep score: inside a window, a scaled sigmoid of its position that is worth
 *    exactly `tpWeight` at the window's left edge and falls towards 0 at its right edge; outside,
 *    `-fpWeight` before any window, and a sigmoid from ≈0 right after a window to `-fpWeight` three
 *    window widths later;
 * 3. sweeping the threshold down from 1.1 over the rows sorted by anomaly score (stable, descending)
 *    gives the score at every threshold: only the best (earliest) detection of a window counts, every
 *    detection outside windows is penalised, an undetected window costs `-fnWeight`;
 * 4. the threshold that maximises the score over the whole corpus (all files at once) is chosen, ties
 *    going to the first emitted, i.e. the highest threshold;
 * 5. each file is scored at that threshold and the file scores are summed (the raw score);
 * 6. the raw score is normalised against the null detector (constant 0.5) and a perfect detector:
 *    `100 · (raw − raw_null) / (perfect − raw_null)`.
 */

/** Weights of one NAB cost profile (`config/profiles.json`; NAB's `tnWeight` is unused). */
export interface CostProfile {
  readonly tpWeight: number;
  readonly fpWeight: number;
  readonly fnWeight: number;
}

export type ProfileName = 'standard' | 'reward_low_FP_rate' | 'reward_low_FN_rate';

/** NAB's three application profiles. */
export const PROFILES: Readonly<Record<ProfileName, CostProfile>> = Object.freeze({
  standard: Object.freeze({ tpWeight: 1.0, fpWeight: 0.11, fnWeight: 1.0 }),
  reward_low_FP_rate: Object.freeze({ tpWeight: 1.0, fpWeight: 0.22, fnWeight: 1.0 }),
  reward_low_FN_rate: Object.freeze({ tpWeight: 1.0, fpWeight: 0.11, fnWeight: 2.0 }),
});

/** Share of every file that is probationary (not scored), capped at `PROBATION_PERCENT · 5000` rows. */
export const PROBATION_PERCENT = 0.15;
/** Total window length per file as a share of its rows, split evenly between its anomalies. */
export const WINDOW_SIZE = 0.1;
/** The threshold the sweep starts from: above every score, so nothing is detected. */
export const START_THRESHOLD = 1.1;

/** Inclusive row-index limits `[start, end]` of one labelled anomaly window. */
export type AnomalyWindow = readonly [start: number, end: number];

/** One file of a corpus: the detector's score for every row and the file's labelled windows. */
export interface ScoredFile {
  /** Unique name within the corpus (NAB uses the relative path, e.g. `spikes/cpu.csv`). */
  readonly name: string;
  /** Row timestamps (epoch ms); only checked to have one entry per score. */
  readonly timestamps: readonly number[];
  /** Anomaly score of every row, each in [0, 1]. */
  readonly scores: readonly number[];
  /** Windows as inclusive row indices, sorted and non-overlapping. */
  readonly windows: readonly AnomalyWindow[];
}

/** One row after the sweep: its anomaly score and what detecting it would be worth. */
export interface SweepRow {
  /** Row index in its file. */
  readonly index: number;
  /** The detector's anomaly score. */
  readonly anomalyScore: number;
  /** Weighted sweep score: the value of a detection at this row. */
  readonly sweepScore: number;
  /** `"<file>|<windowStart>"` inside a window, `null` outside. */
  readonly window: string | null;
  /** True for the probationary rows, which are never scored. */
  readonly probationary: boolean;
}

/**
 * The corpus or file score when every row with `anomalyScore >= threshold` is a detection. The row
 * counts are NAB's (`ThresholdScore`): rows inside windows are TP when detected and FN otherwise, rows
 * outside windows FP when detected and TN otherwise; probationary rows are not counted.
 */
export interface ThresholdScore {
  readonly threshold: number;
  readonly score: number;
  readonly tpRows: number;
  readonly fpRows: number;
  readonly fnRows: number;
  readonly tnRows: number;
  /** Windows (with scorable rows) that hold at least one detection. */
  readonly detectedWindows: number;
  /** Windows with scorable rows. */
  readonly windows: number;
}

/** Score of one file at the corpus threshold. */
export interface FileScore {
  readonly name: string;
  /** Raw NAB score of the file. */
  readonly raw: number;
  /** Windows with at least one detection. */
  readonly tp: number;
  /** Detected rows outside every window (after probation). */
  readonly fp: number;
  /** Windows without any detection. */
  readonly fn: number;
  /** Windows labelled in the file. */
  readonly windows: number;
  /** Raw score of the null detector (constant 0.5) on this file at its own corpus threshold. */
  readonly nullRaw: number;
  /** Raw score of a perfect detector on this file (`windows · tpWeight`). */
  readonly perfect: number;
  /** True when every scorable row of the file scores above the threshold (NAB leaves no row then). */
  readonly allAboveThreshold: boolean;
}

/** Result of scoring one detector on a corpus with one profile. */
export interface DetectorScore {
  /** The corpus-level threshold chosen by the optimiser. */
  readonly threshold: number;
  /** Sum of the per-file raw scores at `threshold`. */
  readonly raw: number;
  /** The null detector's raw score on the same corpus. */
  readonly nullRaw: number;
  /** A perfect detector's raw score (`#windows · tpWeight`). */
  readonly perfect: number;
  /** `100 · (raw − nullRaw) / (perfect − nullRaw)`; NaN when `perfect === nullRaw` (no windows). */
  readonly normalized: number;
  readonly perFile: FileScore[];
}

export interface ScoreOptions {
  /** A profile name or explicit weights; default `'standard'`. */
  readonly profile?: ProfileName | CostProfile;
  /** Default `PROBATION_PERCENT`. */
  readonly probationPercent?: number;
}

export interface WindowOptions {
  /** Default `WINDOW_SIZE` (10 % of the file, divided by the number of anomalies). */
  readonly windowSize?: number;
  /** Default `PROBATION_PERCENT`. */
  readonly probationPercent?: number;
}

/** `min(floor(p · n), p · 5000)`: the number of leading rows of an n-row file that are not scored. */
export function probationaryLength(numRows: number, probationPercent: number = PROBATION_PERCENT): number {
  return Math.min(Math.floor(probationPercent * numRows), probationPercent * 5000);
}

/**
 * NAB's scaled sigmoid: `2 / (1 + e^{5x}) − 1`, and exactly −1 beyond 3. −1 (a window's left edge)
 * gives 0.98661, 0 gives 0, 1 gives −0.98661.
 */
export function scaledSigmoid(relativePosition: number): number {
  if (relativePosition > 3.0) return -1.0;
  return 2 * (1 / (1 + Math.exp(5 * relativePosition))) - 1.0;
}

function resolveProfile(profile: ProfileName | CostProfile | undefined): CostProfile {
  if (profile === undefined) return PROFILES.standard;
  if (typeof profile === 'string') {
    const p = (PROFILES as Record<string, CostProfile | undefined>)[profile];
    if (!p) throw new RangeError(`unknown NAB profile '${profile}' (expected one of ${Object.keys(PROFILES).join(', ')})`);
    return p;
  }
  for (const k of ['tpWeight', 'fpWeight', 'fnWeight'] as const) {
    if (!Number.isFinite(profile[k]) || profile[k] < 0) throw new RangeError(`profile.${k} must be a finite number >= 0, got ${profile[k]}`);
  }
  return profile;
}

function checkFile(file: ScoredFile): void {
  const n = file.scores.length;
  if (file.timestamps.length !== n) {
    throw new RangeError(`${file.name}: ${file.timestamps.length} timestamps but ${n} scores`);
  }
  for (let i = 0; i < n; i++) {
    const s = file.scores[i] as number;
    if (!(s >= 0 && s <= 1)) throw new RangeError(`${file.name}: score at row ${i} is ${s}, expected a number in [0, 1]`);
  }
  let prevEnd = -1;
  for (const [start, end] of file.windows) {
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end >= n || start > end) {
      throw new RangeError(`${file.name}: window [${start}, ${end}] is not a valid inclusive row range of ${n} rows`);
    }
    if (start <= prevEnd) throw new RangeError(`${file.name}: window [${start}, ${end}] overlaps or precedes the previous window`);
    prevEnd = end;
  }
}

/**
 * NAB `calcSweepScore`: walks the rows of one file in order and gives each one its sweep score and
 * window. Rows before `probationaryLength(n)` are marked probationary.
 */
export function sweepScores(
  file: ScoredFile,
  profile: ProfileName | CostProfile = 'standard',
  probationPercent: number = PROBATION_PERCENT,
): SweepRow[] {
  checkFile(file);
  const { tpWeight, fpWeight } = resolveProfile(profile);
  const n = file.scores.length;
  const maxTP = scaledSigmoid(-1.0);
  const probation = probationaryLength(n, probationPercent);
  const rows: SweepRow[] = new Array<SweepRow>(n);
  let next = 0; // index of the next window to enter
  let inWindow = false;
  let curName: string | null = null;
  let curRight = 0;
  let curWidth = 0;
  let prevRight: number | null = null;
  let prevWidth = 0;
  for (let i = 0; i < n; i++) {
    const w = file.windows[next];
    if (w !== undefined && i === w[0]) {
      next++;
      inWindow = true;
      curName = `${file.name}|${w[0]}`;
      curRight = w[1];
      curWidth = curRight - w[0] + 1;
    }
    let sweep: number;
    if (inWindow) {
      const position = -(curRight - i + 1) / curWidth;
      sweep = (scaledSigmoid(position) * tpWeight) / maxTP;
    } else {
      // NAB divides by (prevWidth - 1): a one-row window makes every later row a full false positive.
      const unweighted = prevRight === null ? -1.0 : scaledSigmoid(Math.abs(prevRight - i) / (prevWidth - 1));
      sweep = unweighted * fpWeight;
    }
    const probationary = i < probation;
    rows[i] = { index: i, anomalyScore: file.scores[i] as number, sweepScore: sweep, window: probationary ? null : curName, probationary };
    if (inWindow && i === curRight) {
      prevRight = i;
      prevWidth = curWidth;
      inWindow = false;
      curName = null;
    }
  }
  return rows;
}

/**
 * NAB `calcScoreByThreshold`: drops probationary rows, sorts the rest by anomaly score (descending,
 * stable) and emits `(threshold, score)` every time the score changes, starting at 1.1 (nothing
 * detected). A row `(T, S)` means "every row with anomalyScore >= T is a detection, and the total is
 * S". Works on one file or on the concatenated rows of a whole corpus.
 */
export function scoresByThreshold(rows: readonly SweepRow[], profile: ProfileName | CostProfile = 'standard'): ThresholdScore[] {
  const { fnWeight } = resolveProfile(profile);
  const scorable = rows.filter((r) => !r.probationary);
  scorable.sort((a, b) => b.anomalyScore - a.anomalyScore); // Array.prototype.sort is stable
  // Insertion order matters for the floating-point sum: 'fp' first, then windows in sorted order.
  const parts = new Map<string, number>([['fp', 0]]);
  let tnRows = 0;
  let fnRows = 0;
  for (const r of scorable) {
    if (r.window === null) tnRows++;
    else {
      fnRows++;
      if (!parts.has(r.window)) parts.set(r.window, -fnWeight);
    }
  }
  const windows = parts.size - 1;
  const detected = new Set<string>();
  let tpRows = 0;
  let fpRows = 0;
  let fpPart = 0;
  const total = (): number => {
    let s = 0;
    for (const [k, v] of parts) s += k === 'fp' ? fpPart : v;
    return s;
  };
  const out: ThresholdScore[] = [];
  let cur = START_THRESHOLD;
  const emit = (): void => {
    out.push({ threshold: cur, score: total(), tpRows, fpRows, fnRows, tnRows, detectedWindows: detected.size, windows });
  };
  for (const r of scorable) {
    if (r.anomalyScore !== cur) {
      emit();
      cur = r.anomalyScore;
    }
    if (r.window === null) {
      fpRows++;
      tnRows--;
      fpPart += r.sweepScore;
    } else {
      tpRows++;
      fnRows--;
      detected.add(r.window);
      const before = parts.get(r.window) as number;
      if (r.sweepScore > before) parts.set(r.window, r.sweepScore);
    }
  }
  emit();
  return out;
}

/**
 * NAB's optimiser: the threshold with the highest score among `scoresByThreshold(rows)`; on ties the
 * first emitted, i.e. the highest threshold. Pass the concatenated rows of every file of the corpus to
 * get one threshold per detector and profile.
 */
export function optimizeThreshold(rows: readonly SweepRow[], profile: ProfileName | CostProfile = 'standard'): ThresholdScore {
  const all = scoresByThreshold(rows, profile);
  let best = all[0] as ThresholdScore;
  for (const s of all) if (s.score > best.score) best = s;
  return best;
}

/**
 * NAB `scoreDataSet`'s row choice: the row whose threshold equals `threshold`, else the last row with
 * a higher threshold. When every row lies above `threshold` (NAB crashes there) the last row, with
 * every scorable point detected, is taken and `allAboveThreshold` is true.
 */
export function scoreAtThreshold(byThreshold: readonly ThresholdScore[], threshold: number): { row: ThresholdScore; allAboveThreshold: boolean } {
  let prev: ThresholdScore | undefined;
  for (const s of byThreshold) {
    if (s.threshold === threshold) return { row: s, allAboveThreshold: false };
    if (s.threshold < threshold) {
      if (prev === undefined) throw new RangeError(`threshold ${threshold} is above the start threshold ${START_THRESHOLD}`);
      return { row: prev, allAboveThreshold: false };
    }
    prev = s;
  }
  if (prev === undefined) throw new RangeError('no threshold rows to score');
  return { row: prev, allAboveThreshold: true };
}

/** `100 · (raw − nullRaw) / (perfect − nullRaw)`; NaN when `perfect === nullRaw`. */
export function normalizeScore(raw: number, nullRaw: number, perfect: number): number {
  if (perfect === nullRaw) return Number.NaN;
  return (100 * (raw - nullRaw)) / (perfect - nullRaw);
}

interface CorpusScore {
  threshold: number;
  raw: number;
  perFile: Array<{ name: string; raw: number; row: ThresholdScore; allAboveThreshold: boolean; windows: number }>;
}

function scoreCorpus(files: readonly ScoredFile[], profile: CostProfile, probationPercent: number): CorpusScore {
  const perFileRows = files.map((f) => sweepScores(f, profile, probationPercent));
  const all: SweepRow[] = [];
  for (const rows of perFileRows) for (const r of rows) all.push(r);
  const { threshold } = optimizeThreshold(all, profile);
  let raw = 0;
  const perFile = files.map((f, i) => {
    const { row, allAboveThreshold } = scoreAtThreshold(scoresByThreshold(perFileRows[i] as SweepRow[], profile), threshold);
    raw += row.score;
    return { name: f.name, raw: row.score, row, allAboveThreshold, windows: f.windows.length };
  });
  return { threshold, raw, perFile };
}

/**
 * Scores one detector's output on a whole corpus with one profile, exactly as NAB does: one optimised
 * threshold for the corpus, each file scored at it, the sum normalised against the null detector
 * (constant 0.5, scored the same way) and a perfect one.
 */
export function scoreDetector(files: readonly ScoredFile[], options: ScoreOptions = {}): DetectorScore {
  const profile = resolveProfile(options.profile);
  const probationPercent = options.probationPercent ?? PROBATION_PERCENT;
  if (!(probationPercent >= 0 && probationPercent < 1)) throw new RangeError(`probationPercent must be in [0, 1), got ${probationPercent}`);
  const names = new Set<string>();
  for (const f of files) {
    if (names.has(f.name)) throw new RangeError(`duplicate file name '${f.name}' in the corpus`);
    names.add(f.name);
  }
  const det = scoreCorpus(files, profile, probationPercent);
  const nullFiles = files.map((f) => ({ ...f, scores: new Array<number>(f.scores.length).fill(0.5) }));
  const nul = scoreCorpus(nullFiles, profile, probationPercent);
  let perfect = 0;
  const perFile: FileScore[] = det.perFile.map((p, i) => {
    const filePerfect = p.windows * profile.tpWeight;
    perfect += filePerfect;
    return {
      name: p.name,
      raw: p.raw,
      tp: p.row.detectedWindows,
      fp: p.row.fpRows,
      fn: p.windows - p.row.detectedWindows,
      windows: p.windows,
      nullRaw: (nul.perFile[i] as { raw: number }).raw,
      perfect: filePerfect,
      allAboveThreshold: p.allAboveThreshold,
    };
  });
  return {
    threshold: det.threshold,
    raw: det.raw,
    nullRaw: nul.raw,
    perfect,
    normalized: normalizeScore(det.raw, nul.raw, perfect),
    perFile,
  };
}

/**
 * NAB's window construction (`LabelCombiner.applyWindows` + `checkWindows`) for an n-row file with
 * anomalies at the given row indices: each window is `int(windowSize · n / k)` rows long (k = number
 * of anomalies), centred on its anomaly (`[a − ⌊len/2⌋, a + ⌊len/2⌋]`, clipped to the file); windows
 * starting inside the probationary period are dropped, then overlapping (or touching) windows are
 * merged. NAB itself only checks the first window against the probation and merges one pair at a
 * time; on its own labels the two agree.
 */
export function makeWindows(numRows: number, anomalyIndices: readonly number[], options: WindowOptions = {}): Array<[number, number]> {
  const windowSize = options.windowSize ?? WINDOW_SIZE;
  const probationPercent = options.probationPercent ?? PROBATION_PERCENT;
  if (!Number.isInteger(numRows) || numRows < 1) throw new RangeError(`numRows must be a positive integer, got ${numRows}`);
  const anomalies = [...anomalyIndices].sort((a, b) => a - b);
  for (const a of anomalies) {
    if (!Number.isInteger(a) || a < 0 || a >= numRows) throw new RangeError(`anomaly index ${a} is not a row of a ${numRows}-row file`);
  }
  if (anomalies.length === 0) return [];
  const length = Math.trunc((windowSize * numRows) / anomalies.length);
  const half = Math.floor(length / 2);
  const probation = probationaryLength(numRows, probationPercent);
  const windows: Array<[number, number]> = [];
  for (const a of anomalies) {
    const start = Math.max(a - half, 0);
    const end = Math.min(a + half, numRows - 1);
    if (start < probation) continue;
    const last = windows[windows.length - 1];
    if (last !== undefined && start <= last[1]) last[1] = Math.max(last[1], end);
    else windows.push([start, end]);
  }
  return windows;
}
