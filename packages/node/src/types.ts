import type { Attributes, DiagLogLevel } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import type { Resource } from '@opentelemetry/resources';
import type { LogRecordProcessor } from '@opentelemetry/sdk-logs';
import type { IMetricReader, ViewOptions } from '@opentelemetry/sdk-metrics';
import type { ProcessorOptions } from '@driftwatch/processor';
import type { Sampler, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { LlmInstrumentationOptions } from '@driftwatch/llm';

/** Span exporters `register()` can build (`OTEL_TRACES_EXPORTER`). */
export type TracesExporterName = 'otlp' | 'console' | 'none';
/** Metric exporters/readers `register()` can build (`OTEL_METRICS_EXPORTER`). */
export type MetricsExporterName = 'otlp' | 'prometheus' | 'console' | 'none';
/** Log-record exporters `register()` can build (`OTEL_LOGS_EXPORTER`). */
export type LogsExporterName = 'otlp' | 'console' | 'none';
/** OTLP transports this package ships (`OTEL_EXPORTER_OTLP_PROTOCOL`); gRPC is not one of them. */
export type OtlpProtocol = 'http/protobuf' | 'http/json';
/** OTLP request compression (`OTEL_EXPORTER_OTLP_COMPRESSION`). */
export type OtlpCompression = 'gzip' | 'none';
/** Metric temporality preference for OTLP (`OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE`). */
export type MetricsTemporality = 'cumulative' | 'delta' | 'lowmemory';
/** Built-in samplers (`OTEL_TRACES_SAMPLER`). */
export type SamplerName =
  | 'always_on'
  | 'always_off'
  | 'traceidratio'
  | 'parentbased_always_on'
  | 'parentbased_always_off'
  | 'parentbased_traceidratio';
/** Resource detectors (`OTEL_NODE_RESOURCE_DETECTORS`); `env` reads `OTEL_RESOURCE_ATTRIBUTES`/`OTEL_SERVICE_NAME`. */
export type ResourceDetectorName = 'env' | 'host' | 'os' | 'process' | 'serviceinstance';
/** `OTEL_LOG_LEVEL` values. */
export type LogLevelName = 'none' | 'error' | 'warn' | 'info' | 'debug' | 'verbose' | 'all';

/** Settings of one OTLP exporter. Every field is optional; unset ones fall back to env, then defaults. */
export interface OtlpExporterOptions {
  /**
   * In `otlp.endpoint`: the base URL, to which `v1/traces`, `v1/metrics` or `v1/logs` is appended.
   * In `otlp.traces|metrics|logs.endpoint`: the full URL, used as is.
   */
  endpoint?: string;
  /** Extra request headers (e.g. an API key); merged over the `OTEL_EXPORTER_OTLP_*HEADERS` ones. */
  headers?: Record<string, string>;
  protocol?: OtlpProtocol;
  /** Per-request timeout in milliseconds (default 10000). */
  timeoutMillis?: number;
  compression?: OtlpCompression;
}

/** OTLP settings: shared ones at the top, per-signal overrides below. */
export interface OtlpOptions extends OtlpExporterOptions {
  traces?: OtlpExporterOptions;
  metrics?: OtlpExporterOptions & { temporality?: MetricsTemporality };
  logs?: OtlpExporterOptions;
}

/** The Prometheus scrape endpoint (used when `metricsExporter` includes `prometheus`). */
export interface PrometheusOptions {
  /** Interface to bind; all interfaces when unset (`OTEL_EXPORTER_PROMETHEUS_HOST`). */
  host?: string;
  /** TCP port, 0..65535; `0` binds a free port (see `handle.prometheus.ready`). Default 9464. */
  port?: number;
  /** Path that serves the exposition text. Default `/metrics`. */
  endpoint?: string;
}

/** Batching of spans or log records before export. */
export interface BatchOptions {
  /** Delay between two consecutive exports (ms); default 5000 for spans, 1000 for logs. */
  scheduledDelayMillis?: number;
  /** How long one export may run before it is abandoned (ms); default 30000. */
  exportTimeoutMillis?: number;
  /** Largest number of items waiting for export; beyond it new items are dropped. Default 2048. */
  maxQueueSize?: number;
  /** Largest number of items in one export request. Default 512. */
  maxExportBatchSize?: number;
}

/** What the LLM instrumentations receive (providers are set by `register()`). */
export type LlmOptions = Omit<LlmInstrumentationOptions, 'tracerProvider' | 'meterProvider'>;

/**
 * Options of `register()`. Every field is optional. Precedence for each setting: the option here,
 * then the standard `OTEL_*` (or `DRIFTWATCH_*`) environment variable, then the default.
 */
export interface RegisterOptions {
  /** Build nothing and register nothing (`OTEL_SDK_DISABLED`). */
  disabled?: boolean;
  /** `service.name` (`OTEL_SERVICE_NAME`). */
  serviceName?: string;
  /** Extra resource attributes, merged over `OTEL_RESOURCE_ATTRIBUTES` key by key. */
  resourceAttributes?: Attributes;
  /** A resource merged last (its attributes win over everything else). */
  resource?: Resource;
  /** Resource detectors to run (`OTEL_NODE_RESOURCE_DETECTORS`); default `env, host, os, process`. */
  resourceDetectors?: ResourceDetectorName[];

  /** Span exporters (`OTEL_TRACES_EXPORTER`); default `otlp`. */
  tracesExporter?: TracesExporterName | TracesExporterName[];
  /** Metric exporters (`OTEL_METRICS_EXPORTER`); default `otlp`. */
  metricsExporter?: MetricsExporterName | MetricsExporterName[];
  /** Log-record exporters (`OTEL_LOGS_EXPORTER`); default `otlp`. */
  logsExporter?: LogsExporterName | LogsExporterName[];
  otlp?: OtlpOptions;
  prometheus?: PrometheusOptions;

  /** A built-in sampler by name (`OTEL_TRACES_SAMPLER`) or any SDK `Sampler`. Default `parentbased_always_on`. */
  sampler?: SamplerName | Sampler;
  /** Ratio for the `traceidratio` samplers, 0..1 (`OTEL_TRACES_SAMPLER_ARG`). Default 1. */
  samplerRatio?: number;
  /** Span batching (`OTEL_BSP_*`). */
  spanBatch?: BatchOptions;
  /** Log-record batching (`OTEL_BLRP_*`). */
  logBatch?: BatchOptions;
  /** Interval between two periodic metric exports (`OTEL_METRIC_EXPORT_INTERVAL`); default 60000 ms. */
  metricExportIntervalMillis?: number;
  /** Timeout of one periodic metric export (`OTEL_METRIC_EXPORT_TIMEOUT`); default 30000 ms (at most the interval). */
  metricExportTimeoutMillis?: number;

  /**
   * The Driftwatch processor (`@driftwatch/processor`): derived quality series (`driftwatch.*`) over
   * sliding windows, added to every reader `register()` builds (Prometheus and OTLP). On by default;
   * `false` turns it off (`DRIFTWATCH_PROCESSOR=false`); an object passes processor options. Readers
   * you pass in `metricReaders` get the series by adding `handle.processor.metricProducer` to their
   * `metricProducers`.
   */
  processor?: boolean | ProcessorOptions;
  /**
   * A state file for the processor's windows: restored at start (when it exists), written every
   * `intervalMs` (default 60000) and at shutdown, so a restart keeps the 15m and 1h windows.
   */
  processorState?: { path: string; intervalMs?: number };
  /** Additional span processors (run before the exporting ones). */
  spanProcessors?: SpanProcessor[];
  /** Additional metric readers. */
  metricReaders?: IMetricReader[];
  /** Additional log-record processors. */
  logRecordProcessors?: LogRecordProcessor[];
  /** Metric views. */
  views?: ViewOptions[];

  /** Host metrics (`system.*`, `process.*`) from `@opentelemetry/host-metrics`. Default on (`DRIFTWATCH_HOST_METRICS`). */
  hostMetrics?: boolean;
  /** Node runtime metrics (`nodejs.*`, `v8js.*`) from `@opentelemetry/instrumentation-runtime-node`. Default on (`DRIFTWATCH_RUNTIME_METRICS`). */
  runtimeMetrics?: boolean;
  /**
   * Instrumentations. An array is added to the defaults (see `defaultInstrumentations()`);
   * a function receives the defaults and returns the complete list (to replace or filter them).
   */
  instrumentations?: Instrumentation[] | ((defaults: Instrumentation[]) => Instrumentation[]);
  /**
   * Options for the `@driftwatch/llm` instrumentations. `captureMessageContent` falls back to
   * `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`.
   */
  llm?: LlmOptions;

  /**
   * Flush on `beforeExit`, and on SIGTERM/SIGINT shut down (bounded) and then let the signal take
   * its course. Default on (`DRIFTWATCH_HANDLE_SIGNALS`).
   */
  handleSignals?: boolean;
  /** Bound on the flush/shutdown done at exit and on a signal (ms); default 5000 (`DRIFTWATCH_SHUTDOWN_TIMEOUT`). */
  shutdownTimeoutMillis?: number;
  /**
   * Level of the console diagnostic logger (`OTEL_LOG_LEVEL`). Unset: no diagnostic logger is
   * installed by `register()` (an existing one is kept).
   */
  logLevel?: LogLevelName | DiagLogLevel;

  /** Where environment variables are read from; `process.env` by default. */
  env?: Readonly<Record<string, string | undefined>>;
}

/** One OTLP exporter, fully resolved. */
export interface ResolvedOtlpExporterConfig {
  url: string;
  headers: Record<string, string>;
  protocol: OtlpProtocol;
  timeoutMillis: number;
  compression: OtlpCompression;
}

/** Batch settings, fully resolved. */
export interface ResolvedBatchConfig {
  scheduledDelayMillis: number;
  exportTimeoutMillis: number;
  maxQueueSize: number;
  maxExportBatchSize: number;
}

/** Every setting after options, environment and defaults are merged and validated. */
export interface ResolvedConfig {
  disabled: boolean;
  serviceName: string | undefined;
  resourceAttributes: Attributes;
  resourceDetectors: ResourceDetectorName[];
  traces: {
    exporters: TracesExporterName[];
    otlp: ResolvedOtlpExporterConfig;
    batch: ResolvedBatchConfig;
  };
  metrics: {
    exporters: MetricsExporterName[];
    otlp: ResolvedOtlpExporterConfig & { temporality: MetricsTemporality };
    exportIntervalMillis: number;
    exportTimeoutMillis: number;
    prometheus: { host: string | undefined; port: number; endpoint: string };
  };
  logs: {
    exporters: LogsExporterName[];
    otlp: ResolvedOtlpExporterConfig;
    batch: ResolvedBatchConfig;
  };
  sampler: { name: SamplerName; ratio: number } | { name: 'custom'; sampler: Sampler };
  captureMessageContent: boolean;
  /** Whether the Driftwatch processor is attached. */
  processor: boolean;
  hostMetrics: boolean;
  runtimeMetrics: boolean;
  handleSignals: boolean;
  shutdownTimeoutMillis: number;
  logLevel: DiagLogLevel | undefined;
}
