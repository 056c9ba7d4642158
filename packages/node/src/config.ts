import type { Attributes } from '@opentelemetry/api';
import { isAttributeValue } from '@opentelemetry/core';
import { DriftwatchConfigError } from './errors';
import { readEnv } from './env';
import type { EnvBatchSettings, EnvOtlpSettings, EnvSettings } from './env';
import type {
  BatchOptions,
  OtlpExporterOptions,
  RegisterOptions,
  ResolvedBatchConfig,
  ResolvedConfig,
  ResolvedOtlpExporterConfig,
} from './types';
import {
  LOGS_EXPORTERS,
  METRICS_EXPORTERS,
  TRACES_EXPORTERS,
  appendSignalPath,
  bool,
  compression,
  detectorList,
  exporterList,
  headerRecord,
  integer,
  logLevel,
  nonEmptyString,
  port,
  protocol,
  ratio,
  samplerName,
  temporality,
  url,
} from './validate';

/** Defaults of the OpenTelemetry specification unless noted. */
export const DEFAULTS = {
  otlpEndpoint: 'http://localhost:4318/',
  otlpTimeoutMillis: 10_000,
  metricExportIntervalMillis: 60_000,
  metricExportTimeoutMillis: 30_000,
  prometheusPort: 9464,
  prometheusEndpoint: '/metrics',
  spanBatch: { scheduledDelayMillis: 5000, exportTimeoutMillis: 30_000, maxQueueSize: 2048, maxExportBatchSize: 512 },
  logBatch: { scheduledDelayMillis: 1000, exportTimeoutMillis: 30_000, maxQueueSize: 2048, maxExportBatchSize: 512 },
  /** Driftwatch's own: bound on the flush/shutdown done at exit and on a signal. */
  shutdownTimeoutMillis: 5000,
} as const;

type Signal = 'traces' | 'metrics' | 'logs';

/**
 * Merges explicit options over the environment over the defaults, validating every value.
 * Throws a `DriftwatchConfigError` naming the option (`options.prometheus.port`) or variable
 * (`OTEL_EXPORTER_PROMETHEUS_PORT`) that is wrong.
 */
export function resolveConfig(options: RegisterOptions = {}, envSource?: RegisterOptions['env']): ResolvedConfig {
  if (options === null || typeof options !== 'object') {
    throw new DriftwatchConfigError('options', options, 'expected an object');
  }
  const env: EnvSettings = readEnv(envSource ?? options.env ?? process.env);
  const o = options;

  const disabled = o.disabled !== undefined ? bool('options.disabled', o.disabled) : (env.disabled ?? false);

  const resourceDetectors =
    o.resourceDetectors !== undefined
      ? detectorList('options.resourceDetectors', o.resourceDetectors)
      : (env.resourceDetectors ?? ['env', 'host', 'os', 'process']);
  const serviceName = o.serviceName !== undefined ? nonEmptyString('options.serviceName', o.serviceName) : env.serviceName;
  // OTEL_RESOURCE_ATTRIBUTES is what the `env` detector reads; OTEL_SERVICE_NAME always applies.
  const resourceAttributes: Attributes = resourceDetectors.includes('env') ? { ...env.resourceAttributes } : {};
  if (o.resourceAttributes !== undefined) {
    if (o.resourceAttributes === null || typeof o.resourceAttributes !== 'object') {
      throw new DriftwatchConfigError('options.resourceAttributes', o.resourceAttributes, 'expected an object of attributes');
    }
    for (const [k, v] of Object.entries(o.resourceAttributes)) {
      if (!isAttributeValue(v)) {
        throw new DriftwatchConfigError(`options.resourceAttributes[${JSON.stringify(k)}]`, v, 'not a valid attribute value');
      }
      resourceAttributes[k] = v;
    }
  }

  const list = <T extends string>(name: string, value: unknown, allowed: readonly T[], fromEnv: T[] | undefined): T[] =>
    value !== undefined ? exporterList(`options.${name}`, Array.isArray(value) ? value : [value], allowed) : (fromEnv ?? (['otlp'] as T[]));

  const tracesExporters = list('tracesExporter', o.tracesExporter, TRACES_EXPORTERS, env.tracesExporter);
  const metricsExporters = list('metricsExporter', o.metricsExporter, METRICS_EXPORTERS, env.metricsExporter);
  const logsExporters = list('logsExporter', o.logsExporter, LOGS_EXPORTERS, env.logsExporter);

  if (o.otlp !== undefined && (o.otlp === null || typeof o.otlp !== 'object')) {
    throw new DriftwatchConfigError('options.otlp', o.otlp, 'expected an object');
  }
  const otlp = (signal: Signal, path: string): ResolvedOtlpExporterConfig =>
    resolveOtlp(signal, path, o.otlp, o.otlp?.[signal], env.otlp, env.otlp[signal]);

  const metricsOtlp = {
    ...otlp('metrics', 'v1/metrics'),
    temporality:
      o.otlp?.metrics?.temporality !== undefined
        ? temporality('options.otlp.metrics.temporality', o.otlp.metrics.temporality)
        : (env.otlp.metrics.temporality ?? 'cumulative'),
  };

  // Sampler
  let sampler: ResolvedConfig['sampler'];
  const ratioFromOption = o.samplerRatio !== undefined ? ratio('options.samplerRatio', o.samplerRatio) : undefined;
  if (o.sampler !== undefined && typeof o.sampler === 'object' && o.sampler !== null) {
    if (typeof (o.sampler as { shouldSample?: unknown }).shouldSample !== 'function') {
      throw new DriftwatchConfigError('options.sampler', String(o.sampler), 'expected a sampler name or an object with shouldSample()');
    }
    sampler = { name: 'custom', sampler: o.sampler };
  } else {
    const name = o.sampler !== undefined ? samplerName('options.sampler', o.sampler) : (env.sampler ?? 'parentbased_always_on');
    sampler = { name, ratio: ratioFromOption ?? env.samplerRatio ?? 1 };
  }

  // Metric export cadence
  const intervalSet = o.metricExportIntervalMillis !== undefined || env.metricExportIntervalMillis !== undefined;
  const exportIntervalMillis =
    o.metricExportIntervalMillis !== undefined
      ? integer('options.metricExportIntervalMillis', o.metricExportIntervalMillis, 1)
      : (env.metricExportIntervalMillis ?? DEFAULTS.metricExportIntervalMillis);
  const timeoutSetting =
    o.metricExportTimeoutMillis !== undefined
      ? 'options.metricExportTimeoutMillis'
      : env.metricExportTimeoutMillis !== undefined
        ? 'OTEL_METRIC_EXPORT_TIMEOUT'
        : undefined;
  let exportTimeoutMillis =
    o.metricExportTimeoutMillis !== undefined
      ? integer('options.metricExportTimeoutMillis', o.metricExportTimeoutMillis, 1)
      : (env.metricExportTimeoutMillis ?? DEFAULTS.metricExportTimeoutMillis);
  if (exportTimeoutMillis > exportIntervalMillis) {
    if (timeoutSetting !== undefined && intervalSet) {
      throw new DriftwatchConfigError(
        timeoutSetting,
        exportTimeoutMillis,
        `the metric export timeout must not exceed the export interval (${exportIntervalMillis} ms)`,
      );
    }
    exportTimeoutMillis = exportIntervalMillis;
  }

  // Prometheus
  const p = o.prometheus;
  if (p !== undefined && (p === null || typeof p !== 'object')) {
    throw new DriftwatchConfigError('options.prometheus', p, 'expected an object');
  }
  let endpoint: string = DEFAULTS.prometheusEndpoint;
  if (p?.endpoint !== undefined) {
    endpoint = nonEmptyString('options.prometheus.endpoint', p.endpoint);
    if (!endpoint.startsWith('/')) endpoint = `/${endpoint}`;
  }
  const prometheus = {
    host: p?.host !== undefined ? nonEmptyString('options.prometheus.host', p.host) : env.prometheus.host,
    port: p?.port !== undefined ? port('options.prometheus.port', p.port) : (env.prometheus.port ?? DEFAULTS.prometheusPort),
    endpoint,
  };

  const flag = (name: keyof RegisterOptions, fromEnv: boolean | undefined, def: boolean): boolean =>
    o[name] !== undefined ? bool(`options.${name}`, o[name]) : (fromEnv ?? def);

  const llm = o.llm;
  if (llm !== undefined && (llm === null || typeof llm !== 'object')) {
    throw new DriftwatchConfigError('options.llm', llm, 'expected an object');
  }
  const captureMessageContent =
    llm?.captureMessageContent !== undefined
      ? bool('options.llm.captureMessageContent', llm.captureMessageContent)
      : (env.captureMessageContent ?? false);

  if (o.instrumentations !== undefined && !Array.isArray(o.instrumentations) && typeof o.instrumentations !== 'function') {
    throw new DriftwatchConfigError('options.instrumentations', String(o.instrumentations), 'expected an array of instrumentations or a function');
  }
  for (const key of ['spanProcessors', 'metricReaders', 'logRecordProcessors', 'views'] as const) {
    if (o[key] !== undefined && !Array.isArray(o[key])) {
      throw new DriftwatchConfigError(`options.${key}`, String(o[key]), 'expected an array');
    }
  }

  return {
    disabled,
    serviceName,
    resourceAttributes,
    resourceDetectors,
    traces: {
      exporters: tracesExporters,
      otlp: otlp('traces', 'v1/traces'),
      batch: resolveBatch('spanBatch', o.spanBatch, env.spanBatch, DEFAULTS.spanBatch, 'OTEL_BSP_'),
    },
    metrics: {
      exporters: metricsExporters,
      otlp: metricsOtlp,
      exportIntervalMillis,
      exportTimeoutMillis,
      prometheus,
    },
    logs: {
      exporters: logsExporters,
      otlp: otlp('logs', 'v1/logs'),
      batch: resolveBatch('logBatch', o.logBatch, env.logBatch, DEFAULTS.logBatch, 'OTEL_BLRP_'),
    },
    sampler,
    captureMessageContent,
    hostMetrics: flag('hostMetrics', env.hostMetrics, true),
    runtimeMetrics: flag('runtimeMetrics', env.runtimeMetrics, true),
    handleSignals: flag('handleSignals', env.handleSignals, true),
    shutdownTimeoutMillis:
      o.shutdownTimeoutMillis !== undefined
        ? integer('options.shutdownTimeoutMillis', o.shutdownTimeoutMillis, 1)
        : (env.shutdownTimeoutMillis ?? DEFAULTS.shutdownTimeoutMillis),
    logLevel: o.logLevel !== undefined ? logLevel('options.logLevel', o.logLevel) : env.logLevel,
  };
}

/**
 * One signal's OTLP exporter: specific option > shared option > specific env > shared env > default.
 * A shared endpoint is a base URL (the signal path is appended); a per-signal one is used as is.
 */
function resolveOtlp(
  signal: Signal,
  path: string,
  shared: OtlpExporterOptions | undefined,
  specific: OtlpExporterOptions | undefined,
  envShared: EnvOtlpSettings,
  envSpecific: EnvOtlpSettings,
): ResolvedOtlpExporterConfig {
  const sp = `options.otlp.${signal}`;
  if (specific !== undefined && (specific === null || typeof specific !== 'object')) {
    throw new DriftwatchConfigError(sp, specific, 'expected an object');
  }
  let endpoint: string;
  if (specific?.endpoint !== undefined) endpoint = url(`${sp}.endpoint`, specific.endpoint);
  else if (shared?.endpoint !== undefined) endpoint = appendSignalPath(url('options.otlp.endpoint', shared.endpoint), path);
  else if (envSpecific.endpoint !== undefined) endpoint = envSpecific.endpoint;
  else if (envShared.endpoint !== undefined) endpoint = appendSignalPath(envShared.endpoint, path);
  else endpoint = appendSignalPath(DEFAULTS.otlpEndpoint, path);

  const headers: Record<string, string> = {
    ...envShared.headers,
    ...envSpecific.headers,
    ...(shared?.headers !== undefined ? headerRecord('options.otlp.headers', shared.headers) : undefined),
    ...(specific?.headers !== undefined ? headerRecord(`${sp}.headers`, specific.headers) : undefined),
  };

  const pick = <T>(key: keyof OtlpExporterOptions, parse: (setting: string, v: unknown) => T, def: T): T => {
    if (specific?.[key] !== undefined) return parse(`${sp}.${key}`, specific[key]);
    if (shared?.[key] !== undefined) return parse(`options.otlp.${key}`, shared[key]);
    return (envSpecific[key] as T | undefined) ?? (envShared[key] as T | undefined) ?? def;
  };

  return {
    url: endpoint,
    headers,
    protocol: pick('protocol', protocol, 'http/protobuf'),
    timeoutMillis: pick('timeoutMillis', (s, v) => integer(s, v, 1), DEFAULTS.otlpTimeoutMillis),
    compression: pick('compression', compression, 'none'),
  };
}

function resolveBatch(
  name: 'spanBatch' | 'logBatch',
  opts: BatchOptions | undefined,
  env: EnvBatchSettings,
  defaults: ResolvedBatchConfig,
  envPrefix: string,
): ResolvedBatchConfig {
  if (opts !== undefined && (opts === null || typeof opts !== 'object')) {
    throw new DriftwatchConfigError(`options.${name}`, opts, 'expected an object');
  }
  const pick = (key: keyof BatchOptions, min: number): number =>
    opts?.[key] !== undefined ? integer(`options.${name}.${key}`, opts[key], min) : (env[key] ?? defaults[key]);
  const out: ResolvedBatchConfig = {
    scheduledDelayMillis: pick('scheduledDelayMillis', 0),
    exportTimeoutMillis: pick('exportTimeoutMillis', 1),
    maxQueueSize: pick('maxQueueSize', 1),
    maxExportBatchSize: pick('maxExportBatchSize', 1),
  };
  if (out.maxExportBatchSize > out.maxQueueSize) {
    const setting =
      opts?.maxExportBatchSize !== undefined ? `options.${name}.maxExportBatchSize` : `${envPrefix}MAX_EXPORT_BATCH_SIZE`;
    if (opts?.maxExportBatchSize !== undefined || env.maxExportBatchSize !== undefined) {
      throw new DriftwatchConfigError(setting, out.maxExportBatchSize, `must not exceed the queue size (${out.maxQueueSize})`);
    }
    out.maxExportBatchSize = out.maxQueueSize;
  }
  return out;
}
