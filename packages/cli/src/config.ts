/**
 * The `--config FILE` of `driftwatch backtest`: JSON `{ "detector": "ewma", "options": { … } }`,
 * both keys optional; `options` go to `createDetector(name, options)`.
 */
import { readFile } from 'node:fs/promises';
import { UsageError } from './errors';

export interface BacktestConfig {
  /** Detector name (one of `DETECTOR_NAMES`). */
  detector?: string;
  /** Options for the detector, passed to `createDetector`. */
  options?: Record<string, unknown>;
}

const KEYS = new Set(['detector', 'options']);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Checks a parsed configuration; `source` names it in errors. */
export function parseBacktestConfig(value: unknown, source: string): BacktestConfig {
  if (!isPlainObject(value)) throw new UsageError(`config ${source}: expected a JSON object { "detector": "...", "options": { ... } }`);
  const unknown = Object.keys(value).filter((k) => !KEYS.has(k));
  if (unknown.length > 0) {
    throw new UsageError(`config ${source}: unknown key${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')} (expected "detector" and "options")`);
  }
  const out: BacktestConfig = {};
  if (value.detector !== undefined) {
    if (typeof value.detector !== 'string' || value.detector.length === 0) {
      throw new UsageError(`config ${source}: "detector" must be a detector name (a non-empty string), got ${JSON.stringify(value.detector)}`);
    }
    out.detector = value.detector;
  }
  if (value.options !== undefined) {
    if (!isPlainObject(value.options)) throw new UsageError(`config ${source}: "options" must be an object, got ${JSON.stringify(value.options)}`);
    out.options = value.options;
  }
  return out;
}

/** Reads and checks a configuration file; any problem is a `UsageError` naming the file. */
export async function readBacktestConfig(path: string): Promise<BacktestConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (err as Error).message;
    throw new UsageError(`config ${path}: cannot read it (${why})`, { cause: err });
  }
  let value: unknown;
  try {
    value = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new UsageError(`config ${path}: not valid JSON (${(err as Error).message})`, { cause: err });
  }
  return parseBacktestConfig(value, path);
}
