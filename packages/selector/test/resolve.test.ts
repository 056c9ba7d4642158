import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Attributes } from '@opentelemetry/api';
import type { Histogram } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import {
  ATTR_ERROR_TYPE,
  ATTR_OTEL_METRIC_OVERFLOW,
  ATTR_SELECTOR_ATTEMPT_COUNT,
  ATTR_SELECTOR_ATTEMPT_INDEX,
  ATTR_SELECTOR_CANDIDATES,
  ATTR_SELECTOR_CANDIDATE_SCORES,
  ATTR_SELECTOR_CONFIDENCE,
  ATTR_SELECTOR_CONFIDENCE_THRESHOLD,
  ATTR_SELECTOR_CONTEXT,
  ATTR_SELECTOR_DRIFT_DETECTED,
  ATTR_SELECTOR_DRIFT_KIND,
  ATTR_SELECTOR_ELEMENT_FINGERPRINT,
  ATTR_SELECTOR_ENGINE_NAME,
  ATTR_SELECTOR_FALLBACK_DEPTH,
  ATTR_SELECTOR_FALLBACK_FROM,
  ATTR_SELECTOR_FALLBACK_USED,
  ATTR_SELECTOR_MEMORY_DELTA,
  ATTR_SELECTOR_NAME,
  ATTR_SELECTOR_QUERY,
  ATTR_SELECTOR_RESULT,
  ATTR_SELECTOR_STRATEGIES_ATTEMPTED,
  ATTR_SELECTOR_STRATEGY,
  ATTR_SELECTOR_STRATEGY_PRIMARY,
  ATTR_SELECTOR_STRATEGY_RESULT,
  ATTR_SELECTOR_TIMEOUT,
  EVENT_SELECTOR_DRIFT,
  METRIC_SELECTOR_CONFIDENCE,
  METRIC_SELECTOR_RESOLUTIONS,
  METRIC_SELECTOR_RESOLUTION_DURATION,
  METRIC_SELECTOR_STRATEGY_ATTEMPTS,
  METRIC_SELECTOR_STRATEGY_DURATION,
  SELECTOR_CONFIDENCE_BUCKETS,
  SELECTOR_DURATION_BUCKETS,
} from '@driftwatch/semconv';
import { SelectorConfigError, UnsupportedStrategyError, createSelectorTelemetry, fingerprint, similarity } from '@driftwatch/selector';
import type { Strategy, StrategyMatch } from '@driftwatch/selector';
import { BUTTON, BUTTON_V2, delayed, drops, fixed, hanging, sequence, sorted, throwing, useHarness } from './harness';

const h = useHarness();
const NAME = 'checkout.submit';
const FP = fingerprint(BUTTON);

/** The attributes every resolution span of `NAME` has with default settings and engine `cheerio`. */
function base(extra: Attributes): Attributes {
  return {
    [ATTR_SELECTOR_NAME]: NAME,
    [ATTR_SELECTOR_ENGINE_NAME]: 'cheerio',
    [ATTR_SELECTOR_CONFIDENCE_THRESHOLD]: 0.6,
    [ATTR_SELECTOR_TIMEOUT]: 5,
    ...extra,
  };
}

describe('resolve: first-try success', () => {
  it('records one INTERNAL span with the resolution attributes, no attempt span, and every metric', async () => {
    const t = h.telemetry({ engine: 'cheerio' });
    const css = fixed('css', { count: 1, element: BUTTON, value: 'the-button' });
    const text = fixed('text', { count: 1 });
    const r = await t.resolve(NAME, [css, text], { context: 'checkout-page' });

    expect(r).toEqual({
      name: NAME,
      result: 'success',
      strategy: 'css',
      index: 0,
      value: 'the-button',
      count: 1,
      confidence: 1,
      fallbackUsed: false,
      attempts: 1,
      durationMs: r.durationMs,
      element: BUTTON,
      fingerprint: FP,
      drift: [],
    });
    expect(r.durationMs).toBeGreaterThanOrEqual(0);
    expect(text.calls).toBe(0);

    expect(h.spans()).toHaveLength(1);
    const span = h.span(`resolve ${NAME}`);
    expect(span.kind).toBe(SpanKind.INTERNAL);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.events).toEqual([]);
    expect(span.attributes).toEqual(
      base({
        [ATTR_SELECTOR_STRATEGY]: 'css',
        [ATTR_SELECTOR_STRATEGY_PRIMARY]: 'css',
        [ATTR_SELECTOR_STRATEGIES_ATTEMPTED]: ['css'],
        [ATTR_SELECTOR_ATTEMPT_COUNT]: 1,
        [ATTR_SELECTOR_FALLBACK_USED]: false,
        [ATTR_SELECTOR_RESULT]: 'success',
        [ATTR_SELECTOR_CONFIDENCE]: 1,
        [ATTR_SELECTOR_FALLBACK_DEPTH]: 0,
        [ATTR_SELECTOR_CANDIDATES]: 1,
        [ATTR_SELECTOR_CONTEXT]: 'checkout-page',
        [ATTR_SELECTOR_ELEMENT_FINGERPRINT]: FP,
        [ATTR_SELECTOR_DRIFT_DETECTED]: false,
      }),
    );

    expect(await h.points(METRIC_SELECTOR_RESOLUTIONS)).toEqual([
      {
        attributes: {
          [ATTR_SELECTOR_NAME]: NAME,
          [ATTR_SELECTOR_STRATEGY]: 'css',
          [ATTR_SELECTOR_RESULT]: 'success',
          [ATTR_SELECTOR_FALLBACK_USED]: false,
          [ATTR_SELECTOR_ENGINE_NAME]: 'cheerio',
          [ATTR_SELECTOR_CONTEXT]: 'checkout-page',
        },
        value: 1,
      },
    ]);
    const duration = await h.histogram(METRIC_SELECTOR_RESOLUTION_DURATION);
    expect(duration).toEqual([
      { attributes: { [ATTR_SELECTOR_NAME]: NAME, [ATTR_SELECTOR_RESULT]: 'success', [ATTR_SELECTOR_STRATEGY]: 'css' }, count: 1, sum: r.durationMs / 1000 },
    ]);
    expect(await h.points(METRIC_SELECTOR_STRATEGY_ATTEMPTS)).toEqual([
      { attributes: { [ATTR_SELECTOR_NAME]: NAME, [ATTR_SELECTOR_STRATEGY]: 'css', [ATTR_SELECTOR_STRATEGY_RESULT]: 'matched' }, value: 1 },
    ]);
    const strategyDuration = await h.histogram(METRIC_SELECTOR_STRATEGY_DURATION);
    expect(strategyDuration.map((p) => [p.attributes, p.count])).toEqual([
      [{ [ATTR_SELECTOR_STRATEGY]: 'css', [ATTR_SELECTOR_STRATEGY_RESULT]: 'matched' }, 1],
    ]);
    expect(strategyDuration[0]!.sum).toBeLessThanOrEqual(r.durationMs / 1000);
    expect(await h.histogram(METRIC_SELECTOR_CONFIDENCE)).toEqual([
      { attributes: { [ATTR_SELECTOR_NAME]: NAME, [ATTR_SELECTOR_STRATEGY]: 'css' }, count: 1, sum: 1 },
    ]);
  });

  it('declares units and the semconv bucket boundaries', async () => {
    const t = h.telemetry();
    await t.resolve(NAME, [fixed('css', { count: 1 })]);
    const d = (await h.metric(METRIC_SELECTOR_RESOLUTION_DURATION))!;
    expect(d.descriptor.unit).toBe('s');
    expect((d.dataPoints[0]!.value as Histogram).buckets.boundaries).toEqual(SELECTOR_DURATION_BUCKETS);
    const s = (await h.metric(METRIC_SELECTOR_STRATEGY_DURATION))!;
    expect((s.dataPoints[0]!.value as Histogram).buckets.boundaries).toEqual(SELECTOR_DURATION_BUCKETS);
    const c = (await h.metric(METRIC_SELECTOR_CONFIDENCE))!;
    expect(c.descriptor.unit).toBe('1');
    expect((c.dataPoints[0]!.value as Histogram).buckets.boundaries).toEqual(SELECTOR_CONFIDENCE_BUCKETS);
    expect((await h.metric(METRIC_SELECTOR_RESOLUTIONS))!.descriptor.unit).toBe('{resolution}');
    expect((await h.metric(METRIC_SELECTOR_STRATEGY_ATTEMPTS))!.descriptor.unit).toBe('{attempt}');
    // The default engine name.
    expect(h.span(`resolve ${NAME}`).attributes[ATTR_SELECTOR_ENGINE_NAME]).toBe('custom');
  });

  it('runs strategies with the resolution span active, so their own spans nest under it', async () => {
    const t = h.telemetry();
    let active: string | undefined;
    const s: Strategy = {
      kind: 'css',
      find: () => {
        active = trace.getActiveSpan()?.spanContext().spanId;
        return { count: 1 };
      },
    };
    await t.resolve(NAME, [s]);
    expect(active).toBe(h.span(`resolve ${NAME}`).spanContext().spanId);
  });

  it("with attemptSpans 'always', strategies run inside their attempt span", async () => {
    const t = h.telemetry({ attemptSpans: 'always' });
    let active: string | undefined;
    const s: Strategy = {
      kind: 'css',
      find: () => {
        active = trace.getActiveSpan()?.spanContext().spanId;
        return { count: 1 };
      },
    };
    await t.resolve(NAME, [s]);
    const [child] = h.children(h.span(`resolve ${NAME}`));
    expect(active).toBe(child!.spanContext().spanId);
  });

  it('counts many resolutions of one series in one point', async () => {
    const t = h.telemetry();
    const s = [fixed('css', { count: 1, element: BUTTON })];
    for (let i = 0; i < 5; i++) await t.resolve(NAME, s);
    expect((await h.points(METRIC_SELECTOR_RESOLUTIONS)).map((p) => p.value)).toEqual([5]);
    expect((await h.points(METRIC_SELECTOR_STRATEGY_ATTEMPTS)).map((p) => p.value)).toEqual([5]);
    expect((await h.histogram(METRIC_SELECTOR_CONFIDENCE)).map((p) => p.count)).toEqual([5]);
  });
});

describe('resolve: fallback', () => {
  it('css fails, text wins: fallback.from and depth, one child span per attempt, parent status OK', async () => {
    const t = h.telemetry({ engine: 'cheerio' });
    const r = await t.resolve(NAME, [fixed('css', { count: 0 }), fixed('text', { count: 1, element: BUTTON, value: 42 })]);
    expect(r).toMatchObject({ result: 'success', strategy: 'text', index: 1, value: 42, fallbackUsed: true, fallbackFrom: 'css', attempts: 2, count: 1 });

    const parent = h.span(`resolve ${NAME}`);
    expect(parent.status.code).toBe(SpanStatusCode.UNSET);
    expect(parent.attributes).toEqual(
      base({
        [ATTR_SELECTOR_STRATEGY]: 'text',
        [ATTR_SELECTOR_STRATEGY_PRIMARY]: 'css',
        [ATTR_SELECTOR_STRATEGIES_ATTEMPTED]: ['css', 'text'],
        [ATTR_SELECTOR_ATTEMPT_COUNT]: 2,
        [ATTR_SELECTOR_FALLBACK_USED]: true,
        [ATTR_SELECTOR_FALLBACK_FROM]: 'css',
        [ATTR_SELECTOR_FALLBACK_DEPTH]: 1,
        [ATTR_SELECTOR_RESULT]: 'success',
        [ATTR_SELECTOR_CONFIDENCE]: 1,
        [ATTR_SELECTOR_CANDIDATES]: 1,
        [ATTR_SELECTOR_ELEMENT_FINGERPRINT]: FP,
        [ATTR_SELECTOR_DRIFT_DETECTED]: false,
      }),
    );
    const children = h.children(parent);
    expect(children.map((c) => [c.name, c.kind, c.status.code, c.attributes])).toEqual([
      [
        `css ${NAME}`,
        SpanKind.INTERNAL,
        SpanStatusCode.UNSET,
        { [ATTR_SELECTOR_NAME]: NAME, [ATTR_SELECTOR_STRATEGY]: 'css', [ATTR_SELECTOR_ATTEMPT_INDEX]: 0, [ATTR_SELECTOR_STRATEGY_RESULT]: 'no_match', [ATTR_SELECTOR_CANDIDATES]: 0 },
      ],
      [
        `text ${NAME}`,
        SpanKind.INTERNAL,
        SpanStatusCode.UNSET,
        {
          [ATTR_SELECTOR_NAME]: NAME,
          [ATTR_SELECTOR_STRATEGY]: 'text',
          [ATTR_SELECTOR_ATTEMPT_INDEX]: 1,
          [ATTR_SELECTOR_STRATEGY_RESULT]: 'matched',
          [ATTR_SELECTOR_CANDIDATES]: 1,
          [ATTR_SELECTOR_CONFIDENCE]: 1,
        },
      ],
    ]);
    // Children lie within the parent, in order.
    const ms = (t: [number, number]): number => t[0] * 1e3 + t[1] / 1e6;
    expect(ms(children[0]!.startTime)).toBeGreaterThanOrEqual(ms(parent.startTime) - 1);
    expect(ms(children[1]!.startTime)).toBeGreaterThanOrEqual(ms(children[0]!.endTime) - 0.01);
    expect(ms(children[1]!.endTime)).toBeLessThanOrEqual(ms(parent.endTime) + 1);

    expect(await h.points(METRIC_SELECTOR_RESOLUTIONS)).toEqual([
      {
        attributes: {
          [ATTR_SELECTOR_NAME]: NAME,
          [ATTR_SELECTOR_STRATEGY]: 'text',
          [ATTR_SELECTOR_RESULT]: 'success',
          [ATTR_SELECTOR_FALLBACK_USED]: true,
          [ATTR_SELECTOR_ENGINE_NAME]: 'cheerio',
        },
        value: 1,
      },
    ]);
    expect(sorted(await h.points(METRIC_SELECTOR_STRATEGY_ATTEMPTS))).toEqual([
      { attributes: { [ATTR_SELECTOR_NAME]: NAME, [ATTR_SELECTOR_STRATEGY]: 'css', [ATTR_SELECTOR_STRATEGY_RESULT]: 'no_match' }, value: 1 },
      { attributes: { [ATTR_SELECTOR_NAME]: NAME, [ATTR_SELECTOR_STRATEGY]: 'text', [ATTR_SELECTOR_STRATEGY_RESULT]: 'matched' }, value: 1 },
    ]);
    expect(sorted(await h.histogram(METRIC_SELECTOR_STRATEGY_DURATION)).map((p) => [p.attributes, p.count])).toEqual([
      [{ [ATTR_SELECTOR_STRATEGY]: 'css', [ATTR_SELECTOR_STRATEGY_RESULT]: 'no_match' }, 1],
      [{ [ATTR_SELECTOR_STRATEGY]: 'text', [ATTR_SELECTOR_STRATEGY_RESULT]: 'matched' }, 1],
    ]);
  });

  it("attemptSpans 'always' makes a child even for a first-try success; 'never' makes none on a fallback", async () => {
    const always = h.telemetry({ attemptSpans: 'always', captureQueries: true });
    await always.resolve('a', [fixed('css', { count: 1 }, '#place-order')]);
    const parent = h.span('resolve a');
    expect(h.children(parent).map((c) => [c.name, c.attributes])).toEqual([
      [
        'css a',
        {
          [ATTR_SELECTOR_NAME]: 'a',
          [ATTR_SELECTOR_STRATEGY]: 'css',
          [ATTR_SELECTOR_ATTEMPT_INDEX]: 0,
          [ATTR_SELECTOR_STRATEGY_RESULT]: 'matched',
          [ATTR_SELECTOR_CANDIDATES]: 1,
          [ATTR_SELECTOR_CONFIDENCE]: 1,
          [ATTR_SELECTOR_QUERY]: '#place-order',
        },
      ],
    ]);
    const never = h.telemetry({ attemptSpans: 'never' });
    await never.resolve('b', [fixed('css', { count: 0 }), fixed('text', { count: 1 })]);
    expect(h.children(h.span('resolve b'))).toEqual([]);
    expect(h.span('resolve b').attributes[ATTR_SELECTOR_FALLBACK_DEPTH]).toBe(1);
  });

  it('records selector.query only when captureQueries is on, truncated to 256 characters', async () => {
    const off = h.telemetry();
    await off.resolve('q', [fixed('css', { count: 0 }, '#secret-user-42'), fixed('text', { count: 1 }, 'text=Hello')]);
    for (const c of h.children(h.span('resolve q'))) expect(c.attributes[ATTR_SELECTOR_QUERY]).toBeUndefined();
    const on = h.telemetry({ captureQueries: true });
    await on.resolve('r', [fixed('css', { count: 0 }, 'x'.repeat(300)), fixed('text', { count: 1 }, 'text=Hello')]);
    expect(h.children(h.span('resolve r')).map((c) => c.attributes[ATTR_SELECTOR_QUERY])).toEqual(['x'.repeat(256), 'text=Hello']);
  });
});

describe('resolve: failures', () => {
  it('ambiguous: strict mode ends the resolution after the round, with StrictModeViolation', async () => {
    const t = h.telemetry({ engine: 'cheerio' });
    const css = fixed('css', { count: 3, element: BUTTON });
    const text = fixed('text', { count: 0 });
    const r = await t.resolve(NAME, [css, text]);
    expect(r).toEqual({
      name: NAME,
      result: 'ambiguous',
      strategy: 'none',
      index: -1,
      count: 3,
      fallbackUsed: false,
      attempts: 2,
      durationMs: r.durationMs,
      drift: ['ambiguity'],
      errorType: 'StrictModeViolation',
    });
    expect(css.calls).toBe(1);
    const span = h.span(`resolve ${NAME}`);
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes).toEqual(
      base({
        [ATTR_SELECTOR_STRATEGY]: 'none',
        [ATTR_SELECTOR_STRATEGY_PRIMARY]: 'css',
        [ATTR_SELECTOR_STRATEGIES_ATTEMPTED]: ['css', 'text'],
        [ATTR_SELECTOR_ATTEMPT_COUNT]: 2,
        [ATTR_SELECTOR_FALLBACK_USED]: false,
        [ATTR_SELECTOR_RESULT]: 'ambiguous',
        [ATTR_SELECTOR_CANDIDATES]: 3,
        [ATTR_SELECTOR_DRIFT_DETECTED]: true,
        [ATTR_SELECTOR_DRIFT_KIND]: ['ambiguity'],
        [ATTR_ERROR_TYPE]: 'StrictModeViolation',
      }),
    );
    expect(span.events.map((e) => [e.name, e.attributes])).toEqual([
      [
        EVENT_SELECTOR_DRIFT,
        { [ATTR_SELECTOR_NAME]: NAME, [ATTR_SELECTOR_DRIFT_DETECTED]: true, [ATTR_SELECTOR_DRIFT_KIND]: ['ambiguity'], [ATTR_SELECTOR_STRATEGY]: 'none' },
      ],
    ]);
    expect(h.children(span).map((c) => [c.attributes[ATTR_SELECTOR_STRATEGY_RESULT], c.attributes[ATTR_SELECTOR_CANDIDATES]])).toEqual([
      ['ambiguous', 3],
      ['no_match', 0],
    ]);
    expect(await h.points(METRIC_SELECTOR_RESOLUTIONS)).toEqual([
      {
        attributes: {
          [ATTR_SELECTOR_NAME]: NAME,
          [ATTR_SELECTOR_STRATEGY]: 'none',
          [ATTR_SELECTOR_RESULT]: 'ambiguous',
          [ATTR_SELECTOR_FALLBACK_USED]: false,
          [ATTR_SELECTOR_ENGINE_NAME]: 'cheerio',
        },
        value: 1,
      },
    ]);
    expect(await h.histogram(METRIC_SELECTOR_CONFIDENCE)).toEqual([]);
  });

  it('allowMultiple accepts more than one element', async () => {
    const t = h.telemetry();
    const r = await t.resolve(NAME, [fixed('css', { count: 3, value: ['a', 'b', 'c'] })], { allowMultiple: true });
    expect(r).toMatchObject({ result: 'success', count: 3, value: ['a', 'b', 'c'], confidence: 1 });
    expect(h.span(`resolve ${NAME}`).attributes[ATTR_SELECTOR_CANDIDATES]).toBe(3);
  });

  it('low confidence: a match below the threshold is rejected; the best rejected confidence is reported', async () => {
    const t = h.telemetry({ engine: 'cheerio' });
    const heuristic = fixed('heuristic', { count: 1, confidence: 0.4, candidateScores: [0.4, 0.35, 0.2, 0.1, 0.05, 0.01], element: BUTTON });
    const r = await t.resolve(NAME, [fixed('css', { count: 0 }), heuristic]);
    expect(r).toEqual({
      name: NAME,
      result: 'low_confidence',
      strategy: 'none',
      index: -1,
      count: 0,
      confidence: 0.4,
      fallbackUsed: false,
      attempts: 2,
      durationMs: r.durationMs,
      drift: ['confidence_drop'],
      errorType: 'LowConfidence',
    });
    const span = h.span(`resolve ${NAME}`);
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes).toEqual(
      base({
        [ATTR_SELECTOR_STRATEGY]: 'none',
        [ATTR_SELECTOR_STRATEGY_PRIMARY]: 'css',
        [ATTR_SELECTOR_STRATEGIES_ATTEMPTED]: ['css', 'heuristic'],
        [ATTR_SELECTOR_ATTEMPT_COUNT]: 2,
        [ATTR_SELECTOR_FALLBACK_USED]: false,
        [ATTR_SELECTOR_RESULT]: 'low_confidence',
        [ATTR_SELECTOR_DRIFT_DETECTED]: true,
        [ATTR_SELECTOR_DRIFT_KIND]: ['confidence_drop'],
        [ATTR_ERROR_TYPE]: 'LowConfidence',
      }),
    );
    expect(h.children(span)[1]!.attributes).toEqual({
      [ATTR_SELECTOR_NAME]: NAME,
      [ATTR_SELECTOR_STRATEGY]: 'heuristic',
      [ATTR_SELECTOR_ATTEMPT_INDEX]: 1,
      [ATTR_SELECTOR_STRATEGY_RESULT]: 'rejected',
      [ATTR_SELECTOR_CANDIDATES]: 1,
      [ATTR_SELECTOR_CONFIDENCE]: 0.4,
      [ATTR_SELECTOR_CANDIDATE_SCORES]: [0.4, 0.35, 0.2, 0.1, 0.05],
    });
    // A lower threshold for this call accepts it.
    const ok = await t.resolve(NAME, [heuristic], { threshold: 0.3 });
    expect(ok).toMatchObject({ result: 'success', strategy: 'heuristic', confidence: 0.4 });
  });

  it('not found: retries in rounds with back-off until the deadline, then not_found with NotFoundError', async () => {
    const t = h.telemetry();
    const css = fixed('css', { count: 0 });
    const text = fixed('text', { count: 0 });
    const r = await t.resolve(NAME, [css, text], { timeout: 120, retryIntervals: [5, 10] });
    expect(r.result).toBe('not_found');
    expect(r.errorType).toBe('NotFoundError');
    expect(r.durationMs).toBeGreaterThanOrEqual(119);
    expect(r.durationMs).toBeLessThan(1000);
    // Rounds at 0, 5, 15, 25, …: every round tries both strategies.
    expect(css.calls).toBeGreaterThanOrEqual(4);
    expect(text.calls).toBe(css.calls);
    expect(r.attempts).toBe(css.calls * 2);
    const span = h.span(`resolve ${NAME}`);
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes).toMatchObject({
      [ATTR_SELECTOR_RESULT]: 'not_found',
      [ATTR_SELECTOR_STRATEGY]: 'none',
      [ATTR_SELECTOR_STRATEGIES_ATTEMPTED]: ['css', 'text'],
      [ATTR_SELECTOR_ATTEMPT_COUNT]: r.attempts,
      [ATTR_SELECTOR_TIMEOUT]: 0.12,
      [ATTR_ERROR_TYPE]: 'NotFoundError',
    });
    expect(h.children(span)).toHaveLength(r.attempts);
    expect(sorted(await h.points(METRIC_SELECTOR_STRATEGY_ATTEMPTS)).map((p) => p.value)).toEqual([css.calls, text.calls]);
  });

  it("uses Playwright's back-off by default and finds an element that appears later", async () => {
    const t = h.telemetry();
    const css = sequence('css', [{ count: 0 }, { count: 0 }, { count: 0 }, { count: 1 }]);
    const started = performance.now();
    const r = await t.resolve(NAME, [css]);
    // Waits 0, 20 and 100 ms before rounds 2, 3 and 4.
    expect(performance.now() - started).toBeGreaterThanOrEqual(119);
    expect(r).toMatchObject({ result: 'success', strategy: 'css', attempts: 4, fallbackUsed: false });
    expect(h.children(h.span(`resolve ${NAME}`)).map((c) => c.attributes[ATTR_SELECTOR_STRATEGY_RESULT])).toEqual([
      'no_match',
      'no_match',
      'no_match',
      'matched',
    ]);
  });

  it('with retryIntervals [] there is one round only', async () => {
    const t = h.telemetry();
    const css = fixed('css', { count: 0 });
    const r = await t.resolve(NAME, [css], { retryIntervals: [] });
    expect(r).toMatchObject({ result: 'not_found', attempts: 1, errorType: 'NotFoundError' });
    expect(r.durationMs).toBeLessThan(50);
  });

  it('a strategy that throws is recorded and the next one tried; the parent stays OK', async () => {
    const t = h.telemetry();
    const r = await t.resolve(NAME, [throwing('css', new SyntaxError('bad selector #[')), throwing('xpath', new RangeError('x'), true), fixed('text', { count: 1 })]);
    expect(r).toMatchObject({ result: 'success', strategy: 'text', index: 2, fallbackFrom: 'css', attempts: 3 });
    const span = h.span(`resolve ${NAME}`);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.attributes[ATTR_ERROR_TYPE]).toBeUndefined();
    expect(h.children(span).map((c) => [c.attributes[ATTR_SELECTOR_STRATEGY_RESULT], c.attributes[ATTR_ERROR_TYPE], c.status.code])).toEqual([
      ['error', 'SyntaxError', SpanStatusCode.ERROR],
      ['error', 'RangeError', SpanStatusCode.ERROR],
      ['matched', undefined, SpanStatusCode.UNSET],
    ]);
    expect(sorted(await h.points(METRIC_SELECTOR_STRATEGY_ATTEMPTS)).map((p) => [p.attributes[ATTR_SELECTOR_STRATEGY], p.attributes[ATTR_SELECTOR_STRATEGY_RESULT], p.value])).toEqual([
      ['css', 'error', 1],
      ['text', 'matched', 1],
      ['xpath', 'error', 1],
    ]);
  });

  it('when every strategy fails the resolution ends at once with the first error type', async () => {
    const t = h.telemetry();
    const r = await t.resolve(NAME, [throwing('css', new SyntaxError('bad')), throwing('text', new TypeError('boom'))], { timeout: 5000 });
    expect(r).toMatchObject({ result: 'error', errorType: 'SyntaxError', attempts: 2 });
    expect(r.durationMs).toBeLessThan(100);
    expect(h.span(`resolve ${NAME}`).status.code).toBe(SpanStatusCode.ERROR);
  });

  it('an unsupported strategy is recorded as unsupported (not a failure) and not tried again', async () => {
    const t = h.telemetry();
    const xpath = throwing('xpath', new UnsupportedStrategyError('xpath', 'cheerio'));
    const css = sequence('css', [{ count: 0 }, { count: 1 }]);
    const r = await t.resolve(NAME, [xpath, css]);
    expect(r).toMatchObject({ result: 'success', strategy: 'css', index: 1, attempts: 3, fallbackUsed: true, fallbackFrom: 'xpath' });
    expect(xpath.calls).toBe(1);
    expect(h.children(h.span(`resolve ${NAME}`)).map((c) => [c.name, c.attributes[ATTR_SELECTOR_STRATEGY_RESULT], c.attributes[ATTR_ERROR_TYPE], c.status.code])).toEqual([
      [`xpath ${NAME}`, 'unsupported', undefined, SpanStatusCode.UNSET],
      [`css ${NAME}`, 'no_match', undefined, SpanStatusCode.UNSET],
      [`css ${NAME}`, 'matched', undefined, SpanStatusCode.UNSET],
    ]);
    // An error named UnsupportedStrategyError counts too; all unsupported is an error.
    const foreign = Object.assign(new Error('no ARIA in this engine'), { name: 'UnsupportedStrategyError' });
    const all = await t.resolve('other', [throwing('role', foreign)]);
    expect(all).toMatchObject({ result: 'error', errorType: 'UnsupportedStrategyError', attempts: 1 });
  });

  it('a strategy that never settles is abandoned at the deadline: timeout, TimeoutError, signal aborted, the rest skipped', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown): void => void unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      const t = h.telemetry();
      const css = hanging('css');
      const text = fixed('text', { count: 1 });
      const r = await t.resolve(NAME, [css, text], { timeout: 80 });
      expect(r).toEqual({
        name: NAME,
        result: 'timeout',
        strategy: 'none',
        index: -1,
        count: 0,
        fallbackUsed: false,
        attempts: 1,
        durationMs: r.durationMs,
        drift: [],
        errorType: 'TimeoutError',
      });
      expect(r.durationMs).toBeGreaterThanOrEqual(79);
      expect(text.calls).toBe(0);
      expect(css.signals[0]!.aborted).toBe(true);
      expect((css.signals[0]!.reason as DOMException).name).toBe('TimeoutError');
      const span = h.span(`resolve ${NAME}`);
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
      expect(span.attributes).toMatchObject({ [ATTR_SELECTOR_RESULT]: 'timeout', [ATTR_ERROR_TYPE]: 'TimeoutError', [ATTR_SELECTOR_ATTEMPT_COUNT]: 1, [ATTR_SELECTOR_STRATEGIES_ATTEMPTED]: ['css'] });
      expect(h.children(span).map((c) => [c.name, c.attributes, c.status.code])).toEqual([
        [
          `css ${NAME}`,
          { [ATTR_SELECTOR_NAME]: NAME, [ATTR_SELECTOR_STRATEGY]: 'css', [ATTR_SELECTOR_ATTEMPT_INDEX]: 0, [ATTR_SELECTOR_STRATEGY_RESULT]: 'timeout', [ATTR_ERROR_TYPE]: 'TimeoutError' },
          SpanStatusCode.ERROR,
        ],
        [`text ${NAME}`, { [ATTR_SELECTOR_NAME]: NAME, [ATTR_SELECTOR_STRATEGY]: 'text', [ATTR_SELECTOR_ATTEMPT_INDEX]: 1, [ATTR_SELECTOR_STRATEGY_RESULT]: 'skipped' }, SpanStatusCode.UNSET],
      ]);
      expect(sorted(await h.points(METRIC_SELECTOR_STRATEGY_ATTEMPTS)).map((p) => [p.attributes[ATTR_SELECTOR_STRATEGY_RESULT], p.value])).toEqual([
        ['timeout', 1],
        ['skipped', 1],
      ]);
      // A skipped attempt has no duration.
      expect((await h.histogram(METRIC_SELECTOR_STRATEGY_DURATION)).map((p) => p.attributes[ATTR_SELECTOR_STRATEGY_RESULT])).toEqual(['timeout']);

      // A late answer (or a late rejection) after the deadline is ignored.
      const late = await t.resolve('late', [delayed('css', 150, { count: 1 })], { timeout: 40 });
      expect(late.result).toBe('timeout');
      const lateReject = await t.resolve('late-reject', [
        { kind: 'css', find: () => new Promise<StrategyMatch>((_, reject) => setTimeout(reject, 60, new Error('too late'))) },
      ], { timeout: 20 });
      expect(lateReject.result).toBe('timeout');
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('a slow synchronous strategy that overruns the budget leaves the rest skipped: timeout', async () => {
    const t = h.telemetry();
    const slow: Strategy = {
      kind: 'css',
      find: () => {
        const until = performance.now() + 40;
        while (performance.now() < until) {
          // busy: a synchronous engine cannot be abandoned, only outlived
        }
        return { count: 0 };
      },
    };
    const text = fixed('text', { count: 1 });
    const r = await t.resolve(NAME, [slow, text], { timeout: 20 });
    expect(r).toMatchObject({ result: 'timeout', errorType: 'TimeoutError', attempts: 1 });
    expect(text.calls).toBe(0);
    expect(h.children(h.span(`resolve ${NAME}`)).map((c) => c.attributes[ATTR_SELECTOR_STRATEGY_RESULT])).toEqual(['no_match', 'skipped']);
  });

  it('a strategy that throws a TimeoutError of its own counts as a timed-out attempt', async () => {
    const t = h.telemetry();
    const err = Object.assign(new Error('locator.count: Timeout 30ms exceeded.'), { name: 'TimeoutError' });
    const r = await t.resolve(NAME, [throwing('css', err)], { timeout: 60, retryIntervals: [10] });
    expect(r).toMatchObject({ result: 'timeout', errorType: 'TimeoutError' });
    expect(r.attempts).toBeGreaterThanOrEqual(2);
  });

  it('caller abort: before the start, while a strategy runs, and while waiting between rounds', async () => {
    const t = h.telemetry();
    const pre = new AbortController();
    pre.abort();
    const untouched = fixed('css', { count: 1 });
    const r1 = await t.resolve('a', [untouched], { signal: pre.signal });
    expect(r1).toMatchObject({ result: 'error', errorType: 'AbortError', attempts: 0, strategy: 'none' });
    expect(untouched.calls).toBe(0);
    expect(h.span('resolve a').attributes).toMatchObject({ [ATTR_SELECTOR_RESULT]: 'error', [ATTR_ERROR_TYPE]: 'AbortError', [ATTR_SELECTOR_ATTEMPT_COUNT]: 0 });

    const during = new AbortController();
    const css = hanging('css');
    setTimeout(() => during.abort(new Error('user navigated away')), 20);
    const r2 = await t.resolve('b', [css], { signal: during.signal, timeout: 5000 });
    expect(r2).toMatchObject({ result: 'error', errorType: 'AbortError', attempts: 1 });
    expect(r2.durationMs).toBeLessThan(1000);
    expect(css.signals[0]!.aborted).toBe(true);
    expect(h.children(h.span('resolve b')).map((c) => [c.attributes[ATTR_SELECTOR_STRATEGY_RESULT], c.attributes[ATTR_ERROR_TYPE]])).toEqual([['error', 'AbortError']]);

    const waiting = new AbortController();
    setTimeout(() => waiting.abort(), 30);
    const r3 = await t.resolve('c', [fixed('css', { count: 0 })], { signal: waiting.signal, timeout: 5000, retryIntervals: [1000] });
    expect(r3).toMatchObject({ result: 'error', errorType: 'AbortError', attempts: 1 });
    expect(r3.durationMs).toBeLessThan(900);
  });

  it('a bad match from a strategy is an error attempt, and a bad confidence is dropped (counted)', async () => {
    const t = h.telemetry();
    const r = await t.resolve(NAME, [fixed('css', { count: Number.NaN }), fixed('text', { count: 1, confidence: Number.NaN }), fixed('role', { count: 1 })], {
      retryIntervals: [],
    });
    // text's NaN confidence is dropped; without a previous element the unique match is worth 1.
    expect(r).toMatchObject({ result: 'success', strategy: 'text', confidence: 1 });
    const r2 = await t.resolve('other', [fixed('css', { count: 1, confidence: 1.5 })]);
    expect(r2).toMatchObject({ result: 'success', confidence: 1 });
    const r3 = await t.resolve('third', [fixed('css', null as unknown as StrategyMatch)], { retryIntervals: [] });
    expect(r3).toMatchObject({ result: 'error', errorType: 'InvalidStrategyMatch' });
    const hostile = {
      tag: 'button',
      get classes(): string[] {
        throw new Error('detached node');
      },
    };
    const r4 = await t.resolve('fourth', [fixed('css', { count: 1, element: hostile }), fixed('text', { count: 1 })], { retryIntervals: [] });
    expect(r4).toMatchObject({ result: 'success', strategy: 'text' });
    expect(drops()).toEqual({
      'strategy "css" returned no valid { count }; attempt recorded as an error': 2,
      'strategy confidence outside [0, 1] dropped': 2,
      'strategy "css" returned a match that could not be read; attempt recorded as an error': 1,
    });
    expect(h.children(h.span(`resolve ${NAME}`))[0]!.attributes).toMatchObject({ [ATTR_SELECTOR_STRATEGY_RESULT]: 'error', [ATTR_ERROR_TYPE]: 'InvalidStrategyMatch' });
  });

  it('measureMemory records the heap delta', async () => {
    const t = h.telemetry({ measureMemory: true });
    await t.resolve(NAME, [fixed('css', { count: 1 })]);
    expect(typeof h.span(`resolve ${NAME}`).attributes[ATTR_SELECTOR_MEMORY_DELTA]).toBe('number');
  });
});

describe('resolve: confidence from the previous good element', () => {
  it('is the similarity to the last matched element when the engine gives none, and can be rejected by it', async () => {
    const t = h.telemetry();
    await t.resolve(NAME, [fixed('css', { count: 1, element: BUTTON })]);
    const r = await t.resolve(NAME, [fixed('css', { count: 1, element: BUTTON_V2 })]);
    expect(r.confidence).toBeCloseTo(similarity(BUTTON, BUTTON_V2), 12);
    expect(r.confidence).toBeCloseTo(244 / 350, 12);
    // The same descriptor, or one with the same fingerprint, is worth 1.
    const same = await t.resolve(NAME, [fixed('css', { count: 1, element: { ...BUTTON_V2 } })]);
    expect(same.confidence).toBe(1);
    // With a threshold above it, a changed element is rejected.
    const strict = createSelectorTelemetry({ tracerProvider: h.tracerProvider, meterProvider: h.meterProvider, threshold: 0.75 });
    await strict.resolve('s', [fixed('css', { count: 1, element: BUTTON })]);
    const rejected = await strict.resolve('s', [fixed('css', { count: 1, element: BUTTON_V2 })], { retryIntervals: [] });
    expect(rejected).toMatchObject({ result: 'low_confidence', errorType: 'LowConfidence' });
    expect(rejected.confidence).toBeCloseTo(244 / 350, 12);
  });
});

describe('argument and option checks', () => {
  it('rejects a bad name, bad strategies or bad options before any strategy runs', async () => {
    const t = h.telemetry();
    const s = fixed('css', { count: 1 });
    const cases: Array<[unknown, unknown, unknown, new (...a: never[]) => Error, string]> = [
      ['', [s], undefined, TypeError, 'selector name must be a non-empty string, got an empty string'],
      [42, [s], undefined, TypeError, 'selector name must be a non-empty string, got 42'],
      [undefined, [s], undefined, TypeError, 'selector name must be a non-empty string, got undefined'],
      ['x', [], undefined, TypeError, 'strategies for selector "x" must be a non-empty array of { kind, find } objects, got an array'],
      ['x', 'css', undefined, TypeError, 'strategies for selector "x" must be a non-empty array of { kind, find } objects, got "css"'],
      ['x', [s, { kind: 'text' }], undefined, TypeError, 'strategies[1].find of selector "x" must be a function'],
      ['x', [{ kind: '', find: () => ({ count: 1 }) }], undefined, TypeError, 'strategies[0].kind of selector "x" must be a non-empty string, got an empty string'],
      ['x', [s], { timeout: -1 }, SelectorConfigError, 'timeout must be a number of milliseconds in (0, 2147483647], got -1'],
      ['x', [s], { timeout: Number.NaN }, SelectorConfigError, 'timeout must be a number of milliseconds in (0, 2147483647], got NaN'],
      ['x', [s], { threshold: 1.5 }, SelectorConfigError, 'threshold must be a number in [0, 1], got 1.5'],
      ['x', [s], { retryIntervals: [10, -5] }, SelectorConfigError, 'retryIntervals[1] must be a number of milliseconds ≥ 0, got -5'],
      ['x', [s], { retryIntervals: 100 }, SelectorConfigError, 'retryIntervals must be an array of at most 64 waits in ms, got 100'],
      ['x', [s], { signal: {} }, SelectorConfigError, 'signal must be an AbortSignal, got an object'],
      ['x', [s], { context: '' }, SelectorConfigError, 'context must be a non-empty string, got an empty string'],
      ['x', [s], { allowMultiple: 'yes' }, SelectorConfigError, 'allowMultiple must be a boolean, got "yes"'],
      ['x', [s], { tiemout: 10 }, SelectorConfigError, 'unknown resolve option "tiemout"; expected one of timeout, context, engine, threshold, allowMultiple, retryIntervals, signal'],
      ['x', [s], null, SelectorConfigError, 'resolve options must be an object, got null'],
    ];
    for (const [name, strategies, options, type, message] of cases) {
      const p = t.resolve(name as string, strategies as Strategy[], options as undefined);
      await expect(p).rejects.toThrow(type);
      await expect(p).rejects.toThrow(message);
    }
    expect(s.calls).toBe(0);
    expect(h.spans()).toEqual([]);
  });

  it('createSelectorTelemetry throws SelectorConfigError with a specific message', () => {
    const cases: Array<[unknown, string]> = [
      [{ threshold: 1.5 }, 'threshold must be a number in [0, 1], got 1.5'],
      [{ threshold: '0.5' }, 'threshold must be a number in [0, 1], got "0.5"'],
      [{ attemptSpans: 'sometimes' }, `attemptSpans must be 'always', 'fallback' or 'never', got "sometimes"`],
      [{ maxSelectors: 0 }, 'maxSelectors must be a positive integer, got 0'],
      [{ maxSelectors: 2.5 }, 'maxSelectors must be a positive integer, got 2.5'],
      [{ engine: '' }, 'engine must be a non-empty string, got an empty string'],
      [{ captureQueries: 'yes' }, 'captureQueries must be a boolean, got "yes"'],
      [{ measureMemory: 1 }, 'measureMemory must be a boolean, got 1'],
      [{ tracerProvider: {} }, 'tracerProvider must be a TracerProvider (an object with getTracer())'],
      [{ meterProvider: 5 }, 'meterProvider must be a MeterProvider (an object with getMeter())'],
      [{ treshold: 0.5 }, 'unknown selector telemetry option "treshold"'],
      [null, 'selector telemetry options must be an object, got null'],
    ];
    for (const [options, message] of cases) {
      expect(() => createSelectorTelemetry(options as never)).toThrow(SelectorConfigError);
      expect(() => createSelectorTelemetry(options as never)).toThrow(message);
    }
    expect(createSelectorTelemetry({ threshold: 0, maxSelectors: 1, attemptSpans: 'never', engine: 'playwright' }).engine).toBe('playwright');
  });
});

describe('cardinality bounds', () => {
  it('selectors beyond maxSelectors are traced, not kept in stats, and counted in the overflow series', async () => {
    const t = h.telemetry({ maxSelectors: 1 });
    await t.resolve('first', [fixed('css', { count: 1 })]);
    await t.resolve('second', [fixed('css', { count: 1 })]);
    await t.resolve('third', [fixed('css', { count: 0 }), fixed('text', { count: 1 })]);
    expect(h.span('resolve second').attributes[ATTR_SELECTOR_NAME]).toBe('second');
    expect(h.children(h.span('resolve third'))).toHaveLength(2);
    expect(t.getSelectorStats('first')?.uses).toBe(1);
    expect(t.getSelectorStats('second')).toBeUndefined();
    expect(sorted(await h.points(METRIC_SELECTOR_RESOLUTIONS))).toEqual(
      sorted<{ attributes: Attributes; value: number }>([
        {
          attributes: {
            [ATTR_SELECTOR_NAME]: 'first',
            [ATTR_SELECTOR_STRATEGY]: 'css',
            [ATTR_SELECTOR_RESULT]: 'success',
            [ATTR_SELECTOR_FALLBACK_USED]: false,
            [ATTR_SELECTOR_ENGINE_NAME]: 'custom',
          },
          value: 1,
        },
        { attributes: { [ATTR_OTEL_METRIC_OVERFLOW]: true }, value: 2 },
      ]),
    );
    expect(sorted(await h.points(METRIC_SELECTOR_STRATEGY_ATTEMPTS)).map((p) => [p.attributes, p.value])).toEqual(
      sorted<{ attributes: Attributes; value: number }>([
        { attributes: { [ATTR_SELECTOR_NAME]: 'first', [ATTR_SELECTOR_STRATEGY]: 'css', [ATTR_SELECTOR_STRATEGY_RESULT]: 'matched' }, value: 1 },
        { attributes: { [ATTR_OTEL_METRIC_OVERFLOW]: true }, value: 3 },
      ]).map((p) => [p.attributes, p.value]),
    );
    expect(drops()['selector names beyond maxSelectors are traced but not kept in statistics (metrics go to the overflow series)']).toBe(2);
  });

  it('two telemetry instances on one meter report one series, not two', async () => {
    const a = h.telemetry();
    const b = h.telemetry();
    await a.resolve(NAME, [fixed('css', { count: 1 })]);
    await b.resolve(NAME, [fixed('css', { count: 1 })]);
    await b.resolve(NAME, [fixed('css', { count: 1 })]);
    expect((await h.points(METRIC_SELECTOR_RESOLUTIONS)).map((p) => p.value)).toEqual([3]);
  });
});
