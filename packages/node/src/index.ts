/**
 * @driftwatch/node: one call that wires the OpenTelemetry SDK 2.x for a Node service — traces,
 * metrics and logs over OTLP/HTTP, a Prometheus scrape endpoint, host and runtime metrics, the
 * `@driftwatch/llm` instrumentations — configured by options and the standard `OTEL_*` variables.
 * This file is the package's only public door; everything not exported here is internal.
 */
export { register, getActiveHandle } from './sdk';
export type { DriftwatchHandle } from './sdk';
export { resolveConfig } from './config';
export { readEnv } from './env';
export type { EnvSettings, EnvSource } from './env';
export { DriftwatchConfigError } from './errors';
export { defaultInstrumentations } from './instrumentations';
export type { DefaultInstrumentationsConfig } from './instrumentations';
export type { PrometheusAddress, PrometheusEndpoint } from './prometheus';
export type { ExportStats, SignalExportStats } from './stats';
export type {
  BatchOptions,
  LlmOptions,
  LogLevelName,
  LogsExporterName,
  MetricsExporterName,
  MetricsTemporality,
  OtlpCompression,
  OtlpExporterOptions,
  OtlpOptions,
  OtlpProtocol,
  PrometheusOptions,
  RegisterOptions,
  ResolvedBatchConfig,
  ResolvedConfig,
  ResolvedOtlpExporterConfig,
  ResourceDetectorName,
  SamplerName,
  TracesExporterName,
} from './types';
export { PACKAGE_NAME, PACKAGE_VERSION } from './version';
