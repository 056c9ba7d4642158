import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_DETECTOR, DETECTOR_NAMES } from '@driftwatch/processor';
import { backtestFile, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE } from '../src/index';
import { PACKAGE_VERSION } from '../src/version';
import { progressBarAllowed, runCli } from '../src/command';
import { csvText, listFiles, makeSeries, readCsv, tempDir, writeFile } from './helpers';

let dir: string;
let cleanup: () => void;
beforeEach(() => {
  ({ dir, cleanup } = tempDir());
});
afterEach(() => cleanup());

/** A captured output stream; `isTTY` as asked. */
function capture(isTTY = false): PassThrough & { isTTY?: boolean; text: () => string } {
  const s = new PassThrough() as PassThrough & { isTTY?: boolean; text: () => string };
  const chunks: Buffer[] = [];
  s.on('data', (c: Buffer) => chunks.push(c));
  if (isTTY) {
    s.isTTY = true;
    (s as unknown as { columns: number }).columns = 120;
  }
  s.text = () => Buffer.concat(chunks).toString('utf8');
  return s;
}

async function cli(argv: string[], opts: { tty?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = capture();
  const stderr = capture(opts.tty);
  const code = await runCli(argv, { stdout, stderr, env: opts.env ?? {} });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

describe('driftwatch (commander)', () => {
  it('--help lists the backtest command and exits 0', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(EXIT_OK);
    expect(r.stdout).toContain('Usage: driftwatch [options] [command]');
    expect(r.stdout).toMatch(/backtest \[options\]\s+score CSV series row by row with an anomaly detector\n/);
    expect(r.stderr).toBe('');
  });

  it('backtest --help shows the options, the detectors, exit codes and examples', async () => {
    const r = await cli(['backtest', '--help']);
    expect(r.code).toBe(EXIT_OK);
    // Help is wrapped to the terminal width: compare with runs of whitespace folded.
    const text = r.stdout.replace(/\s+/g, ' ');
    for (const s of ['--input <path>', '--output <path>', '--detector <name>', '--config <file>', `detector: ${DETECTOR_NAMES.join(', ')} (default: ${DEFAULT_DETECTOR})`, 'Exit codes: 0 all files scored, 1 a file failed, 2 usage error.', 'driftwatch backtest --input series.csv --output scored.csv']) {
      expect(text).toContain(s);
    }
  });

  it('--version prints the version', async () => {
    const r = await cli(['--version']);
    expect(r).toEqual({ code: EXIT_OK, stdout: `${PACKAGE_VERSION}\n`, stderr: '' });
  });

  it('usage errors exit 2: no command, unknown command, unknown option, missing required options', async () => {
    const none = await cli([]);
    expect(none.code).toBe(EXIT_USAGE);
    expect(none.stderr).toContain('Usage: driftwatch');
    const unknown = await cli(['bakctest']);
    expect(unknown.code).toBe(EXIT_USAGE);
    expect(unknown.stderr).toContain("error: unknown command 'bakctest'");
    const badOption = await cli(['backtest', '--input', 'a.csv', '--output', 'b.csv', '--fast']);
    expect(badOption.code).toBe(EXIT_USAGE);
    expect(badOption.stderr).toContain("error: unknown option '--fast'");
    const noOutput = await cli(['backtest', '--input', 'a.csv']);
    expect(noOutput.code).toBe(EXIT_USAGE);
    expect(noOutput.stderr).toContain("error: required option '-o, --output <path>' not specified");
    expect(noOutput.stderr).toContain('(run with --help for usage)');
  });
});

describe('driftwatch backtest', () => {
  it('scores one file: exit 0, a summary line, the output written', async () => {
    const input = writeFile(join(dir, 'series.csv'), csvText(makeSeries(500)));
    const output = join(dir, 'scored.csv');
    const r = await cli(['backtest', '--input', input, '--output', output]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(EXIT_OK);
    expect(r.stdout).toMatch(new RegExp(`^${output.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: 500 rows scored with ensemble in \\d+\\.\\d\\d s \\(max score \\d\\.\\d{3}\\)\\n$`));
    // Identical to the library's output.
    await backtestFile(input, join(dir, 'lib.csv'));
    expect(readFileSync(output, 'utf8')).toBe(readFileSync(join(dir, 'lib.csv'), 'utf8'));
  });

  it('writes into an existing directory given as --output for a file input', async () => {
    const input = writeFile(join(dir, 'in', 'series.csv'), csvText(makeSeries(20)));
    writeFile(join(dir, 'out', 'keep.txt'), 'x');
    const r = await cli(['backtest', '-i', input, '-o', join(dir, 'out')]);
    expect(r.code).toBe(EXIT_OK);
    expect(listFiles(join(dir, 'out'))).toEqual(['keep.txt', 'series.csv']);
    expect(readCsv(join(dir, 'out', 'series.csv'))).toHaveLength(21);
  });

  it('--detector picks the detector; an unknown one is a usage error listing the detectors', async () => {
    const input = writeFile(join(dir, 'series.csv'), csvText(makeSeries(300)));
    const name = DETECTOR_NAMES.at(-1)!;
    const ok = await cli(['backtest', '-i', input, '-o', join(dir, 'a.csv'), '--detector', name]);
    expect(ok.code).toBe(EXIT_OK);
    expect(ok.stdout).toContain(`300 rows scored with ${name} in`);
    await backtestFile(input, join(dir, 'lib.csv'), { detector: name });
    expect(readFileSync(join(dir, 'a.csv'), 'utf8')).toBe(readFileSync(join(dir, 'lib.csv'), 'utf8'));

    const bad = await cli(['backtest', '-i', input, '-o', join(dir, 'b.csv'), '--detector', 'magic']);
    expect(bad).toEqual({ code: EXIT_USAGE, stdout: '', stderr: `error: --detector: unknown detector "magic" (available: ${DETECTOR_NAMES.join(', ')})\n` });
    expect(existsSync(join(dir, 'b.csv'))).toBe(false);
  });

  it('--config sets the detector and its options; --detector wins over the config detector', async () => {
    const input = writeFile(join(dir, 'series.csv'), csvText(makeSeries(600)));
    const config = writeFile(join(dir, 'detector.json'), JSON.stringify({ detector: 'ewma', options: { alpha: 0.3 } }));
    const r = await cli(['backtest', '-i', input, '-o', join(dir, 'a.csv'), '--config', config]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(EXIT_OK);
    expect(r.stdout).toContain('600 rows scored with ewma in');
    await backtestFile(input, join(dir, 'tuned.csv'), { detector: 'ewma', detectorOptions: { alpha: 0.3 } });
    await backtestFile(input, join(dir, 'plain.csv'), { detector: 'ewma' });
    const got = readFileSync(join(dir, 'a.csv'), 'utf8');
    expect(got).toBe(readFileSync(join(dir, 'tuned.csv'), 'utf8'));
    // The options made a difference.
    expect(got).not.toBe(readFileSync(join(dir, 'plain.csv'), 'utf8'));

    const unknownInConfig = writeFile(join(dir, 'unknown.json'), JSON.stringify({ detector: 'magic' }));
    const u = await cli(['backtest', '-i', input, '-o', join(dir, 'b.csv'), '-c', unknownInConfig]);
    expect(u).toEqual({ code: EXIT_USAGE, stdout: '', stderr: `error: config ${unknownInConfig}: unknown detector "magic" (available: ${DETECTOR_NAMES.join(', ')})\n` });
    const overridden = await cli(['backtest', '-i', input, '-o', join(dir, 'b.csv'), '-c', unknownInConfig, '-d', 'ensemble']);
    expect(overridden.code).toBe(EXIT_OK);
    expect(overridden.stdout).toContain('with ensemble in');
  });

  it('a bad config file is a usage error naming the file', async () => {
    const input = writeFile(join(dir, 'series.csv'), csvText(makeSeries(20)));
    const missing = join(dir, 'nope.json');
    const r1 = await cli(['backtest', '-i', input, '-o', join(dir, 'x.csv'), '-c', missing]);
    expect(r1).toEqual({ code: EXIT_USAGE, stdout: '', stderr: `error: config ${missing}: cannot read it (no such file)\n` });
    const broken = writeFile(join(dir, 'broken.json'), '{ detector: ewma }');
    const r2 = await cli(['backtest', '-i', input, '-o', join(dir, 'x.csv'), '-c', broken]);
    expect(r2.code).toBe(EXIT_USAGE);
    expect(r2.stderr.startsWith(`error: config ${broken}: not valid JSON (`)).toBe(true);
    const rejected = writeFile(join(dir, 'rejected.json'), JSON.stringify({ detector: 'ewma', options: { alpha: 7 } }));
    const r3 = await cli(['backtest', '-i', input, '-o', join(dir, 'x.csv'), '-c', rejected]);
    expect(r3.code).toBe(EXIT_USAGE);
    expect(r3.stderr.startsWith(`error: config ${rejected}: options rejected by detector "ewma": `)).toBe(true);
    expect(existsSync(join(dir, 'x.csv'))).toBe(false);
  });

  it('a missing input is a usage error (2); a malformed file fails (1) with its line and leaves no output', async () => {
    const missing = join(dir, 'missing.csv');
    const r1 = await cli(['backtest', '-i', missing, '-o', join(dir, 'x.csv')]);
    expect(r1).toEqual({ code: EXIT_USAGE, stdout: '', stderr: `error: input ${missing} does not exist\n` });
    const rows = makeSeries(1500).map((r) => r.join(','));
    rows[1232] = '2014-04-05 06:40:00,abc';
    const bad = writeFile(join(dir, 'series.csv'), `timestamp,value\n${rows.join('\n')}\n`);
    const r2 = await cli(['backtest', '-i', bad, '-o', join(dir, 'out', 'scored.csv')]);
    expect(r2).toEqual({ code: EXIT_FAILED, stdout: '', stderr: `error: ${bad}:1234: value "abc" is not a number\n` });
    expect(listFiles(join(dir, 'out'))).toEqual([]);
  });

  it('a directory: every file scored, a plain summary line, no escape codes when stderr is not a terminal', async () => {
    const input = join(dir, 'data');
    writeFile(join(input, 'a.csv'), csvText(makeSeries(100)));
    writeFile(join(input, 'x', 'y', 'b.csv'), csvText(makeSeries(2000)));
    const output = join(dir, 'results');
    const r = await cli(['backtest', '--input', input, '--output', output]);
    expect(r.code).toBe(EXIT_OK);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(new RegExp(`^backtest: 2 files scored; 2,100 rows with ensemble in \\d+\\.\\d\\d s -> ${output.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n$`));
    expect(listFiles(output)).toEqual(['a.csv', 'x/y/b.csv']);
  });

  it('a directory with bad files: the others complete, exit 1, each failure and the count in the summary', async () => {
    const input = join(dir, 'data');
    writeFile(join(input, 'a.csv'), csvText(makeSeries(100)));
    writeFile(join(input, 'b.csv'), 'timestamp,value\n2014-04-01 00:00:00,1\n2014-04-01 00:05:00,1,2\n');
    writeFile(join(input, 'c', 'd.csv'), csvText(makeSeries(50)));
    writeFile(join(input, 'e.csv'), 'time,value\n');
    const output = join(dir, 'results');
    const r = await cli(['backtest', '-i', input, '-o', output]);
    expect(r.code).toBe(EXIT_FAILED);
    expect(r.stderr).toBe(
      `error: ${join(input, 'b.csv')}:3: expected 2 columns (timestamp,value), found 3\n` + `error: ${join(input, 'e.csv')}:1: unknown header "time,value" (expected "timestamp,value")\n`,
    );
    expect(r.stdout).toMatch(/^backtest: 2 of 4 files scored, 2 failed \(errors above\); 150 rows with ensemble in /);
    expect(listFiles(output)).toEqual(['a.csv', 'c/d.csv']);
  });

  it('a directory without any *.csv is a usage error', async () => {
    writeFile(join(dir, 'data', 'x.txt'), 'x');
    const r = await cli(['backtest', '-i', join(dir, 'data'), '-o', join(dir, 'out')]);
    expect(r).toEqual({ code: EXIT_USAGE, stdout: '', stderr: `error: no *.csv files under ${join(dir, 'data')}\n` });
  });

  it('draws a progress bar on a terminal stderr, and none under CI=true', async () => {
    const input = join(dir, 'data');
    for (let i = 0; i < 3; i++) writeFile(join(input, `s${i}.csv`), csvText(makeSeries(3000, i)));
    const tty = await cli(['backtest', '-i', input, '-o', join(dir, 'o1')], { tty: true, env: { TERM: 'xterm' } });
    expect(tty.code).toBe(EXIT_OK);
    expect(tty.stderr).toContain('\x1b[');
    expect(tty.stderr).toContain('backtest [');
    expect(tty.stderr).toContain('| 3/3 files | 9,000 rows |');
    expect(tty.stderr).toContain('100%');
    expect(tty.stdout).toMatch(/^backtest: 3 files scored; 9,000 rows with ensemble in /);

    const ci = await cli(['backtest', '-i', input, '-o', join(dir, 'o2')], { tty: true, env: { CI: 'true', TERM: 'xterm' } });
    expect(ci.code).toBe(EXIT_OK);
    expect(ci.stderr).toBe('');
    expect(ci.stdout).toMatch(/^backtest: 3 files scored; 9,000 rows with ensemble in /);
  });

  it('shows the failures after the bar on a terminal', async () => {
    const input = join(dir, 'data');
    writeFile(join(input, 'a.csv'), csvText(makeSeries(100)));
    writeFile(join(input, 'b.csv'), 'timestamp,value\n2014-04-01 00:00:00,x\n');
    const r = await cli(['backtest', '-i', input, '-o', join(dir, 'o')], { tty: true, env: {} });
    expect(r.code).toBe(EXIT_FAILED);
    expect(r.stderr.endsWith(`error: ${join(input, 'b.csv')}:2: value "x" is not a number\n`)).toBe(true);
    expect(r.stdout).toMatch(/^backtest: 1 of 2 files scored, 1 failed \(errors above\); 100 rows/);
  });

  it('decides on the bar from the stream and the environment', () => {
    expect(progressBarAllowed({ isTTY: true }, {})).toBe(true);
    expect(progressBarAllowed({ isTTY: false }, {})).toBe(false);
    expect(progressBarAllowed({}, {})).toBe(false);
    expect(progressBarAllowed({ isTTY: true }, { CI: 'true' })).toBe(false);
    expect(progressBarAllowed({ isTTY: true }, { CI: '1' })).toBe(false);
    expect(progressBarAllowed({ isTTY: true }, { CI: 'false' })).toBe(true);
    expect(progressBarAllowed({ isTTY: true }, { CI: '0' })).toBe(true);
    expect(progressBarAllowed({ isTTY: true }, { TERM: 'dumb' })).toBe(false);
  });

  it('stops on abort with 130 and leaves no half-written file', async () => {
    const input = writeFile(join(dir, 'series.csv'), csvText(makeSeries(200_000)));
    const controller = new AbortController();
    const stdout = capture();
    const stderr = capture();
    const running = runCli(['backtest', '-i', input, '-o', join(dir, 'out', 'x.csv')], { stdout, stderr, env: {}, signal: controller.signal });
    // Abort once the temporary output file exists, i.e. in the middle of writing it.
    let sawTemporary = false;
    const poll = setInterval(() => {
      if (existsSync(join(dir, 'out')) && listFiles(join(dir, 'out')).some((f) => f.endsWith('.tmp'))) {
        sawTemporary = true;
        controller.abort();
        clearInterval(poll);
      }
    }, 1);
    const code = await running;
    clearInterval(poll);
    expect(sawTemporary).toBe(true);
    expect(code).toBe(EXIT_INTERRUPTED);
    expect(stderr.text()).toBe('interrupted: nothing was left half-written\n');
    expect(existsSync(join(dir, 'out')) ? listFiles(join(dir, 'out')) : []).toEqual([]);
  });
});
