/**
 * State snapshots: the windows of every live series as JSON, so that a restart keeps the last hour.
 * Only slots still inside the ring are written; a restored slot that has aged out meanwhile is simply
 * outside every window.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Attributes } from '@opentelemetry/api';
import { DOMAINS } from './config';
import type { Domain, RingPlan } from './config';
import { Series } from './series';
import type { SketchState } from './sketch';
import type { SlotLatencies } from './slot-latency';
import type { SeriesAnomalyState } from './anomaly/engine';
import { restoreDetector } from './anomaly/index';
import type { DriftwatchProcessor } from './processor';

export const STATE_FORMAT = 'driftwatch.processor.state';
export const STATE_VERSION = 2;

interface RingState {
  /** Per kept slot: [ring entry, slot number, the slot's field values, error types, latency histogram]. */
  slots: [number, number, number[], [string, number][] | null, SketchState | null][];
}

interface SeriesState {
  domain: Domain;
  key: string;
  attributes: Attributes;
  overflow: boolean;
  startMs: number;
  lastMs: number;
  rings: RingState[];
  /** The series' anomaly detectors, when detection is on and it has any. */
  anomaly?: SeriesAnomalyState;
}

export interface ProcessorState {
  format: typeof STATE_FORMAT;
  version: number;
  savedAt: number;
  rings: RingPlan[];
  series: SeriesState[];
}

/** Slot `i`'s latency histogram as a `SketchState`, or null when it saw none. */
function latencyState(l: SlotLatencies, i: number): SketchState | null {
  const count = l.count(i);
  if (count === 0) return null;
  const lo = l.lo(i);
  const hi = l.hi(i);
  const counts: number[] = lo <= hi ? new Array<number>(hi - lo + 1).fill(0) : [];
  l.forEachBucket(i, (b, c) => {
    counts[b - lo]! += c;
  });
  return { scale: l.scale(i), zero: l.zero(i), count, sum: l.sum(i), min: l.min(i), max: l.max(i), offset: lo <= hi ? lo : 0, counts };
}

function validSketchState(s: SketchState): boolean {
  const fin = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v);
  return (
    s !== null &&
    typeof s === 'object' &&
    Number.isInteger(s.scale) &&
    [s.zero, s.count, s.sum, s.offset].every(fin) &&
    (s.count === 0 || (fin(s.min) && fin(s.max))) &&
    Array.isArray(s.counts) &&
    s.counts.every((c) => typeof c === 'number' && c >= 0 && c < Infinity)
  );
}

function ringsOf(s: Series, now: number): RingState[] {
  return s.rings.map((r) => {
    const slots: RingState['slots'] = [];
    const oldest = Math.floor(now / r.slotMs) - r.slots + 1;
    for (let i = 0; i < r.slots; i++) {
      const slot = r.slotOf[i]!;
      if (!(slot >= oldest)) continue;
      const size = r.layout.size;
      const values = Array.from(r.values.subarray(i * size, i * size + size));
      const errors = r.errors[i];
      const pairs: [string, number][] = [];
      if (errors !== undefined) for (let k = 0; k < errors.length; k += 2) pairs.push([errors[k] as string, errors[k + 1] as number]);
      slots.push([i, slot, values, pairs.length > 0 ? pairs : null, latencyState(r.latencies, i)]);
    }
    return { slots };
  });
}

export function stateOf(p: DriftwatchProcessor, now: number): ProcessorState {
  const series: SeriesState[] = [];
  for (const d of DOMAINS) {
    for (const s of p._table(d).all()) {
      const anomaly = p.anomaly?.saveSeries(s);
      series.push({ domain: d, key: s.key, attributes: s.attributes, overflow: s.overflow, startMs: s.startMs, lastMs: s.lastMs, rings: ringsOf(s, now), ...(anomaly ? { anomaly } : {}) });
    }
  }
  return { format: STATE_FORMAT, version: STATE_VERSION, savedAt: now, rings: p.options.rings.map((r) => ({ ...r })), series };
}

export async function writeStateFile(path: string, state: ProcessorState): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(state));
  await rename(tmp, path);
}

export async function readStateFile(path: string): Promise<ProcessorState> {
  const text = await readFile(path, 'utf8');
  let state: unknown;
  try {
    state = JSON.parse(text);
  } catch (e) {
    throw new TypeError(`processor state ${path} is not JSON: ${(e as Error).message}`, { cause: e });
  }
  const s = state as Partial<ProcessorState> | null;
  if (s === null || typeof s !== 'object' || s.format !== STATE_FORMAT) throw new TypeError(`${path} is not a Driftwatch processor state file`);
  if (s.version !== STATE_VERSION) throw new TypeError(`${path}: unsupported state version ${String(s.version)} (this build reads ${STATE_VERSION})`);
  if (!Array.isArray(s.rings) || !Array.isArray(s.series)) throw new TypeError(`${path}: rings and series must be arrays`);
  return s as ProcessorState;
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Adds the saved series that are not live yet; returns how many. Throws on a different window layout or a malformed series. */
export function restoreInto(p: DriftwatchProcessor, state: ProcessorState, now: number): number {
  const plan = p.options.rings;
  const same = state.rings.length === plan.length && state.rings.every((r, i) => r.slotMs === plan[i]!.slotMs && r.slots === plan[i]!.slots);
  if (!same) {
    throw new RangeError(
      `processor state was saved with rings ${JSON.stringify(state.rings)}, but this processor's windows use ${JSON.stringify(plan)}; restore it with the same windows and slots`,
    );
  }
  let restored = 0;
  for (const [n, ss] of state.series.entries()) {
    const where = `processor state: series[${n}]`;
    if (!DOMAINS.includes(ss.domain)) throw new TypeError(`${where}: unknown domain ${JSON.stringify(ss.domain)}`);
    if (typeof ss.key !== 'string' || typeof ss.overflow !== 'boolean' || !finite(ss.startMs) || !finite(ss.lastMs)) throw new TypeError(`${where}: key, overflow, startMs and lastMs are required`);
    if (ss.attributes === null || typeof ss.attributes !== 'object') throw new TypeError(`${where}: attributes must be an object`);
    if (!Array.isArray(ss.rings) || ss.rings.length !== plan.length) throw new TypeError(`${where}: expected ${plan.length} rings`);
    const table = p._table(ss.domain);
    if (ss.overflow ? table.overflowSeries !== undefined : table.series.has(ss.key) || table.find(p._valuesOf(ss.domain, ss.attributes)) !== undefined) continue;
    const s = new Series(ss.domain, ss.key, Object.freeze({ ...ss.attributes }), ss.overflow, plan, p.options.sketch, Math.min(ss.startMs, now));
    s.lastMs = Math.min(ss.lastMs, now);
    ss.rings.forEach((rs, ri) => {
      const ring = s.rings[ri]!;
      for (const [entry, slot, values, errors, sketch] of rs.slots) {
        if (!Number.isInteger(entry) || entry < 0 || entry >= ring.slots || !finite(slot) || !Array.isArray(values) || values.length !== ring.layout.size || !values.every(finite)) {
          throw new TypeError(`${where}: ring ${ri} has a malformed slot`);
        }
        ring.slotOf[entry] = slot;
        ring.values.set(values, entry * ring.layout.size);
        if (errors !== null) {
          if (!Array.isArray(errors)) throw new TypeError(`${where}: ring ${ri} has malformed error types`);
          ring.errors[entry] = errors.filter((e) => Array.isArray(e) && typeof e[0] === 'string' && finite(e[1])).slice(0, 64).flat();
        }
        if (sketch !== null) {
          if (!validSketchState(sketch) || sketch.counts.length > p.options.sketch.maxBuckets) throw new TypeError(`${where}: ring ${ri} has a malformed latency histogram`);
          ring.latencies.restore(entry, { ...sketch, min: sketch.min ?? 0, max: sketch.max ?? 0 });
        }
      }
    });
    if (ss.anomaly !== undefined && p.anomaly !== undefined) {
      try {
        p.anomaly.restoreSeries(s, ss.anomaly, restoreDetector);
      } catch (e) {
        throw new TypeError(`${where}: ${(e as Error).message}`, { cause: e });
      }
    }
    if (table.adopt(s, p._valuesOf(ss.domain, s.attributes))) restored++;
  }
  return restored;
}
