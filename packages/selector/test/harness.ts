// Test harness for the selector package: a tracer provider with an in-memory exporter, a meter
// provider with a pull reader, the async-hooks context manager, scripted strategies, and helpers
// that read spans and metric points back. `useHarness()` registers the per-file and per-test hooks.
import type { Attributes } from '@opentelemetry/api';
import type { DataPoint, Histogram, MeterProvider, MetricData } from '@opentelemetry/sdk-metrics';
import type { BasicTracerProvider, InMemorySpanExporter, ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { createSelectorTelemetry } from '@driftwatch/selector';
import type { ElementDescriptor, SelectorTelemetry, SelectorTelemetryOptions, Strategy, StrategyMatch } from '@driftwatch/selector';
import { createOtelHarness, useCurrentHarness } from '../../../test/support/otel-harness.ts';
import { getDropCounts, resetDropCounts } from '../src/diag';

export interface HistogramPoint {
  attributes: Attributes;
  count: number;
  sum: number;
}

export interface Harness {
  exporter: InMemorySpanExporter;
  tracerProvider: BasicTracerProvider;
  meterProvider: MeterProvider;
  /** A telemetry on this harness's providers. */
  telemetry(options?: Omit<SelectorTelemetryOptions, 'tracerProvider' | 'meterProvider'>): SelectorTelemetry;
  spans(): ReadableSpan[];
  /** The one finished span with this name (throws when there are none or several). */
  span(name: string): ReadableSpan;
  /** The children of `parent`, in start order. */
  children(parent: ReadableSpan): ReadableSpan[];
  metric(name: string): Promise<MetricData | undefined>;
  /** Counter points: attributes and value. */
  points(name: string): Promise<Array<{ attributes: Attributes; value: number }>>;
  /** Histogram points: attributes, count and sum. */
  histogram(name: string): Promise<HistogramPoint[]>;
}

export function createHarness(): Harness {
  const { exporter, tracerProvider, meterProvider, metric, span, spans } = createOtelHarness();
  return {
    exporter,
    tracerProvider,
    meterProvider,
    telemetry: (options = {}) => createSelectorTelemetry({ ...options, tracerProvider, meterProvider }),
    spans,
    span,
    children: (parent) =>
      spans()
        .filter((s) => s.parentSpanContext?.spanId === parent.spanContext().spanId)
        .sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1]),
    metric,
    points: async (name) => {
      const m = await metric(name);
      return (m?.dataPoints ?? []).map((p: DataPoint<unknown>) => ({ attributes: p.attributes, value: p.value as number }));
    },
    histogram: async (name) => {
      const m = await metric(name);
      return (m?.dataPoints ?? []).map((p: DataPoint<unknown>) => {
        const h = p.value as Histogram;
        return { attributes: p.attributes, count: h.count, sum: h.sum ?? 0 };
      });
    },
  };
}

/**
 * Registers the hooks a test file needs (context manager for the file; a fresh harness and zeroed
 * drop counts before each test) and returns a view that always reads the current test's harness.
 */
export function useHarness(): Harness {
  return useCurrentHarness(createHarness, resetDropCounts);
}

/** Drop counts as a plain object, for exact assertions. */
export function drops(): Record<string, number> {
  return Object.fromEntries(getDropCounts());
}

/** Points sorted by a stable key of their attributes, for order-independent comparisons. */
export function sorted<P extends { attributes: Attributes }>(points: P[]): P[] {
  const key = (p: P): string => JSON.stringify(Object.entries(p.attributes).sort(([a], [b]) => (a < b ? -1 : 1)));
  return [...points].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

// ---- scripted strategies -----------------------------------------------------------------------

/** A strategy that always returns `match` (synchronously), counting its calls. */
export function fixed<T = unknown>(kind: string, match: StrategyMatch<T>, query?: string): Strategy<T> & { calls: number } {
  const s = {
    kind,
    query,
    calls: 0,
    find(): StrategyMatch<T> {
      s.calls++;
      return match;
    },
  };
  return s;
}

/** A strategy that returns the given matches in turn (the last repeats), counting its calls. */
export function sequence<T = unknown>(kind: string, matches: StrategyMatch<T>[]): Strategy<T> & { calls: number } {
  const s = {
    kind,
    calls: 0,
    find(): StrategyMatch<T> {
      const m = matches[Math.min(s.calls, matches.length - 1)]!;
      s.calls++;
      return m;
    },
  };
  return s;
}

/** A strategy that throws `err` (or rejects, when `async`). */
export function throwing(kind: string, err: unknown, async = false): Strategy & { calls: number } {
  const s = {
    kind,
    calls: 0,
    find(): StrategyMatch {
      s.calls++;
      if (async) return Promise.reject(err) as unknown as StrategyMatch;
      throw err;
    },
  };
  return s;
}

/** A strategy whose promise never settles; records the signal it was given. */
export function hanging(kind: string): Strategy & { signals: AbortSignal[] } {
  const s = {
    kind,
    signals: [] as AbortSignal[],
    find(signal: AbortSignal): Promise<StrategyMatch> {
      s.signals.push(signal);
      return new Promise<StrategyMatch>(() => {});
    },
  };
  return s;
}

/** A strategy that answers `match` after `ms` (ignores the signal, like a careless engine). */
export function delayed<T = unknown>(kind: string, ms: number, match: StrategyMatch<T>): Strategy<T> {
  return { kind, find: () => new Promise((resolve) => setTimeout(resolve, ms, match)) };
}

/** A submit button, as an engine would describe it. */
export const BUTTON: ElementDescriptor = Object.freeze({
  tag: 'button',
  id: 'place-order',
  classes: Object.freeze(['btn', 'btn-primary']),
  text: 'Place order',
  attributes: Object.freeze({ type: 'submit' }),
  path: Object.freeze(['html', 'body', 'main', 'form']),
});

/** The same button after a redesign: new classes, no id, one level deeper. */
export const BUTTON_V2: ElementDescriptor = Object.freeze({
  tag: 'button',
  classes: Object.freeze(['button', 'button--primary']),
  text: 'Place order',
  attributes: Object.freeze({ type: 'submit' }),
  path: Object.freeze(['html', 'body', 'main', 'form', 'div']),
});
