import { existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDetector, DEFAULT_DETECTOR, DETECTOR_NAMES } from '@driftwatch/processor';
import {
  BacktestError,
  backtestDirectory,
  backtestFile,
  backtestStream,
  OUTPUT_COLUMNS,
  parseBacktestConfig,
  readBacktestConfig,
  UsageError,
} from '../src/index';
import type { BacktestDetectorFactory } from '../src/index';
import { parseTimestamp } from '../src/timestamp';
import { csvText, listFiles, makeSeries, readCsv, scoresOf, tempDir, writeFile } from './helpers';

let dir: string;
let cleanup: () => void;
beforeEach(() => {
  ({ dir, cleanup } = tempDir());
});
afterEach(() => cleanup());

/** The scores `createDetector(name, options)` gives the rows when fed directly. */
function directScores(rows: readonly [string, string][], name: string = DEFAULT_DETECTOR, options?: Record<string, unknown>): number[] {
  const d = createDetector(name, options);
  return rows.map(([t, v]) => d.update(parseTimestamp(t)!, Number(v)).score);
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('the detector registry the backtest uses', () => {
  it('lists the ensemble first and makes it the default', () => {
    expect(DETECTOR_NAMES[0]).toBe('ensemble');
    expect(DEFAULT_DETECTOR).toBe('ensemble');
    expect(DETECTOR_NAMES.length).toBeGreaterThan(1);
  });
});

describe('backtestFile', () => {
  it('scores every row in order, writes timestamp,value,anomaly_score and returns a summary', async () => {
    const rows = makeSeries(3000);
    const input = writeFile(join(dir, 'series.csv'), csvText(rows));
    const output = join(dir, 'out', 'scored.csv');
    const r = await backtestFile(input, output);
    const expected = directScores(rows);
    expect(r).toEqual({
      detector: 'ensemble',
      rows: 3000,
      bytes: readFileSync(input).length,
      maxScore: Math.max(...expected),
      firstTimestamp: parseTimestamp(rows[0]![0]),
      lastTimestamp: parseTimestamp(rows[2999]![0]),
      input,
      output,
      durationMs: r.durationMs,
    });
    expect(r.durationMs).toBeGreaterThan(0);
    const out = readCsv(output);
    expect(out[0]).toEqual([...OUTPUT_COLUMNS]);
    expect(out.slice(1).map((x) => [x[0], x[1]])).toEqual(rows);
    const scores = out.slice(1).map((x) => Number(x[2]));
    for (const s of scores) {
      expect(s).toBeGreaterThanOrEqual(0);
      expect(s).toBeLessThanOrEqual(1);
    }
    // The same scores as the detector fed directly, to the last bit; the spike stands out.
    expect(scores).toEqual(expected);
    expect(Math.max(...scores.slice(1790, 1810))).toBeGreaterThan(0.5);
    expect(listFiles(join(dir, 'out'))).toEqual(['scored.csv']);
  });

  it('gives every registered detector the same scores as createDetector directly, all in [0, 1]', async () => {
    const rows = makeSeries(1500, 7);
    const input = writeFile(join(dir, 'series.csv'), csvText(rows));
    for (const name of DETECTOR_NAMES) {
      const output = join(dir, `${name}.csv`);
      const r = await backtestFile(input, output, { detector: name });
      expect(r.detector).toBe(name);
      const scores = scoresOf(output);
      expect(scores, name).toEqual(directScores(rows, name));
      expect(scores.every((s) => s >= 0 && s <= 1), name).toBe(true);
    }
  });

  it('is causal: a prefix of a file scores exactly like the first rows of the whole file', async () => {
    const rows = makeSeries(2400, 3);
    const full = writeFile(join(dir, 'full.csv'), csvText(rows));
    await backtestFile(full, join(dir, 'full.out.csv'));
    const fullScores = scoresOf(join(dir, 'full.out.csv'));
    for (const n of [1, 500, 1440, 1500]) {
      const prefix = writeFile(join(dir, `p${n}.csv`), csvText(rows.slice(0, n)));
      await backtestFile(prefix, join(dir, `p${n}.out.csv`));
      expect(scoresOf(join(dir, `p${n}.out.csv`)), `prefix ${n}`).toEqual(fullScores.slice(0, n));
    }
  });

  it('uses one fresh detector per file: scoring a file twice gives the same scores', async () => {
    const input = writeFile(join(dir, 's.csv'), csvText(makeSeries(800)));
    await backtestFile(input, join(dir, 'a.csv'));
    await backtestFile(input, join(dir, 'b.csv'));
    expect(readFileSync(join(dir, 'a.csv'), 'utf8')).toBe(readFileSync(join(dir, 'b.csv'), 'utf8'));
  });

  it('writes the timestamp and value fields back exactly as read, row for row', async () => {
    // BOM, CRLF, a blank line, quoted fields, ISO and epoch timestamps, odd number spellings.
    const lines = [
      '"2014-04-01 00:00:00","1.50"',
      '2014-04-01T00:05:00Z,+2',
      '2014-04-01T02:10:00+02:00, 3 ',
      '',
      '1396311000000,1e3',
      '"2014-04-01 00:15:00.000000",-0.0',
      '2014-04-01 00:20:00,007',
      '2014-04-01 00:20:00,.5',
      '"2014-04-01 00:25:00","1,5e1"',
    ];
    const input = writeFile(join(dir, 'odd.csv'), `\uFEFFTimestamp , Value\r\n${lines.join('\r\n')}\r\n`);
    // The "1,5e1" value is not a number: check that one separately below.
    const good = writeFile(join(dir, 'good.csv'), `\uFEFFTimestamp , Value\r\n${lines.slice(0, -1).join('\r\n')}\r\n`);
    const output = join(dir, 'good.out.csv');
    const r = await backtestFile(good, output);
    expect(r.rows).toBe(7);
    const text = readFileSync(output, 'utf8');
    const outLines = text.split('\n');
    expect(outLines[0]).toBe('timestamp,value,anomaly_score');
    expect(outLines.at(-1)).toBe('');
    const fields = readCsv(output)
      .slice(1)
      .map((x) => [x[0], x[1]]);
    expect(fields).toEqual([
      ['2014-04-01 00:00:00', '1.50'],
      ['2014-04-01T00:05:00Z', '+2'],
      ['2014-04-01T02:10:00+02:00', ' 3 '],
      ['1396311000000', '1e3'],
      ['2014-04-01 00:15:00.000000', '-0.0'],
      ['2014-04-01 00:20:00', '007'],
      ['2014-04-01 00:20:00', '.5'],
    ]);
    // Unquoted on the way out where CSV does not need quotes: the raw text is the field text.
    expect(outLines[1]!.startsWith('2014-04-01 00:00:00,1.50,')).toBe(true);
    expect(outLines[3]!.startsWith('2014-04-01T02:10:00+02:00, 3 ,')).toBe(true);
    const d = createDetector(DEFAULT_DETECTOR);
    const expected = [
      [Date.UTC(2014, 3, 1, 0, 0), 1.5],
      [Date.UTC(2014, 3, 1, 0, 5), 2],
      [Date.UTC(2014, 3, 1, 0, 10), 3],
      [Date.UTC(2014, 3, 1, 0, 10), 1000],
      [Date.UTC(2014, 3, 1, 0, 15), -0],
      [Date.UTC(2014, 3, 1, 0, 20), 7],
      [Date.UTC(2014, 3, 1, 0, 20), 0.5],
    ].map(([t, v]) => d.update(t!, v!).score);
    expect(scoresOf(output)).toEqual(expected);
    const err = await rejection(backtestFile(input, join(dir, 'odd.out.csv')));
    expect(err.message).toBe(`${input}:10: value "1,5e1" is not a number`);
  });

  it('accepts a value field of any scale', async () => {
    const rows: [string, string][] = makeSeries(300).map(([t, v], i) => [t, String(Number(v) * (i % 2 === 0 ? 1e12 : 1e12 + 1))]);
    const input = writeFile(join(dir, 'big.csv'), csvText(rows));
    await backtestFile(input, join(dir, 'big.out.csv'));
    expect(scoresOf(join(dir, 'big.out.csv'))).toEqual(directScores(rows));
  });

  it('replaces an existing output file on success', async () => {
    const input = writeFile(join(dir, 's.csv'), csvText(makeSeries(50)));
    const output = writeFile(join(dir, 'scored.csv'), 'old content\n');
    await backtestFile(input, output);
    expect(readCsv(output)).toHaveLength(51);
    expect(listFiles(dir)).toEqual(['s.csv', 'scored.csv']);
  });

  it('passes detector options through and builds detectors with a custom factory', async () => {
    const rows = makeSeries(200);
    const input = writeFile(join(dir, 's.csv'), csvText(rows));
    const seen: { name: string; options: Record<string, unknown> | undefined }[] = [];
    // A detector scoring how far a value is above the running maximum, squashed into [0, 1].
    const factory: BacktestDetectorFactory = (name, options) => {
      seen.push({ name, options });
      let max = -Infinity;
      const scale = Number(options?.scale ?? 1);
      return {
        update(_t: number, v: number) {
          const score = v > max && max > -Infinity ? 1 - Math.exp(-(v - max) / scale) : 0;
          max = Math.max(max, v);
          return { score, flags: [] };
        },
      };
    };
    const r = await backtestFile(input, join(dir, 'out.csv'), { detector: 'running-max', detectorOptions: { scale: 10 }, detectorFactory: factory });
    expect(r.detector).toBe('running-max');
    // Once to check the options up front, once for the file.
    expect(seen).toEqual([
      { name: 'running-max', options: { scale: 10 } },
      { name: 'running-max', options: { scale: 10 } },
    ]);
    let max = -Infinity;
    const expected = rows.map(([, v]) => {
      const x = Number(v);
      const s = x > max && max > -Infinity ? 1 - Math.exp(-(x - max) / 10) : 0;
      max = Math.max(max, x);
      return s;
    });
    expect(scoresOf(join(dir, 'out.csv'))).toEqual(expected);
    expect(r.maxScore).toBe(Math.max(...expected));
  });

  it('fails a file whose detector returns a score outside [0, 1], leaving nothing behind', async () => {
    const input = writeFile(join(dir, 's.csv'), csvText(makeSeries(10)));
    // The sixth row (line 7) gets an impossible score.
    const factory: BacktestDetectorFactory = () => {
      let n = 0;
      return { update: () => ({ score: ++n === 6 ? 1.5 : 0, flags: [] }) };
    };
    const err = await rejection(backtestFile(input, join(dir, 'out', 'x.csv'), { detector: 'bad', detectorFactory: factory }));
    expect(err).toBeInstanceOf(BacktestError);
    expect(err.message).toBe(`${input}:7: detector "bad" returned score 1.5 (expected a number in [0, 1])`);
    expect(listFiles(join(dir, 'out'))).toEqual([]);
  });

  it('rejects an unknown detector with the list of detectors, before touching any file', async () => {
    const input = writeFile(join(dir, 's.csv'), csvText(makeSeries(10)));
    const err = await rejection(backtestFile(input, join(dir, 'out', 'x.csv'), { detector: 'nope' }));
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toBe(`unknown detector "nope" (available: ${DETECTOR_NAMES.join(', ')})`);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('rejects options the detector refuses as a usage error naming the detector', async () => {
    const input = writeFile(join(dir, 's.csv'), csvText(makeSeries(10)));
    const factory: BacktestDetectorFactory = (_n, o) => {
      if (o?.window !== undefined && typeof o.window !== 'number') throw new TypeError('window must be a number');
      return { update: () => ({ score: 0, flags: [] }) };
    };
    const err = await rejection(backtestFile(input, join(dir, 'x.csv'), { detector: 'w', detectorOptions: { window: 'big' }, detectorFactory: factory }));
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toBe('detector "w": window must be a number');
    expect(listFiles(dir)).toEqual(['s.csv']);
  });

  it('refuses to write over its own input', async () => {
    const input = writeFile(join(dir, 's.csv'), csvText(makeSeries(10)));
    const before = readFileSync(input, 'utf8');
    const err = await rejection(backtestFile(input, join(dir, '.', 's.csv')));
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toBe(`the output ${join(dir, 's.csv')} is the input file itself`);
    symlinkSync(input, join(dir, 'link.csv'));
    const err2 = await rejection(backtestFile(input, join(dir, 'link.csv')));
    expect(err2).toBeInstanceOf(UsageError);
    expect(readFileSync(input, 'utf8')).toBe(before);
  });

  it('removes the temporary file and leaves nothing when aborted', async () => {
    const input = writeFile(join(dir, 's.csv'), csvText(makeSeries(20_000)));
    const controller = new AbortController();
    const err = await rejection(
      backtestFile(input, join(dir, 'out', 'x.csv'), {
        signal: controller.signal,
        onProgress: (rows) => {
          if (rows >= 4096) controller.abort();
        },
      }),
    );
    expect(err.name).toBe('AbortError');
    expect(listFiles(join(dir, 'out'))).toEqual([]);
  });
});

describe('malformed input: a clear error with the line, and no output file left behind', () => {
  const good = makeSeries(5).map((r) => r.join(','));
  const cases: { name: string; text: string; line: number | undefined; reason: string }[] = [
    { name: 'a value that is not a number', text: `timestamp,value\n${good[0]}\n${good[1]}\n2014-04-01 00:10:00,abc\n`, line: 4, reason: 'value "abc" is not a number' },
    { name: 'an empty value', text: `timestamp,value\n${good[0]}\n2014-04-01 00:05:00,\n`, line: 3, reason: 'value "" is not a number' },
    { name: 'an infinite value', text: `timestamp,value\n${good[0]}\n2014-04-01 00:05:00,1e999\n`, line: 3, reason: 'value "1e999" is not a number' },
    { name: 'too many columns', text: `timestamp,value\n${good[0]}\n${good[1]}\n2014-04-01 00:10:00,1,2\n`, line: 4, reason: 'expected 2 columns (timestamp,value), found 3' },
    { name: 'too few columns', text: `timestamp,value\n${good[0]}\n2014-04-01 00:05:00\n`, line: 3, reason: 'expected 2 columns (timestamp,value), found 1' },
    {
      name: 'a timestamp that is not one',
      text: `timestamp,value\n${good[0]}\nyesterday,4\n`,
      line: 3,
      reason: 'timestamp "yesterday" is not a date-time (expected "YYYY-MM-DD HH:MM:SS" in UTC, ISO 8601 or epoch milliseconds)',
    },
    {
      name: 'an impossible date',
      text: `timestamp,value\n2014-02-28 00:00:00,1\n2014-02-30 00:00:00,1\n`,
      line: 3,
      reason: 'timestamp "2014-02-30 00:00:00" is not a date-time (expected "YYYY-MM-DD HH:MM:SS" in UTC, ISO 8601 or epoch milliseconds)',
    },
    {
      name: 'a timestamp earlier than the row before it',
      text: `timestamp,value\n${good[0]}\n${good[2]}\n\n${good[1]}\n`,
      line: 5,
      reason: 'timestamp "2014-04-01 00:05:00" is earlier than "2014-04-01 00:10:00" on line 3 (rows must be in time order)',
    },
    { name: 'no header', text: `${good[0]}\n${good[1]}\n`, line: 1, reason: 'missing header: the first line must be "timestamp,value", found a data row' },
    { name: 'an unknown header', text: `time,val\n${good[0]}\n`, line: 1, reason: 'unknown header "time,val" (expected "timestamp,value")' },
    { name: 'a header with a third column', text: `timestamp,value,label\n${good[0]},0\n`, line: 1, reason: 'unknown header "timestamp,value,label" (expected "timestamp,value")' },
    { name: 'an empty file', text: '', line: undefined, reason: 'empty file (expected a header "timestamp,value" and rows)' },
    { name: 'a file of blank lines', text: '\n\n\r\n', line: undefined, reason: 'empty file (expected a header "timestamp,value" and rows)' },
    { name: 'a header and no rows', text: 'timestamp,value\n', line: undefined, reason: 'no rows after the header "timestamp,value"' },
    {
      name: 'a quote that never closes',
      text: `timestamp,value\n${good[0]}\n"2014-04-01 00:05:00,1\n${good[2]}\n`,
      line: 3,
      reason: 'a quoted field is never closed (unterminated quote)',
    },
    {
      name: 'a stray quote inside a field',
      text: `timestamp,value\n${good[0]}\n2014-04-01 00:05:00,"1"2\n`,
      line: 3,
      reason: 'malformed CSV: Invalid Closing Quote: got "2" at line 3 instead of delimiter, record delimiter, trimable character (if activated) or comment',
    },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      const input = writeFile(join(dir, 'in', 'series.csv'), c.text);
      const err = await rejection(backtestFile(input, join(dir, 'out', 'scored.csv')));
      expect(err).toBeInstanceOf(BacktestError);
      const e = err as BacktestError;
      expect({ message: e.message, file: e.file, line: e.line, reason: e.reason }).toEqual({
        message: `${input}${c.line === undefined ? '' : `:${c.line}`}: ${c.reason}`,
        file: input,
        line: c.line,
        reason: c.reason,
      });
      expect(listFiles(join(dir, 'out'))).toEqual([]);
    });
  }

  it('a bad row far into a large file: the partial temporary output is removed, an older output stays', async () => {
    const rows = makeSeries(30_000).map((r) => r.join(','));
    rows[25_000] = '2014-07-01 00:00:00,abc';
    const input = writeFile(join(dir, 'in', 'big.csv'), `timestamp,value\n${rows.join('\n')}\n`);
    const output = writeFile(join(dir, 'out', 'big.csv'), 'previous result\n');
    const err = await rejection(backtestFile(input, output));
    expect(err.message).toBe(`${input}:25002: value "abc" is not a number`);
    expect(listFiles(join(dir, 'out'))).toEqual(['big.csv']);
    expect(readFileSync(output, 'utf8')).toBe('previous result\n');
  });

  it('a record longer than 64 KiB (an unclosed quote swallowing the file) stops the read', async () => {
    const rows = makeSeries(5000).map((r) => r.join(','));
    const input = writeFile(join(dir, 'in', 'q.csv'), `timestamp,value\n"${rows.join('\n')}\n`);
    const err = (await rejection(backtestFile(input, join(dir, 'out', 'q.csv')))) as BacktestError;
    expect(err.reason).toBe('a record is longer than 65536 bytes (an unterminated quote?)');
    expect(err.line).toBe(2);
    expect(listFiles(join(dir, 'out'))).toEqual([]);
  });

  it('a missing input and a directory given as a file', async () => {
    const missing = join(dir, 'nope.csv');
    expect((await rejection(backtestFile(missing, join(dir, 'out.csv')))).message).toBe(`${missing}: no such file`);
    expect((await rejection(backtestFile(dir, join(dir, 'out.csv')))).message).toBe(`${dir}: is a directory, not a file`);
    expect(listFiles(dir)).toEqual([]);
  });
});

describe('backtestStream', () => {
  it('scores a stream into a stream, naming the source in errors', async () => {
    const rows = makeSeries(100);
    const sink = new PassThrough();
    const chunks: Buffer[] = [];
    sink.on('data', (c: Buffer) => chunks.push(c));
    const r = await backtestStream(Readable.from([csvText(rows)]), sink);
    expect(r.rows).toBe(100);
    const lines = Buffer.concat(chunks).toString('utf8').trimEnd().split('\n');
    expect(lines[0]).toBe('timestamp,value,anomaly_score');
    expect(lines.slice(1).map((l) => Number(l.split(',')[2]))).toEqual(directScores(rows));

    const err = await rejection(backtestStream(Readable.from(['timestamp,value\nx,1\n']), new PassThrough(), { name: 'stdin' }));
    expect(err.message.startsWith('stdin:2: timestamp "x" is not a date-time')).toBe(true);
  });

  it('reports progress every 1024 rows and at the end', async () => {
    const seen: number[] = [];
    const sink = new PassThrough();
    sink.resume();
    await backtestStream(Readable.from([csvText(makeSeries(2500))]), sink, { onProgress: (rows) => seen.push(rows) });
    expect(seen).toEqual([1024, 2048, 2500]);
  });
});

describe('backtestDirectory', () => {
  function tree(root: string): Record<string, [string, string][]> {
    const files: Record<string, [string, string][]> = {
      'a.csv': makeSeries(300, 1),
      'sub/b.csv': makeSeries(200, 2),
      'sub/deeper/c.CSV': makeSeries(100, 3),
      'sub/deeper/d.csv': makeSeries(50, 4),
    };
    for (const [rel, rows] of Object.entries(files)) writeFile(join(root, rel), csvText(rows));
    writeFile(join(root, 'notes.txt'), 'not a series\n');
    writeFile(join(root, 'sub', 'readme.md'), '# nothing\n');
    return files;
  }

  it('scores every *.csv below the input into the same relative paths, each with a fresh detector', async () => {
    const input = join(dir, 'data');
    const files = tree(input);
    const output = join(dir, 'results');
    const started: string[] = [];
    const done: string[] = [];
    const r = await backtestDirectory(input, output, {
      onStart: (entries) => started.push(...entries.map((e) => `${e.relative}:${e.bytes}`)),
      onFileDone: (o, i) => done.push(`${i}:${o.entry.relative}:${o.ok}`),
    });
    const rels = Object.keys(files).sort();
    expect(started).toEqual(rels.map((rel) => `${rel}:${readFileSync(join(input, rel)).length}`));
    expect(done).toEqual(rels.map((rel, i) => `${i}:${rel}:true`));
    expect({ succeeded: r.succeeded, failed: r.failed, rows: r.rows, detector: r.detector, input: r.input, output: r.output }).toEqual({
      succeeded: 4,
      failed: 0,
      rows: 650,
      detector: 'ensemble',
      input,
      output,
    });
    expect(listFiles(output)).toEqual(rels);
    for (const [rel, rows] of Object.entries(files)) {
      const out = readCsv(join(output, rel));
      expect(out.slice(1).map((x) => [x[0], x[1]]), rel).toEqual(rows);
      expect(out.slice(1).map((x) => Number(x[2])), rel).toEqual(directScores(rows));
    }
  });

  it('fails a bad file (reported with its line), completes the others', async () => {
    const input = join(dir, 'data');
    tree(input);
    writeFile(join(input, 'sub', 'bad.csv'), `timestamp,value\n2014-04-01 00:00:00,1\n2014-04-01 00:05:00,abc\n`);
    writeFile(join(input, 'empty.csv'), '');
    const output = join(dir, 'results');
    const r = await backtestDirectory(input, output, { detector: DETECTOR_NAMES.at(-1)! });
    expect(r.succeeded).toBe(4);
    expect(r.failed).toBe(2);
    const failures = r.files.filter((f) => !f.ok).map((f) => (f.ok ? '' : f.error.message));
    expect(failures).toEqual([`${join(input, 'empty.csv')}: empty file (expected a header "timestamp,value" and rows)`, `${join(input, 'sub', 'bad.csv')}:3: value "abc" is not a number`]);
    expect(listFiles(output)).toEqual(['a.csv', 'sub/b.csv', 'sub/deeper/c.CSV', 'sub/deeper/d.csv']);
  });

  it('does not search an output directory inside the input directory', async () => {
    const input = join(dir, 'data');
    tree(input);
    const output = join(input, 'scored');
    await backtestDirectory(input, output);
    const again = await backtestDirectory(input, output);
    expect(again.files.map((f) => f.entry.relative)).toEqual(['a.csv', 'sub/b.csv', 'sub/deeper/c.CSV', 'sub/deeper/d.csv']);
    expect(listFiles(output)).toEqual(['a.csv', 'sub/b.csv', 'sub/deeper/c.CSV', 'sub/deeper/d.csv']);
  });

  it('follows symlinked files', async () => {
    const input = join(dir, 'data');
    const target = writeFile(join(dir, 'elsewhere', 'x.csv'), csvText(makeSeries(20)));
    writeFile(join(input, 'a.csv'), csvText(makeSeries(10)));
    symlinkSync(target, join(input, 'linked.csv'));
    const r = await backtestDirectory(input, join(dir, 'out'));
    expect(r.files.map((f) => [f.entry.relative, f.ok])).toEqual([
      ['a.csv', true],
      ['linked.csv', true],
    ]);
    expect(readCsv(join(dir, 'out', 'linked.csv'))).toHaveLength(21);
  });

  it('reports an empty directory as zero files', async () => {
    writeFile(join(dir, 'data', 'x.txt'), 'x');
    const r = await backtestDirectory(join(dir, 'data'), join(dir, 'out'));
    expect({ files: r.files, succeeded: r.succeeded, failed: r.failed, rows: r.rows }).toEqual({ files: [], succeeded: 0, failed: 0, rows: 0 });
  });

  it('usage errors: missing input, input that is a file, output equal to the input, output that is a file, unknown detector', async () => {
    const input = join(dir, 'data');
    tree(input);
    const file = writeFile(join(dir, 'f.csv'), csvText(makeSeries(5)));
    const missing = join(dir, 'missing');
    const cases: [() => Promise<unknown>, string][] = [
      [() => backtestDirectory(missing, join(dir, 'o')), `input directory ${missing} does not exist`],
      [() => backtestDirectory(file, join(dir, 'o')), `input ${file} is not a directory`],
      [() => backtestDirectory(input, join(dir, 'data', '.')), `the output directory ${join(dir, 'data', '.')} is the input directory itself (the scores would replace the series)`],
      [() => backtestDirectory(input, file), `output ${file} exists and is not a directory`],
      [() => backtestDirectory(input, join(dir, 'o'), { detector: 'zzz' }), `unknown detector "zzz" (available: ${DETECTOR_NAMES.join(', ')})`],
    ];
    for (const [run, message] of cases) {
      const err = await rejection(run());
      expect(err).toBeInstanceOf(UsageError);
      expect(err.message).toBe(message);
    }
    expect(existsSync(join(dir, 'o'))).toBe(false);
  });

  it('stops at an abort, leaving only the files already complete', async () => {
    const input = join(dir, 'data');
    tree(input);
    const controller = new AbortController();
    const err = await rejection(
      backtestDirectory(input, join(dir, 'out'), {
        signal: controller.signal,
        onFileDone: (_o, i) => {
          if (i === 1) controller.abort();
        },
      }),
    );
    expect(err.name).toBe('AbortError');
    expect(listFiles(join(dir, 'out'))).toEqual(['a.csv', 'sub/b.csv']);
  });
});

describe('config files', () => {
  it('reads { detector, options }', async () => {
    const path = writeFile(join(dir, 'c.json'), JSON.stringify({ detector: 'ensemble', options: { a: 1 } }));
    expect(await readBacktestConfig(path)).toEqual({ detector: 'ensemble', options: { a: 1 } });
    writeFile(path, '\uFEFF{}');
    expect(await readBacktestConfig(path)).toEqual({});
  });

  it('names the file in every error', async () => {
    const path = join(dir, 'c.json');
    const cases: [string | undefined, string][] = [
      [undefined, `config ${path}: cannot read it (no such file)`],
      ['{ "detector": ', `config ${path}: not valid JSON (`],
      ['[1]', `config ${path}: expected a JSON object { "detector": "...", "options": { ... } }`],
      ['{ "detecter": "ewma", "x": 1 }', `config ${path}: unknown keys "detecter", "x" (expected "detector" and "options")`],
      ['{ "detector": 3 }', `config ${path}: "detector" must be a detector name (a non-empty string), got 3`],
      ['{ "options": [1] }', `config ${path}: "options" must be an object, got [1]`],
    ];
    for (const [text, message] of cases) {
      if (text !== undefined) writeFileSync(path, text);
      const err = await rejection(readBacktestConfig(path));
      expect(err).toBeInstanceOf(UsageError);
      expect(err.message.startsWith(message), `${err.message} / ${message}`).toBe(true);
    }
    expect((await rejection(readBacktestConfig(dir))).message).toBe(`config ${dir}: cannot read it (is a directory)`);
    expect(() => parseBacktestConfig(null, 'inline')).toThrow('config inline: expected a JSON object');
  });
});
