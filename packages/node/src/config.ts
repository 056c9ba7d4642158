import type { Attributes } from '@opentelemetry/api';
import { isAttributeValue } from '@opentelemetry/core';
import { DriftwatchConfigError } from './errors';
import { ENV, readEnv } from './env';
import type { EnvSettings } from './env';
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

  const sharedOtlp = otlpOptions('options.otlp', o.otlp);
  const otlp = (signal: Signal, path: string): ResolvedOtlpExporterConfig =>
    resolveOtlp(path, otlpOptions(`options.otlp.${signal}`, o.otlp?.[signal]), sharedOtlp, env.otlp[signal], env.otlp);

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
        ? ENV.METRIC_EXPORT_TIMEOUT
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
    processor:
      o.processor === undefined
        ? (env.processor ?? true)
        : typeof o.processor === 'boolean'
          ? o.processor
          : o.processor !== null && typeof o.processor === 'object'
            ? true
            : (() => {
                throw new DriftwatchConfigError('options.processor', o.processor, 'expected a boolean or processor options');
              })(),
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
 * Validates one `otlp` options object, the shared one or a signal's, into the shape `readEnv()`
 * gives for the OTLP variables. Unset fields stay undefined.
 */
function otlpOptions(setting: string, o: OtlpExporterOptions | undefined): OtlpExporterOptions {
  if (o === undefined) return {};
  if (o === null || typeof o !== 'object') throw new DriftwatchConfigError(setting, o, 'expected an object');
  const opt = <T>(key: keyof OtlpExporterOptions, parse: (setting: string, v: unknown) => T): T | undefined =>
    o[key] === undefined ? undefined : parse(`${setting}.${key}`, o[key]);
  return {
    endpoint: opt('endpoint', url),
    headers: opt('headers', headerRecord),
    protocol: opt('protocol', protocol),
    timeoutMillis: opt('timeoutMillis', (s, v) => integer(s, v, 1)),
    compression: opt('compression', compression),
  };
}

/**
 * One signal's OTLP exporter: specific option > shared option > specific env > shared env > default,
 * each layer already validated. A shared endpoint is a base URL (the signal path is appended); a
 * per-signal one is used as is. Headers are merged by name in the reverse order.
 */
function resolveOtlp(
  path: string,
  specific: OtlpExporterOptions,
  shared: OtlpExporterOptions,
  envSpecific: OtlpExporterOptions,
  envShared: OtlpExporterOptions,
): ResolvedOtlpExporterConfig {
  return {
    url:
      specific.endpoint ??
      (shared.endpoint !== undefined ? appendSignalPath(shared.endpoint, path) : undefined) ??
      envSpecific.endpoint ??
      appendSignalPath(envShared.endpoint ?? DEFAULTS.otlpEndpoint, path),
    headers: { ...envShared.headers, ...envSpecific.headers, ...shared.headers, ...specific.headers },
    protocol: specific.protocol ?? shared.protocol ?? envSpecific.protocol ?? envShared.protocol ?? 'http/protobuf',
    timeoutMillis: specific.timeoutMillis ?? shared.timeoutMillis ?? envSpecific.timeoutMillis ?? envShared.timeoutMillis ?? DEFAULTS.otlpTimeoutMillis,
    compression: specific.compression ?? shared.compression ?? envSpecific.compression ?? envShared.compression ?? 'none',
  };
}

function resolveBatch(
  name: 'spanBatch' | 'logBatch',
  opts: BatchOptions | undefined,
  env: BatchOptions,
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
