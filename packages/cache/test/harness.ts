// Test harness for the cache package: a tracer provider with an in-memory exporter, a meter provider
// with a pull reader, and the async-hooks context manager. `useHarness()` registers the per-file and
// per-test hooks and hands out a fresh harness (so each test has its own telemetry and recorders).
import type { Attributes, HrTime } from '@opentelemetry/api';
import type { DataPoint, Histogram } from '@opentelemetry/sdk-metrics';
import { createOtelHarness, useCurrentHarness } from '../../../test/support/otel-harness.ts';
import type { OtelHarness } from '../../../test/support/otel-harness.ts';
import { resetDropCounts } from '../src/diag';

export interface Point {
  attributes: Attributes;
  value: number;
}

export interface HistogramPoint {
  attributes: Attributes;
  count: number;
  sum: number;
}

export interface Harness extends Omit<OtelHarness, 'points'> {
  /** Sum/gauge points of a metric, sorted by their attributes. */
  points(name: string): Promise<Point[]>;
  /** Histogram points of a metric, sorted by their attributes. */
  histogram(name: string): Promise<HistogramPoint[]>;
}

const sortKey = (a: { attributes: Attributes }): string => JSON.stringify(a.attributes, Object.keys(a.attributes).sort());
const byAttributes = (a: { attributes: Attributes }, b: { attributes: Attributes }): number => {
  const x = sortKey(a);
  const y = sortKey(b);
  return x < y ? -1 : x > y ? 1 : 0;
};

export function createHarness(): Harness {
  const h = createOtelHarness();
  return {
    ...h,
    points: async (name) => (await h.points(name)).map((p) => ({ attributes: p.attributes, value: p.value as number })).sort(byAttributes),
    histogram: async (name) => {
      const m = await h.metric(name);
      return (m?.dataPoints ?? [])
        .map((p: DataPoint<unknown>) => ({ attributes: p.attributes, count: (p.value as Histogram).count, sum: (p.value as Histogram).sum ?? Number.NaN }))
        .sort(byAttributes);
    },
  };
}

/** Milliseconds between two span times. */
export function ms(start: HrTime, end: HrTime): number {
  return (end[0] - start[0]) * 1000 + (end[1] - start[1]) / 1e6;
}

/**
 * Registers the hooks a test file needs (the context manager for the file; a fresh harness and
 * zeroed drop counters for each test) and returns a getter for the current harness.
 */
export function useHarness(): () => Harness {
  const view = useCurrentHarness(createHarness, resetDropCounts);
  return () => view;
}

/** The base attributes of every cache series. */
export function base(name: string, system: string): Attributes {
  return { 'cache.name': name, 'cache.system.name': system };
}

export const sleep = (msec: number): Promise<void> => new Promise((r) => setTimeout(r, msec));
