import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { hrTimeToMilliseconds } from '@opentelemetry/core';
import { describe, expect, it } from 'vitest';
import {
  ATTR_ERROR_TYPE,
  ATTR_SELECTOR_ATTEMPT_COUNT,
  ATTR_SELECTOR_ATTEMPT_INDEX,
  ATTR_SELECTOR_CANDIDATES,
  ATTR_SELECTOR_CONFIDENCE,
  ATTR_SELECTOR_CONTEXT,
  ATTR_SELECTOR_DRIFT_DETECTED,
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
  METRIC_SELECTOR_CONFIDENCE,
  METRIC_SELECTOR_RESOLUTIONS,
  METRIC_SELECTOR_RESOLUTION_DURATION,
  METRIC_SELECTOR_STRATEGY_ATTEMPTS,
  METRIC_SELECTOR_STRATEGY_DURATION,
} from '@driftwatch/semconv';
import { fingerprint, recordResolution } from '@driftwatch/selector';
import type { ResolutionRecord } from '@driftwatch/selector';
import { BUTTON, drops, sorted, useHarness } from './harness';

const h = useHarness();
const FP = fingerprint(BUTTON);
const START = Date.UTC(2026, 0, 2, 10, 0, 0);

describe('recordResolution', () => {
  it('records a measured resolution: the same span (backdated), metrics and statistics as resolve()', async () => {
    const t = h.telemetry();
    t.recordResolution('search.box', {
      strategy: 'css',
      success: true,
      confidence: 0.9,
      durationMs: 12,
      candidates: 1,
      engine: 'playwright',
      context: 'home',
      element: BUTTON,
      startTime: START,
      timeoutMs: 3000,
      memoryDelta: 2048,
    });
    const span = h.span('resolve search.box');
    expect(span.kind).toBe(SpanKind.INTERNAL);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(hrTimeToMilliseconds(span.startTime)).toBe(START);
    expect(hrTimeToMilliseconds(span.endTime)).toBe(START + 12);
    expect(span.attributes).toEqual({
      [ATTR_SELECTOR_NAME]: 'search.box',
      [ATTR_SELECTOR_ENGINE_NAME]: 'playwright',
      [ATTR_SELECTOR_STRATEGY]: 'css',
      [ATTR_SELECTOR_STRATEGY_PRIMARY]: 'css',
      [ATTR_SELECTOR_STRATEGIES_ATTEMPTED]: ['css'],
      [ATTR_SELECTOR_ATTEMPT_COUNT]: 1,
      [ATTR_SELECTOR_FALLBACK_USED]: false,
      [ATTR_SELECTOR_RESULT]: 'success',
      [ATTR_SELECTOR_CONFIDENCE]: 0.9,
      [ATTR_SELECTOR_FALLBACK_DEPTH]: 0,
      [ATTR_SELECTOR_CANDIDATES]: 1,
      [ATTR_SELECTOR_TIMEOUT]: 3,
      [ATTR_SELECTOR_CONTEXT]: 'home',
      [ATTR_SELECTOR_ELEMENT_FINGERPRINT]: FP,
      [ATTR_SELECTOR_DRIFT_DETECTED]: false,
      [ATTR_SELECTOR_MEMORY_DELTA]: 2048,
    });
    expect(h.children(span)).toEqual([]);
    expect(await h.points(METRIC_SELECTOR_RESOLUTIONS)).toEqual([
      {
        attributes: {
          [ATTR_SELECTOR_NAME]: 'search.box',
          [ATTR_SELECTOR_STRATEGY]: 'css',
          [ATTR_SELECTOR_RESULT]: 'success',
          [ATTR_SELECTOR_FALLBACK_USED]: false,
          [ATTR_SELECTOR_ENGINE_NAME]: 'playwright',
          [ATTR_SELECTOR_CONTEXT]: 'home',
        },
        value: 1,
      },
    ]);
    expect(await h.histogram(METRIC_SELECTOR_RESOLUTION_DURATION)).toEqual([
      { attributes: { [ATTR_SELECTOR_NAME]: 'search.box', [ATTR_SELECTOR_RESULT]: 'success', [ATTR_SELECTOR_STRATEGY]: 'css' }, count: 1, sum: 0.012 },
    ]);
    expect(await h.histogram(METRIC_SELECTOR_CONFIDENCE)).toEqual([
      { attributes: { [ATTR_SELECTOR_NAME]: 'search.box', [ATTR_SELECTOR_STRATEGY]: 'css' }, count: 1, sum: 0.9 },
    ]);
    // A named winner without attempts counts as one matched attempt of it.
    expect(await h.points(METRIC_SELECTOR_STRATEGY_ATTEMPTS)).toEqual([
      { attributes: { [ATTR_SELECTOR_NAME]: 'search.box', [ATTR_SELECTOR_STRATEGY]: 'css', [ATTR_SELECTOR_STRATEGY_RESULT]: 'matched' }, value: 1 },
    ]);
    expect(await h.histogram(METRIC_SELECTOR_STRATEGY_DURATION)).toEqual([
      { attributes: { [ATTR_SELECTOR_STRATEGY]: 'css', [ATTR_SELECTOR_STRATEGY_RESULT]: 'matched' }, count: 1, sum: 0.012 },
    ]);
    const stats = t.getSelectorStats('search.box')!;
    expect(stats).toMatchObject({ uses: 1, successRate: 1, baselineStrategy: 'css', lastFingerprint: FP, lastElement: BUTTON, firstSeen: START + 12, lastSeen: START + 12 });
    expect(stats.strategies.css).toMatchObject({ attempts: 1, wins: 1, results: { matched: 1 } });
    expect(drops()).toEqual({});
  });

  it('lays recorded attempts end to end as child spans, with the fallback they imply', async () => {
    const t = h.telemetry({ captureQueries: true });
    t.recordResolution('login.email', {
      strategy: 'text',
      result: 'success',
      confidence: 0.8,
      durationMs: 12,
      startTime: START,
      attempts: [
        { strategy: 'css', result: 'no_match', durationMs: 5, count: 0, query: '#email' },
        { strategy: 'text', result: 'matched', durationMs: 7, count: 1, confidence: 0.8 },
      ],
    });
    const span = h.span('resolve login.email');
    expect(span.attributes).toEqual({
      [ATTR_SELECTOR_NAME]: 'login.email',
      [ATTR_SELECTOR_ENGINE_NAME]: 'custom',
      [ATTR_SELECTOR_STRATEGY]: 'text',
      [ATTR_SELECTOR_STRATEGY_PRIMARY]: 'css',
      [ATTR_SELECTOR_STRATEGIES_ATTEMPTED]: ['css', 'text'],
      [ATTR_SELECTOR_ATTEMPT_COUNT]: 2,
      [ATTR_SELECTOR_FALLBACK_USED]: true,
      [ATTR_SELECTOR_FALLBACK_FROM]: 'css',
      [ATTR_SELECTOR_FALLBACK_DEPTH]: 1,
      [ATTR_SELECTOR_RESULT]: 'success',
      [ATTR_SELECTOR_CONFIDENCE]: 0.8,
      [ATTR_SELECTOR_DRIFT_DETECTED]: false,
    });
    const children = h.children(span);
    expect(children.map((c) => [c.name, hrTimeToMilliseconds(c.startTime) - START, hrTimeToMilliseconds(c.endTime) - START, c.attributes])).toEqual([
      [
        'css login.email',
        0,
        5,
        { [ATTR_SELECTOR_NAME]: 'login.email', [ATTR_SELECTOR_STRATEGY]: 'css', [ATTR_SELECTOR_ATTEMPT_INDEX]: 0, [ATTR_SELECTOR_STRATEGY_RESULT]: 'no_match', [ATTR_SELECTOR_CANDIDATES]: 0, [ATTR_SELECTOR_QUERY]: '#email' },
      ],
      [
        'text login.email',
        5,
        12,
        {
          [ATTR_SELECTOR_NAME]: 'login.email',
          [ATTR_SELECTOR_STRATEGY]: 'text',
          [ATTR_SELECTOR_ATTEMPT_INDEX]: 1,
          [ATTR_SELECTOR_STRATEGY_RESULT]: 'matched',
          [ATTR_SELECTOR_CANDIDATES]: 1,
          [ATTR_SELECTOR_CONFIDENCE]: 0.8,
        },
      ],
    ]);
    expect(sorted(await h.histogram(METRIC_SELECTOR_STRATEGY_DURATION))).toEqual([
      { attributes: { [ATTR_SELECTOR_STRATEGY]: 'css', [ATTR_SELECTOR_STRATEGY_RESULT]: 'no_match' }, count: 1, sum: 0.005 },
      { attributes: { [ATTR_SELECTOR_STRATEGY]: 'text', [ATTR_SELECTOR_STRATEGY_RESULT]: 'matched' }, count: 1, sum: 0.007 },
    ]);
  });

  it('derives the result from success and errorType, and marks failures', async () => {
    const t = h.telemetry();
    t.recordResolution('a', { success: false, errorType: 'TimeoutError', durationMs: 30 });
    t.recordResolution('b', { success: false });
    t.recordResolution('c', { result: 'ambiguous', candidates: 4 });
    t.recordResolution('d', { strategy: 'role' });
    expect(['a', 'b', 'c', 'd'].map((n) => [h.span(`resolve ${n}`).attributes[ATTR_SELECTOR_RESULT], h.span(`resolve ${n}`).attributes[ATTR_ERROR_TYPE], h.span(`resolve ${n}`).status.code])).toEqual([
      ['timeout', 'TimeoutError', SpanStatusCode.ERROR],
      ['not_found', 'NotFoundError', SpanStatusCode.ERROR],
      ['ambiguous', 'StrictModeViolation', SpanStatusCode.ERROR],
      ['success', undefined, SpanStatusCode.UNSET],
    ]);
    expect(h.span('resolve c').attributes[ATTR_SELECTOR_CANDIDATES]).toBe(4);
  });

  it('drops every bad field with a counted warning and keeps the rest', async () => {
    const t = h.telemetry();
    const bad = {
      strategy: 42,
      result: 'great',
      success: 'yes',
      confidence: Number.NaN,
      durationMs: -3,
      candidates: 1.5,
      fallbackUsed: 'no',
      fallbackFrom: '',
      timeoutMs: 0,
      errorType: 7,
      context: '',
      engine: {},
      element: { id: 'no-tag' },
      memoryDelta: Number.POSITIVE_INFINITY,
      startTime: -1,
      attempts: [null, { strategy: 'css', result: 'nope' }, { strategy: 'css', result: 'no_match', durationMs: -1, count: -2, confidence: 2, query: 5 }],
    } as unknown as ResolutionRecord;
    expect(() => t.recordResolution('bad.fields', bad)).not.toThrow();
    const span = h.span('resolve bad.fields');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes).toEqual({
      [ATTR_SELECTOR_NAME]: 'bad.fields',
      [ATTR_SELECTOR_ENGINE_NAME]: 'custom',
      [ATTR_SELECTOR_STRATEGY]: 'none',
      [ATTR_SELECTOR_STRATEGY_PRIMARY]: 'css',
      [ATTR_SELECTOR_STRATEGIES_ATTEMPTED]: ['css'],
      [ATTR_SELECTOR_ATTEMPT_COUNT]: 1,
      [ATTR_SELECTOR_FALLBACK_USED]: false,
      [ATTR_SELECTOR_RESULT]: 'not_found',
      [ATTR_SELECTOR_DRIFT_DETECTED]: false,
      [ATTR_ERROR_TYPE]: 'NotFoundError',
    });
    expect(drops()).toEqual({
      'recordResolution: invalid strategy dropped': 1,
      'recordResolution: invalid result dropped': 1,
      'recordResolution: invalid success dropped': 1,
      'recordResolution: invalid errorType dropped': 1,
      'recordResolution: invalid confidence dropped': 1,
      'recordResolution: invalid durationMs dropped': 1,
      'recordResolution: invalid candidates dropped': 1,
      'recordResolution: invalid fallbackUsed dropped': 1,
      'recordResolution: invalid fallbackFrom dropped': 1,
      'recordResolution: invalid timeoutMs dropped': 1,
      'recordResolution: invalid context dropped': 1,
      'recordResolution: invalid engine dropped': 1,
      'recordResolution: invalid element dropped': 1,
      'recordResolution: invalid memoryDelta dropped': 1,
      'recordResolution: invalid startTime dropped': 1,
      'recordResolution: invalid attempt (no strategy) dropped': 1,
      'recordResolution: invalid attempt result dropped': 1,
      'recordResolution: invalid attempt durationMs dropped': 1,
      'recordResolution: invalid attempt count dropped': 1,
      'recordResolution: invalid attempt confidence dropped': 1,
      'recordResolution: invalid attempt query dropped': 1,
    });
  });

  it('keeps a good record whose confidence is NaN or out of range, without the confidence', async () => {
    const t = h.telemetry();
    t.recordResolution('nan', { strategy: 'css', confidence: Number.NaN, durationMs: 4 });
    t.recordResolution('high', { strategy: 'css', confidence: 1.2, durationMs: 4 });
    t.recordResolution('negative', { strategy: 'css', durationMs: -4 });
    // Without a usable confidence of its own, a first match is worth 1 (as in resolve()).
    expect(h.span('resolve nan').attributes[ATTR_SELECTOR_CONFIDENCE]).toBe(1);
    expect(h.span('resolve high').attributes[ATTR_SELECTOR_CONFIDENCE]).toBe(1);
    expect(h.span('resolve negative').attributes[ATTR_SELECTOR_RESULT]).toBe('success');
    // No duration known: no resolution-duration point for that series.
    expect((await h.histogram(METRIC_SELECTOR_RESOLUTION_DURATION)).map((p) => p.attributes[ATTR_SELECTOR_NAME]).sort()).toEqual(['high', 'nan']);
    expect(drops()).toEqual({
      'recordResolution: invalid confidence dropped': 2,
      'recordResolution: invalid durationMs dropped': 1,
    });
  });

  it('drops the whole record for a non-string name or a non-object record, and never throws', async () => {
    const t = h.telemetry();
    expect(() => t.recordResolution(42 as unknown as string, { strategy: 'css' })).not.toThrow();
    expect(() => t.recordResolution('', { strategy: 'css' })).not.toThrow();
    expect(() => t.recordResolution('x', null as unknown as ResolutionRecord)).not.toThrow();
    expect(() => recordResolution(undefined as unknown as string, undefined as unknown as ResolutionRecord)).not.toThrow();
    expect(h.spans()).toEqual([]);
    expect(await h.points(METRIC_SELECTOR_RESOLUTIONS)).toEqual([]);
    expect(drops()).toEqual({
      'recordResolution: selector name is not a non-empty string; record dropped': 3,
      'recordResolution: record is not an object; record dropped': 1,
    });
  });

  it('defaults the span start to now − durationMs', () => {
    const t = h.telemetry();
    const before = Date.now();
    t.recordResolution('n', { strategy: 'css', durationMs: 250 });
    const span = h.span('resolve n');
    const start = hrTimeToMilliseconds(span.startTime);
    expect(start).toBeGreaterThanOrEqual(before - 251);
    expect(start).toBeLessThanOrEqual(Date.now() - 249);
    expect(hrTimeToMilliseconds(span.endTime) - start).toBeCloseTo(250, 6);
  });
});
