/**
 * The zero-code start, end to end: the built package is loaded by a real Node process with
 * `--import @driftwatch/node/register` (or `--require`), configured only through the environment,
 * and exports to a local OTLP receiver.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeLlmServer } from '../../../test/support/fake-llm-server';
import { metricsOf, spansOf, startOtlpReceiver } from './fixtures/otlp-receiver';
import type { OtlpReceiver } from './fixtures/otlp-receiver';

const root = join(import.meta.dirname, '..', '..', '..');
const pkg = join(root, 'packages', 'node');
const app = join(pkg, 'test', 'fixtures', 'zero-code-app.mjs');
const cjsApp = join(pkg, 'test', 'fixtures', 'zero-code-app.cjs');
const openaiApp = join(pkg, 'test', 'fixtures', 'zero-code-openai.mjs');
const required = process.env.DRIFTWATCH_REQUIRE_E2E === '1';

/** Newest modification time of the files under `dir`. */
function newest(dir: string): number {
  let t = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    t = Math.max(t, entry.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/**
 * Builds what the subprocess loads (semconv, llm, node) when its dist is missing or older than its
 * sources; returns why the test cannot run otherwise.
 */
function ensureBuilt(): string | undefined {
  const installed = join(root, 'node_modules', '@driftwatch', 'node');
  if (!existsSync(join(installed, 'package.json'))) {
    return '@driftwatch/node is not installed in node_modules (npm install has not linked the workspace)';
  }
  const dirs: Array<[string, string]> = [
    [realpathSync(join(root, 'node_modules', '@driftwatch', 'semconv')), 'index.js'],
    [realpathSync(join(root, 'node_modules', '@driftwatch', 'llm')), 'index.js'],
    [realpathSync(installed), 'register.js'],
  ];
  for (const [dir, file] of dirs) {
    const entry = join(dir, 'dist', file);
    if (existsSync(entry) && statSync(entry).mtimeMs >= newest(join(dir, 'src'))) continue;
    spawnSync('npx', ['tsup'], { cwd: dir, stdio: 'ignore', timeout: 180_000 });
    // A declaration-only build failure still leaves the JavaScript the subprocess needs.
    if (!existsSync(entry)) return `${dir} could not be built`;
  }
  return undefined;
}

/** The environment of the subprocess: ours without any OTEL_* / DRIFTWATCH_* variable, plus `extra`. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('OTEL_') && !k.startsWith('DRIFTWATCH_') && k !== 'NODE_OPTIONS') env[k] = v;
  }
  return { ...env, ...extra };
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function run(child: ChildProcess, timeoutMs = 30_000): Promise<Exit> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`subprocess did not exit within ${timeoutMs} ms; stdout=${stdout} stderr=${stderr}`));
    }, timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      // Let the pipes drain.
      setImmediate(() => resolve({ code, signal, stdout, stderr }));
    });
  });
}

function waitForOutput(child: ChildProcess, text: string, timeoutMs = 20_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`no "${text}" on stdout within ${timeoutMs} ms: ${seen}`)), timeoutMs);
    child.stdout?.on('data', (d: Buffer) => {
      seen += d.toString();
      if (seen.includes(text)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

const skipReason = ensureBuilt();
if (skipReason && required) throw new Error(`zero-code end-to-end test required (DRIFTWATCH_REQUIRE_E2E=1): ${skipReason}`);

describe.skipIf(skipReason !== undefined)('node --import @driftwatch/node/register', () => {
  let receiver: OtlpReceiver;
  let nodeBinary: string;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    // The Node 24 binary that `npm exec -- node` runs, for the tests that signal the process directly.
    const r = spawnSync('npm', ['exec', '--', 'node', '-p', 'process.execPath'], { cwd: root, encoding: 'utf8' });
    nodeBinary = r.stdout.trim().split('\n').at(-1)!;
    expect(existsSync(nodeBinary)).toBe(true);
  });

  afterAll(async () => {
    await receiver?.close();
  });

  const otlpEnv = (serviceName: string, extra: Record<string, string> = {}) =>
    childEnv({
      OTEL_SERVICE_NAME: serviceName,
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_METRICS_EXPORTER: 'otlp',
      OTEL_LOGS_EXPORTER: 'none',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      ...extra,
    });

  it('exports the application span and metric from the environment alone, and exits 0', async () => {
    const child = spawn('npm', ['exec', '--', 'node', '--import', '@driftwatch/node/register', app], {
      cwd: root,
      env: otlpEnv('zero-code-esm'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exit = await run(child);
    expect(exit.stderr.split('\n').filter((l) => l.includes('@driftwatch/node'))).toEqual([]);
    expect(exit.code).toBe(0);
    expect(exit.stdout).toContain('app done');

    // Exported by the shutdown that runs when the event loop empties (beforeExit).
    const tr = await receiver.waitFor((r) => r.signal === 'traces' && spansOf(r.body).some((s) => s.resource['service.name'] === 'zero-code-esm'));
    expect(tr.encoding).toBe('protobuf');
    const [span] = spansOf(tr.body);
    expect(span).toMatchObject({ name: 'app work', scope: 'zero-code-app', attributes: { 'app.step': 1 } });
    const mr = await receiver.waitFor((r) => r.signal === 'metrics' && metricsOf(r.body).some((m) => m.resource['service.name'] === 'zero-code-esm'));
    expect(metricsOf(mr.body).map((m) => m.name)).toContain('app.jobs');
  });

  it('fails loudly on an invalid variable: one clear line on stderr, exit code 1, the application never runs', async () => {
    const child = spawn('npm', ['exec', '--', 'node', '--import', '@driftwatch/node/register', app], {
      cwd: root,
      env: otlpEnv('zero-code-bad', { OTEL_EXPORTER_PROMETHEUS_PORT: 'ninety', OTEL_METRICS_EXPORTER: 'prometheus' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exit = await run(child);
    expect(exit.code).toBe(1);
    expect(exit.stdout).not.toContain('app done');
    const ours = exit.stderr.split('\n').filter((l) => l.includes('@driftwatch/node'));
    expect(ours).toEqual(['@driftwatch/node: invalid OTEL_EXPORTER_PROMETHEUS_PORT="ninety": expected an integer 0..65535']);
  });

  it('grpc is refused with a message that says so', async () => {
    const exit = await run(
      spawn(nodeBinary, ['--import', '@driftwatch/node/register', app], {
        cwd: root,
        env: otlpEnv('zero-code-grpc', { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }),
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    expect(exit.code).toBe(1);
    expect(exit.stderr).toContain('@driftwatch/node: invalid OTEL_EXPORTER_OTLP_PROTOCOL="grpc": OTLP/gRPC is not supported by @driftwatch/node');
  });

  it('SIGTERM without an application listener: flushes, then the signal ends the process as it would have', async () => {
    const child = spawn(nodeBinary, ['--import', '@driftwatch/node/register', app], {
      cwd: root,
      env: otlpEnv('zero-code-sigterm', { APP_WAIT_FOR_SIGNAL: '1', OTEL_BSP_SCHEDULE_DELAY: '60000' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = run(child);
    await waitForOutput(child, 'ready');
    child.kill('SIGTERM');
    const exit = await exited;
    expect(exit.signal).toBe('SIGTERM');
    expect(exit.code).toBeNull();
    // The span waited in the batch queue (60 s delay) and was exported by the shutdown.
    const tr = await receiver.waitFor((r) => r.signal === 'traces' && spansOf(r.body).some((s) => s.resource['service.name'] === 'zero-code-sigterm'));
    expect(spansOf(tr.body).map((s) => s.name)).toEqual(['app work']);
  });

  it('SIGTERM with an application listener: the application keeps control of its exit; telemetry is flushed', async () => {
    const child = spawn(nodeBinary, ['--import', '@driftwatch/node/register', app], {
      cwd: root,
      env: otlpEnv('zero-code-own-sigterm', { APP_WAIT_FOR_SIGNAL: '1', APP_OWN_SIGTERM: '1', OTEL_BSP_SCHEDULE_DELAY: '60000' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = run(child);
    await waitForOutput(child, 'ready');
    child.kill('SIGTERM');
    const exit = await exited;
    expect(exit.stdout).toContain('app got SIGTERM');
    expect(exit.code).toBe(7);
    expect(exit.signal).toBeNull();
    const tr = await receiver.waitFor((r) => r.signal === 'traces' && spansOf(r.body).some((s) => s.resource['service.name'] === 'zero-code-own-sigterm'));
    expect(spansOf(tr.body).map((s) => s.name)).toEqual(['app work']);
  });

  it('an unreachable collector delays exit by at most the shutdown timeout', async () => {
    const started = Date.now();
    const exit = await run(
      spawn(nodeBinary, ['--import', '@driftwatch/node/register', app], {
        cwd: root,
        env: childEnv({
          OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
          OTEL_EXPORTER_OTLP_TIMEOUT: '20000',
          DRIFTWATCH_SHUTDOWN_TIMEOUT: '1000',
          OTEL_METRICS_EXPORTER: 'none',
          OTEL_LOGS_EXPORTER: 'none',
        }),
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    expect(exit.code).toBe(0);
    expect(exit.stdout).toContain('app done');
    expect(Date.now() - started).toBeLessThan(8000);
  });

  it('traces an ES module application\'s `import OpenAI from "openai"` calls (ESM loader hook + @driftwatch/llm)', async () => {
    const fake = await startFakeLlmServer();
    try {
      const exit = await run(
        spawn(nodeBinary, ['--import', '@driftwatch/node/register', openaiApp], {
          cwd: root,
          env: otlpEnv('zero-code-openai', { OTEL_METRICS_EXPORTER: 'none', FAKE_OPENAI_BASE_URL: fake.openaiBaseURL }),
          stdio: ['ignore', 'pipe', 'pipe'],
        }),
      );
      expect(exit.stderr.split('\n').filter((l) => l.includes('@driftwatch/node'))).toEqual([]);
      expect(exit.code).toBe(0);
      expect(exit.stdout).toContain('reply: ');
      const tr = await receiver.waitFor((r) => r.signal === 'traces' && spansOf(r.body).some((s) => s.resource['service.name'] === 'zero-code-openai'));
      const [span] = spansOf(tr.body);
      expect(span).toMatchObject({
        name: 'chat gpt-4o-mini',
        scope: '@driftwatch/llm',
        attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o-mini' },
      });
    } finally {
      await fake.close();
    }
  });

  it('node --require @driftwatch/node/register starts it for a CommonJS application', async () => {
    const exit = await run(
      spawn(nodeBinary, ['--require', '@driftwatch/node/register', cjsApp], {
        cwd: root,
        env: otlpEnv('zero-code-cjs', { OTEL_METRICS_EXPORTER: 'none' }),
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    expect(exit.code).toBe(0);
    expect(exit.stdout).toContain('cjs app done');
    const tr = await receiver.waitFor((r) => r.signal === 'traces' && spansOf(r.body).some((s) => s.resource['service.name'] === 'zero-code-cjs'));
    expect(spansOf(tr.body).map((s) => s.name)).toEqual(['cjs work']);
  });
});
