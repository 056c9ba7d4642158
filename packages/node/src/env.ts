import type { DiagLogLevel } from '@opentelemetry/api';
import type {
  BatchOptions,
  LogsExporterName,
  MetricsExporterName,
  MetricsTemporality,
  OtlpExporterOptions,
  ResourceDetectorName,
  SamplerName,
  TracesExporterName,
} from './types';
import {
  LOGS_EXPORTERS,
  METRICS_EXPORTERS,
  TRACES_EXPORTERS,
  bool,
  compression,
  detectorList,
  exporterList,
  headerList,
  integer,
  keyValueList,
  logLevel,
  nonEmptyString,
  port,
  protocol,
  ratio,
  samplerName,
  temporality,
  url,
} from './validate';

/** The environment as a plain record (`process.env` or a test's own). */
export type EnvSource = Readonly<Record<string, string | undefined>>;

/**
 * Everything `register()` reads from the environment; a field is absent when its variable is unset or empty.
 * OTLP settings come from `OTEL_EXPORTER_OTLP_*` (shared: the endpoint is a base URL) and
 * `OTEL_EXPORTER_OTLP_<SIGNAL>_*` (the endpoint is the full URL), in the shape of the `otlp` options.
 */
export interface EnvSettings {
  disabled?: boolean;
  serviceName?: string;
  resourceAttributes?: Record<string, string>;
  resourceDetectors?: ResourceDetectorName[];
  tracesExporter?: TracesExporterName[];
  metricsExporter?: MetricsExporterName[];
  logsExporter?: LogsExporterName[];
  otlp: OtlpExporterOptions & {
    traces: OtlpExporterOptions;
    metrics: OtlpExporterOptions & { temporality?: MetricsTemporality };
    logs: OtlpExporterOptions;
  };
  sampler?: SamplerName;
  /** `OTEL_TRACES_SAMPLER_ARG`; ignored (not parsed) when `OTEL_TRACES_SAMPLER` names a sampler without a ratio. */
  samplerRatio?: number;
  metricExportIntervalMillis?: number;
  metricExportTimeoutMillis?: number;
  prometheus: { host?: string; port?: number };
  spanBatch: BatchOptions;
  logBatch: BatchOptions;
  logLevel?: DiagLogLevel;
  captureMessageContent?: boolean;
  hostMetrics?: boolean;
  processor?: boolean;
  runtimeMetrics?: boolean;
  handleSignals?: boolean;
  shutdownTimeoutMillis?: number;
}

/**
 * The environment variables `register()` honours. Every one is listed here and in the README.
 * @internal
 */
export const ENV = {
  SDK_DISABLED: 'OTEL_SDK_DISABLED',
  SERVICE_NAME: 'OTEL_SERVICE_NAME',
  RESOURCE_ATTRIBUTES: 'OTEL_RESOURCE_ATTRIBUTES',
  NODE_RESOURCE_DETECTORS: 'OTEL_NODE_RESOURCE_DETECTORS',
  TRACES_EXPORTER: 'OTEL_TRACES_EXPORTER',
  METRICS_EXPORTER: 'OTEL_METRICS_EXPORTER',
  LOGS_EXPORTER: 'OTEL_LOGS_EXPORTER',
  TRACES_SAMPLER: 'OTEL_TRACES_SAMPLER',
  TRACES_SAMPLER_ARG: 'OTEL_TRACES_SAMPLER_ARG',
  METRIC_EXPORT_INTERVAL: 'OTEL_METRIC_EXPORT_INTERVAL',
  METRIC_EXPORT_TIMEOUT: 'OTEL_METRIC_EXPORT_TIMEOUT',
  METRICS_TEMPORALITY: 'OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE',
  PROMETHEUS_HOST: 'OTEL_EXPORTER_PROMETHEUS_HOST',
  PROMETHEUS_PORT: 'OTEL_EXPORTER_PROMETHEUS_PORT',
  LOG_LEVEL: 'OTEL_LOG_LEVEL',
  GENAI_CAPTURE_MESSAGE_CONTENT: 'OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT',
  HOST_METRICS: 'DRIFTWATCH_HOST_METRICS',
  PROCESSOR: 'DRIFTWATCH_PROCESSOR',
  RUNTIME_METRICS: 'DRIFTWATCH_RUNTIME_METRICS',
  HANDLE_SIGNALS: 'DRIFTWATCH_HANDLE_SIGNALS',
  SHUTDOWN_TIMEOUT: 'DRIFTWATCH_SHUTDOWN_TIMEOUT',
} as const;

const RATIO_SAMPLERS: readonly SamplerName[] = ['traceidratio', 'parentbased_traceidratio'];

/**
 * Reads and validates every environment variable `register()` honours. Unset and empty
 * variables are absent from the result; a set but unusable one throws a `DriftwatchConfigError`
 * naming the variable and the value (header values are never echoed).
 */
export function readEnv(env: EnvSource = process.env): EnvSettings {
  const get = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v;
  };
  const opt = <T>(name: string, parse: (setting: string, raw: string) => T): T | undefined => {
    const raw = get(name);
    return raw === undefined ? undefined : parse(name, raw);
  };
  const ms = (name: string) => opt(name, (s, r) => integer(s, r, 0, undefined, true));
  const positiveMs = (name: string) => opt(name, (s, r) => integer(s, r, 1, undefined, true));

  const otlpFor = (signal: '' | 'TRACES_' | 'METRICS_' | 'LOGS_'): OtlpExporterOptions => {
    const prefix = `OTEL_EXPORTER_OTLP_${signal}`;
    return strip({
      endpoint: opt(`${prefix}ENDPOINT`, url),
      headers: opt(`${prefix}HEADERS`, headerList),
      protocol: opt(`${prefix}PROTOCOL`, protocol),
      timeoutMillis: positiveMs(`${prefix}TIMEOUT`),
      compression: opt(`${prefix}COMPRESSION`, compression),
    });
  };
  const batch = (prefix: 'OTEL_BSP_' | 'OTEL_BLRP_'): BatchOptions =>
    strip({
      scheduledDelayMillis: ms(`${prefix}SCHEDULE_DELAY`),
      exportTimeoutMillis: positiveMs(`${prefix}EXPORT_TIMEOUT`),
      maxQueueSize: opt(`${prefix}MAX_QUEUE_SIZE`, (s, r) => integer(s, r, 1, undefined, true)),
      maxExportBatchSize: opt(`${prefix}MAX_EXPORT_BATCH_SIZE`, (s, r) => integer(s, r, 1, undefined, true)),
    });

  const sampler = opt(ENV.TRACES_SAMPLER, samplerName);
  const samplerRatio =
    sampler === undefined || RATIO_SAMPLERS.includes(sampler) ? opt(ENV.TRACES_SAMPLER_ARG, (s, r) => ratio(s, r, true)) : undefined;

  const resourceAttributes = opt(ENV.RESOURCE_ATTRIBUTES, keyValueList);

  return strip({
    disabled: opt(ENV.SDK_DISABLED, bool),
    serviceName: opt(ENV.SERVICE_NAME, nonEmptyString),
    resourceAttributes,
    resourceDetectors: opt(ENV.NODE_RESOURCE_DETECTORS, detectorList),
    tracesExporter: opt(ENV.TRACES_EXPORTER, (s, r) => exporterList(s, r, TRACES_EXPORTERS)),
    metricsExporter: opt(ENV.METRICS_EXPORTER, (s, r) => exporterList(s, r, METRICS_EXPORTERS)),
    logsExporter: opt(ENV.LOGS_EXPORTER, (s, r) => exporterList(s, r, LOGS_EXPORTERS)),
    otlp: {
      ...otlpFor(''),
      traces: otlpFor('TRACES_'),
      metrics: strip({ ...otlpFor('METRICS_'), temporality: opt(ENV.METRICS_TEMPORALITY, temporality) }),
      logs: otlpFor('LOGS_'),
    },
    sampler,
    samplerRatio,
    metricExportIntervalMillis: positiveMs(ENV.METRIC_EXPORT_INTERVAL),
    metricExportTimeoutMillis: positiveMs(ENV.METRIC_EXPORT_TIMEOUT),
    prometheus: strip({
      host: opt(ENV.PROMETHEUS_HOST, nonEmptyString),
      port: opt(ENV.PROMETHEUS_PORT, (s, r) => port(s, r, true)),
    }),
    spanBatch: batch('OTEL_BSP_'),
    logBatch: batch('OTEL_BLRP_'),
    logLevel: opt(ENV.LOG_LEVEL, logLevel),
    captureMessageContent: opt(ENV.GENAI_CAPTURE_MESSAGE_CONTENT, bool),
    hostMetrics: opt(ENV.HOST_METRICS, bool),
    processor: opt(ENV.PROCESSOR, bool),
    runtimeMetrics: opt(ENV.RUNTIME_METRICS, bool),
    handleSignals: opt(ENV.HANDLE_SIGNALS, bool),
    shutdownTimeoutMillis: positiveMs(ENV.SHUTDOWN_TIMEOUT),
  });
}

/** Drops keys whose value is undefined, so "absent" and "unset" are the same thing. */
function strip<T extends object>(o: T): T {
  for (const k of Object.keys(o) as Array<keyof T>) if (o[k] === undefined) delete o[k];
  return o;
}
