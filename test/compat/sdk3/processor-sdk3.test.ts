// The processor inside the OpenTelemetry JS SDK 3.x line. SDK 3 needs @opentelemetry/api 1.10, so it
// is installed apart from the root (which stays on SDK 2.x and api 1.9.1) in test/compat/sdk3:
// `npm ci --prefix test/compat/sdk3`. Imports of the SDK from this file resolve there first; the
// processor's own `@opentelemetry/api` import resolves to the root's 1.9.1. Without that install the
// tests skip, unless DRIFTWATCH_REQUIRE_E2E=1, where they fail saying what to run.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as Api from '@opentelemetry/api';
import type * as SdkMetrics from '@opentelemetry/sdk-metrics';
import type * as SdkTrace from '@opentelemetry/sdk-trace';
import type * as Resources from '@opentelemetry/resources';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DriftwatchProcessor, PACKAGE_NAME } from '@driftwatch/processor';
import {
  ATTR_CACHE_NAME,
  ATTR_CACHE_OPERATION,
  ATTR_CACHE_RESULT,
  ATTR_CACHE_SYSTEM_NAME,
  ATTR_DRIFTWATCH_DOMAIN,
  ATTR_DRIFTWATCH_QUANTILE,
  ATTR_DRIFTWATCH_WINDOW,
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_LLM_COST_TOTAL,
  ATTR_SERVICE_NAME,
  CACHE_RESULT_VALUE_ERROR,
  CACHE_RESULT_VALUE_HIT,
  CACHE_RESULT_VALUE_MISS,
  CACHE_RESULT_VALUE_STALE,
  DRIFTWATCH_DOMAIN_VALUE_CACHE,
  DRIFTWATCH_DOMAIN_VALUE_LLM,
  DRIFTWATCH_DOMAIN_VALUE_SELECTOR,
  ERROR_TYPE_VALUE_OTHER,
  METRIC_CACHE_REQUESTS,
  METRIC_DRIFTWATCH_CACHE_HIT_RATIO,
  METRIC_DRIFTWATCH_COST_PER_SUCCESS,
  METRIC_DRIFTWATCH_COST_RATE,
  METRIC_DRIFTWATCH_ERROR_RATIO,
  METRIC_DRIFTWATCH_FALLBACK_RATIO,
  METRIC_DRIFTWATCH_LATENCY,
  METRIC_DRIFTWATCH_OBSERVATIONS,
  METRIC_DRIFTWATCH_PROCESSOR_EXPIRED,
  METRIC_DRIFTWATCH_PROCESSOR_INPUT_INVALID,
  METRIC_DRIFTWATCH_PROCESSOR_OVERFLOW,
  METRIC_DRIFTWATCH_PROCESSOR_SERIES,
  METRIC_DRIFTWATCH_RATE,
  METRIC_DRIFTWATCH_SUCCESS_RATIO,
  METRIC_DRIFTWATCH_TIMEOUT_RATIO,
  METRIC_DRIFTWATCH_TOKENS_RATE,
} from '@driftwatch/semconv';

const HERE = dirname(fileURLToPath(import.meta.url));
const INSTALLED = existsSync(join(HERE, 'node_modules', '@opentelemetry', 'sdk-metrics', 'package.json'));
const REQUIRED = process.env.DRIFTWATCH_REQUIRE_E2E === '1';
const PROCESSOR_SRC = fileURLToPath(new URL('../../../packages/processor/src/index.ts', import.meta.url));

/**
 * Imports a package by a computed specifier, so that it is resolved from this file when the test runs.
 * A literal `import('…')` is resolved when the file is transformed, and vitest's transform cache keeps
 * that resolution for as long as the file is unchanged: the root's SDK 2.x if the file was first run
 * before test/compat/sdk3 was installed.
 */
const load = <T>(name: string): Promise<T> => import(/* @vite-ignore */ name) as Promise<T>;

/** The version of `name` as Node resolves it from the file `from` (walking up from the entry point: the packages do not export ./package.json). */
function resolved(from: string, name: string): { version: string; dir: string } {
  let dir = dirname(createRequire(from).resolve(name));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version: string };
      if (pkg.name === name) return { version: pkg.version, dir };
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json of ${name} above ${from}`);
    dir = up;
  }
}

const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);
const WINDOWS = ['1m', '1h'];
const LLM = { [ATTR_GEN_AI_OPERATION_NAME]: 'chat', [ATTR_GEN_AI_PROVIDER_NAME]: 'openai', [ATTR_GEN_AI_REQUEST_MODEL]: 'gpt-4o-mini' };
const LLM_SERIES = { [ATTR_SERVICE_NAME]: 'checkout', ...LLM };
const CACHE = { [ATTR_CACHE_NAME]: 'answers', [ATTR_CACHE_SYSTEM_NAME]: 'lru-cache', [ATTR_CACHE_OPERATION]: 'get' };
const CACHE_SERIES = { [ATTR_SERVICE_NAME]: 'checkout', [ATTR_CACHE_NAME]: 'answers', [ATTR_CACHE_OPERATION]: 'get' };

type LogLine = [level: string, ...args: unknown[]];
type Point = { attributes: Api.Attributes; value: unknown };

interface Sdk3 {
  api: typeof Api;
  trace: typeof SdkTrace;
  metrics: typeof SdkMetrics;
  resources: typeof Resources;
}

interface Pipeline {
  processor: DriftwatchProcessor;
  tracerProvider: SdkTrace.TracerProvider;
  meterProvider: SdkMetrics.MeterProvider;
  exporter: SdkTrace.InMemorySpanExporter;
  advance(ms: number): void;
  /** Ends a span of the 3.x tracer that lasted `ms` and ended now. */
  span(name: string, attributes: Api.Attributes, ms: number, error?: boolean): void;
  /** A collection of the 3.x pull reader (asserting it had no errors). */
  collect(): Promise<SdkMetrics.ResourceMetrics>;
}

function pointsOf(rm: SdkMetrics.ResourceMetrics, name: string): Point[] {
  const found = rm.scopeMetrics.flatMap((sm) => sm.metrics).filter((m) => m.descriptor.name === name);
  if (found.length !== 1) throw new Error(`expected one metric named ${name}, found ${found.length}`);
  return (found[0]!.dataPoints as SdkMetrics.DataPoint<unknown>[]).map((p) => ({ attributes: p.attributes, value: p.value }));
}

/** Attributes of a derived point: the series' dimensions, its domain and window, and any extra. */
const derived = (series: Api.Attributes, domain: string) => (window: string, extra: Api.Attributes = {}): Api.Attributes => ({
  ...series,
  [ATTR_DRIFTWATCH_DOMAIN]: domain,
  [ATTR_DRIFTWATCH_WINDOW]: window,
  ...extra,
});

describe.skipIf(!INSTALLED && !REQUIRED)('DriftwatchProcessor with the OpenTelemetry JS SDK 3.x line', () => {
  let sdk: Sdk3;
  const logs: LogLine[] = [];
  const pipelines: Pipeline[] = [];

  function pipeline(): Pipeline {
    const { api, trace, metrics, resources } = sdk;
    let now = T0;
    const processor = new DriftwatchProcessor({ clock: () => now, metricIntervalMs: 0, windows: WINDOWS });
    const resource = resources.defaultResource().merge(resources.resourceFromAttributes({ [ATTR_SERVICE_NAME]: 'checkout' }));
    const exporter = new trace.InMemorySpanExporter();
    // The processor reads span attributes as `unknown` values, so it is a 3.x SpanProcessor as is
    // (api 1.10 widened attribute values to AnyValue).
    const spanProcessor: SdkTrace.SpanProcessor = processor;
    const tracerProvider = new trace.TracerProvider({ resource, spanProcessors: [spanProcessor, new trace.SimpleSpanProcessor({ exporter })] });
    // A pull reader: the 3.x MetricReader, with the processor's derived series as an extra producer.
    class PullReader extends metrics.MetricReader {
      protected override async onForceFlush(): Promise<void> {}
      protected override async onShutdown(): Promise<void> {}
    }
    const reader = new PullReader({ metricProducers: [processor.metricProducer] });
    const meterProvider = new metrics.MeterProvider({ resource, readers: [reader, processor.metricReader] });
    const tracer = tracerProvider.getTracer('compat-sdk3');
    const p: Pipeline = {
      processor,
      tracerProvider,
      meterProvider,
      exporter,
      advance: (ms) => {
        now += ms;
      },
      span: (name, attributes, ms, error = false) => {
        const s = tracer.startSpan(name, { attributes, startTime: now - ms });
        if (error) s.setStatus({ code: api.SpanStatusCode.ERROR });
        s.end(now);
      },
      collect: async () => {
        const { resourceMetrics, errors } = await reader.collect();
        expect(errors).toEqual([]);
        return resourceMetrics;
      },
    };
    pipelines.push(p);
    return p;
  }

  beforeAll(async () => {
    if (!INSTALLED) {
      throw new Error('DRIFTWATCH_REQUIRE_E2E=1 but the OpenTelemetry SDK 3.x packages are not installed in test/compat/sdk3: run `npm ci --prefix test/compat/sdk3`');
    }
    const [api, trace, metrics, resources] = await Promise.all([
      load<typeof Api>('@opentelemetry/api'),
      load<typeof SdkTrace>('@opentelemetry/sdk-trace'),
      load<typeof SdkMetrics>('@opentelemetry/sdk-metrics'),
      load<typeof Resources>('@opentelemetry/resources'),
    ]);
    sdk = { api, trace, metrics, resources };
    // Registered through the SDK's own api copy (1.10), before anything touches the API global: the
    // first copy to register fixes the global's version, and only copies of a lower or equal minor
    // version can read it (so the root's 1.9.1 can read a 1.10 global, not the other way round).
    const record = (level: string) => (...args: unknown[]) => {
      logs.push([level, ...args]);
    };
    api.diag.setLogger({ error: record('error'), warn: record('warn'), info: record('info'), debug: record('debug'), verbose: record('verbose') }, api.DiagLogLevel.ALL);
  });

  afterAll(async () => {
    for (const p of pipelines.splice(0)) {
      await p.tracerProvider.shutdown();
      await p.meterProvider.shutdown();
    }
    sdk?.api.diag.disable();
  });

  it('loads the 3.x SDK from test/compat/sdk3, beside the processor\'s api 1.9.1 from the root', () => {
    const from = fileURLToPath(import.meta.url);
    for (const name of ['@opentelemetry/sdk-trace', '@opentelemetry/sdk-metrics', '@opentelemetry/resources', '@opentelemetry/core']) {
      const r = resolved(from, name);
      expect(r.version, name).toMatch(/^3\./);
      expect(r.dir, name).toBe(join(HERE, 'node_modules', ...name.split('/')));
    }
    expect(resolved(from, '@opentelemetry/api').version).toMatch(/^1\.10\./);
    expect(resolved(PROCESSOR_SRC, '@opentelemetry/api').version).toMatch(/^1\.9\./);
    // The SDK that actually ran stamps its version on the resource of its spans.
    const p = pipeline();
    p.span('chat gpt-4o-mini', LLM, 10);
    const spans = p.exporter.getFinishedSpans();
    expect(spans).toHaveLength(1);
    expect(spans[0]!.resource.attributes['telemetry.sdk.version']).toMatch(/^3\./);
    // One API global, created by the copy that registered first: the SDK's 1.10.
    const global = (globalThis as Record<symbol, { version?: string } | undefined>)[Symbol.for('opentelemetry.js.api.1')];
    expect(global?.version).toMatch(/^1\.10\./);
  });

  it('derives GenAI call statistics from 3.x spans and exports them as gauges through a 3.x reader', async () => {
    const p = pipeline();
    p.span('chat gpt-4o-mini', { ...LLM, [ATTR_GEN_AI_USAGE_INPUT_TOKENS]: 100, [ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: 20, [ATTR_LLM_COST_TOTAL]: 0.25 }, 200);
    p.advance(1000);
    p.span('chat gpt-4o-mini', { ...LLM, [ATTR_GEN_AI_USAGE_INPUT_TOKENS]: 300, [ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: 30, [ATTR_LLM_COST_TOTAL]: 0.5 }, 400);
    p.advance(1000);
    p.span('chat gpt-4o-mini', { ...LLM, [ATTR_ERROR_TYPE]: 'RateLimitError' }, 50, true);
    p.advance(1000);
    p.span('chat gpt-4o-mini', { ...LLM, [ATTR_ERROR_TYPE]: 'APIConnectionTimeoutError' }, 600, true);
    // A span without GenAI attributes is not an input.
    p.span('GET /health', { 'http.request.method': 'GET' }, 5);
    expect(p.exporter.getFinishedSpans()).toHaveLength(5);

    expect(p.processor.snapshot()).toHaveLength(1);
    const st = p.processor.stats('llm', LLM_SERIES)!;
    expect(st.attributes).toEqual(LLM_SERIES);
    const m1 = st.windows['1m']!;
    expect([m1.count, m1.successRatio, m1.errorRatio, m1.timeoutRatio, m1.fallbackRatio, m1.tokens, m1.cost, m1.costPerSuccess]).toEqual([4, 0.5, 0.5, 0.25, 0, 450, 0.75, 0.375]);
    expect(m1.errorRatioByType).toEqual({ RateLimitError: 0.25, APIConnectionTimeoutError: 0.25 });
    // The series is 3 s old. 1m has its own ring of 1 s slots, so its rates are over 3 s; 1h's ring has
    // 60 s slots, so its rates are over one slot.
    expect([m1.rate, m1.tokensRate, m1.costRate]).toEqual([4 / 3, 450 / 3, 0.75 / 3]);
    expect(st.windows['1h']).toMatchObject({ count: 4, successRatio: 0.5, tokens: 450, cost: 0.75, rate: 4 / 60, tokensRate: 450 / 60, costRate: 0.75 / 60 });
    const bound = m1.latencyRelativeError!;
    expect(bound).toBeGreaterThan(0);
    expect(Math.abs(m1.latency.p50! - 0.2) / 0.2).toBeLessThanOrEqual(bound);
    expect(Math.abs(m1.latency.p99! - 0.4) / 0.4).toBeLessThanOrEqual(bound);

    const rm = await p.collect();
    expect(rm.resource.attributes['telemetry.sdk.version']).toMatch(/^3\./);
    const scope = rm.scopeMetrics.find((sm) => sm.scope.name === PACKAGE_NAME)!;
    expect(scope.metrics.map((m) => m.descriptor.name)).toEqual([
      METRIC_DRIFTWATCH_OBSERVATIONS,
      METRIC_DRIFTWATCH_RATE,
      METRIC_DRIFTWATCH_SUCCESS_RATIO,
      METRIC_DRIFTWATCH_ERROR_RATIO,
      METRIC_DRIFTWATCH_TIMEOUT_RATIO,
      METRIC_DRIFTWATCH_FALLBACK_RATIO,
      METRIC_DRIFTWATCH_LATENCY,
      METRIC_DRIFTWATCH_TOKENS_RATE,
      METRIC_DRIFTWATCH_COST_RATE,
      METRIC_DRIFTWATCH_COST_PER_SUCCESS,
      METRIC_DRIFTWATCH_PROCESSOR_SERIES,
      METRIC_DRIFTWATCH_PROCESSOR_OVERFLOW,
      METRIC_DRIFTWATCH_PROCESSOR_EXPIRED,
      METRIC_DRIFTWATCH_PROCESSOR_INPUT_INVALID,
    ]);
    const at = derived(LLM_SERIES, DRIFTWATCH_DOMAIN_VALUE_LLM);
    const perWindow = (m1Value: number, h1Value: number, extra: Api.Attributes = {}): Point[] => [
      { attributes: at('1m', extra), value: m1Value },
      { attributes: at('1h', extra), value: h1Value },
    ];
    expect(pointsOf(rm, METRIC_DRIFTWATCH_OBSERVATIONS)).toEqual(perWindow(4, 4));
    expect(pointsOf(rm, METRIC_DRIFTWATCH_RATE)).toEqual(perWindow(4 / 3, 4 / 60));
    expect(pointsOf(rm, METRIC_DRIFTWATCH_SUCCESS_RATIO)).toEqual(perWindow(0.5, 0.5));
    expect(pointsOf(rm, METRIC_DRIFTWATCH_ERROR_RATIO)).toEqual([
      { attributes: at('1m', { [ATTR_ERROR_TYPE]: 'RateLimitError' }), value: 0.25 },
      { attributes: at('1m', { [ATTR_ERROR_TYPE]: 'APIConnectionTimeoutError' }), value: 0.25 },
      { attributes: at('1h', { [ATTR_ERROR_TYPE]: 'RateLimitError' }), value: 0.25 },
      { attributes: at('1h', { [ATTR_ERROR_TYPE]: 'APIConnectionTimeoutError' }), value: 0.25 },
    ]);
    expect(pointsOf(rm, METRIC_DRIFTWATCH_TIMEOUT_RATIO)).toEqual(perWindow(0.25, 0.25));
    expect(pointsOf(rm, METRIC_DRIFTWATCH_FALLBACK_RATIO)).toEqual(perWindow(0, 0));
    expect(pointsOf(rm, METRIC_DRIFTWATCH_TOKENS_RATE)).toEqual(perWindow(450 / 3, 450 / 60));
    expect(pointsOf(rm, METRIC_DRIFTWATCH_COST_RATE)).toEqual(perWindow(0.75 / 3, 0.75 / 60));
    expect(pointsOf(rm, METRIC_DRIFTWATCH_COST_PER_SUCCESS)).toEqual(perWindow(0.375, 0.375));
    // Four quantiles per window, each within the sketch's bound of the latency at its rank
    // (sorted latencies 0.05, 0.2, 0.4, 0.6 s).
    const latency = pointsOf(rm, METRIC_DRIFTWATCH_LATENCY);
    expect(latency.map((pt) => pt.attributes)).toEqual(WINDOWS.flatMap((w) => ['0.5', '0.9', '0.95', '0.99'].map((q) => at(w, { [ATTR_DRIFTWATCH_QUANTILE]: q }))));
    const atRank = [0.2, 0.4, 0.4, 0.4];
    latency.forEach((pt, i) => expect(Math.abs((pt.value as number) - atRank[i % 4]!) / atRank[i % 4]!).toBeLessThanOrEqual(bound));
    expect(pointsOf(rm, METRIC_DRIFTWATCH_PROCESSOR_SERIES).map((pt) => [pt.attributes, pt.value])).toEqual([
      [{ [ATTR_DRIFTWATCH_DOMAIN]: DRIFTWATCH_DOMAIN_VALUE_LLM }, 1],
      [{ [ATTR_DRIFTWATCH_DOMAIN]: DRIFTWATCH_DOMAIN_VALUE_SELECTOR }, 0],
      [{ [ATTR_DRIFTWATCH_DOMAIN]: DRIFTWATCH_DOMAIN_VALUE_CACHE }, 0],
    ]);
    expect(pointsOf(rm, METRIC_DRIFTWATCH_PROCESSOR_INPUT_INVALID).filter((pt) => pt.value !== 0)).toEqual([]);
  });

  it('turns cache.requests from a 3.x meter into a cache series, read with delta temporality', async () => {
    const p = pipeline();
    const requests = p.meterProvider.getMeter('cache').createCounter(METRIC_CACHE_REQUESTS);
    requests.add(6, { ...CACHE, [ATTR_CACHE_RESULT]: CACHE_RESULT_VALUE_HIT });
    requests.add(1, { ...CACHE, [ATTR_CACHE_RESULT]: CACHE_RESULT_VALUE_STALE });
    requests.add(3, { ...CACHE, [ATTR_CACHE_RESULT]: CACHE_RESULT_VALUE_MISS });
    requests.add(1, { ...CACHE, [ATTR_CACHE_RESULT]: CACHE_RESULT_VALUE_ERROR, [ATTR_ERROR_TYPE]: 'ECONNREFUSED' });

    const rm = await p.collect(); // the derived collection pulls the SDK's counters in first
    // The user's reader still sees the SDK's own counter (cumulative) beside the derived series.
    expect(pointsOf(rm, METRIC_CACHE_REQUESTS).map((pt) => [pt.attributes[ATTR_CACHE_RESULT], pt.value])).toEqual([
      [CACHE_RESULT_VALUE_HIT, 6],
      [CACHE_RESULT_VALUE_STALE, 1],
      [CACHE_RESULT_VALUE_MISS, 3],
      [CACHE_RESULT_VALUE_ERROR, 1],
    ]);
    const at = derived(CACHE_SERIES, DRIFTWATCH_DOMAIN_VALUE_CACHE);
    // Stale values served count as hits; an error is an outcome but neither a hit nor a miss.
    expect(pointsOf(rm, METRIC_DRIFTWATCH_CACHE_HIT_RATIO)).toEqual([
      { attributes: at('1m'), value: 7 / 10 },
      { attributes: at('1h'), value: 7 / 10 },
    ]);
    expect(pointsOf(rm, METRIC_DRIFTWATCH_OBSERVATIONS)).toEqual([
      { attributes: at('1m'), value: 11 },
      { attributes: at('1h'), value: 11 },
    ]);
    expect(pointsOf(rm, METRIC_DRIFTWATCH_SUCCESS_RATIO)).toEqual([
      { attributes: at('1m'), value: 10 / 11 },
      { attributes: at('1h'), value: 10 / 11 },
    ]);
    expect(pointsOf(rm, METRIC_DRIFTWATCH_ERROR_RATIO)).toEqual([
      { attributes: at('1m', { [ATTR_ERROR_TYPE]: 'ECONNREFUSED' }), value: 1 / 11 },
      { attributes: at('1h', { [ATTR_ERROR_TYPE]: 'ECONNREFUSED' }), value: 1 / 11 },
    ]);
    expect(pointsOf(rm, METRIC_DRIFTWATCH_PROCESSOR_SERIES).map((pt) => pt.value)).toEqual([0, 0, 1]);

    // Delta temporality: the next read adds only what is new, not the cumulative total again.
    p.advance(2000);
    requests.add(2, { ...CACHE, [ATTR_CACHE_RESULT]: CACHE_RESULT_VALUE_MISS });
    await p.processor.forceFlush();
    const w = p.processor.stats('cache', CACHE_SERIES)!.windows['1m']!;
    expect([w.count, w.hitRatio, w.successRatio]).toEqual([13, 7 / 12, 12 / 13]);
    expect(w.errorRatioByType).toEqual({ ECONNREFUSED: 1 / 13 });
    const again = await p.collect();
    expect(pointsOf(again, METRIC_DRIFTWATCH_OBSERVATIONS).map((pt) => pt.value)).toEqual([13, 13]);
    expect(pointsOf(again, METRIC_DRIFTWATCH_CACHE_HIT_RATIO).map((pt) => pt.value)).toEqual([7 / 12, 7 / 12]);
    expect(pointsOf(again, METRIC_CACHE_REQUESTS).find((pt) => pt.attributes[ATTR_CACHE_RESULT] === CACHE_RESULT_VALUE_MISS)?.value).toBe(5);
  });

  it('drops the AnyValue attributes SDK 3 accepts (maps, byte arrays, arrays) field by field, and counts them', () => {
    const p = pipeline();
    // api 1.10 types attribute values as AnyValue (unknown); the cast keeps this file type-checking
    // against the root's api 1.9.1 too, which TypeScript resolves when test/compat/sdk3 is not installed.
    const anyValues = (a: Record<string, unknown>): Api.Attributes => a as Api.Attributes;
    const model = { family: 'gpt-4o', size: 'mini' };
    p.span('chat', anyValues({ ...LLM, [ATTR_GEN_AI_REQUEST_MODEL]: model, [ATTR_GEN_AI_USAGE_INPUT_TOKENS]: [100], [ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: 20, [ATTR_LLM_COST_TOTAL]: new Uint8Array([1]) }), 100);
    p.span('chat', anyValues({ ...LLM, [ATTR_GEN_AI_REQUEST_MODEL]: model, [ATTR_ERROR_TYPE]: { code: 429 } }), 100, true);
    // The 3.x SDK kept them as they were (the 2.x line drops such values at setAttribute).
    const kept = p.exporter.getFinishedSpans().map((s) => s.attributes[ATTR_GEN_AI_REQUEST_MODEL]);
    expect(kept).toEqual([model, model]);
    // The model is not a scalar: the series has no model dimension.
    const { [ATTR_GEN_AI_REQUEST_MODEL]: _model, ...withoutModel } = LLM_SERIES;
    const w = p.processor.stats('llm', withoutModel)!.windows['1m']!;
    expect([w.count, w.successRatio, w.tokens, w.cost]).toEqual([2, 0.5, 20, 0]);
    expect(w.errorRatioByType).toEqual({ [ERROR_TYPE_VALUE_OTHER]: 0.5 });
    expect(p.processor.health().invalid).toMatchObject({ odd_attribute: 2, invalid_value: 2, internal_error: 0 });
  });

  it('shares diag and context across the two api copies (1.10 registered first, 1.9.1 reading)', async () => {
    const { api } = sdk;
    // The processor logs through the root api 1.9.1; its messages reach the logger registered through 1.10.
    const dir = mkdtempSync(join(tmpdir(), 'driftwatch-sdk3-'));
    const file = join(dir, 'state.json');
    try {
      const p = pipeline();
      p.span('chat gpt-4o-mini', LLM, 100);
      await p.processor.saveState(file);
      const restored = new DriftwatchProcessor({ clock: () => T0, metricIntervalMs: 0, windows: WINDOWS });
      expect(await restored.restoreState(file)).toBe(1);
      expect(restored.stats('llm', LLM_SERIES)?.windows['1m']?.count).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(logs).toContainEqual(['debug', PACKAGE_NAME, `restored 1 series from ${file}`]);

    // The span the 3.x SDK makes active (through api 1.10) is the active span the root api 1.9.1 sees.
    const rootApi = createRequire(PROCESSOR_SRC)('@opentelemetry/api') as typeof Api;
    expect(rootApi).not.toBe(api);
    const manager = new sdk.trace.StackContextManager().enable();
    expect(api.context.setGlobalContextManager(manager)).toBe(true);
    try {
      const tracer = pipeline().tracerProvider.getTracer('compat-sdk3');
      const seen = tracer.startActiveSpan('chat gpt-4o-mini', { attributes: LLM }, (span) => {
        const active = rootApi.trace.getActiveSpan();
        span.end();
        return active === span;
      });
      expect(seen).toBe(true);
    } finally {
      api.context.disable();
    }
  });

  it('flushes and shuts down with the 3.x providers; nothing logged an error or a warning', async () => {
    const p = pipeline();
    p.span('chat gpt-4o-mini', LLM, 10);
    await p.tracerProvider.forceFlush();
    await p.meterProvider.forceFlush();
    pipelines.splice(pipelines.indexOf(p), 1);
    await p.tracerProvider.shutdown();
    await p.meterProvider.shutdown();
    // After shutdown the windows stay readable and new spans are ignored.
    p.span('chat gpt-4o-mini', LLM, 10);
    expect(p.processor.stats('llm', LLM_SERIES)?.windows['1m']?.count).toBe(1);
    expect(p.processor.health().invalid).toMatchObject({ internal_error: 0 });
    expect(logs.filter(([level]) => level === 'error' || level === 'warn')).toEqual([]);
  });
});
