import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SpanStatusCode } from '@opentelemetry/api';
import * as cheerio from 'cheerio';
import type { CheerioAPI } from 'cheerio';
import type { Element } from 'domhandler';
import { describe, expect, it } from 'vitest';
import {
  ATTR_ERROR_TYPE,
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
  ATTR_SELECTOR_NAME,
  ATTR_SELECTOR_QUERY,
  ATTR_SELECTOR_RESULT,
  ATTR_SELECTOR_STRATEGIES_ATTEMPTED,
  ATTR_SELECTOR_STRATEGY,
  ATTR_SELECTOR_STRATEGY_PRIMARY,
  ATTR_SELECTOR_STRATEGY_RESULT,
  ATTR_SELECTOR_TIMEOUT,
  EVENT_SELECTOR_DRIFT,
  METRIC_SELECTOR_RESOLUTIONS,
} from '@driftwatch/semconv';
import { SelectorConfigError, cheerioStrategies, describeCheerioElement, fingerprint, similarity } from '@driftwatch/selector';
import type { Strategy } from '@driftwatch/selector';
import { useHarness } from './harness';

const h = useHarness();
const fixture = (name: string): CheerioAPI => cheerio.load(readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8'));
const ONE_ROUND = { retryIntervals: [] as number[] };

/** Runs a strategy once and returns what it found. */
async function find(s: Strategy) {
  return s.find(new AbortController().signal, 1000);
}

describe('cheerio adapter: strategies', () => {
  const v1 = fixture('checkout-v1.html');
  const v2 = fixture('checkout-v2.html');

  it('fixtures are realistic pages of a few hundred elements', () => {
    expect(v1('*').length).toBeGreaterThan(300);
    expect(v2('*').length).toBeGreaterThan(300);
  });

  it('builds strategies in the spec key order, with their kinds and queries', () => {
    const s = cheerioStrategies(v1, { text: 'Place order', css: '#place-order', testId: 'place-order', label: 'Email address', role: { role: 'button', name: 'Place "order"' }, heuristic: { tag: 'button', id: 'x' } });
    expect(s.map((x) => [x.kind, x.query])).toEqual([
      ['text', 'text=Place order'],
      ['css', '#place-order'],
      ['test_id', '[data-testid="place-order"]'],
      ['label', 'label=Email address'],
      ['role', 'role=button[name="Place \\"order\\""]'],
      ['heuristic', 'heuristic=button#x'],
    ]);
  });

  it('css, text, test id, label and role find the same button on v1; descriptors are cached per node', async () => {
    const button = v1('#place-order')[0] as Element;
    const desc = describeCheerioElement(button);
    expect(desc).toEqual({
      tag: 'button',
      id: 'place-order',
      classes: ['btn', 'btn-primary', 'checkout-submit'],
      text: 'Place order',
      attributes: { type: 'submit', 'data-testid': 'place-order' },
      path: ['html', 'body', 'main', 'aside', 'form', 'div'],
    });
    expect(describeCheerioElement(button)).toBe(desc);
    expect(Object.isFrozen(desc)).toBe(true);
    const strategies = cheerioStrategies(v1, { css: '#place-order', text: 'place ORDER', testId: 'place-order', role: { role: 'button', name: 'Place order' } });
    for (const s of strategies) {
      const m = await find(s);
      expect([s.kind, m.count, m.element]).toEqual([s.kind, 1, desc]);
      expect((m.value as cheerio.Cheerio<Element>)[0]).toBe(button);
    }
  });

  it('label finds the control by its <label> (for= or wrapping) and by aria-label, on both versions', async () => {
    for (const [$, id] of [
      [v1, 'email-input'],
      [v2, 'co-email'],
    ] as const) {
      const m = await find(cheerioStrategies($, { label: 'Email address' })[0]!);
      expect([m.count, m.element?.tag, m.element?.id]).toEqual([1, 'input', id]);
    }
    const wrapped = await find(cheerioStrategies(v1, { label: 'I accept the terms and conditions' })[0]!);
    expect([wrapped.count, wrapped.element?.attributes]).toEqual([1, { name: 'terms', type: 'checkbox' }]);
    const aria = await find(cheerioStrategies(v1, { label: 'Summit Outfitters home' })[0]!);
    expect([aria.count, aria.element?.tag]).toEqual([1, 'a']);
  });

  it('role uses explicit and implicit roles and a simplified accessible name', async () => {
    const headings = await find(cheerioStrategies(v1, { role: 'heading' })[0]!);
    expect(headings.count).toBe(v1('h1, h2, h3, h4, h5, h6').length);
    const search = await find(cheerioStrategies(v1, { role: 'search' })[0]!);
    expect([search.count, search.element?.tag]).toEqual([1, 'form']);
    const email = await find(cheerioStrategies(v2, { role: { role: 'textbox', name: 'Email address' } })[0]!);
    expect([email.count, email.element?.id]).toEqual([1, 'co-email']);
    const size = await find(cheerioStrategies(v1, { role: { role: 'combobox', name: 'Size' } })[0]!);
    expect([size.count, size.element?.id]).toEqual([1, 'size']);
    const searchButton = await find(cheerioStrategies(v1, { role: { role: 'button', name: 'Search' } })[0]!);
    expect([searchButton.count, searchButton.element?.attributes?.['aria-label']]).toEqual([1, 'Search']);
  });

  it('text prefers whole matches of the deepest element, else partial ones; exact turns partial off', async () => {
    const quick = await find(cheerioStrategies(v1, { text: 'Quick add' })[0]!);
    expect(quick.count).toBe(16);
    // "Place" is part of the button's text and of the fine print (the script's comment is not visible text).
    const partial = await find(cheerioStrategies(v1, { text: 'Place' })[0]!);
    expect(partial.count).toBe(2);
    const exact = await find(cheerioStrategies(v1, { text: 'Place' }, { exact: true })[0]!);
    expect(exact.count).toBe(0);
  });

  it('the heuristic scores every element of the reference tag and returns the best with the top-5 scores', async () => {
    const ref = describeCheerioElement(v1('#place-order')[0] as Element);
    const m = await find(cheerioStrategies(v2, { heuristic: ref })[0]!);
    const healed = describeCheerioElement(v2('button.order-cta')[0] as Element);
    const scores = v2('button')
      .toArray()
      .map((el) => similarity(ref, describeCheerioElement(el)))
      .sort((a, b) => b - a);
    expect(m.count).toBe(1);
    expect(m.element).toBe(healed);
    expect(m.confidence).toBe(scores[0]);
    expect(m.confidence).toBeGreaterThan(0.6);
    expect(m.candidateScores).toEqual(scores.slice(0, 5));
    // With scope 'all' every element is a candidate; the best is the same button.
    const all = await find(cheerioStrategies(v2, { heuristic: ref }, { heuristicScope: 'all' })[0]!);
    expect(all.element).toBe(healed);
  });

  it('rejects a bad spec at configuration time', () => {
    const cases: Array<[unknown, unknown, string]> = [
      [v1, { xpath: '//button' }, 'unknown cheerio strategy "xpath"; expected one of css, text, testId, label, role, heuristic'],
      [v1, { css: '' }, 'cheerio strategy css must be a non-empty string, got an empty string'],
      [v1, { role: {} }, 'cheerio strategy role.role must be a non-empty string, got undefined'],
      [v1, { heuristic: { id: 'x' } }, 'cheerio strategy heuristic must be an element descriptor'],
      [v1, {}, 'cheerioStrategies needs at least one of css, text, testId, label, role, heuristic'],
      [v1, null, 'cheerioStrategies needs a spec object'],
      ['<html>', { css: 'a' }, 'cheerioStrategies needs the CheerioAPI returned by cheerio.load()'],
    ];
    for (const [$, spec, message] of cases) {
      expect(() => cheerioStrategies($ as CheerioAPI, spec as never)).toThrow(SelectorConfigError);
      expect(() => cheerioStrategies($ as CheerioAPI, spec as never)).toThrow(message);
    }
    expect(() => cheerioStrategies(v1, { css: 'a' }, { heuristicScope: 'some' as never })).toThrow("heuristicScope must be 'tag' or 'all', got some");
  });
});

describe('cheerio adapter: resolution and healing', () => {
  it('v1 resolves by css; on v2 the css breaks and text heals it, with drift recorded', async () => {
    const t = h.telemetry({ engine: 'cheerio' });
    const spec = { css: '#place-order', text: 'Place order' };
    const v1 = fixture('checkout-v1.html');
    const v2 = fixture('checkout-v2.html');
    const before = describeCheerioElement(v1('#place-order')[0] as Element);
    const after = describeCheerioElement(v2('button.order-cta')[0] as Element);
    const healedConfidence = similarity(before, after);

    const r1 = await t.resolve('checkout.submit', cheerioStrategies(v1, spec), { ...ONE_ROUND, context: 'checkout' });
    expect(r1).toMatchObject({ result: 'success', strategy: 'css', confidence: 1, element: before, fingerprint: fingerprint(before), drift: [] });
    expect(r1.value?.attr('id')).toBe('place-order');

    const r2 = await t.resolve('checkout.submit', cheerioStrategies(v2, spec), { ...ONE_ROUND, context: 'checkout' });
    expect(r2).toMatchObject({ result: 'success', strategy: 'text', index: 1, fallbackUsed: true, fallbackFrom: 'css', element: after, drift: ['strategy_change', 'confidence_drop', 'fingerprint_change'] });
    expect(r2.confidence).toBe(healedConfidence);
    expect(healedConfidence).toBeGreaterThan(0.6);
    expect(healedConfidence).toBeLessThan(0.7);
    expect(r2.value?.attr('data-qa')).toBe('submit-order');

    const spans = h.spans().filter((s) => s.name === 'resolve checkout.submit');
    expect(spans).toHaveLength(2);
    const healed = spans[1]!;
    expect(healed.status.code).toBe(SpanStatusCode.UNSET);
    expect(healed.attributes).toEqual({
      [ATTR_SELECTOR_NAME]: 'checkout.submit',
      [ATTR_SELECTOR_ENGINE_NAME]: 'cheerio',
      [ATTR_SELECTOR_STRATEGY]: 'text',
      [ATTR_SELECTOR_STRATEGY_PRIMARY]: 'css',
      [ATTR_SELECTOR_STRATEGIES_ATTEMPTED]: ['css', 'text'],
      [ATTR_SELECTOR_ATTEMPT_COUNT]: 2,
      [ATTR_SELECTOR_CONFIDENCE_THRESHOLD]: 0.6,
      [ATTR_SELECTOR_FALLBACK_USED]: true,
      [ATTR_SELECTOR_FALLBACK_FROM]: 'css',
      [ATTR_SELECTOR_FALLBACK_DEPTH]: 1,
      [ATTR_SELECTOR_RESULT]: 'success',
      [ATTR_SELECTOR_TIMEOUT]: 5,
      [ATTR_SELECTOR_CONFIDENCE]: healedConfidence,
      [ATTR_SELECTOR_CANDIDATES]: 1,
      [ATTR_SELECTOR_CONTEXT]: 'checkout',
      [ATTR_SELECTOR_ELEMENT_FINGERPRINT]: fingerprint(after),
      [ATTR_SELECTOR_DRIFT_DETECTED]: true,
      [ATTR_SELECTOR_DRIFT_KIND]: ['strategy_change', 'confidence_drop', 'fingerprint_change'],
    });
    expect(healed.events.map((e) => [e.name, e.attributes])).toEqual([
      [
        EVENT_SELECTOR_DRIFT,
        {
          [ATTR_SELECTOR_NAME]: 'checkout.submit',
          [ATTR_SELECTOR_DRIFT_DETECTED]: true,
          [ATTR_SELECTOR_DRIFT_KIND]: ['strategy_change', 'confidence_drop', 'fingerprint_change'],
          [ATTR_SELECTOR_STRATEGY]: 'text',
          [ATTR_SELECTOR_CONFIDENCE]: healedConfidence,
          [ATTR_SELECTOR_ELEMENT_FINGERPRINT]: fingerprint(after),
        },
      ],
    ]);
    expect(h.children(healed).map((c) => c.attributes)).toEqual([
      { [ATTR_SELECTOR_NAME]: 'checkout.submit', [ATTR_SELECTOR_STRATEGY]: 'css', [ATTR_SELECTOR_ATTEMPT_INDEX]: 0, [ATTR_SELECTOR_STRATEGY_RESULT]: 'no_match', [ATTR_SELECTOR_CANDIDATES]: 0 },
      {
        [ATTR_SELECTOR_NAME]: 'checkout.submit',
        [ATTR_SELECTOR_STRATEGY]: 'text',
        [ATTR_SELECTOR_ATTEMPT_INDEX]: 1,
        [ATTR_SELECTOR_STRATEGY_RESULT]: 'matched',
        [ATTR_SELECTOR_CANDIDATES]: 1,
        [ATTR_SELECTOR_CONFIDENCE]: healedConfidence,
      },
    ]);
    expect((await h.points(METRIC_SELECTOR_RESOLUTIONS)).map((p) => [p.attributes[ATTR_SELECTOR_STRATEGY], p.attributes[ATTR_SELECTOR_FALLBACK_USED], p.value])).toEqual([
      ['css', false, 1],
      ['text', true, 1],
    ]);
    expect(t.getSelectorStats('checkout.submit')).toMatchObject({ uses: 2, fallbackRate: 0.5, baselineStrategy: 'css', lastStrategy: 'text', lastElement: after });
  });

  it('the heuristic heals from the last good element, and its scores go on the attempt span', async () => {
    const t = h.telemetry({ engine: 'cheerio', captureQueries: true });
    const v1 = fixture('checkout-v1.html');
    const v2 = fixture('checkout-v2.html');
    await t.resolve('checkout.submit', cheerioStrategies(v1, { css: '#place-order' }), ONE_ROUND);
    const reference = t.getSelectorStats('checkout.submit')!.lastElement!;
    const r = await t.resolve('checkout.submit', cheerioStrategies(v2, { css: '#place-order', testId: 'place-order', heuristic: reference }), ONE_ROUND);
    expect(r).toMatchObject({ result: 'success', strategy: 'heuristic', index: 2, fallbackFrom: 'css' });
    expect(r.value?.hasClass('order-cta')).toBe(true);
    const span = h.spans().filter((s) => s.name === 'resolve checkout.submit')[1]!;
    const [css, testId, heuristic] = h.children(span);
    expect([css!.attributes[ATTR_SELECTOR_QUERY], testId!.attributes[ATTR_SELECTOR_QUERY], testId!.attributes[ATTR_SELECTOR_STRATEGY_RESULT]]).toEqual([
      '#place-order',
      '[data-testid="place-order"]',
      'no_match',
    ]);
    expect(heuristic!.attributes).toMatchObject({
      [ATTR_SELECTOR_STRATEGY]: 'heuristic',
      [ATTR_SELECTOR_STRATEGY_RESULT]: 'matched',
      [ATTR_SELECTOR_CONFIDENCE]: r.confidence,
      [ATTR_SELECTOR_QUERY]: 'heuristic=button#place-order',
    });
    const scores = heuristic!.attributes[ATTR_SELECTOR_CANDIDATE_SCORES] as number[];
    expect(scores).toHaveLength(5);
    expect(scores[0]).toBe(r.confidence);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
  });

  it('an ambiguous text and a css syntax error are classified, not thrown', async () => {
    const t = h.telemetry({ engine: 'cheerio' });
    const v1 = fixture('checkout-v1.html');
    const r = await t.resolve('related.quick-add', cheerioStrategies(v1, { css: 'div.card >>> button', text: 'Quick add' }), ONE_ROUND);
    expect(r).toMatchObject({ result: 'ambiguous', count: 16, errorType: 'StrictModeViolation' });
    const [css, text] = h.children(h.span('resolve related.quick-add'));
    expect([css!.attributes[ATTR_SELECTOR_STRATEGY_RESULT], css!.attributes[ATTR_ERROR_TYPE]]).toEqual(['error', 'SelectorSyntaxError']);
    expect([text!.attributes[ATTR_SELECTOR_STRATEGY_RESULT], text!.attributes[ATTR_SELECTOR_CANDIDATES]]).toEqual(['ambiguous', 16]);
    // allowMultiple takes them all.
    const all = await t.resolve('related.quick-add', cheerioStrategies(v1, { text: 'Quick add' }), { ...ONE_ROUND, allowMultiple: true });
    expect([all.result, all.count, all.value?.length]).toEqual(['success', 16, 16]);
  });
});
