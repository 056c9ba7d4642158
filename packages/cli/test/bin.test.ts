// The built executable end to end: `tsup` builds packages/cli/dist, then `node dist/bin.js` runs as
// a user would run `driftwatch` (a separate process, Node 24 from the root devDependency, no TTY).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DETECTOR_NAMES } from '@driftwatch/processor';
import { backtestFile } from '../src/index';
import { PACKAGE_VERSION } from '../src/version';
import { csvText, listFiles, makeSeries, tempDir, writeFile } from './helpers';

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const root = join(pkgDir, '..', '..');
const bin = join(pkgDir, 'dist', 'bin.js');
const localNode = join(root, 'node_modules', '.bin', 'node');
const node = existsSync(localNode) ? localNode : process.execPath;

function run(args: string[], env: NodeJS.ProcessEnv = {}): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(node, [bin, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: process.env.HOME, CI: 'true', ...env },
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the built driftwatch binary', () => {
  let dir: string;
  let cleanup: () => void;

  beforeAll(() => {
    ({ dir, cleanup } = tempDir('driftwatch-bin-'));
    const tsup = join(root, 'node_modules', 'tsup', 'dist', 'cli-default.js');
    const build = spawnSync(node, [tsup], { cwd: pkgDir, encoding: 'utf8', timeout: 120_000 });
    if (build.status !== 0) throw new Error(`tsup failed:\n${build.stdout}\n${build.stderr}`);
    // The binary loads @driftwatch/processor from its build output, like an installed package.
    const processorDist = join(root, 'packages', 'processor', 'dist', 'index.js');
    if (!existsSync(processorDist) || !readFileSync(processorDist, 'utf8').includes('createDetector')) {
      throw new Error('packages/processor/dist has no detector registry: build @driftwatch/processor first (npm run build)');
    }
  }, 150_000);
  afterAll(() => cleanup?.());

  it('is an executable ESM entry with a node shebang', () => {
    expect(readFileSync(bin, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  it('--help, backtest --help and --version exit 0', () => {
    const help = run(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: driftwatch [options] [command]');
    const sub = run(['backtest', '--help']);
    expect(sub.code).toBe(0);
    expect(sub.stdout).toContain('--input <path>');
    expect(sub.stdout.replace(/\s+/g, ' ')).toContain(DETECTOR_NAMES.join(', '));
    expect(run(['--version'])).toEqual({ code: 0, stdout: `${PACKAGE_VERSION}\n`, stderr: '' });
  });

  it('scores a file exactly like the library, exit 0', async () => {
    const input = writeFile(join(dir, 'one', 'series.csv'), csvText(makeSeries(2000)));
    const output = join(dir, 'one', 'scored.csv');
    const r = run(['backtest', '--input', input, '--output', output, '--detector', 'ewma']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${output}: 2,000 rows scored with ewma in`);
    await backtestFile(input, join(dir, 'one', 'lib.csv'), { detector: 'ewma' });
    expect(readFileSync(output, 'utf8')).toBe(readFileSync(join(dir, 'one', 'lib.csv'), 'utf8'));
  });

  it('a directory with a bad file: exit 1, the failure on stderr with its line, no bar escape codes', () => {
    const input = join(dir, 'many');
    writeFile(join(input, 'a.csv'), csvText(makeSeries(300)));
    writeFile(join(input, 'deep', 'b.csv'), csvText(makeSeries(300, 2)));
    writeFile(join(input, 'deep', 'bad.csv'), 'timestamp,value\n2014-04-01 00:00:00,1\n2014-04-01 00:05:00,abc\n');
    const output = join(dir, 'many-out');
    const r = run(['backtest', '-i', input, '-o', output]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`error: ${join(input, 'deep', 'bad.csv')}:3: value "abc" is not a number\n`);
    expect(r.stdout).toMatch(/^backtest: 2 of 3 files scored, 1 failed \(errors above\); 600 rows with ensemble in .* -> /);
    expect(r.stdout + r.stderr).not.toContain('\x1b');
    expect(listFiles(output)).toEqual(['a.csv', 'deep/b.csv']);
  });

  it('usage errors exit 2', () => {
    const input = writeFile(join(dir, 'u', 'series.csv'), csvText(makeSeries(10)));
    const unknown = run(['backtest', '-i', input, '-o', join(dir, 'u', 'x.csv'), '-d', 'nope']);
    expect(unknown).toEqual({ code: 2, stdout: '', stderr: `error: --detector: unknown detector "nope" (available: ${DETECTOR_NAMES.join(', ')})\n` });
    const missing = run(['backtest', '-i', join(dir, 'missing.csv'), '-o', join(dir, 'u', 'x.csv')]);
    expect(missing).toEqual({ code: 2, stdout: '', stderr: `error: input ${join(dir, 'missing.csv')} does not exist\n` });
    const noOutput = run(['backtest', '-i', input]);
    expect({ code: noOutput.code, stdout: noOutput.stdout }, noOutput.stderr).toEqual({ code: 2, stdout: '' });
    expect(noOutput.stderr).toContain("error: required option '-o, --output <path>' not specified");
    const none = run([]);
    expect(none.code, none.stderr).toBe(2);
    expect(none.stderr).toContain('Usage: driftwatch [options] [command]');
    expect(existsSync(join(dir, 'u', 'x.csv'))).toBe(false);
  });
});
