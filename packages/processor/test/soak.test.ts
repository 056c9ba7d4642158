// Soak: unique dimension tuples churned through a real SDK pipeline over six simulated hours, about 15×
// the default cardinality limit per expiry period (and ~90× over the run), with series expiring and
// being replaced all along. Against a reference model of the documented semantics (at most `limit`
// series per domain, overflow included; new tuples past it share the overflow series; a series idle
// for longer than `expireAfterMs` is dropped), it checks after every tick that the table is bounded,
// and at checkpoints that every window's counts over all series add up to exactly what was sent in
// that window, that the overflow counter and the overflow series count exactly what overflowed, and
// that the heap neither grows from one churn phase to the next nor keeps anything once every series
// has expired.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CARDINALITY_LIMIT, DriftwatchProcessor } from '@driftwatch/processor';

/** A real full garbage collection (vitest workers run without --expose-gc). */
function fullGc(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed !== undefined) return exposed;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}
const gc = fullGc();
function heapUsed(): number {
  for (let i = 0; i < 4; i++) gc();
  return process.memoryUsage().heapUsed;
}

const MB = 2 ** 20;
/** Start of the simulation: an hour boundary, so slot numbers line up with ticks. */
const T0 = Date.UTC(2026, 0, 1, 0, 0, 0);
/** Every tick, all observations share one timestamp; 70 s never divides the one-hour expiry, so no series sits exactly on the expiry boundary. */
const TICK_MS = 70_000;
/** New unique tuples per tick: ~31k per hour of ticks, ~15× the default limit. */
const NEW_PER_TICK = 600;
/** A tuple is seen on this many consecutive ticks, then never again. */
const LIFE_TICKS = 3;
const TICKS_PER_PHASE = 103; // 2 h
const PHASES = 3;

interface Model {
  live: Map<number, number>;
  overflowLast: number | undefined;
  overflowed: number;
  expired: number;
}

describe('DriftwatchProcessor soak: churning unique tuples', () => {
  it('stays bounded at the cardinality limit, loses nothing, and keeps a flat heap over hours of churn', { timeout: 120_000 }, () => {
    let now = T0;
    const processor = new DriftwatchProcessor({ clock: () => now, metricIntervalMs: 0 });
    const { cardinalityLimit: limit, expireAfterMs, windows, rings } = processor.options;
    expect(limit).toBe(DEFAULT_CARDINALITY_LIMIT);
    expect(expireAfterMs).toBe(3_600_000);
    const resource = resourceFromAttributes({ 'service.name': 'soak' });
    const provider = new BasicTracerProvider({ resource, spanProcessors: [processor] });
    const tracer = provider.getTracer('soak');

    let sent = 0;
    const send = (id: number, t: number): void => {
      const model = `ft:gpt-4o-mini-2024-07-18:acme:churn-${id}`;
      const failed = sent % 37 === 0;
      const span = tracer.startSpan(`chat ${model}`, {
        kind: SpanKind.CLIENT,
        startTime: t - 40 - (sent % 997),
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': 'openai',
          'gen_ai.request.model': model,
          'gen_ai.usage.input_tokens': 120,
          'gen_ai.usage.output_tokens': 30,
          ...(failed ? { 'error.type': 'RateLimitError' } : {}),
        },
      });
      if (failed) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end(t);
      sent++;
    };

    // The reference model, and per tick what was sent and what overflowed.
    const model: Model = { live: new Map(), overflowLast: undefined, overflowed: 0, expired: 0 };
    const tickTimes: number[] = [];
    const sentAt: number[] = [];
    const overflowAt: number[] = [];
    const runTick = (tick: number): void => {
      const t = T0 + tick * TICK_MS;
      now = t;
      const cutoff = t - expireAfterMs;
      for (const [id, last] of model.live) {
        if (last < cutoff) {
          model.live.delete(id);
          model.expired++;
        }
      }
      if (model.overflowLast !== undefined && model.overflowLast < cutoff) {
        model.overflowLast = undefined;
        model.expired++;
      }
      let n = 0;
      let over = 0;
      // Tuples born on this tick and on the previous LIFE_TICKS − 1 ticks, newest first.
      for (let born = tick; born > tick - LIFE_TICKS && born >= 0; born--) {
        for (let k = 0; k < NEW_PER_TICK; k++) {
          const id = born * NEW_PER_TICK + k;
          send(id, t);
          n++;
          if (model.live.has(id)) model.live.set(id, t);
          else if (model.live.size < limit - 1) model.live.set(id, t);
          else {
            over++;
            model.overflowLast = t;
          }
        }
      }
      model.overflowed += over;
      tickTimes.push(t);
      sentAt.push(n);
      overflowAt.push(over);
      const h = processor.health();
      expect(h.series.llm).toBeLessThanOrEqual(limit);
      expect(h.series.llm).toBe(model.live.size + (model.overflowLast === undefined ? 0 : 1));
    };

    /** What was sent (or overflowed) in each window ending now: ticks whose slot is among the window's newest slots. */
    const inWindows = (perTick: number[]): Record<string, number> => {
      const out: Record<string, number> = {};
      for (const w of windows) {
        const slotMs = rings[w.ring]!.slotMs;
        const oldest = Math.floor(now / slotMs) - w.slots + 1;
        let sum = 0;
        for (let i = 0; i < tickTimes.length; i++) if (Math.floor(tickTimes[i]! / slotMs) >= oldest) sum += perTick[i]!;
        out[w.name] = sum;
      }
      return out;
    };
    const checkpoint = (): void => {
      const snapshot = processor.snapshot({ domain: 'llm' });
      const counted: Record<string, number> = {};
      for (const w of windows) counted[w.name] = snapshot.reduce((n, s) => n + s.windows[w.name]!.count, 0);
      expect(counted).toEqual(inWindows(sentAt));
      const overflow = snapshot.find((s) => s.overflow);
      const overflowCounted: Record<string, number> = {};
      for (const w of windows) overflowCounted[w.name] = overflow?.windows[w.name]!.count ?? 0;
      expect(overflowCounted).toEqual(inWindows(overflowAt));
      const h = processor.health();
      expect(h.overflowed.llm).toBe(model.overflowed);
      expect(h.expired.llm).toBe(model.expired);
      expect(h.series.llm).toBe(snapshot.length);
    };

    // Warm the code paths on a throw-away processor, so that compiled code is in the baseline.
    {
      let t = T0;
      const warm = new DriftwatchProcessor({ clock: () => t, metricIntervalMs: 0, cardinalityLimit: 50, windows: ['1m', '5m'] });
      const warmTracer = new BasicTracerProvider({ resource, spanProcessors: [warm] }).getTracer('warm');
      for (let i = 0; i < 20_000; i++) {
        t = T0 + i * 100;
        warmTracer.startSpan('chat', { attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': `warm-${i % 500}` } }).end();
      }
      warm.snapshot();
    }
    const baseline = heapUsed();

    const phaseHeap: number[] = [];
    let tick = 0;
    for (let phase = 0; phase < PHASES; phase++) {
      for (let i = 0; i < TICKS_PER_PHASE; i++, tick++) {
        runTick(tick);
        if (tick % 20 === 19) checkpoint();
      }
      checkpoint();
      phaseHeap.push(heapUsed());
    }

    // The churn really happened: the table filled, overflowed, and turned over many times.
    const h = processor.health();
    const uniqueTuples = tick * NEW_PER_TICK;
    expect(uniqueTuples).toBeGreaterThanOrEqual(PHASES * 2 * 10 * limit);
    expect(h.expired.llm).toBeGreaterThan(4 * limit);
    expect(h.overflowed.llm).toBeGreaterThan(sent / 4);
    expect(h.invalid).toEqual({ negative_duration: 0, clock_jump: 0, invalid_value: 0, odd_attribute: 0, invalid_sampling: 0, too_old: 0, internal_error: 0 });

    // Heap: bounded by the live series, and flat from one two-hour churn phase (~62k new tuples) to the next.
    const [, second, third] = phaseHeap as [number, number, number];
    expect(second - baseline).toBeLessThan(limit * 64 * 1024);
    expect(third - second).toBeLessThan(2 * MB);

    // Once every series has expired, nothing of the ~185k tuples seen stays behind.
    now += expireAfterMs + TICK_MS;
    expect(processor.snapshot()).toEqual([]);
    expect(processor.health().series.llm).toBe(0);
    const drained = heapUsed();
    expect(drained - baseline).toBeLessThan(2 * MB);
  });
});
