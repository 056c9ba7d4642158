import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { metrics, trace } from '@opentelemetry/api';
import {
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_LLM_CALL_OUTCOME,
  METRIC_DRIFTWATCH_CACHE_HIT_RATIO,
  UNIT_RATIO,
} from '@driftwatch/semconv';
import { LlmTelemetry } from '@driftwatch/llm';
import { afterEach, describe, expect, it } from 'vitest';
import { register } from '../src/index';
import type { DriftwatchHandle } from '../src/index';
import { prometheusUnit } from '../src/prometheus';
import { spansOf, startOtlpReceiver } from './fixtures/otlp-receiver';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text exposition format into samples and metadata lines. */
function parseExposition(text: string): { samples: Sample[]; meta: Map<string, { type?: string; unit?: string; help?: string }> } {
  const samples: Sample[] = [];
  const meta = new Map<string, { type?: string; unit?: string; help?: string }>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const m = /^# (HELP|TYPE|UNIT) (\S+) ?(.*)$/.exec(line);
    if (m) {
      const entry = meta.get(m[2]!) ?? {};
      entry[m[1]!.toLowerCase() as 'type' | 'unit' | 'help'] = m[3];
      meta.set(m[2]!, entry);
      continue;
    }
    if (line.startsWith('#')) continue;
    const s = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!s) throw new Error(`unparseable exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const lm of (s[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[lm[1]!] = lm[2]!;
    samples.push({ name: s[1]!, labels, value: s[3] === '+Inf' ? Infinity : Number(s[3]) });
  }
  return { samples, meta };
}

const label = (attr: string): string => attr.replace(/\./g, '_');

function promtoolPath(): string | undefined {
  const r = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? 'promtool' : undefined;
}

let handle: DriftwatchHandle | undefined;
afterEach(async () => {
  await handle?.shutdown();
  handle = undefined;
});

describe('Prometheus /metrics', () => {
  it('serves GenAI histograms and counters with unit suffixes, # UNIT/# TYPE lines and labels, plus host and runtime metrics', async () => {
    handle = register({
      env: {},
      serviceName: 'prom-test',
      metricsExporter: 'prometheus',
      tracesExporter: 'none',
      logsExporter: 'none',
      prometheus: { host: '127.0.0.1', port: 0 },
      handleSignals: false,
    });
    const addr = await handle.prometheus!.ready;
    expect(addr.host).toBe('127.0.0.1');
    expect(addr.port).toBeGreaterThan(0);
    expect(addr.port).not.toBe(9464);
    expect(addr.url).toBe(`http://127.0.0.1:${addr.port}/metrics`);

    const telemetry = new LlmTelemetry();
    for (let i = 0; i < 3; i++) {
      const call = telemetry.startCall({ operation: 'chat', provider: 'openai', model: 'gpt-4o-mini' });
      call.end({ usage: { inputTokens: 100, outputTokens: 20 } });
    }
    const gauge = metrics.getMeter('prom-test').createGauge(METRIC_DRIFTWATCH_CACHE_HIT_RATIO, { unit: UNIT_RATIO });
    gauge.record(0.75, { cache_name: 'pages' });
    // Let the runtime instrumentation's event-loop delay histogram collect a few samples.
    await new Promise((r) => setTimeout(r, 100));

    const res = await fetch(addr.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await res.text();
    const { samples, meta } = parseExposition(text);

    const duration = 'gen_ai_client_operation_duration_seconds';
    expect(meta.get(duration)).toEqual({ help: 'GenAI operation duration.', unit: 'seconds', type: 'histogram' });
    const callLabels = {
      [label(ATTR_GEN_AI_OPERATION_NAME)]: 'chat',
      [label(ATTR_GEN_AI_PROVIDER_NAME)]: 'openai',
      [label(ATTR_GEN_AI_REQUEST_MODEL)]: 'gpt-4o-mini',
      otel_scope_name: '@driftwatch/llm',
      otel_scope_version: '0.1.0',
    };
    const buckets = samples.filter((s) => s.name === `${duration}_bucket`);
    expect(buckets.map((b) => b.labels.le)).toEqual([
      '0.01', '0.02', '0.04', '0.08', '0.16', '0.32', '0.64', '1.28', '2.56', '5.12', '10.24', '20.48', '40.96', '81.92', '+Inf',
    ]);
    expect(buckets.at(-1)).toEqual({ name: `${duration}_bucket`, labels: { ...callLabels, le: '+Inf' }, value: 3 });
    expect(samples.find((s) => s.name === `${duration}_count`)).toEqual({ name: `${duration}_count`, labels: callLabels, value: 3 });

    // Token usage: `{token}` is an annotation, so no unit suffix and no # UNIT line.
    expect(meta.get('gen_ai_client_token_usage')).toMatchObject({ type: 'histogram' });
    expect(meta.get('gen_ai_client_token_usage')!.unit).toBeUndefined();
    const inputSum = samples.find((s) => s.name === 'gen_ai_client_token_usage_sum' && s.labels.gen_ai_token_type === 'input');
    expect(inputSum?.value).toBe(300);

    // A counter gets `_total`.
    expect(meta.get('llm_calls_total')).toMatchObject({ type: 'counter' });
    expect(samples.find((s) => s.name === 'llm_calls_total')).toEqual({
      name: 'llm_calls_total',
      labels: { ...callLabels, [label(ATTR_LLM_CALL_OUTCOME)]: 'success' },
      value: 3,
    });

    // A gauge in `1` is a ratio.
    expect(meta.get('driftwatch_cache_hit_ratio')).toMatchObject({ type: 'gauge', unit: 'ratio' });
    expect(samples.find((s) => s.name === 'driftwatch_cache_hit_ratio')?.value).toBe(0.75);

    // Resource as target_info; host and runtime metrics are on by default.
    expect(samples.find((s) => s.name === 'target_info')?.labels.service_name).toBe('prom-test');
    const names = new Set(samples.map((s) => s.name));
    for (const expected of ['process_cpu_time_seconds_total', 'system_cpu_time_seconds_total', 'process_memory_usage', 'v8js_memory_heap_used_bytes', 'nodejs_eventloop_utilization_ratio']) {
      expect(names, expected).toContain(expected);
    }

    const promtool = promtoolPath();
    if (promtool) {
      const out = spawnSync(promtool, ['check', 'metrics'], { input: text, encoding: 'utf8' });
      expect(out.stderr + out.stdout).toBe('');
      expect(out.status).toBe(0);
    } else if (process.env.DRIFTWATCH_REQUIRE_E2E === '1') {
      throw new Error('promtool is required (DRIFTWATCH_REQUIRE_E2E=1) but not installed; install the Debian "prometheus" package');
    } else {
      console.warn('promtool not installed: skipping `promtool check metrics`');
    }

    // Only the configured path is served.
    expect((await fetch(`http://127.0.0.1:${addr.port}/other`)).status).toBe(404);
    expect((await fetch(addr.url, { method: 'POST' })).status).toBe(405);
  });

  it('promtool rejects a malformed exposition (so the check above can fail)', () => {
    const promtool = promtoolPath();
    if (!promtool) {
      if (process.env.DRIFTWATCH_REQUIRE_E2E === '1') throw new Error('promtool is required (DRIFTWATCH_REQUIRE_E2E=1) but not installed');
      return;
    }
    const bad = '# TYPE x_seconds histogram\nx_seconds_bucket{le="1"} 1\n';
    const out = spawnSync(promtool, ['check', 'metrics'], { input: bad, encoding: 'utf8' });
    expect(out.status).not.toBe(0);
  });

  it('turns host and runtime metrics off with hostMetrics: false / runtimeMetrics: false (or DRIFTWATCH_* variables)', async () => {
    handle = register({
      env: { DRIFTWATCH_RUNTIME_METRICS: 'false' },
      metricsExporter: 'prometheus',
      tracesExporter: 'none',
      logsExporter: 'none',
      prometheus: { host: '127.0.0.1', port: 0 },
      hostMetrics: false,
      handleSignals: false,
    });
    const addr = await handle.prometheus!.ready;
    const telemetry = new LlmTelemetry();
    telemetry.startCall({ operation: 'embeddings', provider: 'openai', model: 'text-embedding-3-small' }).end();
    const { samples } = parseExposition(await (await fetch(addr.url)).text());
    expect(samples.filter((s) => /^(process|system|v8js|nodejs)_/.test(s.name))).toEqual([]);
    expect(samples.find((s) => s.name === 'gen_ai_client_operation_duration_seconds_count')?.labels.gen_ai_operation_name).toBe('embeddings');
  });

  it('serves on OTEL_EXPORTER_PROMETHEUS_HOST/PORT and a custom path', async () => {
    const port = await freePort();
    handle = register({
      env: { OTEL_METRICS_EXPORTER: 'prometheus', OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1', OTEL_EXPORTER_PROMETHEUS_PORT: String(port) },
      prometheus: { endpoint: '/custom' },
      tracesExporter: 'none',
      logsExporter: 'none',
      hostMetrics: false,
      runtimeMetrics: false,
      handleSignals: false,
    });
    const addr = await handle.prometheus!.ready;
    expect(addr).toEqual({ host: '127.0.0.1', port, url: `http://127.0.0.1:${port}/custom` });
    expect((await fetch(addr.url)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(404);
    await handle.shutdown();
    // The server is closed on shutdown.
    await expect(fetch(addr.url)).rejects.toThrow();
    handle = undefined;
  });

  it('a taken port rejects `ready` without crashing the application; the other signals keep working', async () => {
    const blocker = await listen();
    const receiver = await startOtlpReceiver();
    try {
      handle = register({
        env: {},
        metricsExporter: 'prometheus',
        prometheus: { host: '127.0.0.1', port: (blocker.address() as AddressInfo).port },
        otlp: { endpoint: receiver.url },
        logsExporter: 'none',
        hostMetrics: false,
        runtimeMetrics: false,
        handleSignals: false,
      });
      await expect(handle.prometheus!.ready).rejects.toThrow(/EADDRINUSE/);
      trace.getTracer('t').startSpan('still traced').end();
      await handle.forceFlush();
      const tr = await receiver.waitFor((r) => r.signal === 'traces');
      expect(spansOf(tr.body).map((s) => s.name)).toEqual(['still traced']);
    } finally {
      await receiver.close();
      await new Promise((r) => blocker.close(r));
    }
  });
});

describe('prometheusUnit', () => {
  it.each([
    ['s', false, 'seconds'],
    ['ms', false, 'milliseconds'],
    ['By', false, 'bytes'],
    ['By/s', false, 'bytes_per_second'],
    ['{request}/s', false, 'per_second'],
    ['{token}', false, ''],
    ['1', true, 'ratio'],
    ['1', false, ''],
    ['USD', false, 'USD'],
    ['', false, ''],
    ['Cel', true, 'celsius'],
  ])('%s (gauge: %s) → %s', (unit, gauge, word) => {
    expect(prometheusUnit(unit, gauge)).toBe(word);
  });
});

function listen(): Promise<Server> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
}

async function freePort(): Promise<number> {
  const s = await listen();
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}
