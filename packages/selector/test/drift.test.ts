import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import {
  ATTR_SELECTOR_CONFIDENCE,
  ATTR_SELECTOR_DRIFT_DETECTED,
  ATTR_SELECTOR_DRIFT_KIND,
  ATTR_SELECTOR_ELEMENT_FINGERPRINT,
  ATTR_SELECTOR_NAME,
  ATTR_SELECTOR_STRATEGY,
  EVENT_SELECTOR_DRIFT,
} from '@driftwatch/semconv';
import { fingerprint, similarity } from '@driftwatch/selector';
import type { ElementDescriptor } from '@driftwatch/selector';
import { BUTTON, fixed, useHarness } from './harness';

const h = useHarness();
const NAME = 'checkout.submit';
/** The button with new copy: a small change (similarity ≈ 0.97). */
const RELABELLED: ElementDescriptor = { ...BUTTON, text: 'Place your order' };

/** Resolution spans of NAME, in the order they ended. */
function resolutions(): ReadableSpan[] {
  return h.spans().filter((s) => s.name === `resolve ${NAME}`);
}

describe('drift against the per-selector baseline', () => {
  it('strategy change: flagged on every drifting resolution, an event only when the state changes', async () => {
    const t = h.telemetry();
    const primary = [fixed('css', { count: 1, element: BUTTON }), fixed('text', { count: 1, element: BUTTON })];
    const healed = [fixed('css', { count: 0 }), fixed('text', { count: 1, element: BUTTON })];
    const results = [];
    results.push(await t.resolve(NAME, primary)); // baseline: css
    results.push(await t.resolve(NAME, healed)); // drift starts: event
    results.push(await t.resolve(NAME, healed)); // still drifting: no event
    for (let i = 0; i < 4; i++) results.push(await t.resolve(NAME, primary)); // clean ×3 clears it: event on the third

    expect(results.map((r) => r.drift)).toEqual([[], ['strategy_change'], ['strategy_change'], [], [], [], []]);
    const spans = resolutions();
    expect(spans.map((s) => [s.attributes[ATTR_SELECTOR_DRIFT_DETECTED], s.attributes[ATTR_SELECTOR_DRIFT_KIND]])).toEqual([
      [false, undefined],
      [true, ['strategy_change']],
      [true, ['strategy_change']],
      [false, undefined],
      [false, undefined],
      [false, undefined],
      [false, undefined],
    ]);
    const fp = fingerprint(BUTTON);
    expect(spans.map((s) => s.events.map((e) => [e.name, e.attributes]))).toEqual([
      [],
      [
        [
          EVENT_SELECTOR_DRIFT,
          {
            [ATTR_SELECTOR_NAME]: NAME,
            [ATTR_SELECTOR_DRIFT_DETECTED]: true,
            [ATTR_SELECTOR_DRIFT_KIND]: ['strategy_change'],
            [ATTR_SELECTOR_STRATEGY]: 'text',
            [ATTR_SELECTOR_CONFIDENCE]: 1,
            [ATTR_SELECTOR_ELEMENT_FINGERPRINT]: fp,
          },
        ],
      ],
      [],
      [],
      [],
      [
        [
          EVENT_SELECTOR_DRIFT,
          {
            [ATTR_SELECTOR_NAME]: NAME,
            [ATTR_SELECTOR_DRIFT_DETECTED]: false,
            [ATTR_SELECTOR_DRIFT_KIND]: [],
            [ATTR_SELECTOR_STRATEGY]: 'css',
            [ATTR_SELECTOR_CONFIDENCE]: 1,
            [ATTR_SELECTOR_ELEMENT_FINGERPRINT]: fp,
          },
        ],
      ],
      [],
    ]);
    expect(t.getSelectorStats(NAME)).toMatchObject({ baselineStrategy: 'css', lastStrategy: 'css', drift: [] });
  });

  it('fingerprint change: the matched element changed; the state lasts until three clean resolutions', async () => {
    const t = h.telemetry();
    await t.resolve(NAME, [fixed('css', { count: 1, element: BUTTON })]);
    const changed = [fixed('css', { count: 1, element: RELABELLED })];
    const r = await t.resolve(NAME, changed);
    expect(r.drift).toEqual(['fingerprint_change']);
    expect(r.confidence).toBeCloseTo(similarity(BUTTON, RELABELLED), 12);
    expect(r.fingerprint).toBe(fingerprint(RELABELLED));
    expect(t.getSelectorStats(NAME)!.drift).toEqual(['fingerprint_change']);
    // The new element is the new last-good one: the next resolutions are clean.
    for (let i = 0; i < 3; i++) expect((await t.resolve(NAME, changed)).drift).toEqual([]);
    expect(t.getSelectorStats(NAME)!.drift).toEqual([]);
    const events = resolutions().map((s) => s.events.map((e) => [e.attributes![ATTR_SELECTOR_DRIFT_DETECTED], e.attributes![ATTR_SELECTOR_DRIFT_KIND]]));
    expect(events).toEqual([[], [[true, ['fingerprint_change']]], [], [], [[false, []]]]);
  });

  it('confidence drop: below the 0.7 floor, or more than 0.15 under the EWMA baseline', async () => {
    const t = h.telemetry();
    const at = (c: number) => [fixed('heuristic', { count: 1, confidence: c })];
    const kinds = [];
    for (const c of [0.95, 0.95, 0.95]) kinds.push((await t.resolve(NAME, at(c))).drift);
    kinds.push((await t.resolve(NAME, at(0.78))).drift); // 0.95 − 0.78 = 0.17 > 0.15
    kinds.push((await t.resolve(NAME, at(0.65))).drift); // below the floor
    expect(kinds).toEqual([[], [], [], ['confidence_drop'], ['confidence_drop']]);
    const stats = t.getSelectorStats(NAME)!;
    expect(stats.confidence.ewma).toBeCloseTo(0.95 + 0.2 * (0.78 - 0.95) + 0.2 * (0.65 - (0.95 + 0.2 * (0.78 - 0.95))), 12);
    expect(stats.drift).toEqual(['confidence_drop']);
  });

  it('several kinds at once, and an improvement is not drift', async () => {
    const t = h.telemetry();
    // The first success comes from the fallback: that is the baseline until the primary serves.
    await t.resolve(NAME, [fixed('css', { count: 0 }), fixed('text', { count: 1, element: BUTTON })]);
    expect(t.getSelectorStats(NAME)!.baselineStrategy).toBe('text');
    const back = await t.resolve(NAME, [fixed('css', { count: 1, element: BUTTON }), fixed('text', { count: 1 })]);
    expect(back.drift).toEqual([]);
    expect(t.getSelectorStats(NAME)!.baselineStrategy).toBe('css');
    // Fallback to a changed element with a low engine confidence: three kinds at once.
    const r = await t.resolve(NAME, [fixed('css', { count: 2 }), fixed('heuristic', { count: 1, confidence: 0.62, element: RELABELLED })]);
    expect(r.drift).toEqual(['strategy_change', 'confidence_drop', 'fingerprint_change', 'ambiguity']);
    const last = resolutions().at(-1)!;
    expect(last.attributes[ATTR_SELECTOR_DRIFT_KIND]).toEqual(['strategy_change', 'confidence_drop', 'fingerprint_change', 'ambiguity']);
    expect(last.events).toHaveLength(1);
  });
});
