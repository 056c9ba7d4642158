import { ValueType, context } from '@opentelemetry/api';
import type { Attributes, Meter } from '@opentelemetry/api';
import { ExportResultCode, suppressTracing } from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { AggregationOption, AggregationTemporality, InstrumentType, PushMetricExporter, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import {
  ATTR_DRIFTWATCH_EXPORTER,
  ATTR_DRIFTWATCH_SIGNAL,
  DEF_DRIFTWATCH_EXPORT_FAILED_ITEMS,
  DEF_DRIFTWATCH_EXPORT_FAILURES,
  DRIFTWATCH_SIGNAL_VALUE_LOGS,
  DRIFTWATCH_SIGNAL_VALUE_METRICS,
  DRIFTWATCH_SIGNAL_VALUE_TRACES,
} from '@driftwatch/semconv';
import { logger } from './diag';

/** Which pipeline an export belongs to. */
export type SignalName = typeof DRIFTWATCH_SIGNAL_VALUE_TRACES | typeof DRIFTWATCH_SIGNAL_VALUE_METRICS | typeof DRIFTWATCH_SIGNAL_VALUE_LOGS;

/** Export counters of one signal (since `register()`). */
export interface SignalExportStats {
  /** Batches the exporters reported as exported. */
  exportedBatches: number;
  /** Spans / metric data points / log records in those batches. */
  exportedItems: number;
  /** Batches the exporters reported as failed (or that threw). */
  failedBatches: number;
  /** Items in the failed batches. */
  failedItems: number;
  /** Message of the most recent failure. */
  lastError: string | undefined;
}

/** What `handle.stats()` returns. */
export interface ExportStats {
  traces: SignalExportStats;
  metrics: SignalExportStats;
  logs: SignalExportStats;
}

type Key = `${SignalName}|${string}`;

/**
 * Keeps export outcomes per signal and exporter, from the exporters' own result codes.
 * The first failure of a signal is logged once as a warning; further ones at debug level every
 * 100 batches; the first success after failures is logged at info level.
 *
 * @internal
 */
export class ExportStatsRecorder {
  private readonly _stats: ExportStats = {
    traces: emptyStats(),
    metrics: emptyStats(),
    logs: emptyStats(),
  };
  /** Failed batches/items per (signal, exporter), for the self-metric. */
  private readonly _failures = new Map<Key, { batches: number; items: number; attrs: Attributes }>();
  private readonly _failingSince = new Map<SignalName, number>();

  record(signal: SignalName, exporter: string, items: number, result: ExportResult): void {
    const s = this._stats[signal];
    if (result.code === ExportResultCode.SUCCESS) {
      s.exportedBatches++;
      s.exportedItems += items;
      const failing = this._failingSince.get(signal);
      if (failing !== undefined) {
        this._failingSince.delete(signal);
        logger.info(`${signal} export recovered after ${s.failedBatches - failing} failed batch(es)`);
      }
      return;
    }
    s.failedBatches++;
    s.failedItems += items;
    const message = result.error?.message ?? 'export failed';
    s.lastError = message;
    const key: Key = `${signal}|${exporter}`;
    let f = this._failures.get(key);
    if (!f) {
      f = { batches: 0, items: 0, attrs: { [ATTR_DRIFTWATCH_SIGNAL]: signal, [ATTR_DRIFTWATCH_EXPORTER]: exporter } };
      this._failures.set(key, f);
    }
    f.batches++;
    f.items += items;
    if (s.failedBatches === 1) {
      logger.warn(
        `${signal} export failed (${items} item(s) lost): ${message}. Telemetry keeps being recorded; ` +
          'further failures are counted in driftwatch.export.failures and handle.stats()',
      );
    } else if (s.failedBatches % 100 === 0) {
      logger.debug(`${signal} export failures: ${s.failedBatches} batch(es), ${s.failedItems} item(s)`);
    }
    if (!this._failingSince.has(signal)) this._failingSince.set(signal, s.failedBatches - 1);
  }

  /** A copy of the counters. */
  snapshot(): ExportStats {
    return { traces: { ...this._stats.traces }, metrics: { ...this._stats.metrics }, logs: { ...this._stats.logs } };
  }

  /** Reports the counters as observable counters on `meter`. */
  observe(meter: Meter): void {
    const failures = meter.createObservableCounter(DEF_DRIFTWATCH_EXPORT_FAILURES.name, {
      unit: DEF_DRIFTWATCH_EXPORT_FAILURES.unit,
      description: DEF_DRIFTWATCH_EXPORT_FAILURES.description,
      valueType: ValueType.INT,
    });
    const failedItems = meter.createObservableCounter(DEF_DRIFTWATCH_EXPORT_FAILED_ITEMS.name, {
      unit: DEF_DRIFTWATCH_EXPORT_FAILED_ITEMS.unit,
      description: DEF_DRIFTWATCH_EXPORT_FAILED_ITEMS.description,
      valueType: ValueType.INT,
    });
    meter.addBatchObservableCallback(
      (result) => {
        for (const f of this._failures.values()) {
          result.observe(failures, f.batches, f.attrs);
          result.observe(failedItems, f.items, f.attrs);
        }
      },
      [failures, failedItems],
    );
  }
}

function emptyStats(): SignalExportStats {
  return { exportedBatches: 0, exportedItems: 0, failedBatches: 0, failedItems: 0, lastError: undefined };
}

/** The part of the SDK's span, metric and log-record exporter interfaces the wrapper relies on. */
interface Exporter<T> {
  export(items: T, resultCallback: (result: ExportResult) => void): void;
  shutdown(): Promise<void>;
  forceFlush?(): Promise<void>;
}

/**
 * An exporter wrapper that runs each export under suppressed tracing (so the exporter's own HTTP
 * request never makes a span, whichever processor calls it), counts its outcome, and turns a
 * throwing exporter into a FAILED result instead of an exception in the SDK's timer.
 */
abstract class CountingExporter<T, E extends Exporter<T>> {
  protected abstract readonly _signal: SignalName;

  constructor(
    readonly inner: E,
    private readonly _recorder: ExportStatsRecorder,
    private readonly _name: string,
  ) {}

  /** How many items (spans, data points, log records) one export carries. */
  protected abstract _count(items: T): number;

  export(items: T, resultCallback: (result: ExportResult) => void): void {
    const count = this._count(items);
    let settled = false;
    const done = (result: ExportResult): void => {
      if (settled) return;
      settled = true;
      try {
        this._recorder.record(this._signal, this._name, count, result);
      } catch {
        // counting must never stand between the exporter and the SDK
      }
      resultCallback(result);
    };
    context.with(suppressTracing(context.active()), () => {
      try {
        this.inner.export(items, done);
      } catch (err) {
        done({ code: ExportResultCode.FAILED, error: err instanceof Error ? err : new Error(String(err)) });
      }
    });
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush ? this.inner.forceFlush() : Promise.resolve();
  }
}

/** @internal A span exporter that counts its outcomes. */
export class CountingSpanExporter extends CountingExporter<ReadableSpan[], SpanExporter> implements SpanExporter {
  protected readonly _signal = DRIFTWATCH_SIGNAL_VALUE_TRACES;
  protected _count(spans: ReadableSpan[]): number {
    return spans.length;
  }
}

/** @internal A push metric exporter that counts its outcomes (data points are the items). */
export class CountingMetricExporter extends CountingExporter<ResourceMetrics, PushMetricExporter> implements PushMetricExporter {
  protected readonly _signal = DRIFTWATCH_SIGNAL_VALUE_METRICS;
  selectAggregationTemporality?: (instrumentType: InstrumentType) => AggregationTemporality;
  selectAggregation?: (instrumentType: InstrumentType) => AggregationOption;

  constructor(inner: PushMetricExporter, recorder: ExportStatsRecorder, name: string) {
    super(inner, recorder, name);
    if (inner.selectAggregationTemporality) {
      this.selectAggregationTemporality = (t: InstrumentType): AggregationTemporality => inner.selectAggregationTemporality!(t);
    }
    if (inner.selectAggregation) {
      this.selectAggregation = (t: InstrumentType): AggregationOption => inner.selectAggregation!(t);
    }
  }

  protected _count(metrics: ResourceMetrics): number {
    let n = 0;
    for (const scope of metrics.scopeMetrics) for (const m of scope.metrics) n += m.dataPoints.length;
    return n;
  }
}

/** @internal A log-record exporter that counts its outcomes. */
export class CountingLogRecordExporter extends CountingExporter<ReadableLogRecord[], LogRecordExporter> implements LogRecordExporter {
  protected readonly _signal = DRIFTWATCH_SIGNAL_VALUE_LOGS;
  protected _count(logs: ReadableLogRecord[]): number {
    return logs.length;
  }
}
