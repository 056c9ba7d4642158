// A real Prometheus server for end-to-end tests: `startPrometheus()` writes a temporary
// prometheus.yml that scrapes the given targets, spawns Debian's `prometheus` on a free loopback port
// with its TSDB in a temporary directory, waits for `/-/ready` and offers PromQL queries over the
// HTTP API. `promtoolCheckMetrics()` runs `promtool check metrics` on an exposition text. Tests that
// need them run when `shouldRunPrometheusTests()` is true: when both binaries are installed, or when
// DRIFTWATCH_REQUIRE_E2E=1 (then a missing binary fails them). PROMETHEUS_BIN / PROMTOOL_BIN name
// other executables.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** One element of an instant-vector query result. */
export interface PromSample {
  /** The series' labels, `__name__` included. */
  metric: Record<string, string>;
  value: number;
  /** Evaluation time, seconds since the epoch. */
  timestamp: number;
}

export interface PromTarget {
  scrapeUrl: string;
  health: 'up' | 'down' | 'unknown';
  lastError: string;
  lastScrape: string;
  labels: Record<string, string>;
}

export interface PrometheusServer {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  port: number;
  /** Runs an instant query (`/api/v1/query`); the result must be a vector. */
  query(promql: string): Promise<PromSample[]>;
  /**
   * Polls `query(promql)` until `predicate` holds on the result and returns that result. Throws after
   * `timeoutMs` with the last result and the targets' scrape state.
   */
  waitFor(promql: string, predicate: (samples: PromSample[]) => boolean, timeoutMs?: number): Promise<PromSample[]>;
  /** The active scrape targets (`/api/v1/targets`). */
  targets(): Promise<PromTarget[]>;
  /** Stops the server and removes its temporary files (idempotent). */
  stop(): Promise<void>;
}

export interface StartPrometheusOptions {
  /** `host:port` (scraped at `/metrics`) or `http://host:port/path` URLs. */
  scrapeTargets: string[];
  /** Global scrape interval (and timeout); default 1000 ms. */
  scrapeIntervalMs?: number;
  /** Job label; default `driftwatch` (`driftwatch_<n>` when the targets have different paths). */
  jobName?: string;
}

const DEBIAN_HINT = 'install the Debian package "prometheus", which provides both `prometheus` and `promtool`';

function findExecutable(name: string, override: string | undefined): string | undefined {
  if (override) return existsSync(override) ? override : undefined;
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/bin', '/usr/local/bin'];
  for (const d of dirs) {
    if (!d) continue;
    const p = join(d, name);
    if (existsSync(p)) return p;
  }
  return undefined;
}

function runs(bin: string | undefined): boolean {
  return bin !== undefined && spawnSync(bin, ['--version'], { stdio: 'ignore' }).status === 0;
}

/** The `prometheus` executable (PROMETHEUS_BIN, PATH or /usr/bin), if any. */
export function prometheusPath(): string | undefined {
  return findExecutable('prometheus', process.env.PROMETHEUS_BIN);
}

/** The `promtool` executable (PROMTOOL_BIN, PATH or /usr/bin), if any. */
export function promtoolPath(): string | undefined {
  return findExecutable('promtool', process.env.PROMTOOL_BIN);
}

/** Whether `prometheus` and `promtool` are installed and run. */
export function prometheusAvailable(): boolean {
  return runs(prometheusPath()) && runs(promtoolPath());
}

/** Whether Prometheus tests should run: the binaries are installed, or DRIFTWATCH_REQUIRE_E2E=1 (then they fail without them). */
export function shouldRunPrometheusTests(): boolean {
  return prometheusAvailable() || process.env.DRIFTWATCH_REQUIRE_E2E === '1';
}

function missing(what: string): Error {
  return new Error(
    `${what} is not installed (${DEBIAN_HINT})` + (process.env.DRIFTWATCH_REQUIRE_E2E === '1' ? '; DRIFTWATCH_REQUIRE_E2E=1 requires it' : ''),
  );
}

/** Throws the clear "install the Debian package" error unless `prometheus` and `promtool` both run. */
export function assertPrometheusInstalled(): void {
  if (!runs(prometheusPath())) throw missing('prometheus');
  if (!runs(promtoolPath())) throw missing('promtool');
}

/** `promtool check metrics` on an exposition text: its exit code and everything it printed. */
export function promtoolCheckMetrics(text: string): { status: number | null; output: string } {
  const bin = promtoolPath();
  if (!runs(bin)) throw missing('promtool');
  const r = spawnSync(bin!, ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 10_000 });
  if (r.error) throw r.error;
  return { status: r.status, output: r.stdout + r.stderr };
}

export async function freePort(): Promise<number> {
  const s = createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address() as { port: number };
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

const q = (s: string): string => JSON.stringify(s);

/** prometheus.yml: one job per distinct metrics path, static targets. */
export function prometheusConfig(options: StartPrometheusOptions): string {
  const interval = `${options.scrapeIntervalMs ?? 1000}ms`;
  const job = options.jobName ?? 'driftwatch';
  const byPath = new Map<string, string[]>();
  for (const t of options.scrapeTargets) {
    let address = t;
    let path = '/metrics';
    if (/^https?:\/\//.test(t)) {
      const u = new URL(t);
      if (u.protocol !== 'http:') throw new Error(`scrape target ${t}: only http targets are supported`);
      address = u.host;
      path = u.pathname === '' || u.pathname === '/' ? '/metrics' : u.pathname;
    }
    if (!/^[^/\s]+:\d+$/.test(address)) throw new Error(`scrape target ${q(t)} must be host:port or an http URL with a port`);
    byPath.set(path, [...(byPath.get(path) ?? []), address]);
  }
  if (byPath.size === 0) throw new Error('startPrometheus: scrapeTargets is empty');
  const lines = ['global:', `  scrape_interval: ${interval}`, `  scrape_timeout: ${interval}`, `  evaluation_interval: ${interval}`, 'scrape_configs:'];
  let i = 0;
  for (const [path, addresses] of byPath) {
    lines.push(
      `  - job_name: ${q(byPath.size === 1 ? job : `${job}_${i++}`)}`,
      `    metrics_path: ${q(path)}`,
      '    static_configs:',
      `      - targets: [${addresses.map(q).join(', ')}]`,
    );
  }
  return lines.join('\n') + '\n';
}

const live = new Set<{ child: ChildProcess; dir: string }>();
process.once('exit', () => {
  for (const { child, dir } of live) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

async function exited(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  try {
    await gone;
  } finally {
    clearTimeout(timer);
  }
}

async function getJson(url: string): Promise<{ status: string; data?: unknown; error?: string; errorType?: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  const body = (await res.json()) as { status: string; data?: unknown; error?: string; errorType?: string };
  if (body.status !== 'success') throw new Error(`${url}: ${body.errorType ?? res.status}: ${body.error ?? 'no error message'}`);
  return body;
}

/** Starts `prometheus` scraping `scrapeTargets` and resolves once it is ready. */
export async function startPrometheus(options: StartPrometheusOptions): Promise<PrometheusServer> {
  const bin = prometheusPath();
  if (!runs(bin)) throw missing('prometheus');
  const config = prometheusConfig(options);
  const dir = mkdtempSync(join(tmpdir(), 'driftwatch-prometheus-'));
  const configFile = join(dir, 'prometheus.yml');
  writeFileSync(configFile, config);
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const child = spawn(
      bin!,
      [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${join(dir, `data-${attempt}`)}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const entry = { child, dir };
    live.add(entry);
    child.once('exit', () => live.delete(entry));
    let stderr = '';
    child.stderr!.on('data', (b: Buffer) => {
      stderr = (stderr + b.toString()).slice(-4000);
    });
    try {
      await waitReady(url, child, () => stderr);
    } catch (err) {
      lastError = err as Error;
      await exited(child, 2_000);
      if (/address already in use/i.test(stderr)) continue; // the port was taken in between: try another one
      break;
    }

    const query = async (promql: string): Promise<PromSample[]> => {
      const body = await getJson(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
      const data = body.data as { resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> };
      if (data.resultType !== 'vector') throw new Error(`query ${promql}: expected a vector, got ${data.resultType}`);
      return data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]), timestamp: r.value[0] }));
    };
    const targets = async (): Promise<PromTarget[]> => {
      const body = await getJson(`${url}/api/v1/targets?state=active`);
      return (body.data as { activeTargets: PromTarget[] }).activeTargets;
    };
    let stopping: Promise<void> | undefined;
    return {
      url,
      port,
      query,
      targets,
      async waitFor(promql, predicate, timeoutMs = 10_000) {
        const deadline = Date.now() + timeoutMs;
        let last: PromSample[] | string;
        for (;;) {
          try {
            last = await query(promql);
            if (predicate(last)) return last;
          } catch (e) {
            last = String(e);
          }
          if (Date.now() >= deadline) break;
          await new Promise((r) => setTimeout(r, 200));
        }
        const t = await targets().catch((e: unknown) => String(e));
        throw new Error(`Prometheus: ${promql} did not satisfy the predicate within ${timeoutMs} ms; last result ${JSON.stringify(last)}; targets ${JSON.stringify(t)}`);
      },
      stop() {
        stopping ??= exited(child, 5_000).finally(() => rmSync(dir, { recursive: true, force: true }));
        return stopping;
      },
    };
  }
  rmSync(dir, { recursive: true, force: true });
  throw lastError ?? new Error('prometheus could not be started');
}

async function waitReady(url: string, child: ChildProcess, stderr: () => string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`prometheus exited (${child.exitCode ?? child.signalCode}) before becoming ready at ${url}: ${stderr().trim()}`);
    }
    try {
      const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1_000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`prometheus did not become ready at ${url} within ${timeoutMs} ms: ${stderr().trim()}`);
}
