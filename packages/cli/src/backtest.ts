/**
 * Backtesting: run a streaming anomaly detector over a recorded series, row by row, and write every
 * row back with its anomaly score. The input is a CSV with header `timestamp,value`; the output is
 * `timestamp,value,anomaly_score` with the same rows in the same order, the timestamp and value
 * fields exactly as read. One fresh detector per file, fed in file order, so the score of a row
 * depends only on the rows before it (a prefix of a file scores exactly like the start of the file).
 *
 * Everything streams: csv-parse in, csv-stringify out, joined by `pipeline` so backpressure holds
 * and memory stays flat however long the file is. A file is written to a temporary file beside the
 * target and renamed into place only when it is complete; on any failure the temporary file is
 * removed, so a failed run leaves nothing half-written behind.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, stat, unlink } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { Transform } from 'node:stream';
import type { Readable, TransformCallback, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parse } from 'csv-parse';
import { stringify } from 'csv-stringify';
import { createDetector, DEFAULT_DETECTOR, DETECTOR_NAMES } from '@driftwatch/processor';
import type { Detector } from '@driftwatch/processor';
import { BacktestError, UsageError } from './errors';
import { parseTimestamp } from './timestamp';

/** Builds a detector by name (the default is `createDetector` from `@driftwatch/processor`). */
export type BacktestDetectorFactory = (name: string, options?: Record<string, unknown>) => Pick<Detector, 'update'>;

export interface BacktestOptions {
  /** Detector name (default `DEFAULT_DETECTOR`, the ensemble); checked against `DETECTOR_NAMES`. */
  detector?: string;
  /** Options passed to the detector factory with the name. */
  detectorOptions?: Record<string, unknown>;
  /**
   * Builds the detectors instead of `createDetector` (for custom detectors). The name is then not
   * checked against `DETECTOR_NAMES`; the factory is called once up front to check the options.
   */
  detectorFactory?: BacktestDetectorFactory;
  /** Aborts the run; the pending output file is removed and the abort error is thrown. */
  signal?: AbortSignal;
}

/** Progress of one file: rows scored and input bytes consumed so far. */
export type BacktestProgressListener = (rows: number, bytes: number) => void;

export interface BacktestStreamOptions extends BacktestOptions {
  /** How the input is named in error messages (default `'<input>'`). */
  name?: string;
  /** Called every 1024 rows and once at the end. */
  onProgress?: BacktestProgressListener;
}

/** What one scored series amounted to. */
export interface BacktestStreamResult {
  /** The detector's name. */
  detector: string;
  /** Data rows scored (the header not counted). */
  rows: number;
  /** Input bytes read. */
  bytes: number;
  /** Highest score of any row (0 for a file with no anomaly at all). */
  maxScore: number;
  /** First and last timestamp (epoch ms). */
  firstTimestamp: number;
  lastTimestamp: number;
}

/** Options of `backtestFile` (those of `backtestStream`; `name` defaults to the input path). */
export type BacktestFileOptions = BacktestStreamOptions;

export interface BacktestFileResult extends BacktestStreamResult {
  input: string;
  output: string;
  /** Wall time of the file, in milliseconds. */
  durationMs: number;
}

/** One file of a directory run. */
export interface BacktestDirectoryEntry {
  /** Input path (the input directory joined with `relative`). */
  input: string;
  /** Output path (the output directory joined with `relative`). */
  output: string;
  /** Path below the input directory, with the platform's separators. */
  relative: string;
  /** Size of the input file in bytes. */
  bytes: number;
}

export type BacktestDirectoryOutcome =
  | { ok: true; entry: BacktestDirectoryEntry; result: BacktestFileResult }
  | { ok: false; entry: BacktestDirectoryEntry; error: BacktestError };

export interface BacktestDirectoryOptions extends BacktestOptions {
  /** Called once with every file found, before the first is scored. */
  onStart?: (entries: readonly BacktestDirectoryEntry[]) => void;
  /** Progress within the file at `index` (every 1024 rows and at its end). */
  onProgress?: (index: number, rows: number, bytes: number) => void;
  /** Called when the file at `index` is done, scored or failed. */
  onFileDone?: (outcome: BacktestDirectoryOutcome, index: number) => void;
}

export interface BacktestDirectoryResult {
  input: string;
  output: string;
  detector: string;
  /** Every file, in the order processed (sorted by relative path). */
  files: BacktestDirectoryOutcome[];
  succeeded: number;
  failed: number;
  /** Rows scored in the files that succeeded. */
  rows: number;
  durationMs: number;
}

/** The output header. */
export const OUTPUT_COLUMNS: readonly string[] = Object.freeze(['timestamp', 'value', 'anomaly_score']);

const PROGRESS_EVERY = 1024;
/** Longest record accepted; a longer one (e.g. an unclosed quote swallowing the file) is an error. */
const MAX_RECORD_BYTES = 64 * 1024;
const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i;

function quote(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 77)}...` : text);
}

function parseValue(text: string): number | undefined {
  const s = text.trim();
  if (!NUMBER.test(s)) return undefined;
  const v = Number(s);
  return Number.isFinite(v) ? v : undefined;
}

interface ResolvedDetector {
  name: string;
  create: () => Pick<Detector, 'update'>;
}

/**
 * Checks the detector choice once: the name against `DETECTOR_NAMES` (unless a custom factory is
 * given) and the options by building one detector. Problems are `UsageError`s.
 */
function resolveDetector(options: BacktestOptions): ResolvedDetector {
  const name = options.detector ?? DEFAULT_DETECTOR;
  const factory: BacktestDetectorFactory = options.detectorFactory ?? createDetector;
  if (options.detectorFactory === undefined && !DETECTOR_NAMES.includes(name)) {
    throw new UsageError(`unknown detector ${quote(name)} (available: ${DETECTOR_NAMES.join(', ')})`);
  }
  const detectorOptions = options.detectorOptions;
  const create = (): Pick<Detector, 'update'> => factory(name, detectorOptions);
  try {
    create();
  } catch (err) {
    throw new UsageError(`detector ${quote(name)}: ${(err as Error).message}`, { cause: err });
  }
  return { name, create };
}

interface ParsedRecord {
  record: string[];
  info: { lines: number; bytes: number };
}

/** Validates and scores rows; emits `[timestamp, value, score]` records (the header first). */
class ScoreRows extends Transform {
  rows = 0;
  bytes = 0;
  maxScore = 0;
  firstTimestamp = Number.NaN;
  lastTimestamp = Number.NaN;
  /** Line of the last record read (0 before the first). */
  lastLine = 0;
  private _header = false;
  private _lastText = '';
  private _lastLine = 0;

  constructor(
    private readonly _name: string,
    private readonly _detector: Pick<Detector, 'update'>,
    private readonly _detectorName: string,
    private readonly _onProgress: BacktestProgressListener | undefined,
  ) {
    super({ objectMode: true, highWaterMark: 64 });
  }

  override _transform(chunk: ParsedRecord, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      const { record, info } = chunk;
      this.bytes = info.bytes;
      this.lastLine = info.lines;
      // A line of whitespace only (e.g. a lone "\r" in a file of mixed line endings) is a blank line.
      if (record.length === 1 && record[0]!.trim() === '') {
        callback();
        return;
      }
      if (this._header) this._row(record, info.lines);
      else this._checkHeader(record, info.lines);
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    if (!this._header) {
      callback(new BacktestError(this._name, undefined, 'empty file (expected a header "timestamp,value" and rows)'));
      return;
    }
    if (this.rows === 0) {
      callback(new BacktestError(this._name, undefined, 'no rows after the header "timestamp,value"'));
      return;
    }
    this._onProgress?.(this.rows, this.bytes);
    callback();
  }

  private _checkHeader(record: string[], line: number): void {
    const names = record.map((f) => f.trim().toLowerCase());
    if (names.length === 2 && names[0] === 'timestamp' && names[1] === 'value') {
      this._header = true;
      this.push(OUTPUT_COLUMNS);
      return;
    }
    if (record.length === 2 && parseTimestamp(record[0]!) !== undefined) {
      throw new BacktestError(this._name, line, 'missing header: the first line must be "timestamp,value", found a data row');
    }
    throw new BacktestError(this._name, line, `unknown header ${quote(record.join(','))} (expected "timestamp,value")`);
  }

  private _row(record: string[], line: number): void {
    if (record.length !== 2) {
      throw new BacktestError(this._name, line, `expected 2 columns (timestamp,value), found ${record.length}`);
    }
    const tsText = record[0]!;
    const valueText = record[1]!;
    const ts = parseTimestamp(tsText);
    if (ts === undefined) {
      throw new BacktestError(this._name, line, `timestamp ${quote(tsText)} is not a date-time (expected "YYYY-MM-DD HH:MM:SS" in UTC, ISO 8601 or epoch milliseconds)`);
    }
    const value = parseValue(valueText);
    if (value === undefined) throw new BacktestError(this._name, line, `value ${quote(valueText)} is not a number`);
    if (ts < this.lastTimestamp) {
      throw new BacktestError(
        this._name,
        line,
        `timestamp ${quote(tsText)} is earlier than ${quote(this._lastText)} on line ${this._lastLine} (rows must be in time order)`,
      );
    }
    const score = this._detector.update(ts, value).score;
    if (typeof score !== 'number' || !(score >= 0 && score <= 1)) {
      throw new BacktestError(this._name, line, `detector ${quote(this._detectorName)} returned score ${String(score)} (expected a number in [0, 1])`);
    }
    if (this.rows === 0) this.firstTimestamp = ts;
    this.lastTimestamp = ts;
    this._lastText = tsText;
    this._lastLine = line;
    if (score > this.maxScore) this.maxScore = score;
    this.rows++;
    if (this._onProgress !== undefined && this.rows % PROGRESS_EVERY === 0) this._onProgress(this.rows, this.bytes);
    this.push([tsText, valueText, score]);
  }
}

function isAbort(err: unknown): boolean {
  return (err as Error | undefined)?.name === 'AbortError';
}

/** Turns whatever a pipeline threw into a `BacktestError` for `name` (aborts pass through). */
function asBacktestError(err: unknown, name: string, lastLine?: number): unknown {
  if (err instanceof BacktestError || err instanceof UsageError || isAbort(err)) return err;
  const e = err as Error & { code?: string; lines?: number };
  if (typeof e.code === 'string' && e.code.startsWith('CSV_')) {
    // An unclosed quote runs to the end of the file (or the record limit): csv-parse reports where it
    // stopped, the record in question starts on the line after the last complete one.
    if ((e.code === 'CSV_QUOTE_NOT_CLOSED' || e.code === 'CSV_MAX_RECORD_SIZE') && lastLine !== undefined) {
      const reason =
        e.code === 'CSV_QUOTE_NOT_CLOSED'
          ? 'a quoted field is never closed (unterminated quote)'
          : `a record is longer than ${MAX_RECORD_BYTES} bytes (an unterminated quote?)`;
      return new BacktestError(name, lastLine + 1, reason, { cause: err });
    }
    return new BacktestError(name, typeof e.lines === 'number' && e.lines > 0 ? e.lines : undefined, `malformed CSV: ${e.message}`, { cause: err });
  }
  return new BacktestError(name, undefined, e?.message ?? String(err), { cause: err });
}

/**
 * Scores one CSV stream into another. `output` receives `timestamp,value,anomaly_score` and is
 * ended; the returned promise settles when it has finished. Malformed input rejects with a
 * `BacktestError` naming `options.name` and the line; an unknown detector or bad options reject with
 * a `UsageError` before anything is read.
 */
export async function backtestStream(input: Readable, output: Writable, options: BacktestStreamOptions = {}): Promise<BacktestStreamResult> {
  const detector = resolveDetector(options);
  return runStream(input, output, detector, options);
}

async function runStream(input: Readable, output: Writable, detector: ResolvedDetector, options: BacktestStreamOptions): Promise<BacktestStreamResult> {
  const name = options.name ?? '<input>';
  const parser = parse({ bom: true, info: true, relax_column_count: true, skip_empty_lines: true, max_record_size: MAX_RECORD_BYTES });
  const scorer = new ScoreRows(name, detector.create(), detector.name, options.onProgress);
  const stringifier = stringify();
  try {
    await pipeline(input, parser, scorer, stringifier, output, options.signal === undefined ? {} : { signal: options.signal });
  } catch (err) {
    throw asBacktestError(err, name, scorer.lastLine);
  }
  return {
    detector: detector.name,
    rows: scorer.rows,
    bytes: scorer.bytes,
    maxScore: scorer.maxScore,
    firstTimestamp: scorer.firstTimestamp,
    lastTimestamp: scorer.lastTimestamp,
  };
}

async function statOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await stat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function temporaryBeside(output: string): string {
  return join(dirname(output), `.${basename(output)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
}

async function runFile(input: string, output: string, detector: ResolvedDetector, options: BacktestFileOptions): Promise<BacktestFileResult> {
  const started = performance.now();
  const name = options.name ?? input;
  let inStat: Stats | undefined;
  let outStat: Stats | undefined;
  try {
    inStat = await statOrUndefined(input);
    outStat = await statOrUndefined(output);
  } catch (err) {
    throw asBacktestError(err, name);
  }
  if (inStat === undefined) throw new BacktestError(name, undefined, 'no such file');
  if (!inStat.isFile()) throw new BacktestError(name, undefined, inStat.isDirectory() ? 'is a directory, not a file' : 'is not a regular file');
  if (outStat !== undefined) {
    if (outStat.isDirectory()) throw new BacktestError(name, undefined, `cannot write ${output}: it is a directory`);
    if (outStat.dev === inStat.dev && outStat.ino === inStat.ino) throw new UsageError(`the output ${output} is the input file itself`);
  } else if (resolve(output) === resolve(input)) {
    throw new UsageError(`the output ${output} is the input file itself`);
  }
  const tmp = temporaryBeside(output);
  try {
    await mkdir(dirname(output), { recursive: true });
    const result = await runStream(createReadStream(input, { highWaterMark: 16 * 1024 }), createWriteStream(tmp, { flags: 'wx' }), detector, { ...options, name });
    await rename(tmp, output);
    return { ...result, input, output, durationMs: performance.now() - started };
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw asBacktestError(err, name);
  }
}

/**
 * Scores the CSV file `input` into `output` (created or replaced; its directory is created when
 * missing). The output appears only when complete: it is written beside the target under a
 * temporary name and renamed, and removed on failure. Rejects with a `BacktestError` (the file, and
 * the line when there is one) or, for an unknown detector, bad options or an output that is the
 * input itself, a `UsageError`.
 */
export async function backtestFile(input: string, output: string, options: BacktestFileOptions = {}): Promise<BacktestFileResult> {
  return runFile(input, output, resolveDetector(options), options);
}

function isCsv(name: string): boolean {
  return name.toLowerCase().endsWith('.csv');
}

function isInside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

/** Every `*.csv` file below `dir` (recursively, following file symlinks), sorted by relative path. */
async function listCsvFiles(dir: string, skipDir: string | undefined): Promise<{ relative: string; bytes: number }[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const found: { relative: string; bytes: number }[] = [];
  for (const e of entries) {
    if (!isCsv(e.name) || !(e.isFile() || e.isSymbolicLink())) continue;
    const full = join(e.parentPath, e.name);
    if (skipDir !== undefined && isInside(resolve(full), skipDir)) continue;
    const s = await statOrUndefined(full);
    if (s === undefined || !s.isFile()) continue;
    found.push({ relative: relative(dir, full), bytes: s.size });
  }
  found.sort((a, b) => (a.relative < b.relative ? -1 : a.relative > b.relative ? 1 : 0));
  return found;
}

/**
 * Scores every `*.csv` below `inputDir` (recursively) into the same relative path below
 * `outputDir`, one file after another, each with a fresh detector. A file that fails is reported in
 * the result (and through `onFileDone`) and the others still run. Rejects only for usage problems
 * (missing input directory, output equal to the input, unknown detector or bad options) and aborts.
 * When the output directory lies inside the input directory it is not searched.
 */
export async function backtestDirectory(inputDir: string, outputDir: string, options: BacktestDirectoryOptions = {}): Promise<BacktestDirectoryResult> {
  const started = performance.now();
  const detector = resolveDetector(options);
  const inStat = await statOrUndefined(inputDir);
  if (inStat === undefined) throw new UsageError(`input directory ${inputDir} does not exist`);
  if (!inStat.isDirectory()) throw new UsageError(`input ${inputDir} is not a directory`);
  const inAbs = resolve(inputDir);
  const outAbs = resolve(outputDir);
  if (inAbs === outAbs) throw new UsageError(`the output directory ${outputDir} is the input directory itself (the scores would replace the series)`);
  const outStat = await statOrUndefined(outputDir);
  if (outStat !== undefined && !outStat.isDirectory()) throw new UsageError(`output ${outputDir} exists and is not a directory`);
  const listed = await listCsvFiles(inputDir, isInside(outAbs, inAbs) ? outAbs : undefined);
  const entries: BacktestDirectoryEntry[] = listed.map((f) => ({
    input: join(inputDir, f.relative),
    output: join(outputDir, f.relative),
    relative: f.relative,
    bytes: f.bytes,
  }));
  options.onStart?.(entries);
  const files: BacktestDirectoryOutcome[] = [];
  let rows = 0;
  let failed = 0;
  for (const [index, entry] of entries.entries()) {
    options.signal?.throwIfAborted();
    let outcome: BacktestDirectoryOutcome;
    try {
      const onProgress = options.onProgress;
      const result = await runFile(entry.input, entry.output, detector, {
        name: entry.input,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
        ...(onProgress === undefined ? {} : { onProgress: (r: number, b: number) => onProgress(index, r, b) }),
      });
      rows += result.rows;
      outcome = { ok: true, entry, result };
    } catch (err) {
      if (isAbort(err)) throw err;
      failed++;
      const error = err instanceof BacktestError ? err : new BacktestError(entry.input, undefined, (err as Error).message, { cause: err });
      outcome = { ok: false, entry, error };
    }
    files.push(outcome);
    options.onFileDone?.(outcome, index);
  }
  return {
    input: inputDir,
    output: outputDir,
    detector: detector.name,
    files,
    succeeded: files.length - failed,
    failed,
    rows,
    durationMs: performance.now() - started,
  };
}
