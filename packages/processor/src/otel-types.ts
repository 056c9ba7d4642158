/**
 * The SDK metric shapes the processor reads and produces, written structurally so that one build
 * works with `@opentelemetry/sdk-metrics` 2.x and 3.x (the enum values are the same in both).
 */
import type { HrTime } from '@opentelemetry/api';

/** `DataPointType` */
export const DATA_POINT_GAUGE = 2;
export const DATA_POINT_SUM = 3;
/** `AggregationTemporality` */
export const TEMPORALITY_DELTA = 0;
export const TEMPORALITY_CUMULATIVE = 1;
/** `AggregationType.DEFAULT` */
export const AGGREGATION_DEFAULT = 0;
/** `ValueType` (from the API) */
export const VALUE_TYPE_INT = 0;
export const VALUE_TYPE_DOUBLE = 1;

export interface PointLike<T = unknown> {
  readonly startTime: HrTime;
  readonly endTime: HrTime;
  readonly attributes: { readonly [key: string]: unknown };
  readonly value: T;
}

export interface MetricDataLike {
  readonly descriptor: { readonly name: string; readonly description: string; readonly unit: string; readonly valueType: number };
  readonly aggregationTemporality: number;
  readonly dataPointType: number;
  readonly dataPoints: readonly PointLike[];
  readonly isMonotonic?: boolean;
}

export interface ScopeMetricsLike {
  readonly scope: { readonly name: string; readonly version?: string; readonly schemaUrl?: string };
  readonly metrics: readonly MetricDataLike[];
}

export interface ResourceLike {
  readonly attributes: { readonly [key: string]: unknown };
}

export interface CollectionResultLike {
  readonly resourceMetrics: { readonly resource: ResourceLike; readonly scopeMetrics: readonly ScopeMetricsLike[] };
  readonly errors: unknown[];
}


/** The SDK's own types, for the public signatures (type-only: nothing is loaded at run time). */
export type { CollectionResult, MetricProducer, AggregationOption, AggregationTemporality } from '@opentelemetry/sdk-metrics';

export function msToHrTime(ms: number): HrTime {
  const s = Math.floor(ms / 1000);
  const ns = Math.round((ms - s * 1000) * 1e6);
  return ns >= 1e9 ? [s + 1, ns - 1e9] : [s, ns];
}
