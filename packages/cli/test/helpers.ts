// Shared fixtures for the CLI tests: temporary directories, deterministic series, CSV reading.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import type { Dirent } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse } from 'csv-parse/sync';

export const START_MS = Date.UTC(2014, 3, 1, 0, 0, 0);
export const STEP_MS = 5 * 60_000;

/** A temporary directory removed by `cleanup()`. */
export function tempDir(prefix = 'driftwatch-cli-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** `2014-04-01 00:05:00` for an epoch-ms time (the NAB layout, UTC). */
export function nabTimestamp(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/**
 * A deterministic series with structure a detector reacts to: a daily-ish cycle, noise, one spike
 * at 60% and a level shift at 80%. Returns the rows as [timestamp text, value text].
 */
export function makeSeries(n: number, seed = 1): [string, string][] {
  let s = seed >>> 0;
  const rand = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const rows: [string, string][] = [];
  for (let i = 0; i < n; i++) {
    let v = 50 + 10 * Math.sin((2 * Math.PI * i) / 288) + (rand() - 0.5) * 4;
    if (i === Math.floor(n * 0.6)) v += 80;
    if (i >= Math.floor(n * 0.8)) v += 25;
    rows.push([nabTimestamp(START_MS + i * STEP_MS), v.toFixed(3)]);
  }
  return rows;
}

export function csvText(rows: readonly (readonly string[])[], header = 'timestamp,value'): string {
  return `${header}\n${rows.map((r) => r.join(',')).join('\n')}\n`;
}

export function writeFile(path: string, text: string): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  return path;
}

/** A scored output file as records (header included). */
export function readCsv(path: string): string[][] {
  return parse(readFileSync(path, 'utf8')) as string[][];
}

/** The scores column of a scored file, as numbers. */
export function scoresOf(path: string): number[] {
  return readCsv(path)
    .slice(1)
    .map((r) => Number(r[2]));
}

/** Every file below `dir`, relative, sorted (temporary files included, so leftovers show). */
export function listFiles(dir: string): string[] {
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as Dirent[])
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}
