// A 1M-row file goes through with flat memory: the whole run streams (csv-parse → detector →
// csv-stringify → file, with backpressure), nothing is collected per row.
import { closeSync, createReadStream, openSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backtestFile } from '../src/index';
import { nabTimestamp, START_MS, STEP_MS, tempDir } from './helpers';

const ROWS = 1_000_000;

/** A garbage collection, for a clean baseline (the flag can be set at run time). */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/** Lines and the first and last non-empty line of a file, read as a stream. */
async function scanLines(path: string): Promise<{ lines: number; first: string; last: string }> {
  let lines = 0;
  let first = '';
  let tail = '';
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
    if (first === '') first = chunk.subarray(0, chunk.indexOf(10)).toString('utf8');
    tail = (tail + chunk.toString('utf8')).slice(-200);
  }
  const parts = tail.trimEnd().split('\n');
  return { lines, first, last: parts.at(-1)! };
}

describe('streaming', () => {
  let dir: string;
  let cleanup: () => void;
  let input: string;

  beforeAll(() => {
    ({ dir, cleanup } = tempDir('driftwatch-cli-1m-'));
    input = join(dir, 'big.csv');
    const fd = openSync(input, 'w');
    writeSync(fd, 'timestamp,value\n');
    const CHUNK = 10_000;
    for (let start = 0; start < ROWS; start += CHUNK) {
      let text = '';
      for (let i = start; i < start + CHUNK; i++) {
        const v = 100 + 20 * Math.sin(i / 45.8) + ((i * 7919) % 101) / 25 + (i % 250_000 === 200_000 ? 300 : 0);
        text += `${nabTimestamp(START_MS + i * STEP_MS)},${v.toFixed(3)}\n`;
      }
      writeSync(fd, text);
    }
    closeSync(fd);
  }, 60_000);
  afterAll(() => cleanup());

  it('backtests a 1M-row file with flat memory (live heap growth < 50 MB)', async () => {
    const output = join(dir, 'big.scored.csv');
    collectGarbage();
    const baseline = process.memoryUsage();
    // Raw samples (heapUsed as it is, garbage included) on a timer and every 16k rows; live samples
    // (after a full collection) every 128k rows: what the run actually holds.
    let peakHeap = baseline.heapUsed;
    let peakBuffers = baseline.arrayBuffers;
    let peakLive = baseline.heapUsed;
    let samples = 0;
    let liveSamples = 0;
    const sample = (): void => {
      const m = process.memoryUsage();
      samples++;
      if (m.heapUsed > peakHeap) peakHeap = m.heapUsed;
      if (m.arrayBuffers > peakBuffers) peakBuffers = m.arrayBuffers;
    };
    const timer = setInterval(sample, 20);
    const started = performance.now();
    const r = await backtestFile(input, output, {
      onProgress: (rows) => {
        if (rows % (16 * 1024) === 0) sample();
        if (rows % (128 * 1024) === 0) {
          collectGarbage();
          liveSamples++;
          peakLive = Math.max(peakLive, process.memoryUsage().heapUsed);
        }
      },
    }).finally(() => clearInterval(timer));
    const elapsed = performance.now() - started;
    sample();
    const mb = (bytes: number): number => bytes / 2 ** 20;
    const liveGrowth = mb(peakLive - baseline.heapUsed);
    const rawGrowth = mb(peakHeap - baseline.heapUsed);
    const bufferGrowth = mb(peakBuffers - baseline.arrayBuffers);
    console.log(
      `1M-row backtest (${r.detector}): ${(elapsed / 1000).toFixed(2)} s (${Math.round(ROWS / (elapsed / 1000)).toLocaleString('en-US')} rows/s, ` +
        `${liveSamples} forced collections included); live heap growth ${liveGrowth.toFixed(1)} MB, ` +
        `peak heapUsed growth incl. garbage ${rawGrowth.toFixed(1)} MB, peak ArrayBuffer growth ${bufferGrowth.toFixed(1)} MB ` +
        `(${samples} samples); input ${mb(statSync(input).size).toFixed(1)} MB, output ${mb(statSync(output).size).toFixed(1)} MB`,
    );
    expect(r.rows).toBe(ROWS);
    expect(samples).toBeGreaterThan(60);
    expect(liveSamples).toBe(7);
    const scan = await scanLines(output);
    expect(scan.lines).toBe(ROWS + 1);
    expect(scan.first).toBe('timestamp,value,anomaly_score');
    expect(scan.last.startsWith(`${nabTimestamp(START_MS + (ROWS - 1) * STEP_MS)},`)).toBe(true);
    // Holding the rows would take well over 100 MB (two strings and an array per row).
    expect(liveGrowth).toBeLessThan(50);
    expect(rawGrowth).toBeLessThan(200);
    expect(bufferGrowth).toBeLessThan(50);
  }, 60_000);
});
