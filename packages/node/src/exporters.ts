import { OTLPLogExporter as OTLPJsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as OTLPProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { AggregationTemporalityPreference, OTLPMetricExporter as OTLPJsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as OTLPProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter as OTLPJsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import type { OTLPExporterNodeConfigBase } from '@opentelemetry/otlp-exporter-base';
import type { LogRecordExporter } from '@opentelemetry/sdk-logs';
import type { PushMetricExporter } from '@opentelemetry/sdk-metrics';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { MetricsTemporality, ResolvedOtlpExporterConfig } from './types';

/**
 * OTLP/HTTP exporters: the stock `@opentelemetry/exporter-*-otlp-http` classes for `http/json` and
 * `@opentelemetry/exporter-*-otlp-proto` for `http/protobuf` (the specification's default). Every
 * setting is passed explicitly; TLS certificate variables (`OTEL_EXPORTER_OTLP_*CERTIFICATE`,
 * `*_CLIENT_KEY`) are still read by the transport itself.
 */

function nodeConfig(c: ResolvedOtlpExporterConfig): OTLPExporterNodeConfigBase {
  return {
    url: c.url,
    headers: { ...c.headers },
    timeoutMillis: c.timeoutMillis,
    compression: c.compression === 'gzip' ? CompressionAlgorithm.GZIP : CompressionAlgorithm.NONE,
  };
}

const TEMPORALITY: Record<MetricsTemporality, AggregationTemporalityPreference> = {
  cumulative: AggregationTemporalityPreference.CUMULATIVE,
  delta: AggregationTemporalityPreference.DELTA,
  lowmemory: AggregationTemporalityPreference.LOWMEMORY,
};

/** @internal */
export function createOtlpSpanExporter(c: ResolvedOtlpExporterConfig): SpanExporter {
  return c.protocol === 'http/json' ? new OTLPJsonTraceExporter(nodeConfig(c)) : new OTLPProtoTraceExporter(nodeConfig(c));
}

/** @internal */
export function createOtlpMetricExporter(c: ResolvedOtlpExporterConfig & { temporality: MetricsTemporality }): PushMetricExporter {
  const config = { ...nodeConfig(c), temporalityPreference: TEMPORALITY[c.temporality] };
  return c.protocol === 'http/json' ? new OTLPJsonMetricExporter(config) : new OTLPProtoMetricExporter(config);
}

/** @internal */
export function createOtlpLogExporter(c: ResolvedOtlpExporterConfig): LogRecordExporter {
  return c.protocol === 'http/json' ? new OTLPJsonLogExporter(nodeConfig(c)) : new OTLPProtoLogExporter(nodeConfig(c));
}
