import { DiagLogLevel } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { DriftwatchConfigError, readEnv } from '../src/index';

function configError(fn: () => unknown): DriftwatchConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DriftwatchConfigError);
    return err as DriftwatchConfigError;
  }
  throw new Error('expected a DriftwatchConfigError');
}

describe('readEnv', () => {
  it('returns only the empty sub-objects for an empty environment, and treats empty values as unset', () => {
    const empty = { otlp: { traces: {}, metrics: {}, logs: {} }, prometheus: {}, spanBatch: {}, logBatch: {} };
    expect(readEnv({})).toEqual(empty);
    expect(readEnv({ OTEL_SERVICE_NAME: '', OTEL_TRACES_EXPORTER: '  ', OTEL_EXPORTER_PROMETHEUS_PORT: '' })).toEqual(empty);
  });

  it('OTEL_SDK_DISABLED', () => {
    expect(readEnv({ OTEL_SDK_DISABLED: 'true' }).disabled).toBe(true);
    expect(readEnv({ OTEL_SDK_DISABLED: 'FALSE' }).disabled).toBe(false);
    const e = configError(() => readEnv({ OTEL_SDK_DISABLED: 'yes' }));
    expect(e.message).toBe('@driftwatch/node: invalid OTEL_SDK_DISABLED="yes": expected true or false');
    expect(e.setting).toBe('OTEL_SDK_DISABLED');
    expect(e.value).toBe('yes');
  });

  it('OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES (percent-decoded)', () => {
    const s = readEnv({ OTEL_SERVICE_NAME: ' checkout ', OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=prod, team=a%2Cb ,,x=%3D' });
    expect(s.serviceName).toBe('checkout');
    expect(s.resourceAttributes).toEqual({ 'deployment.environment.name': 'prod', team: 'a,b', x: '=' });
    expect(configError(() => readEnv({ OTEL_RESOURCE_ATTRIBUTES: 'a=1,b' })).message).toBe(
      `@driftwatch/node: invalid OTEL_RESOURCE_ATTRIBUTES="a=1,b": entry "b" is not of the form key=value ('=' and ',' must be percent-encoded)`,
    );
    expect(configError(() => readEnv({ OTEL_RESOURCE_ATTRIBUTES: 'a=%zz' })).message).toContain('invalid percent-encoding');
  });

  it('OTEL_NODE_RESOURCE_DETECTORS', () => {
    expect(readEnv({ OTEL_NODE_RESOURCE_DETECTORS: 'env,host' }).resourceDetectors).toEqual(['env', 'host']);
    expect(readEnv({ OTEL_NODE_RESOURCE_DETECTORS: 'all' }).resourceDetectors).toEqual(['env', 'host', 'os', 'process', 'serviceinstance']);
    expect(readEnv({ OTEL_NODE_RESOURCE_DETECTORS: 'none' }).resourceDetectors).toEqual([]);
    expect(configError(() => readEnv({ OTEL_NODE_RESOURCE_DETECTORS: 'env,gcp' })).message).toContain('unknown detector "gcp"');
  });

  it('OTEL_TRACES_EXPORTER / OTEL_METRICS_EXPORTER / OTEL_LOGS_EXPORTER lists', () => {
    const s = readEnv({ OTEL_TRACES_EXPORTER: 'otlp, console', OTEL_METRICS_EXPORTER: 'prometheus,otlp,prometheus', OTEL_LOGS_EXPORTER: 'none' });
    expect(s.tracesExporter).toEqual(['otlp', 'console']);
    expect(s.metricsExporter).toEqual(['prometheus', 'otlp']);
    expect(s.logsExporter).toEqual(['none']);
    expect(configError(() => readEnv({ OTEL_TRACES_EXPORTER: 'zipkin' })).message).toBe(
      '@driftwatch/node: invalid OTEL_TRACES_EXPORTER="zipkin": unknown exporter "zipkin" (not shipped by @driftwatch/node); expected one of otlp, console, none',
    );
    expect(configError(() => readEnv({ OTEL_TRACES_EXPORTER: 'prometheus' })).message).toContain('unknown exporter "prometheus"');
    expect(configError(() => readEnv({ OTEL_LOGS_EXPORTER: 'none,otlp' })).message).toContain('"none" cannot be combined');
  });

  it('OTEL_EXPORTER_OTLP_ENDPOINT and the per-signal endpoints', () => {
    const s = readEnv({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example.com/custom/path',
      OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://m:4318/v1/metrics',
      OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'http://l:4318/v1/logs',
    });
    expect(s.otlp.endpoint).toBe('http://collector:4318/');
    expect(s.otlp.traces.endpoint).toBe('https://traces.example.com/custom/path');
    expect(s.otlp.metrics.endpoint).toBe('http://m:4318/v1/metrics');
    expect(s.otlp.logs.endpoint).toBe('http://l:4318/v1/logs');
    expect(configError(() => readEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).message).toBe(
      '@driftwatch/node: invalid OTEL_EXPORTER_OTLP_ENDPOINT="collector:4318": unsupported URL scheme "collector:"; expected http: or https:',
    );
    expect(configError(() => readEnv({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://' })).message).toBe(
      '@driftwatch/node: invalid OTEL_EXPORTER_OTLP_TRACES_ENDPOINT="http://": not a valid URL (expected e.g. http://localhost:4318)',
    );
  });

  it('OTEL_EXPORTER_OTLP_HEADERS and per-signal headers; errors never echo header values', () => {
    const s = readEnv({
      OTEL_EXPORTER_OTLP_HEADERS: 'api-key=secret%20one, x-tenant = a=b',
      OTEL_EXPORTER_OTLP_LOGS_HEADERS: 'x-logs=1',
    });
    expect(s.otlp.headers).toEqual({ 'api-key': 'secret one', 'x-tenant': 'a=b' });
    expect(s.otlp.logs.headers).toEqual({ 'x-logs': '1' });
    const e = configError(() => readEnv({ OTEL_EXPORTER_OTLP_HEADERS: 'api-key=s3cr3t,broken' }));
    expect(e.message).toBe('@driftwatch/node: invalid OTEL_EXPORTER_OTLP_HEADERS: entry 2 is not of the form name=value');
    expect(e.message).not.toContain('s3cr3t');
    expect(e.value).toBeUndefined();
    expect(configError(() => readEnv({ OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'bad name=1' })).message).toBe(
      '@driftwatch/node: invalid OTEL_EXPORTER_OTLP_TRACES_HEADERS: entry 1 has an invalid header name',
    );
  });

  it('OTEL_EXPORTER_OTLP_PROTOCOL: http/protobuf and http/json; grpc is a clear error', () => {
    expect(readEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }).otlp.protocol).toBe('http/json');
    expect(readEnv({ OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'HTTP/PROTOBUF' }).otlp.metrics.protocol).toBe('http/protobuf');
    expect(configError(() => readEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).message).toBe(
      '@driftwatch/node: invalid OTEL_EXPORTER_OTLP_PROTOCOL="grpc": OTLP/gRPC is not supported by @driftwatch/node; use http/protobuf (default, port 4318) or http/json',
    );
    expect(configError(() => readEnv({ OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'thrift' })).message).toContain('expected one of http/protobuf, http/json');
  });

  it('OTEL_EXPORTER_OTLP_TIMEOUT and OTEL_EXPORTER_OTLP_COMPRESSION', () => {
    const s = readEnv({ OTEL_EXPORTER_OTLP_TIMEOUT: '2500', OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '100', OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip' });
    expect(s.otlp.timeoutMillis).toBe(2500);
    expect(s.otlp.traces.timeoutMillis).toBe(100);
    expect(s.otlp.compression).toBe('gzip');
    expect(configError(() => readEnv({ OTEL_EXPORTER_OTLP_TIMEOUT: '10s' })).message).toBe(
      '@driftwatch/node: invalid OTEL_EXPORTER_OTLP_TIMEOUT="10s": expected an integer >= 1',
    );
    expect(configError(() => readEnv({ OTEL_EXPORTER_OTLP_TIMEOUT: '0' })).message).toContain('expected an integer >= 1');
    expect(configError(() => readEnv({ OTEL_EXPORTER_OTLP_COMPRESSION: 'zstd' })).message).toContain('expected gzip or none');
  });

  it('OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE', () => {
    expect(readEnv({ OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'Delta' }).otlp.metrics.temporality).toBe('delta');
    expect(configError(() => readEnv({ OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'both' })).message).toContain(
      'expected cumulative, delta or lowmemory',
    );
  });

  it('OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG', () => {
    expect(readEnv({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' })).toMatchObject({ sampler: 'traceidratio', samplerRatio: 0.25 });
    expect(readEnv({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' })).toMatchObject({ samplerRatio: 0 });
    // The argument of a sampler without a ratio is ignored, as the specification says.
    expect(readEnv({ OTEL_TRACES_SAMPLER: 'always_on', OTEL_TRACES_SAMPLER_ARG: 'whatever' }).samplerRatio).toBeUndefined();
    expect(configError(() => readEnv({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '1.5' })).message).toBe(
      '@driftwatch/node: invalid OTEL_TRACES_SAMPLER_ARG="1.5": expected a number between 0 and 1',
    );
    expect(configError(() => readEnv({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: 'NaN' })).message).toContain('between 0 and 1');
    expect(configError(() => readEnv({ OTEL_TRACES_SAMPLER: 'jaeger_remote' })).message).toContain(
      'unsupported sampler; expected one of always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio',
    );
  });

  it('OTEL_METRIC_EXPORT_INTERVAL and OTEL_METRIC_EXPORT_TIMEOUT', () => {
    expect(readEnv({ OTEL_METRIC_EXPORT_INTERVAL: '15000', OTEL_METRIC_EXPORT_TIMEOUT: '5000' })).toMatchObject({
      metricExportIntervalMillis: 15000,
      metricExportTimeoutMillis: 5000,
    });
    expect(configError(() => readEnv({ OTEL_METRIC_EXPORT_INTERVAL: '-1' })).message).toBe(
      '@driftwatch/node: invalid OTEL_METRIC_EXPORT_INTERVAL="-1": expected an integer >= 1',
    );
  });

  it('OTEL_EXPORTER_PROMETHEUS_HOST and OTEL_EXPORTER_PROMETHEUS_PORT', () => {
    expect(readEnv({ OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1', OTEL_EXPORTER_PROMETHEUS_PORT: '0' }).prometheus).toEqual({ host: '127.0.0.1', port: 0 });
    expect(configError(() => readEnv({ OTEL_EXPORTER_PROMETHEUS_PORT: 'http' })).message).toBe(
      '@driftwatch/node: invalid OTEL_EXPORTER_PROMETHEUS_PORT="http": expected an integer 0..65535',
    );
    expect(configError(() => readEnv({ OTEL_EXPORTER_PROMETHEUS_PORT: '65536' })).message).toContain('0..65535');
    expect(configError(() => readEnv({ OTEL_EXPORTER_PROMETHEUS_PORT: '94.64' })).message).toContain('0..65535');
  });

  it('OTEL_BSP_* and OTEL_BLRP_*', () => {
    const s = readEnv({
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_BSP_EXPORT_TIMEOUT: '2000',
      OTEL_BSP_MAX_QUEUE_SIZE: '64',
      OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '32',
      OTEL_BLRP_SCHEDULE_DELAY: '0',
    });
    expect(s.spanBatch).toEqual({ scheduledDelayMillis: 100, exportTimeoutMillis: 2000, maxQueueSize: 64, maxExportBatchSize: 32 });
    expect(s.logBatch).toEqual({ scheduledDelayMillis: 0 });
    expect(configError(() => readEnv({ OTEL_BSP_MAX_QUEUE_SIZE: '0' })).message).toContain('OTEL_BSP_MAX_QUEUE_SIZE="0": expected an integer >= 1');
  });

  it('OTEL_LOG_LEVEL', () => {
    expect(readEnv({ OTEL_LOG_LEVEL: 'debug' }).logLevel).toBe(DiagLogLevel.DEBUG);
    expect(readEnv({ OTEL_LOG_LEVEL: 'NONE' }).logLevel).toBe(DiagLogLevel.NONE);
    expect(configError(() => readEnv({ OTEL_LOG_LEVEL: 'loud' })).message).toBe(
      '@driftwatch/node: invalid OTEL_LOG_LEVEL="loud": expected one of none, error, warn, info, debug, verbose, all',
    );
  });

  it('OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT', () => {
    expect(readEnv({ OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'true' }).captureMessageContent).toBe(true);
    expect(readEnv({ OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'False' }).captureMessageContent).toBe(false);
    expect(configError(() => readEnv({ OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: '1' })).setting).toBe(
      'OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT',
    );
  });

  it('DRIFTWATCH_* switches', () => {
    expect(
      readEnv({
        DRIFTWATCH_HOST_METRICS: 'false',
        DRIFTWATCH_RUNTIME_METRICS: 'false',
        DRIFTWATCH_HANDLE_SIGNALS: 'false',
        DRIFTWATCH_SHUTDOWN_TIMEOUT: '1500',
      }),
    ).toMatchObject({ hostMetrics: false, runtimeMetrics: false, handleSignals: false, shutdownTimeoutMillis: 1500 });
    expect(configError(() => readEnv({ DRIFTWATCH_SHUTDOWN_TIMEOUT: 'soon' })).message).toBe(
      '@driftwatch/node: invalid DRIFTWATCH_SHUTDOWN_TIMEOUT="soon": expected an integer >= 1',
    );
  });
});
