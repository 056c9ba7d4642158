import { DiagLogLevel, metrics, trace } from '@opentelemetry/api';
import { logs } from '@opentelemetry/api-logs';
import { AlwaysOnSampler } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { DriftwatchConfigError, getActiveHandle, register, resolveConfig } from '../src/index';
import type { RegisterOptions } from '../src/index';

function configError(fn: () => unknown): DriftwatchConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DriftwatchConfigError);
    return err as DriftwatchConfigError;
  }
  throw new Error('expected a DriftwatchConfigError');
}

describe('resolveConfig: defaults', () => {
  it('uses the specification defaults with an empty environment', () => {
    const c = resolveConfig({}, {});
    expect(c).toEqual({
      disabled: false,
      serviceName: undefined,
      resourceAttributes: {},
      resourceDetectors: ['env', 'host', 'os', 'process'],
      traces: {
        exporters: ['otlp'],
        otlp: { url: 'http://localhost:4318/v1/traces', headers: {}, protocol: 'http/protobuf', timeoutMillis: 10000, compression: 'none' },
        batch: { scheduledDelayMillis: 5000, exportTimeoutMillis: 30000, maxQueueSize: 2048, maxExportBatchSize: 512 },
      },
      metrics: {
        exporters: ['otlp'],
        otlp: {
          url: 'http://localhost:4318/v1/metrics',
          headers: {},
          protocol: 'http/protobuf',
          timeoutMillis: 10000,
          compression: 'none',
          temporality: 'cumulative',
        },
        exportIntervalMillis: 60000,
        exportTimeoutMillis: 30000,
        prometheus: { host: undefined, port: 9464, endpoint: '/metrics' },
      },
      logs: {
        exporters: ['otlp'],
        otlp: { url: 'http://localhost:4318/v1/logs', headers: {}, protocol: 'http/protobuf', timeoutMillis: 10000, compression: 'none' },
        batch: { scheduledDelayMillis: 1000, exportTimeoutMillis: 30000, maxQueueSize: 2048, maxExportBatchSize: 512 },
      },
      sampler: { name: 'parentbased_always_on', ratio: 1 },
      captureMessageContent: false,
      processor: true,
      hostMetrics: true,
      runtimeMetrics: true,
      handleSignals: true,
      shutdownTimeoutMillis: 5000,
      logLevel: undefined,
    });
  });
});

describe('resolveConfig: precedence options > environment > defaults', () => {
  const env = {
    OTEL_SERVICE_NAME: 'from-env',
    OTEL_RESOURCE_ATTRIBUTES: 'team=env,region=eu',
    OTEL_TRACES_EXPORTER: 'console',
    OTEL_METRICS_EXPORTER: 'prometheus',
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://env-collector:4318',
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://env-traces:4318/v1/traces',
    OTEL_EXPORTER_OTLP_HEADERS: 'a=env-a,b=env-b',
    OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'b=env-traces-b',
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_EXPORTER_OTLP_TIMEOUT: '2000',
    OTEL_TRACES_SAMPLER: 'traceidratio',
    OTEL_TRACES_SAMPLER_ARG: '0.5',
    OTEL_EXPORTER_PROMETHEUS_PORT: '9999',
    OTEL_METRIC_EXPORT_INTERVAL: '1000',
    OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'true',
    OTEL_LOG_LEVEL: 'warn',
    DRIFTWATCH_HOST_METRICS: 'false',
  };

  it('takes the environment when no option is given', () => {
    const c = resolveConfig({}, env);
    expect(c.serviceName).toBe('from-env');
    expect(c.resourceAttributes).toEqual({ team: 'env', region: 'eu' });
    expect(c.traces.exporters).toEqual(['console']);
    expect(c.metrics.exporters).toEqual(['prometheus']);
    expect(c.traces.otlp).toEqual({
      url: 'http://env-traces:4318/v1/traces',
      headers: { a: 'env-a', b: 'env-traces-b' },
      protocol: 'http/json',
      timeoutMillis: 2000,
      compression: 'none',
    });
    expect(c.metrics.otlp.url).toBe('http://env-collector:4318/v1/metrics');
    expect(c.logs.otlp.url).toBe('http://env-collector:4318/v1/logs');
    expect(c.logs.otlp.headers).toEqual({ a: 'env-a', b: 'env-b' });
    expect(c.sampler).toEqual({ name: 'traceidratio', ratio: 0.5 });
    expect(c.metrics.prometheus.port).toBe(9999);
    // The default 30 s timeout is capped by a shorter interval.
    expect(c.metrics.exportIntervalMillis).toBe(1000);
    expect(c.metrics.exportTimeoutMillis).toBe(1000);
    expect(c.captureMessageContent).toBe(true);
    expect(c.logLevel).toBe(DiagLogLevel.WARN);
    expect(c.hostMetrics).toBe(false);
  });

  it('lets every explicit option win over its variable', () => {
    const c = resolveConfig(
      {
        serviceName: 'from-options',
        resourceAttributes: { team: 'options', 'k8s.pod.count': 3 },
        tracesExporter: 'otlp',
        metricsExporter: ['otlp', 'prometheus'],
        otlp: {
          endpoint: 'http://opt-collector:4318/base/',
          headers: { a: 'opt-a' },
          traces: { headers: { c: 'opt-traces-c' }, protocol: 'http/protobuf' },
        },
        sampler: 'always_off',
        samplerRatio: 0.1,
        prometheus: { port: 0, endpoint: 'prom' },
        metricExportIntervalMillis: 5000,
        metricExportTimeoutMillis: 4000,
        llm: { captureMessageContent: false },
        logLevel: 'error',
        hostMetrics: true,
      },
      env,
    );
    expect(c.serviceName).toBe('from-options');
    expect(c.resourceAttributes).toEqual({ team: 'options', region: 'eu', 'k8s.pod.count': 3 });
    expect(c.traces.exporters).toEqual(['otlp']);
    expect(c.metrics.exporters).toEqual(['otlp', 'prometheus']);
    // The shared endpoint option beats even the per-signal variable.
    expect(c.traces.otlp).toEqual({
      url: 'http://opt-collector:4318/base/v1/traces',
      headers: { a: 'opt-a', b: 'env-traces-b', c: 'opt-traces-c' },
      protocol: 'http/protobuf',
      timeoutMillis: 2000,
      compression: 'none',
    });
    expect(c.metrics.otlp.protocol).toBe('http/json');
    expect(c.sampler).toEqual({ name: 'always_off', ratio: 0.1 });
    expect(c.metrics.prometheus).toEqual({ host: undefined, port: 0, endpoint: '/prom' });
    expect(c.metrics.exportIntervalMillis).toBe(5000);
    expect(c.metrics.exportTimeoutMillis).toBe(4000);
    expect(c.captureMessageContent).toBe(false);
    expect(c.logLevel).toBe(DiagLogLevel.ERROR);
    expect(c.hostMetrics).toBe(true);
  });

  it('OTEL_RESOURCE_ATTRIBUTES belongs to the env detector; OTEL_SERVICE_NAME always applies', () => {
    const c = resolveConfig({ resourceDetectors: ['host'] }, env);
    expect(c.resourceAttributes).toEqual({});
    expect(c.serviceName).toBe('from-env');
  });

  it('accepts a Sampler object', () => {
    const sampler = new AlwaysOnSampler();
    expect(resolveConfig({ sampler }, {}).sampler).toEqual({ name: 'custom', sampler });
  });

  it('reads options.env when no environment is passed separately', () => {
    expect(resolveConfig({ env: { OTEL_SERVICE_NAME: 'x' } }).serviceName).toBe('x');
  });
});

describe('resolveConfig: a bad option is a clear error naming it', () => {
  const cases: Array<[string, RegisterOptions, string]> = [
    [
      'unknown exporter',
      { tracesExporter: 'jaeger' as never },
      '@driftwatch/node: invalid options.tracesExporter=["jaeger"]: unknown exporter "jaeger" (not shipped by @driftwatch/node); expected one of otlp, console, none',
    ],
    [
      'prometheus for traces',
      { tracesExporter: ['otlp', 'prometheus' as never] },
      '@driftwatch/node: invalid options.tracesExporter=["otlp","prometheus"]: unknown exporter "prometheus"; expected one of otlp, console, none',
    ],
    ['ratio above 1', { samplerRatio: 1.01 }, '@driftwatch/node: invalid options.samplerRatio=1.01: expected a number between 0 and 1'],
    ['ratio NaN', { samplerRatio: Number.NaN }, '@driftwatch/node: invalid options.samplerRatio=NaN: expected a number between 0 and 1'],
    ['negative ratio', { samplerRatio: -0.1 }, '@driftwatch/node: invalid options.samplerRatio=-0.1: expected a number between 0 and 1'],
    [
      'unknown sampler',
      { sampler: 'sometimes' as never },
      '@driftwatch/node: invalid options.sampler="sometimes": unsupported sampler; expected one of always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio',
    ],
    ['port string', { prometheus: { port: '9464' as never } }, '@driftwatch/node: invalid options.prometheus.port="9464": expected an integer 0..65535'],
    ['port out of range', { prometheus: { port: 70000 } }, '@driftwatch/node: invalid options.prometheus.port=70000: expected an integer 0..65535'],
    ['port fractional', { prometheus: { port: 80.5 } }, '@driftwatch/node: invalid options.prometheus.port=80.5: expected an integer 0..65535'],
    [
      'endpoint without scheme',
      { otlp: { endpoint: 'localhost:4318' } },
      '@driftwatch/node: invalid options.otlp.endpoint="localhost:4318": unsupported URL scheme "localhost:"; expected http: or https:',
    ],
    [
      'malformed signal endpoint',
      { otlp: { metrics: { endpoint: 'http://exa mple.com' } } },
      '@driftwatch/node: invalid options.otlp.metrics.endpoint="http://exa mple.com": not a valid URL (expected e.g. http://localhost:4318)',
    ],
    [
      'grpc protocol',
      { otlp: { protocol: 'grpc' as never } },
      '@driftwatch/node: invalid options.otlp.protocol="grpc": OTLP/gRPC is not supported by @driftwatch/node; use http/protobuf (default, port 4318) or http/json',
    ],
    [
      'header with a bad name',
      { otlp: { headers: { 'bad header': 'v' } } },
      '@driftwatch/node: invalid options.otlp.headers["bad header"]: not a valid HTTP header name',
    ],
    [
      'header value with a line break',
      { otlp: { traces: { headers: { 'x-key': 'a\r\nInjected: 1' } } } },
      '@driftwatch/node: invalid options.otlp.traces.headers["x-key"]: header value contains a line break or NUL',
    ],
    [
      'header value not a string',
      { otlp: { headers: { 'x-key': 42 as never } } },
      '@driftwatch/node: invalid options.otlp.headers["x-key"]: header value must be a string, got number',
    ],
    ['timeout zero', { otlp: { timeoutMillis: 0 } }, '@driftwatch/node: invalid options.otlp.timeoutMillis=0: expected an integer >= 1'],
    [
      'metric timeout above interval',
      { metricExportIntervalMillis: 1000, metricExportTimeoutMillis: 2000 },
      '@driftwatch/node: invalid options.metricExportTimeoutMillis=2000: the metric export timeout must not exceed the export interval (1000 ms)',
    ],
    [
      'batch larger than queue',
      { spanBatch: { maxQueueSize: 10, maxExportBatchSize: 20 } },
      '@driftwatch/node: invalid options.spanBatch.maxExportBatchSize=20: must not exceed the queue size (10)',
    ],
    ['boolean flag', { hostMetrics: 'no' as never }, '@driftwatch/node: invalid options.hostMetrics="no": expected true or false'],
    [
      'resource attribute',
      { resourceAttributes: { bad: { nested: true } as never } },
      '@driftwatch/node: invalid options.resourceAttributes["bad"]={"nested":true}: not a valid attribute value',
    ],
    ['empty service name', { serviceName: ' ' }, '@driftwatch/node: invalid options.serviceName=" ": expected a non-empty string'],
    [
      'log level',
      { logLevel: 'chatty' as never },
      '@driftwatch/node: invalid options.logLevel="chatty": expected one of none, error, warn, info, debug, verbose, all',
    ],
  ];
  for (const [name, options, message] of cases) {
    it(name, () => {
      expect(configError(() => resolveConfig(options, {})).message).toBe(message);
    });
  }

  it('names the variable when the environment is wrong, even if other options are fine', () => {
    const e = configError(() => resolveConfig({ serviceName: 'ok' }, { OTEL_EXPORTER_PROMETHEUS_PORT: '99999' }));
    expect(e.setting).toBe('OTEL_EXPORTER_PROMETHEUS_PORT');
    expect(e.value).toBe('99999');
  });

  it('register() throws the same error before building anything', () => {
    expect(() => register({ env: {}, samplerRatio: 2, handleSignals: false })).toThrow(DriftwatchConfigError);
    expect(getActiveHandle()).toBeUndefined();
  });
});

describe('OTEL_SDK_DISABLED', () => {
  afterEach(async () => {
    await getActiveHandle()?.shutdown();
  });

  it('gives a no-op handle and registers no globals', async () => {
    const before = { tracer: trace.getTracerProvider(), meter: metrics.getMeterProvider(), logger: logs.getLoggerProvider() };
    const handle = register({ env: { OTEL_SDK_DISABLED: 'true', OTEL_METRICS_EXPORTER: 'prometheus' } });
    expect(handle.enabled).toBe(false);
    expect(handle.prometheus).toBeUndefined();
    expect(getActiveHandle()).toBeUndefined();
    expect(metrics.getMeterProvider()).toBe(before.meter);
    expect(logs.getLoggerProvider()).toBe(before.logger);
    const span = handle.tracerProvider.getTracer('t').startSpan('x');
    expect(span.isRecording()).toBe(false);
    span.end();
    expect(trace.getTracerProvider()).toBe(before.tracer);
    await handle.forceFlush();
    await handle.shutdown();
    await handle.shutdown();
    expect(handle.stats().traces).toEqual({ exportedBatches: 0, exportedItems: 0, failedBatches: 0, failedItems: 0, lastError: undefined });
  });

  it('an explicit disabled: false wins over the variable', async () => {
    const handle = register({
      disabled: false,
      env: { OTEL_SDK_DISABLED: 'true' },
      tracesExporter: 'none',
      metricsExporter: 'none',
      logsExporter: 'none',
      hostMetrics: false,
      runtimeMetrics: false,
      handleSignals: false,
    });
    expect(handle.enabled).toBe(true);
    expect(getActiveHandle()).toBe(handle);
    await handle.shutdown();
    expect(getActiveHandle()).toBeUndefined();
  });
});
