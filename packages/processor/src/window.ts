/**
 * Sliding windows as rings of time slots, never per-event lists: a window of `windowMs` is `slots`
 * equal slots; an observation lands in the slot of its time, a slot older than the window is cleared
 * and reused, and a read merges the slots still inside the window. Memory is fixed per window;
 * recording is a few additions (plus one sketch insertion for a latency).
 */
import { SlotRing, TOO_OLD } from './ring';
import { WindowAggregate, cleanObservation } from './aggregate';
import type { Observation } from './aggregate';
import type { SketchOptions } from './sketch';

export interface WindowOptions extends SketchOptions {
  /** Window length in milliseconds (a positive integer). */
  windowMs: number;
  /** Number of slots (an integer ≥ 1 dividing `windowMs`); default 60 when it divides, else 10, else 1. */
  slots?: number;
}

function validate(o: WindowOptions): { windowMs: number; slots: number } {
  if (o === null || typeof o !== 'object') throw new RangeError('window options must be an object with windowMs');
  const { windowMs } = o;
  if (!Number.isInteger(windowMs) || windowMs < 1) throw new RangeError(`windowMs must be a positive integer of milliseconds, got ${String(windowMs)}`);
  const slots = o.slots ?? (windowMs % 60 === 0 ? 60 : windowMs % 10 === 0 ? 10 : 1);
  if (!Number.isInteger(slots) || slots < 1 || windowMs % slots !== 0) {
    throw new RangeError(`slots must be a positive integer dividing windowMs (${windowMs}), got ${String(slots)}`);
  }
  return { windowMs, slots };
}

/** A window of `windowMs` kept as a ring of `slots` aggregates. Times are epoch (or any monotonic) milliseconds. */
export class SlidingWindow {
  readonly windowMs: number;
  readonly slotMs: number;
  private readonly _ring: SlotRing;
  private readonly _sketch: SketchOptions;
  private _first = Infinity;

  constructor(options: WindowOptions) {
    const { windowMs, slots } = validate(options);
    this.windowMs = windowMs;
    this.slotMs = windowMs / slots;
    this._sketch = { scale: options.scale, maxBuckets: options.maxBuckets };
    this._ring = new SlotRing(this.slotMs, slots, this._sketch);
  }

  /** Records an observation made at `timeMs` (`n` times). An observation older than the window is ignored (returns false). */
  record(timeMs: number, o: Observation, n = 1): boolean {
    if (!Number.isFinite(timeMs) || !(n > 0) || n === Infinity) return false;
    if (this._ring.record(timeMs, cleanObservation(o), n) === TOO_OLD) return false;
    if (timeMs < this._first) this._first = timeMs;
    return true;
  }

  /** The merged aggregate of the slots inside the window ending at `nowMs` (a fresh object). */
  read(nowMs: number): WindowAggregate {
    const out = new WindowAggregate(this._sketch);
    this._ring.readInto(out, nowMs, this._ring.slots);
    return out;
  }

  /**
   * Seconds the window at `nowMs` covers for rates: the full window, or less while the window has
   * existed for less than that (so a new series' rate is not diluted by time before its first record).
   */
  coveredSeconds(nowMs: number): number {
    if (this._first === Infinity) return 0;
    return Math.max(0, Math.min(this.windowMs, nowMs - this._first)) / 1000;
  }

  /** Events per second over the window at `nowMs`; `undefined` when nothing is covered yet. */
  rate(nowMs: number, agg: WindowAggregate = this.read(nowMs)): number | undefined {
    const s = this.coveredSeconds(nowMs);
    return s > 0 ? agg.count / s : undefined;
  }
}
