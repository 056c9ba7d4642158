/**
 * The processor's own metric reader: registered on the MeterProvider like any reader, it asks for
 * delta temporality and, every interval (and before each derived collection), turns the SDK's
 * counters into window observations. Metrics-only signals — in-memory cache hits and misses, which
 * are too frequent for spans — become series this way.
 */
import type { AttributeMap } from './extract';
import { AGGREGATION_DEFAULT, TEMPORALITY_DELTA } from './otel-types';
import type { AggregationOption, AggregationTemporality, CollectionResult, CollectionResultLike, MetricProducer, ResourceLike } from './otel-types';
import { logger } from './diag';

/** Receives every delta data point of every collection. */
export type MetricSink = (name: string, attributes: AttributeMap, value: number, resource: ResourceLike) => void;

export class ProcessorMetricReader {
  private _producer: MetricProducer | undefined;
  private _timer: ReturnType<typeof setInterval> | undefined;
  private _shutdown = false;
  private _pulling: Promise<void> | undefined;
  private readonly _sink: MetricSink;
  private readonly _onError: (e: unknown) => void;
  /** The resource of the last collection. */
  resource: CollectionResult['resourceMetrics']['resource'] | undefined;

  constructor(sink: MetricSink, intervalMs: number, onError: (e: unknown) => void) {
    this._sink = sink;
    this._onError = onError;
    if (intervalMs > 0) {
      this._timer = setInterval(() => {
        void this.pull();
      }, intervalMs);
      this._timer.unref?.();
    }
  }

  /** Whether a MeterProvider has bound this reader. */
  get bound(): boolean {
    return this._producer !== undefined;
  }

  setMetricProducer(producer: MetricProducer): void {
    if (this._producer !== undefined) throw new Error('the Driftwatch processor metric reader is already registered with a MeterProvider');
    this._producer = producer;
  }
  selectAggregation(): AggregationOption {
    return { type: AGGREGATION_DEFAULT } as AggregationOption;
  }
  selectAggregationTemporality(): AggregationTemporality {
    return TEMPORALITY_DELTA as AggregationTemporality;
  }
  selectCardinalityLimit(): number {
    return 2000;
  }

  /** Collects from the SDK (the `IMetricReader` contract); the result is also fed to the windows. */
  async collect(options?: { timeoutMillis?: number }): Promise<CollectionResult> {
    if (this._producer === undefined) throw new Error('the Driftwatch processor metric reader is not registered with a MeterProvider');
    if (this._shutdown) throw new Error('the Driftwatch processor metric reader is shut down');
    const result = await this._producer.collect(options);
    this._feed(result as unknown as CollectionResultLike);
    return result;
  }

  /** Pulls the SDK's metrics into the windows now (no-op when unbound or shut down; never throws). Concurrent calls share one pull. */
  pull(): Promise<void> {
    if (this._producer === undefined || this._shutdown) return Promise.resolve();
    if (this._pulling !== undefined) return this._pulling;
    this._pulling = this.collect()
      .then(
        () => undefined,
        (e: unknown) => this._onError(e),
      )
      .finally(() => {
        this._pulling = undefined;
      });
    return this._pulling;
  }

  private _feed(result: CollectionResultLike): void {
    const resource: ResourceLike = result.resourceMetrics.resource;
    this.resource = resource as CollectionResult['resourceMetrics']['resource'];
    for (const sm of result.resourceMetrics.scopeMetrics) {
      for (const m of sm.metrics) {
        for (const p of m.dataPoints) {
          if (typeof p.value !== 'number') continue;
          try {
            this._sink(m.descriptor.name, p.attributes, p.value, resource);
          } catch (e) {
            this._onError(e);
          }
        }
      }
    }
  }

  async forceFlush(): Promise<void> {
    await this.pull();
  }

  async shutdown(): Promise<void> {
    if (this._shutdown) return;
    if (this._timer !== undefined) clearInterval(this._timer);
    this._timer = undefined;
    await this.pull().catch((e: unknown) => logger.debug('final metric pull failed', String(e)));
    this._shutdown = true;
  }
}
