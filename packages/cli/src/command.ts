/**
 * The `driftwatch` command line: argument parsing (commander), the `backtest` command's reporting
 * (a progress bar on a terminal, plain lines otherwise) and exit codes. `runCli()` takes its argv and
 * output streams explicitly and returns the exit code, so it runs the same in tests and in `bin.ts`.
 */
import { stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import cliProgress from 'cli-progress';
import { Command, CommanderError } from 'commander';
import { createDetector, DEFAULT_DETECTOR, DETECTOR_NAMES } from '@driftwatch/processor';
import { backtestDirectory, backtestFile } from './backtest';
import type { BacktestDirectoryEntry, BacktestOptions } from './backtest';
import { readBacktestConfig } from './config';
import { BacktestError, UsageError } from './errors';
import { EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE } from './exit-codes';
import { PACKAGE_VERSION } from './version';


export interface CliIO {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /** Environment (for `CI`, `TERM`); default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Aborting it stops the run, removes the pending output file and exits with 130. */
  signal?: AbortSignal;
}

interface BacktestFlags {
  input: string;
  output: string;
  detector?: string;
  config?: string;
}

const NUMBER_FORMAT = new Intl.NumberFormat('en-US');
const count = (n: number): string => NUMBER_FORMAT.format(n);
const seconds = (ms: number): string => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
const plural = (n: number, word: string): string => `${count(n)} ${word}${n === 1 ? '' : 's'}`;

/** Whether a live progress bar may be drawn: stderr is a terminal, not CI, not a dumb terminal. */
export function progressBarAllowed(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  const ci = env.CI;
  const inCi = ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
  return stream.isTTY === true && !inCi && env.TERM !== 'dumb';
}

function isAbort(err: unknown): boolean {
  return (err as Error | undefined)?.name === 'AbortError';
}

/** Detector name and options from the flags and the config file, checked up front. */
async function detectorChoice(flags: BacktestFlags): Promise<Pick<BacktestOptions, 'detector' | 'detectorOptions'>> {
  const config = flags.config === undefined ? {} : await readBacktestConfig(flags.config);
  const detector = flags.detector ?? config.detector ?? DEFAULT_DETECTOR;
  if (!DETECTOR_NAMES.includes(detector)) {
    const origin = flags.detector !== undefined ? '--detector' : `config ${flags.config}`;
    throw new UsageError(`${origin}: unknown detector "${detector}" (available: ${DETECTOR_NAMES.join(', ')})`);
  }
  if (config.options !== undefined) {
    try {
      createDetector(detector, config.options);
    } catch (err) {
      throw new UsageError(`config ${flags.config}: options rejected by detector "${detector}": ${(err as Error).message}`, { cause: err });
    }
  }
  return config.options === undefined ? { detector } : { detector, detectorOptions: config.options };
}

async function backtestCommand(flags: BacktestFlags, io: CliIO): Promise<number> {
  const env = io.env ?? process.env;
  const write = (s: string): void => void io.stdout.write(s);
  const warn = (s: string): void => void io.stderr.write(s);
  try {
    const choice = await detectorChoice(flags);
    const common: BacktestOptions = { ...choice, ...(io.signal === undefined ? {} : { signal: io.signal }) };
    const inStat = await stat(flags.input).catch((err: NodeJS.ErrnoException) => {
      throw new UsageError(err.code === 'ENOENT' ? `input ${flags.input} does not exist` : `input ${flags.input}: ${err.message}`, { cause: err });
    });

    if (!inStat.isDirectory()) {
      let output = flags.output;
      const outStat = await stat(output).catch(() => undefined);
      if (outStat?.isDirectory()) output = join(output, basename(flags.input));
      const r = await backtestFile(flags.input, output, common);
      write(`${output}: ${plural(r.rows, 'row')} scored with ${r.detector} in ${seconds(r.durationMs)} (max score ${r.maxScore.toFixed(3)})\n`);
      return EXIT_OK;
    }

    const useBar = progressBarAllowed(io.stderr, env);
    const failures: string[] = [];
    let bar: cliProgress.SingleBar | undefined;
    let entries: readonly BacktestDirectoryEntry[] = [];
    let doneBytes = 0;
    let doneRows = 0;
    try {
      const result = await backtestDirectory(flags.input, flags.output, {
        ...common,
        onStart: (all) => {
          entries = all;
          if (!useBar || all.length === 0) return;
          bar = new cliProgress.SingleBar(
            {
              stream: io.stderr,
              format: 'backtest [{bar}] {percentage}% | {files} files | {rows} rows | {file}',
              hideCursor: true,
              barsize: 30,
              fps: 10,
            },
            cliProgress.Presets.shades_classic,
          );
          bar.start(Math.max(1, all.reduce((s, e) => s + e.bytes, 0)), 0, { files: `0/${all.length}`, rows: '0', file: all[0]!.relative });
        },
        onProgress: (index, rows, bytes) => {
          bar?.update(doneBytes + bytes, { files: `${index}/${entries.length}`, rows: count(doneRows + rows), file: entries[index]!.relative });
        },
        onFileDone: (outcome, index) => {
          doneBytes += outcome.entry.bytes;
          if (outcome.ok) doneRows += outcome.result.rows;
          else if (bar === undefined) warn(`error: ${outcome.error.message}\n`);
          else failures.push(outcome.error.message);
          const next = entries[index + 1];
          bar?.update(doneBytes, { files: `${index + 1}/${entries.length}`, rows: count(doneRows), file: next?.relative ?? '' });
        },
      });
      bar?.stop();
      bar = undefined;
      for (const f of failures) warn(`error: ${f}\n`);
      if (result.files.length === 0) throw new UsageError(`no *.csv files under ${flags.input}`);
      const files = result.files.length;
      const head =
        result.failed === 0
          ? `${plural(files, 'file')} scored`
          : `${count(result.succeeded)} of ${plural(files, 'file')} scored, ${count(result.failed)} failed (errors above)`;
      write(`backtest: ${head}; ${plural(result.rows, 'row')} with ${result.detector} in ${seconds(result.durationMs)} -> ${flags.output}\n`);
      return result.failed === 0 ? EXIT_OK : EXIT_FAILED;
    } finally {
      (bar as cliProgress.SingleBar | undefined)?.stop();
    }
  } catch (err) {
    if (isAbort(err)) {
      warn('interrupted: nothing was left half-written\n');
      return EXIT_INTERRUPTED;
    }
    warn(`error: ${(err as Error).message}\n`);
    if (err instanceof UsageError) return EXIT_USAGE;
    if (err instanceof BacktestError) return EXIT_FAILED;
    return EXIT_FAILED;
  }
}

function buildProgram(io: CliIO, setExit: (code: number) => void): Command {
  const program = new Command('driftwatch')
    .description('Driftwatch command line: backtest anomaly detectors on recorded series.')
    .version(PACKAGE_VERSION, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .exitOverride()
    .configureOutput({ writeOut: (s) => void io.stdout.write(s), writeErr: (s) => void io.stderr.write(s) })
    .showHelpAfterError('(run with --help for usage)');

  program
    .command('backtest')
    .summary('score CSV series row by row with an anomaly detector')
    .description(
      'Score a recorded series row by row with a streaming anomaly detector.\n' +
        'Reads CSV "timestamp,value" and writes "timestamp,value,anomaly_score" (score in [0, 1]).',
    )
    .requiredOption('-i, --input <path>', 'a CSV file, or a directory searched recursively for *.csv')
    .requiredOption('-o, --output <path>', 'the scored CSV file (or directory, for a directory input)')
    .option('-d, --detector <name>', `detector: ${DETECTOR_NAMES.join(', ')} (default: ${DEFAULT_DETECTOR})`)
    .option('-c, --config <file>', 'JSON file { "detector": "<name>", "options": { ... } }; --detector wins over its "detector"')
    .addHelpText(
      'after',
      [
        '',
        'Timestamps: "YYYY-MM-DD HH:MM:SS" (UTC), ISO 8601, or epoch milliseconds; rows in time order.',
        'Exit codes: 0 all files scored, 1 a file failed, 2 usage error.',
        '',
        'Examples:',
        '  driftwatch backtest --input series.csv --output scored.csv',
        '  driftwatch backtest --input data/ --output results/ --detector ewma',
        '  driftwatch backtest -i data/ -o results/ --config detector.json',
        '',
      ].join('\n'),
    )
    .action(async (flags: BacktestFlags) => {
      setExit(await backtestCommand(flags, io));
    });

  return program;
}

/** Runs the command line (`argv` without node and script) and resolves to the exit code. */
export async function runCli(argv: readonly string[], io: CliIO): Promise<number> {
  let code = EXIT_OK;
  const program = buildProgram(io, (c) => {
    code = c;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    throw err;
  }
  return code;
}
