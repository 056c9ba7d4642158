import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { DiagLogLevel, diag, trace } from '@opentelemetry/api';
import { logs } from '@opentelemetry/api-logs';
import { LlmTelemetry } from '@driftwatch/llm';
import { afterEach, describe, expect, it } from 'vitest';
import { register } from '../src/index';
import type { DriftwatchHandle } from '../src/index';

/** A port on which nothing listens (connection refused). */
async function closedPort(): Promise<number> {
  const s = await listen();
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

function listen(onConnection?: (socket: Socket) => void): Promise<Server> {
  return new Promise((resolve) => {
    const s = createServer(onConnection);
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
}

/** Captures diag output. */
function captureDiag(): { lines: string[]; restore(): void } {
  const lines: string[] = [];
  const push = (...args: unknown[]) => lines.push(args.map(String).join(' '));
  diag.setLogger({ error: push, warn: push, info: push, debug: () => undefined, verbose: () => undefined }, DiagLogLevel.INFO);
  return { lines, restore: () => diag.disable() };
}

let handle: DriftwatchHandle | undefined;
afterEach(async () => {
  await handle?.shutdown();
  handle = undefined;
});

describe('an unreachable collector never blocks or crashes the application', () => {
  it('connection refused: calls return promptly, forceFlush resolves, failures are counted, logged once and exposed as driftwatch.export.*', async () => {
    const port = await closedPort();
    const logged = captureDiag();
    try {
      handle = register({
        env: {},
        otlp: { endpoint: `http://127.0.0.1:${port}`, timeoutMillis: 300 },
        metricsExporter: ['otlp', 'prometheus'],
        prometheus: { host: '127.0.0.1', port: 0 },
        spanBatch: { scheduledDelayMillis: 10, maxQueueSize: 100, maxExportBatchSize: 50 },
        logBatch: { scheduledDelayMillis: 10 },
        hostMetrics: false,
        runtimeMetrics: false,
        handleSignals: false,
      });
      const tracer = trace.getTracer('down');
      const telemetry = new LlmTelemetry();
      const started = performance.now();
      for (let i = 0; i < 40; i++) {
        tracer.startSpan(`work ${i}`).end();
        telemetry.startCall({ operation: 'chat', provider: 'anthropic', model: 'claude-sonnet-4' }).end();
      }
      logs.getLogger('down').emit({ body: 'hello' });
      expect(performance.now() - started).toBeLessThan(500);

      const flushStarted = performance.now();
      await handle.forceFlush({ timeoutMillis: 3000 });
      expect(performance.now() - flushStarted).toBeLessThan(3500);

      const stats = handle.stats();
      expect(stats.traces.exportedBatches).toBe(0);
      expect(stats.traces.failedItems).toBe(80);
      expect(stats.traces.failedBatches).toBeGreaterThanOrEqual(2);
      expect(stats.traces.lastError).toMatch(/ECONNREFUSED/);
      expect(stats.metrics.failedBatches).toBeGreaterThanOrEqual(1);
      expect(stats.logs).toMatchObject({ exportedBatches: 0, failedBatches: 1, failedItems: 1 });

      // Logged once per signal, however many batches failed.
      const warnings = logged.lines.filter((l) => l.includes('@driftwatch/node') && l.includes('export failed'));
      expect(warnings.filter((l) => l.includes('traces export failed'))).toHaveLength(1);
      expect(warnings.filter((l) => l.includes('logs export failed'))).toHaveLength(1);

      // The self-metrics, scraped from the Prometheus endpoint that keeps working.
      const addr = await handle.prometheus!.ready;
      const text = await (await fetch(addr.url)).text();
      const failures = text.split('\n').filter((l) => l.startsWith('driftwatch_export_failures_total{'));
      const traceFailures = failures.find((l) => l.includes('driftwatch_signal="traces"'));
      expect(traceFailures).toContain('driftwatch_exporter="otlp"');
      expect(Number(traceFailures!.split(' ').at(-1))).toBe(stats.traces.failedBatches);
      const items = text.split('\n').find((l) => l.startsWith('driftwatch_export_failed_items_total{') && l.includes('driftwatch_signal="traces"'));
      expect(Number(items!.split(' ').at(-1))).toBe(80);
      expect(text).toContain('# TYPE driftwatch_export_failures_total counter');
    } finally {
      logged.restore();
    }
  });

  it('a collector that accepts connections but never answers: forceFlush and shutdown stay within their bounds', async () => {
    const sockets: Socket[] = [];
    const blackhole = await listen((s) => sockets.push(s));
    try {
      handle = register({
        env: {},
        otlp: { endpoint: `http://127.0.0.1:${(blackhole.address() as AddressInfo).port}`, timeoutMillis: 5000 },
        metricsExporter: 'none',
        logsExporter: 'none',
        hostMetrics: false,
        runtimeMetrics: false,
        handleSignals: false,
        shutdownTimeoutMillis: 400,
      });
      trace.getTracer('bh').startSpan('into the void').end();
      let t = performance.now();
      await handle.forceFlush({ timeoutMillis: 200 });
      expect(performance.now() - t).toBeLessThan(700);
      t = performance.now();
      await handle.shutdown();
      expect(performance.now() - t).toBeLessThan(1000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => blackhole.close(r));
    }
  });

  it('a bounded span queue drops the overflow instead of growing', async () => {
    const port = await closedPort();
    handle = register({
      env: {},
      otlp: { endpoint: `http://127.0.0.1:${port}`, timeoutMillis: 200 },
      spanBatch: { scheduledDelayMillis: 60_000, maxQueueSize: 10, maxExportBatchSize: 10 },
      metricsExporter: 'none',
      logsExporter: 'none',
      hostMetrics: false,
      runtimeMetrics: false,
      handleSignals: false,
    });
    const tracer = trace.getTracer('q');
    for (let i = 0; i < 25; i++) tracer.startSpan(`s${i}`).end();
    await handle.forceFlush({ timeoutMillis: 2000 });
    // A full batch of 10 is exported as soon as it fills, the rest waits in the queue of 10:
    // at most 20 of 25 spans ever reach the exporter.
    const { traces } = handle.stats();
    expect(traces.failedItems).toBeGreaterThanOrEqual(10);
    expect(traces.failedItems).toBeLessThanOrEqual(20);
  });
});
