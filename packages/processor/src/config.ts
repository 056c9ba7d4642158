/**
 * Processor options: validated once, at construction, with an error that names the bad field.
 */
import {
  ATTR_CACHE_NAME,
  ATTR_CACHE_OPERATION,
  ATTR_CACHE_RESULT,
  ATTR_CACHE_SYSTEM_NAME,
  ATTR_CACHE_TIER,
  ATTR_GEN_AI_AGENT_NAME,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_LLM_CALL_OUTCOME,
  ATTR_LLM_TASK_TYPE,
  ATTR_LLM_TIER,
  ATTR_SELECTOR_ENGINE_NAME,
  ATTR_SELECTOR_NAME,
  ATTR_SELECTOR_RESULT,
  ATTR_SELECTOR_STRATEGY,
  ATTR_SELECTOR_STRATEGY_PRIMARY,
  ATTR_SERVICE_NAME,
} from '@driftwatch/semconv';
import type { LoggerProvider } from '@opentelemetry/api-logs';
import { DEFAULT_SCALE, DEFAULT_MAX_BUCKETS, MAX_SCALE, MIN_SCALE } from './sketch';
import type { AnomalyOptions } from './anomaly/engine';

export type Domain = 'llm' | 'selector' | 'cache';
export const DOMAINS: readonly Domain[] = ['llm', 'selector', 'cache'];

/**
 * Dimensions a domain's series may be keyed by: low-cardinality names only (never ids, keys, URLs or
 * prompts). Each is looked up on the span (or metric point), then on the resource.
 */
export const ALLOWED_DIMENSIONS: Readonly<Record<Domain, readonly string[]>> = {
  llm: [
    ATTR_SERVICE_NAME,
    ATTR_GEN_AI_OPERATION_NAME,
    ATTR_GEN_AI_PROVIDER_NAME,
    ATTR_GEN_AI_REQUEST_MODEL,
    ATTR_GEN_AI_RESPONSE_MODEL,
    ATTR_LLM_TASK_TYPE,
    ATTR_LLM_TIER,
    ATTR_GEN_AI_AGENT_NAME,
    ATTR_LLM_CALL_OUTCOME,
  ],
  selector: [ATTR_SERVICE_NAME, ATTR_SELECTOR_NAME, ATTR_SELECTOR_ENGINE_NAME, ATTR_SELECTOR_STRATEGY_PRIMARY, ATTR_SELECTOR_STRATEGY, ATTR_SELECTOR_RESULT],
  cache: [ATTR_SERVICE_NAME, ATTR_CACHE_NAME, ATTR_CACHE_SYSTEM_NAME, ATTR_CACHE_OPERATION, ATTR_CACHE_TIER, ATTR_CACHE_RESULT],
};

/** The dimensions used unless configured: outcome-like names are left out, since the ratios are computed across outcomes. */
export const DEFAULT_DIMENSIONS: Readonly<Record<Domain, readonly string[]>> = {
  llm: [ATTR_SERVICE_NAME, ATTR_GEN_AI_OPERATION_NAME, ATTR_GEN_AI_PROVIDER_NAME, ATTR_GEN_AI_REQUEST_MODEL, ATTR_LLM_TASK_TYPE],
  selector: [ATTR_SERVICE_NAME, ATTR_SELECTOR_NAME, ATTR_SELECTOR_STRATEGY_PRIMARY],
  cache: [ATTR_SERVICE_NAME, ATTR_CACHE_NAME, ATTR_CACHE_OPERATION],
};

export const DEFAULT_WINDOWS: readonly string[] = ['1m', '5m', '15m', '1h'];
export const DEFAULT_CARDINALITY_LIMIT = 2000;
export const DEFAULT_SLOTS = 60;
/** A window shares a longer window's ring when that ring gives it at least this many slots. */
export const MIN_SHARED_SLOTS = 12;
export const DEFAULT_QUANTILES: readonly number[] = [0.5, 0.9, 0.95, 0.99];
export const DEFAULT_METRIC_INTERVAL_MS = 5_000;
/** Span durations above this are taken as a clock jump: counted, and kept out of the latency quantiles. */
export const DEFAULT_MAX_DURATION_S = 24 * 3600;

export interface ProcessorOptions {
  /** Windows as `'30s'`, `'5m'`, `'1h'` or milliseconds. Default `['1m', '5m', '15m', '1h']`. */
  windows?: readonly (string | number)[];
  /** Slots in the ring of each window that gets its own ring (default 60). */
  slots?: number;
  /** Series per domain, the overflow series included (default 2000). */
  cardinalityLimit?: number;
  /** A series not seen for this long is dropped, and restarts with a new start time (default: the longest window). */
  expireAfterMs?: number;
  /** Dimensions per domain, from `ALLOWED_DIMENSIONS`. */
  dimensions?: Partial<Record<Domain, readonly string[]>>;
  /** Quantiles exported and returned by `stats()` (default 0.5, 0.9, 0.95, 0.99). */
  quantiles?: readonly number[];
  /** Latency sketch scale (default 6: 0.54 % relative error) and bucket bound (default 2048). */
  sketch?: { scale?: number; maxBuckets?: number };
  /** How often the processor's own metric reader pulls the SDK's counters (default 5000 ms; 0: only when the derived metrics are collected). */
  metricIntervalMs?: number;
  /** Durations above this many seconds count as a clock jump (default one day). */
  maxDurationSeconds?: number;
  /** The processor's clock in epoch milliseconds (default: monotonic, anchored to the wall clock at start). */
  clock?: () => number;
  /** Anomaly detection on the derived series (on by default); `false` turns it off. */
  anomaly?: AnomalyOptions | false;
  /** Where `driftwatch.anomaly` log records go (default: the global LoggerProvider). */
  loggerProvider?: LoggerProvider;
}

export interface WindowPlan {
  /** Name as exported in `driftwatch.window` (`'1m'`, `'90s'`). */
  name: string;
  ms: number;
  /** Which ring holds it, and how many of that ring's newest slots it spans. */
  ring: number;
  slots: number;
}

export interface RingPlan {
  slotMs: number;
  slots: number;
}

export interface ResolvedOptions {
  windows: WindowPlan[];
  rings: RingPlan[];
  cardinalityLimit: number;
  expireAfterMs: number;
  dimensions: Record<Domain, readonly string[]>;
  quantiles: readonly number[];
  sketch: { scale: number; maxBuckets: number };
  metricIntervalMs: number;
  maxDurationSeconds: number;
  clock: () => number;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `'5m'` → 300000; a positive integer of milliseconds passes through. */
export function parseDuration(v: string | number, what: string): number {
  if (typeof v === 'number') {
    if (Number.isInteger(v) && v > 0) return v;
    throw new RangeError(`${what} must be a positive integer of milliseconds or a string like '5m', got ${String(v)}`);
  }
  const m = typeof v === 'string' ? /^(\d+)(ms|s|m|h|d)$/.exec(v.trim()) : null;
  if (m === null || Number(m[1]) <= 0) throw new RangeError(`${what} must be a duration like '30s', '5m' or '1h', got ${JSON.stringify(v)}`);
  return Number(m[1]) * UNIT_MS[m[2]!]!;
}

/** The shortest exact name of a window length: `'1h'`, `'90s'`, `'250ms'`. */
export function windowName(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/**
 * Rings for the windows, longest first: a window reuses an existing ring when that ring covers it and
 * gives it at least `MIN_SHARED_SLOTS` slots; otherwise it gets a ring of `slots` slots of its own.
 * With the defaults: 1h and 15m share 60 one-minute slots, 5m and 1m share 60 five-second slots.
 */
export function planWindows(windowsMs: readonly number[], slots: number): { windows: WindowPlan[]; rings: RingPlan[] } {
  const rings: RingPlan[] = [];
  const windows: WindowPlan[] = [];
  for (const ms of [...windowsMs].sort((a, b) => b - a)) {
    let ring = rings.findIndex((r) => ms % r.slotMs === 0 && ms / r.slotMs <= r.slots && ms / r.slotMs >= Math.min(MIN_SHARED_SLOTS, slots));
    if (ring < 0) {
      let n = slots;
      while (n > 1 && ms % n !== 0) n--;
      rings.push({ slotMs: ms / n, slots: n });
      ring = rings.length - 1;
    }
    windows.push({ name: windowName(ms), ms, ring, slots: ms / rings[ring]!.slotMs });
  }
  windows.sort((a, b) => a.ms - b.ms);
  return { windows, rings };
}

function monotonicEpochClock(): () => number {
  const origin = performance.timeOrigin;
  return () => origin + performance.now();
}

export function resolveOptions(o: ProcessorOptions = {}): ResolvedOptions {
  if (o === null || typeof o !== 'object') throw new TypeError('processor options must be an object');
  const rawWindows = o.windows ?? DEFAULT_WINDOWS;
  if (!Array.isArray(rawWindows) || rawWindows.length === 0) throw new RangeError('windows must be a non-empty array of durations');
  const windowsMs = rawWindows.map((w, i) => parseDuration(w, `windows[${i}]`));
  if (new Set(windowsMs).size !== windowsMs.length) throw new RangeError(`windows must be distinct, got ${JSON.stringify(rawWindows)}`);
  const slots = o.slots ?? DEFAULT_SLOTS;
  if (!Number.isInteger(slots) || slots < 1 || slots > 3600) throw new RangeError(`slots must be an integer in 1..3600, got ${String(slots)}`);
  const { windows, rings } = planWindows(windowsMs, slots);
  const longest = Math.max(...windowsMs);

  const cardinalityLimit = o.cardinalityLimit ?? DEFAULT_CARDINALITY_LIMIT;
  if (!Number.isInteger(cardinalityLimit) || cardinalityLimit < 2) throw new RangeError(`cardinalityLimit must be an integer of at least 2, got ${String(cardinalityLimit)}`);
  const expireAfterMs = o.expireAfterMs === undefined ? longest : parseDuration(o.expireAfterMs, 'expireAfterMs');

  const dimensions = { ...DEFAULT_DIMENSIONS } as Record<Domain, readonly string[]>;
  if (o.dimensions !== undefined) {
    if (o.dimensions === null || typeof o.dimensions !== 'object') throw new TypeError('dimensions must be an object keyed by domain');
    for (const [domain, dims] of Object.entries(o.dimensions)) {
      if (!(DOMAINS as readonly string[]).includes(domain)) throw new RangeError(`dimensions: unknown domain '${domain}' (expected ${DOMAINS.join(', ')})`);
      const allowed = ALLOWED_DIMENSIONS[domain as Domain];
      if (!Array.isArray(dims)) throw new TypeError(`dimensions.${domain} must be an array of attribute names`);
      for (const d of dims) {
        if (!allowed.includes(d as string)) {
          throw new RangeError(`dimensions.${domain}: '${String(d)}' is not an allowed dimension (allowed: ${allowed.join(', ')})`);
        }
      }
      if (new Set(dims).size !== dims.length) throw new RangeError(`dimensions.${domain} has a duplicate name`);
      dimensions[domain as Domain] = [...(dims as string[])];
    }
  }

  const quantiles = o.quantiles ?? DEFAULT_QUANTILES;
  if (!Array.isArray(quantiles) || quantiles.some((q) => typeof q !== 'number' || !(q > 0 && q < 1))) {
    throw new RangeError(`quantiles must be numbers strictly between 0 and 1, got ${JSON.stringify(quantiles)}`);
  }
  const scale = o.sketch?.scale ?? DEFAULT_SCALE;
  if (!Number.isInteger(scale) || scale < MIN_SCALE || scale > MAX_SCALE) throw new RangeError(`sketch.scale must be an integer in [${MIN_SCALE}, ${MAX_SCALE}], got ${String(scale)}`);
  const maxBuckets = o.sketch?.maxBuckets ?? DEFAULT_MAX_BUCKETS;
  if (!Number.isInteger(maxBuckets) || maxBuckets < 2) throw new RangeError(`sketch.maxBuckets must be an integer of at least 2, got ${String(maxBuckets)}`);
  const metricIntervalMs = o.metricIntervalMs ?? DEFAULT_METRIC_INTERVAL_MS;
  if (!Number.isInteger(metricIntervalMs) || metricIntervalMs < 0) throw new RangeError(`metricIntervalMs must be a non-negative integer, got ${String(metricIntervalMs)}`);
  const maxDurationSeconds = o.maxDurationSeconds ?? DEFAULT_MAX_DURATION_S;
  if (!(maxDurationSeconds > 0)) throw new RangeError(`maxDurationSeconds must be a positive number, got ${String(maxDurationSeconds)}`);
  if (o.clock !== undefined && typeof o.clock !== 'function') throw new TypeError('clock must be a function returning epoch milliseconds');
  return {
    windows,
    rings,
    cardinalityLimit,
    expireAfterMs,
    dimensions,
    quantiles: [...quantiles].sort((a, b) => a - b),
    sketch: { scale, maxBuckets },
    metricIntervalMs,
    maxDurationSeconds,
    clock: o.clock ?? monotonicEpochClock(),
  };
}
