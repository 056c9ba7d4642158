import type { MetricDefinition } from './catalog';

/**
 * Self-observability of the telemetry pipeline that `@driftwatch/node` builds: how many export
 * batches failed and how many items (spans, metric data points, log records) they carried.
 */

/** Which signal an export belonged to: `traces`, `metrics` or `logs`. */
export const ATTR_DRIFTWATCH_SIGNAL = 'driftwatch.signal' as const;
/** Which exporter failed: `otlp` or `console`. */
export const ATTR_DRIFTWATCH_EXPORTER = 'driftwatch.exporter' as const;

export const DRIFTWATCH_SIGNAL_VALUE_TRACES = 'traces' as const;
export const DRIFTWATCH_SIGNAL_VALUE_METRICS = 'metrics' as const;
export const DRIFTWATCH_SIGNAL_VALUE_LOGS = 'logs' as const;

export const METRIC_DRIFTWATCH_EXPORT_FAILURES = 'driftwatch.export.failures' as const;
export const METRIC_DRIFTWATCH_EXPORT_FAILED_ITEMS = 'driftwatch.export.failed_items' as const;

export const UNIT_BATCHES = '{batch}' as const;
export const UNIT_ITEMS = '{item}' as const;

export const DEF_DRIFTWATCH_EXPORT_FAILURES: MetricDefinition = {
  name: METRIC_DRIFTWATCH_EXPORT_FAILURES,
  instrument: 'counter',
  unit: UNIT_BATCHES,
  description: 'Export batches that an exporter reported as failed (collector down, timeout, rejected).',
  integer: true,
};
export const DEF_DRIFTWATCH_EXPORT_FAILED_ITEMS: MetricDefinition = {
  name: METRIC_DRIFTWATCH_EXPORT_FAILED_ITEMS,
  instrument: 'counter',
  unit: UNIT_ITEMS,
  description: 'Spans, metric data points or log records carried by failed export batches.',
  integer: true,
};
