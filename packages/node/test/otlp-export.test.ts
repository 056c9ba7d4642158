import { SpanKind, context, metrics, propagation, trace } from '@opentelemetry/api';
import { logs } from '@opentelemetry/api-logs';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ExportResultCode, isTracingSuppressed } from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import {
  ATTR_EVENT_NAME,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  EVENT_DRIFTWATCH_ALERT,
  METRIC_GEN_AI_CLIENT_OPERATION_DURATION,
  METRIC_GEN_AI_CLIENT_TOKEN_USAGE,
} from '@driftwatch/semconv';
import { LlmTelemetry } from '@driftwatch/llm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getActiveHandle, register } from '../src/index';
import type { DriftwatchHandle, OtlpProtocol } from '../src/index';
import { CountingSpanExporter, ExportStatsRecorder } from '../src/stats';
import { attributes, logsOf, metricsOf, spansOf, startOtlpReceiver } from './fixtures/otlp-receiver';
import type { OtlpReceiver } from './fixtures/otlp-receiver';

/** The wire format of a span's attributes equals the SDK's own view of that span. */
function plain(span: ReadableSpan): Record<string, unknown> {
  return JSON.parse(JSON.stringify(span.attributes)) as Record<string, unknown>;
}

let receiver: OtlpReceiver;
let handle: DriftwatchHandle | undefined;

beforeEach(async () => {
  receiver = await startOtlpReceiver();
});

afterEach(async () => {
  await handle?.shutdown();
  handle = undefined;
  await receiver.close();
});

const quiet = { hostMetrics: false, runtimeMetrics: false, handleSignals: false } as const;

describe.each<OtlpProtocol>(['http/protobuf', 'http/json'])('OTLP/HTTP export with %s', (protocol) => {
  const contentType = protocol === 'http/protobuf' ? 'application/x-protobuf' : 'application/json';

  it('delivers traces, metrics and logs to the collector with resource, attributes and headers', async () => {
    const memory = new InMemorySpanExporter();
    handle = register({
      ...quiet,
      env: {},
      serviceName: 'checkout',
      resourceAttributes: { 'deployment.environment.name': 'test' },
      otlp: { endpoint: receiver.url, protocol, headers: { 'x-api-key': 'k-123' } },
      spanProcessors: [new SimpleSpanProcessor(memory)],
    });
    expect(handle.enabled).toBe(true);

    // A GenAI call recorded through @driftwatch/llm with the globals register() set.
    const telemetry = new LlmTelemetry();
    const call = telemetry.startCall({ operation: 'chat', provider: 'openai', model: 'gpt-4o-mini' });
    call.end({ responseModel: 'gpt-4o-mini-2024-07-18', usage: { inputTokens: 12, outputTokens: 3 }, finishReasons: ['stop'] });
    logs.getLogger('checkout-logs').emit({ body: 'alert fired', attributes: { [ATTR_EVENT_NAME]: EVENT_DRIFTWATCH_ALERT, severity: 'page' } });

    await handle.forceFlush();

    const tr = await receiver.waitFor((r) => r.signal === 'traces');
    expect(tr.path).toBe('/v1/traces');
    expect(tr.encoding).toBe(protocol === 'http/protobuf' ? 'protobuf' : 'json');
    expect(tr.contentType).toBe(contentType);
    expect(tr.headers['x-api-key']).toBe('k-123');
    const spans = spansOf(tr.body);
    expect(spans).toHaveLength(1);
    const [span] = spans;
    expect(span!.name).toBe('chat gpt-4o-mini');
    expect(span!.kind).toBe(protocol === 'http/protobuf' ? 'SPAN_KIND_CLIENT' : SpanKind.CLIENT + 1);
    expect(span!.scope).toBe('@driftwatch/llm');
    expect(span!.resource['service.name']).toBe('checkout');
    expect(span!.resource['deployment.environment.name']).toBe('test');
    expect(span!.resource['telemetry.sdk.language']).toBe('nodejs');
    expect(span!.attributes).toMatchObject({
      [ATTR_GEN_AI_OPERATION_NAME]: 'chat',
      [ATTR_GEN_AI_PROVIDER_NAME]: 'openai',
      [ATTR_GEN_AI_REQUEST_MODEL]: 'gpt-4o-mini',
      [ATTR_GEN_AI_USAGE_INPUT_TOKENS]: 12,
    });
    const [local] = memory.getFinishedSpans();
    expect(span!.attributes).toEqual(plain(local!));

    const mr = await receiver.waitFor((r) => r.signal === 'metrics');
    expect(mr.path).toBe('/v1/metrics');
    expect(mr.contentType).toBe(contentType);
    expect(mr.headers['x-api-key']).toBe('k-123');
    const metrics = metricsOf(mr.body);
    const duration = metrics.find((m) => m.name === METRIC_GEN_AI_CLIENT_OPERATION_DURATION);
    expect(duration).toBeDefined();
    expect(duration!.unit).toBe('s');
    expect(duration!.resource['service.name']).toBe('checkout');
    const point = duration!.metric.histogram.dataPoints[0];
    expect(Number(point.count)).toBe(1);
    expect(attributes(point.attributes)).toMatchObject({ [ATTR_GEN_AI_OPERATION_NAME]: 'chat', [ATTR_GEN_AI_PROVIDER_NAME]: 'openai' });
    expect(metrics.map((m) => m.name)).toContain(METRIC_GEN_AI_CLIENT_TOKEN_USAGE);

    const lr = await receiver.waitFor((r) => r.signal === 'logs');
    expect(lr.path).toBe('/v1/logs');
    expect(lr.contentType).toBe(contentType);
    const records = logsOf(lr.body);
    expect(records).toHaveLength(1);
    expect(records[0]!.body).toBe('alert fired');
    expect(records[0]!.scope).toBe('checkout-logs');
    expect(records[0]!.attributes).toEqual({ [ATTR_EVENT_NAME]: EVENT_DRIFTWATCH_ALERT, severity: 'page' });
    expect(records[0]!.resource['service.name']).toBe('checkout');

    const stats = handle.stats();
    expect(stats.traces).toMatchObject({ exportedBatches: 1, exportedItems: 1, failedBatches: 0, failedItems: 0 });
    expect(stats.metrics.failedBatches).toBe(0);
    expect(stats.metrics.exportedItems).toBeGreaterThan(0);
    expect(stats.logs).toMatchObject({ exportedBatches: 1, exportedItems: 1, failedBatches: 0 });
  });
});

describe('OTLP configured from the environment only', () => {
  it('honours OTEL_EXPORTER_OTLP_ENDPOINT, _PROTOCOL, _HEADERS, per-signal endpoints, OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES', async () => {
    const other = await startOtlpReceiver();
    try {
      handle = register({
        ...quiet,
        env: {
          OTEL_SERVICE_NAME: 'env-service',
          OTEL_RESOURCE_ATTRIBUTES: 'service.version=1.2.3,team=search',
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
          OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
          OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf',
          OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20t0k,x-shared=1',
          OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: `${other.url}/v1/logs`,
          OTEL_METRICS_EXPORTER: 'none',
        },
      });
      trace.getTracer('env-test').startSpan('GET /items', { kind: SpanKind.SERVER, attributes: { 'http.route': '/items' } }).end();
      logs.getLogger('env-test').emit({ body: 'to the other collector' });
      await handle.forceFlush();

      const tr = await receiver.waitFor((r) => r.signal === 'traces');
      expect(tr.encoding).toBe('protobuf');
      expect(tr.headers.authorization).toBe('Bearer t0k');
      expect(tr.headers['x-shared']).toBe('1');
      const [span] = spansOf(tr.body);
      expect(span).toMatchObject({ name: 'GET /items', attributes: { 'http.route': '/items' } });
      expect(span!.resource).toMatchObject({ 'service.name': 'env-service', 'service.version': '1.2.3', team: 'search' });

      const lr = await other.waitFor((r) => r.signal === 'logs');
      expect(lr.encoding).toBe('json');
      expect(lr.headers.authorization).toBe('Bearer t0k');
      expect(logsOf(lr.body).map((l) => l.body)).toEqual(['to the other collector']);

      expect(receiver.requests.filter((r) => r.signal !== 'traces')).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it('honours OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE on the wire', async () => {
    handle = register({
      ...quiet,
      env: { OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'delta', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url },
      tracesExporter: 'none',
      logsExporter: 'none',
    });
    const meter = metrics.getMeter('temporality');
    meter.createCounter('jobs.done').add(2);
    meter.createUpDownCounter('jobs.running').add(1);
    await handle.forceFlush();
    const mr = await receiver.waitFor((r) => r.signal === 'metrics');
    const byName = new Map(metricsOf(mr.body).map((m) => [m.name, m.metric]));
    expect(byName.get('jobs.done').sum.aggregationTemporality).toBe('AGGREGATION_TEMPORALITY_DELTA');
    expect(byName.get('jobs.done').sum.isMonotonic).toBe(true);
    // Up-down counters stay cumulative under the delta preference.
    expect(byName.get('jobs.running').sum.aggregationTemporality).toBe('AGGREGATION_TEMPORALITY_CUMULATIVE');
  });

  it('gzip-compresses requests when asked', async () => {
    handle = register({ ...quiet, env: { OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip' }, otlp: { endpoint: receiver.url }, metricsExporter: 'none', logsExporter: 'none' });
    trace.getTracer('gz').startSpan('compressed').end();
    await handle.forceFlush();
    const tr = await receiver.waitFor((r) => r.signal === 'traces');
    expect(tr.headers['content-encoding']).toBe('gzip');
    expect(spansOf(tr.body).map((s) => s.name)).toEqual(['compressed']);
  });
});

describe('global wiring', () => {
  it('registers AsyncLocalStorage context propagation and W3C propagators, and unregisters them on shutdown', async () => {
    handle = register({ ...quiet, env: {}, otlp: { endpoint: receiver.url }, metricsExporter: 'none', logsExporter: 'none' });
    const tracer = trace.getTracer('ctx');
    const carrier: Record<string, string> = {};
    await tracer.startActiveSpan('parent', async (parent) => {
      await new Promise((r) => setTimeout(r, 5));
      // The active span survives an await: AsyncLocalStorage context manager.
      expect(trace.getActiveSpan()).toBe(parent);
      propagation.inject(context.active(), carrier);
      tracer.startSpan('child').end();
      parent.end();
    });
    expect(carrier.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    await handle.forceFlush();
    const tr = await receiver.waitFor((r) => r.signal === 'traces');
    expect(spansOf(tr.body).map((s) => s.name).sort()).toEqual(['child', 'parent']);

    await handle.shutdown();
    expect(getActiveHandle()).toBeUndefined();
    const after: Record<string, string> = {};
    propagation.inject(context.active(), after);
    expect(after).toEqual({});
    expect(trace.getTracer('x').startSpan('noop').isRecording()).toBe(false);
    handle = undefined;
  });

  it('returns the active handle on a second register() call and can register again after shutdown', async () => {
    const first = register({ ...quiet, env: {}, otlp: { endpoint: receiver.url } });
    expect(register({ ...quiet, env: {} })).toBe(first);
    await first.shutdown();
    await first.shutdown();
    handle = register({ ...quiet, env: {}, otlp: { endpoint: receiver.url }, metricsExporter: 'none', logsExporter: 'none' });
    expect(handle).not.toBe(first);
    trace.getTracer('again').startSpan('second life').end();
    await handle.forceFlush();
    const tr = await receiver.waitFor((r) => r.signal === 'traces');
    expect(spansOf(tr.body).map((s) => s.name)).toEqual(['second life']);
  });

  it('honours OTEL_TRACES_SAMPLER', async () => {
    handle = register({ ...quiet, env: { OTEL_TRACES_SAMPLER: 'always_off' }, otlp: { endpoint: receiver.url }, metricsExporter: 'none', logsExporter: 'none' });
    const span = trace.getTracer('s').startSpan('dropped');
    expect(span.isRecording()).toBe(false);
    span.end();
    await handle.shutdown();
    handle = register({
      ...quiet,
      env: { OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' },
      otlp: { endpoint: receiver.url },
      metricsExporter: 'none',
      logsExporter: 'none',
    });
    expect(trace.getTracer('s').startSpan('ratio 0').isRecording()).toBe(false);
    await handle.shutdown();
    handle = register({ ...quiet, env: {}, sampler: 'traceidratio', samplerRatio: 1, otlp: { endpoint: receiver.url }, metricsExporter: 'none', logsExporter: 'none' });
    expect(trace.getTracer('s').startSpan('ratio 1').isRecording()).toBe(true);
  });
});

describe('exports run under suppressed tracing', () => {
  it('the counting wrapper calls the exporter with tracing suppressed and counts its result', async () => {
    const seen: boolean[] = [];
    const inner: SpanExporter = {
      export(spans: ReadableSpan[], cb: (r: ExportResult) => void) {
        seen.push(isTracingSuppressed(context.active()));
        cb({ code: spans.length > 1 ? ExportResultCode.FAILED : ExportResultCode.SUCCESS, error: spans.length > 1 ? new Error('503') : undefined });
      },
      shutdown: () => Promise.resolve(),
    };
    const recorder = new ExportStatsRecorder();
    const exporter = new CountingSpanExporter(inner, recorder, 'otlp');
    const results: ExportResult[] = [];
    const fake = {} as ReadableSpan;
    const manager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(manager);
    try {
      exporter.export([fake], (r) => results.push(r));
      exporter.export([fake, fake], (r) => results.push(r));
    } finally {
      context.disable();
    }
    expect(seen).toEqual([true, true]);
    expect(isTracingSuppressed(context.active())).toBe(false);
    expect(results.map((r) => r.code)).toEqual([ExportResultCode.SUCCESS, ExportResultCode.FAILED]);
    expect(recorder.snapshot().traces).toEqual({ exportedBatches: 1, exportedItems: 1, failedBatches: 1, failedItems: 2, lastError: '503' });
  });

  it('turns a throwing exporter into a FAILED result', () => {
    const recorder = new ExportStatsRecorder();
    const exporter = new CountingSpanExporter(
      {
        export: () => {
          throw new Error('boom');
        },
        shutdown: () => Promise.resolve(),
      },
      recorder,
      'otlp',
    );
    const results: ExportResult[] = [];
    exporter.export([{} as ReadableSpan], (r) => results.push(r));
    expect(results).toHaveLength(1);
    expect(results[0]!.code).toBe(ExportResultCode.FAILED);
    expect(recorder.snapshot().traces.failedBatches).toBe(1);
  });
});
