// The Playwright adapter against a real Chromium and pages served from a local HTTP server:
// strategies built from a spec, resolutions through SelectorTelemetry (first try, fallbacks, late
// elements, timeouts, strict mode), actions traced with tracePlaywrightAction, and the error
// classification. The browser tests skip when /usr/bin/chromium is missing, unless
// DRIFTWATCH_REQUIRE_E2E=1.
import { SpanStatusCode } from '@opentelemetry/api';
import type { Attributes } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ATTR_ERROR_TYPE,
  ATTR_SELECTOR_ATTEMPT_COUNT,
  ATTR_SELECTOR_ATTEMPT_INDEX,
  ATTR_SELECTOR_CANDIDATES,
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
  METRIC_SELECTOR_CONFIDENCE,
  METRIC_SELECTOR_RESOLUTIONS,
  METRIC_SELECTOR_RESOLUTION_DURATION,
  METRIC_SELECTOR_STRATEGY_ATTEMPTS,
  METRIC_SELECTOR_STRATEGY_DURATION,
} from '@driftwatch/semconv';
import { getDropCounts, resetDropCounts } from '../src/diag';
import { SelectorConfigError } from '../src/errors';
import { fingerprint, similarity } from '../src/fingerprint';
import { classifyPlaywrightError, playwrightStrategies, tracePlaywrightAction } from '../src/playwright';
import type { SelectorTelemetry } from '../src/telemetry';
import type { ElementDescriptor } from '../src/types';
import { browserAvailable, createHarness, launchChromium, startFixtureServer } from './playwright-fixture';
import type { FixtureServer, Harness } from './playwright-fixture';

/** The checkout button of /checkout, as the adapter reads it. */
const PLACE_ORDER_V1: ElementDescriptor = {
  tag: 'button',
  id: 'place-order',
  classes: ['btn', 'primary'],
  text: 'Place order',
  attributes: { type: 'submit', 'data-testid': 'place-order' },
  path: ['html', 'body', 'main', 'form'],
};
/** The same button after the redesign (/checkout-v2): class renamed, wrapped in a div. */
const PLACE_ORDER_V2: ElementDescriptor = {
  tag: 'button',
  id: 'place-order',
  classes: ['btn', 'cta'],
  text: 'Place order',
  attributes: { type: 'submit', 'data-testid': 'place-order' },
  path: ['html', 'body', 'main', 'form', 'div'],
};

const live = (): AbortSignal => new AbortController().signal;

/** Attributes of a finished span, as a plain object. */
const attrs = (span: ReadableSpan): Attributes => ({ ...span.attributes });

/** Child spans of a span, in start order. */
function childrenOf(h: Harness, parent: ReadableSpan): ReadableSpan[] {
  return h
    .spans()
    .filter((s) => s.parentSpanContext?.spanId === parent.spanContext().spanId)
    .sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1]);
}

async function histogramCounts(h: Harness, name: string): Promise<Array<{ attributes: Attributes; count: number }>> {
  return (await h.points(name)).map((p) => ({ attributes: p.attributes, count: (p.value as { count: number }).count }));
}

describe('classifyPlaywrightError', () => {
  const named = (name: string, message: string): Error => Object.assign(new Error(message), { name });

  it('classifies a TimeoutError as timeout', () => {
    expect(classifyPlaywrightError(named('TimeoutError', 'locator.click: Timeout 300ms exceeded.'))).toStrictEqual({
      result: 'timeout',
      errorType: 'TimeoutError',
    });
  });

  it('classifies a strict mode violation (a plain Error) as ambiguous', () => {
    const err = new Error("locator.click: Error: strict mode violation: locator('button.save') resolved to 2 elements:");
    expect(classifyPlaywrightError(err)).toStrictEqual({ result: 'ambiguous', errorType: 'StrictModeViolation' });
  });

  it('gives TimeoutError precedence over a message that mentions strict mode', () => {
    expect(classifyPlaywrightError(named('TimeoutError', 'strict mode violation while waiting'))).toStrictEqual({
      result: 'timeout',
      errorType: 'TimeoutError',
    });
  });

  it.each([
    'locator.count: Unexpected token "" while parsing css selector "button[[". Did you mean to CSS.escape it?',
    'locator.count: Unknown engine "foo" while parsing selector foo=bar',
    "locator.count: SyntaxError: Failed to execute 'evaluate' on 'Document': The string '//button[' is not a valid XPath expression.",
    'Error while parsing selector `internal:role=` - selector cannot be empty',
    'Malformed selector: nth=x',
  ])('classifies a selector syntax error: %s', (message) => {
    expect(classifyPlaywrightError(new Error(message))).toStrictEqual({ result: 'error', errorType: 'SelectorSyntaxError' });
  });

  it("uses any other error's name, else _OTHER", () => {
    expect(classifyPlaywrightError(new TypeError('x is not a function'))).toStrictEqual({ result: 'error', errorType: 'TypeError' });
    expect(classifyPlaywrightError(named('TargetClosedError', 'Target page, context or browser has been closed'))).toStrictEqual({
      result: 'error',
      errorType: 'TargetClosedError',
    });
    expect(classifyPlaywrightError(new Error('something else'))).toStrictEqual({ result: 'error', errorType: '_OTHER' });
    expect(classifyPlaywrightError('a string')).toStrictEqual({ result: 'error', errorType: '_OTHER' });
    expect(classifyPlaywrightError(null)).toStrictEqual({ result: 'error', errorType: '_OTHER' });
    expect(classifyPlaywrightError(undefined)).toStrictEqual({ result: 'error', errorType: '_OTHER' });
  });
});

describe('playwrightStrategies: configuration', () => {
  it('rejects a root that is not a page, frame or locator', () => {
    expect(() => playwrightStrategies({} as Page, { css: 'button' })).toThrow(SelectorConfigError);
    expect(() => playwrightStrategies(null as unknown as Page, { css: 'button' })).toThrow(
      'playwrightStrategies: root must be a Playwright Page, Frame or Locator',
    );
  });
});

describe('tracePlaywrightAction: arguments', () => {
  it('rejects an action that is not a function before recording anything', async () => {
    const h = createHarness();
    await expect(tracePlaywrightAction(h.telemetry, 'checkout.place', {} as Locator, 'click' as never)).rejects.toThrow(
      new TypeError('tracePlaywrightAction: action must be a function such as (locator) => locator.click()'),
    );
    expect(h.spans()).toStrictEqual([]);
    expect(await h.points(METRIC_SELECTOR_RESOLUTIONS)).toStrictEqual([]);
  });
});

describe.skipIf(!browserAvailable())('Playwright adapter with Chromium', () => {
  let browser: Browser;
  let server: FixtureServer;
  let page: Page;

  // One browser and one page for the file; each test navigates to the page it needs.
  beforeAll(async () => {
    [browser, server] = await Promise.all([launchChromium(), startFixtureServer()]);
    page = await browser.newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });
  beforeEach(() => resetDropCounts());

  /** Navigates, then runs one query so Playwright's injected script is in place before timing starts. */
  const open = async (path: string): Promise<void> => {
    await page.goto(server.url(path));
    await page.locator('html').count();
  };

  describe('playwrightStrategies', () => {
    it('builds one strategy per spec key, in key order, with Playwright descriptions as queries', () => {
      const strategies = playwrightStrategies(page, {
        testId: 'place-order',
        role: { role: 'button', name: 'Place order', exact: true },
        css: 'button.primary',
        xpath: '//button',
        text: { text: 'Place order', exact: true },
        label: 'Email',
      });
      expect(strategies.map((s) => [s.kind, s.query])).toStrictEqual([
        ['test_id', "getByTestId('place-order')"],
        ['role', "getByRole('button', { name: 'Place order', exact: true })"],
        ['css', "locator('button.primary')"],
        ['xpath', "locator('//button')"],
        ['text', "getByText('Place order', { exact: true })"],
        ['label', "getByLabel('Email')"],
      ]);
    });

    it('skips keys whose value is undefined', () => {
      const strategies = playwrightStrategies(page, { css: undefined, text: 'Place order' });
      expect(strategies.map((s) => s.kind)).toStrictEqual(['text']);
    });

    it.each([
      [{}, 'playwrightStrategies: spec must set at least one of css, xpath, text, role, testId, label'],
      [{ css: undefined }, 'playwrightStrategies: spec must set at least one of css, xpath, text, role, testId, label'],
      [{ id: 'x' }, 'playwrightStrategies: unknown spec key "id"; expected one of css, xpath, text, role, testId, label'],
      [{ css: '' }, 'playwrightStrategies: spec.css must be a non-empty string; got an empty string'],
      [{ xpath: 42 }, 'playwrightStrategies: spec.xpath must be a non-empty string; got number'],
      [{ text: { exact: true } }, 'playwrightStrategies: spec.text.text must be a non-empty string; got undefined'],
      [{ text: { text: 'a', exact: 'yes' } }, 'playwrightStrategies: text.exact must be a boolean; got a string'],
      [{ role: 'button' }, 'playwrightStrategies: spec.role must be { role, name?, exact? }; got a string'],
      [{ role: { role: 'button', name: 3 } }, 'playwrightStrategies: spec.role.name must be a string; got number'],
      [{ testId: null }, 'playwrightStrategies: spec.testId must be a non-empty string; got null'],
      [null, 'playwrightStrategies: spec must be an object with any of css, xpath, text, role, testId, label; got null'],
    ])('rejects a bad spec %j at configuration time', (spec, message) => {
      expect(() => playwrightStrategies(page, spec as never)).toThrow(new SelectorConfigError(message));
    });

    it('rejects bad options at configuration time', () => {
      expect(() => playwrightStrategies(page, { css: 'a' }, { readElement: 'no' as never })).toThrow(
        new SelectorConfigError('playwrightStrategies: readElement must be a boolean; got a string'),
      );
    });

    it('find() counts the matches and describes the first one, returning the locator itself', async () => {
      await open('/checkout');
      const [css, label, text, missing] = playwrightStrategies(page, {
        css: 'button.primary',
        label: 'Email',
        text: 'you agree to the terms',
        xpath: '//button[@id="nope"]',
      });
      const match = await css!.find(live(), 1000);
      expect(match).toStrictEqual({ count: 1, value: match.value, element: PLACE_ORDER_V1 });
      expect(await (match.value as Locator).getAttribute('id')).toBe('place-order');
      // The same locator every time: no allocation per attempt beyond the page round trip.
      expect((await css!.find(live(), 1000)).value).toBe(match.value);

      expect((await label!.find(live(), 1000)).element).toStrictEqual({
        tag: 'input',
        id: 'email',
        attributes: { name: 'email', type: 'email', placeholder: 'you@example.com' },
        path: ['html', 'body', 'main', 'form'],
      });
      // Text is whitespace-normalised and capped at 200 characters.
      const terms = (await text!.find(live(), 1000)).element!;
      expect(terms.text).toBe('By placing the order you agree to the terms. '.repeat(6).trim().slice(0, 200));
      expect(terms.text).toHaveLength(200);

      expect(await missing!.find(live(), 1000)).toStrictEqual({ count: 0 });
    });

    it('find() counts every match, and only visible ones with { visible: true }', async () => {
      await open('/hidden');
      const [all] = playwrightStrategies(page, { css: 'button.go' });
      const [visible] = playwrightStrategies(page, { css: 'button.go' }, { visible: true });
      expect((await all!.find(live(), 1000)).count).toBe(2);
      expect((await visible!.find(live(), 1000)).count).toBe(1);
    });

    it('find() skips the element read with { readElement: false }', async () => {
      await open('/checkout');
      const [css] = playwrightStrategies(page, { css: 'button.primary' }, { readElement: false });
      const match = await css!.find(live(), 1000);
      expect(match).toStrictEqual({ count: 1, value: match.value });
    });

    it('scopes the strategies to a locator or a frame root', async () => {
      await open('/checkout-v2');
      const [inActions] = playwrightStrategies(page.locator('div.actions'), { xpath: '//button' });
      const [inForm] = playwrightStrategies(page.locator('#checkout'), { css: 'input, button' });
      const [inFrame] = playwrightStrategies(page.mainFrame(), { testId: 'place-order' });
      expect((await inActions!.find(live(), 1000)).count).toBe(1);
      expect((await inForm!.find(live(), 1000)).count).toBe(2);
      expect((await inFrame!.find(live(), 1000)).element).toStrictEqual(PLACE_ORDER_V2);
    });

    it('find() rejects with the abort reason when the resolution is aborted', async () => {
      await open('/checkout');
      const [css] = playwrightStrategies(page, { css: 'button.primary' });
      const before = new AbortController();
      const reason = new DOMException('gave up', 'AbortError');
      before.abort(reason);
      await expect(css!.find(before.signal, 1000)).rejects.toBe(reason);

      const during = new AbortController();
      const pending = css!.find(during.signal, 1000);
      during.abort(reason);
      await expect(pending).rejects.toBe(reason);
    });

    it('find() throws a selector Playwright cannot parse as SelectorSyntaxError, with the original as cause', async () => {
      await open('/checkout');
      const [css] = playwrightStrategies(page, { css: 'button[[' });
      const err = (await Promise.resolve(css!.find(live(), 1000)).catch((e: unknown) => e)) as Error;
      expect(err.name).toBe('SelectorSyntaxError');
      expect(err.message).toContain('while parsing css selector "button[["');
      expect((err.cause as Error).message).toBe(err.message);
    });
  });

  describe('resolve() over Playwright strategies', () => {
    const checkoutSpec = { css: 'button.primary', role: { role: 'button', name: 'Place order' }, testId: 'place-order' } as const;

    it('resolves with the primary CSS strategy on the first try', async () => {
      await open('/checkout');
      const h = createHarness({ engine: 'playwright' });
      const r = await h.telemetry.resolve('checkout.place', playwrightStrategies(page, checkoutSpec), { timeout: 2000, context: 'checkout' });
      expect(r).toMatchObject({ result: 'success', strategy: 'css', index: 0, count: 1, attempts: 1, fallbackUsed: false, element: PLACE_ORDER_V1 });
      expect(await r.value!.first().textContent()).toContain('Place');

      const span = h.span('resolve checkout.place');
      expect(span.status.code).toBe(SpanStatusCode.UNSET);
      expect(attrs(span)).toStrictEqual({
        [ATTR_SELECTOR_NAME]: 'checkout.place',
        [ATTR_SELECTOR_ENGINE_NAME]: 'playwright',
        [ATTR_SELECTOR_STRATEGY]: 'css',
        [ATTR_SELECTOR_STRATEGY_PRIMARY]: 'css',
        [ATTR_SELECTOR_STRATEGIES_ATTEMPTED]: ['css'],
        [ATTR_SELECTOR_ATTEMPT_COUNT]: 1,
        [ATTR_SELECTOR_CONFIDENCE_THRESHOLD]: 0.6,
        [ATTR_SELECTOR_FALLBACK_USED]: false,
        [ATTR_SELECTOR_RESULT]: 'success',
        [ATTR_SELECTOR_TIMEOUT]: 2,
        [ATTR_SELECTOR_CONFIDENCE]: 1,
        [ATTR_SELECTOR_FALLBACK_DEPTH]: 0,
        [ATTR_SELECTOR_CANDIDATES]: 1,
        [ATTR_SELECTOR_CONTEXT]: 'checkout',
        [ATTR_SELECTOR_ELEMENT_FINGERPRINT]: fingerprint(PLACE_ORDER_V1),
        [ATTR_SELECTOR_DRIFT_DETECTED]: false,
      });
      expect(h.spans()).toHaveLength(1);

      expect(await h.points(METRIC_SELECTOR_RESOLUTIONS)).toStrictEqual([
        {
          attributes: {
            [ATTR_SELECTOR_NAME]: 'checkout.place',
            [ATTR_SELECTOR_STRATEGY]: 'css',
            [ATTR_SELECTOR_RESULT]: 'success',
            [ATTR_SELECTOR_FALLBACK_USED]: false,
            [ATTR_SELECTOR_ENGINE_NAME]: 'playwright',
            [ATTR_SELECTOR_CONTEXT]: 'checkout',
          },
          value: 1,
        },
      ]);
      expect(await h.points(METRIC_SELECTOR_STRATEGY_ATTEMPTS)).toStrictEqual([
        { attributes: { [ATTR_SELECTOR_NAME]: 'checkout.place', [ATTR_SELECTOR_STRATEGY]: 'css', [ATTR_SELECTOR_STRATEGY_RESULT]: 'matched' }, value: 1 },
      ]);
      expect(await histogramCounts(h, METRIC_SELECTOR_RESOLUTION_DURATION)).toStrictEqual([
        { attributes: { [ATTR_SELECTOR_NAME]: 'checkout.place', [ATTR_SELECTOR_RESULT]: 'success', [ATTR_SELECTOR_STRATEGY]: 'css' }, count: 1 },
      ]);
      expect(await histogramCounts(h, METRIC_SELECTOR_STRATEGY_DURATION)).toStrictEqual([
        { attributes: { [ATTR_SELECTOR_STRATEGY]: 'css', [ATTR_SELECTOR_STRATEGY_RESULT]: 'matched' }, count: 1 },
      ]);
      expect(await histogramCounts(h, METRIC_SELECTOR_CONFIDENCE)).toStrictEqual([
        { attributes: { [ATTR_SELECTOR_NAME]: 'checkout.place', [ATTR_SELECTOR_STRATEGY]: 'css' }, count: 1 },
      ]);
    });

    it('falls back to the role when the CSS class was renamed', async () => {
      await open('/checkout-v2');
      const h = createHarness({ engine: 'playwright', captureQueries: true });
      const r = await h.telemetry.resolve('checkout.place', playwrightStrategies(page, checkoutSpec), { timeout: 2000 });
      expect(r).toMatchObject({
        result: 'success',
        strategy: 'role',
        index: 1,
        count: 1,
        attempts: 2,
        fallbackUsed: true,
        fallbackFrom: 'css',
        element: PLACE_ORDER_V2,
        confidence: 1,
      });

      const span = h.span('resolve checkout.place');
      expect(attrs(span)).toStrictEqual({
        [ATTR_SELECTOR_NAME]: 'checkout.place',
        [ATTR_SELECTOR_ENGINE_NAME]: 'playwright',
        [ATTR_SELECTOR_STRATEGY]: 'role',
        [ATTR_SELECTOR_STRATEGY_PRIMARY]: 'css',
        [ATTR_SELECTOR_STRATEGIES_ATTEMPTED]: ['css', 'role'],
        [ATTR_SELECTOR_ATTEMPT_COUNT]: 2,
        [ATTR_SELECTOR_CONFIDENCE_THRESHOLD]: 0.6,
        [ATTR_SELECTOR_FALLBACK_USED]: true,
        [ATTR_SELECTOR_FALLBACK_FROM]: 'css',
        [ATTR_SELECTOR_FALLBACK_DEPTH]: 1,
        [ATTR_SELECTOR_RESULT]: 'success',
        [ATTR_SELECTOR_TIMEOUT]: 2,
        [ATTR_SELECTOR_CONFIDENCE]: 1,
        [ATTR_SELECTOR_CANDIDATES]: 1,
        [ATTR_SELECTOR_ELEMENT_FINGERPRINT]: fingerprint(PLACE_ORDER_V2),
        [ATTR_SELECTOR_DRIFT_DETECTED]: false,
      });
      expect(childrenOf(h, span).map((s) => [s.name, attrs(s)])).toStrictEqual([
        [
          'css checkout.place',
          {
            [ATTR_SELECTOR_NAME]: 'checkout.place',
            [ATTR_SELECTOR_STRATEGY]: 'css',
            [ATTR_SELECTOR_ATTEMPT_INDEX]: 0,
            [ATTR_SELECTOR_STRATEGY_RESULT]: 'no_match',
            [ATTR_SELECTOR_CANDIDATES]: 0,
            [ATTR_SELECTOR_QUERY]: "locator('button.primary')",
          },
        ],
        [
          'role checkout.place',
          {
            [ATTR_SELECTOR_NAME]: 'checkout.place',
            [ATTR_SELECTOR_STRATEGY]: 'role',
            [ATTR_SELECTOR_ATTEMPT_INDEX]: 1,
            [ATTR_SELECTOR_STRATEGY_RESULT]: 'matched',
            [ATTR_SELECTOR_CANDIDATES]: 1,
            [ATTR_SELECTOR_CONFIDENCE]: 1,
            [ATTR_SELECTOR_QUERY]: "getByRole('button', { name: 'Place order' })",
          },
        ],
      ]);
      expect(await h.points(METRIC_SELECTOR_RESOLUTIONS)).toStrictEqual([
        {
          attributes: {
            [ATTR_SELECTOR_NAME]: 'checkout.place',
            [ATTR_SELECTOR_STRATEGY]: 'role',
            [ATTR_SELECTOR_RESULT]: 'success',
            [ATTR_SELECTOR_FALLBACK_USED]: true,
            [ATTR_SELECTOR_ENGINE_NAME]: 'playwright',
          },
          value: 1,
        },
      ]);
      expect(await h.points(METRIC_SELECTOR_STRATEGY_ATTEMPTS)).toStrictEqual([
        { attributes: { [ATTR_SELECTOR_NAME]: 'checkout.place', [ATTR_SELECTOR_STRATEGY]: 'css', [ATTR_SELECTOR_STRATEGY_RESULT]: 'no_match' }, value: 1 },
        { attributes: { [ATTR_SELECTOR_NAME]: 'checkout.place', [ATTR_SELECTOR_STRATEGY]: 'role', [ATTR_SELECTOR_STRATEGY_RESULT]: 'matched' }, value: 1 },
      ]);
    });

    it('falls back to the test id when the CSS class and the accessible name both changed', async () => {
      await open('/checkout-v2');
      const h = createHarness({ engine: 'playwright' });
      const r = await h.telemetry.resolve(
        'checkout.place',
        playwrightStrategies(page, { css: 'button.primary', role: { role: 'button', name: 'Buy now' }, testId: 'place-order' }),
        { timeout: 2000 },
      );
      expect(r).toMatchObject({ result: 'success', strategy: 'test_id', index: 2, attempts: 3, fallbackUsed: true, fallbackFrom: 'css' });
      const span = h.span('resolve checkout.place');
      expect(attrs(span)).toMatchObject({
        [ATTR_SELECTOR_STRATEGY]: 'test_id',
        [ATTR_SELECTOR_STRATEGIES_ATTEMPTED]: ['css', 'role', 'test_id'],
        [ATTR_SELECTOR_ATTEMPT_COUNT]: 3,
        [ATTR_SELECTOR_FALLBACK_USED]: true,
        [ATTR_SELECTOR_FALLBACK_FROM]: 'css',
        [ATTR_SELECTOR_FALLBACK_DEPTH]: 2,
        [ATTR_SELECTOR_ELEMENT_FINGERPRINT]: fingerprint(PLACE_ORDER_V2),
      });
      expect(childrenOf(h, span).map((s) => [s.name, s.attributes[ATTR_SELECTOR_STRATEGY_RESULT]])).toStrictEqual([
        ['css checkout.place', 'no_match'],
        ['role checkout.place', 'no_match'],
        ['test_id checkout.place', 'matched'],
      ]);
    });

    it('detects the redesign as drift when the same selector resolves on both page versions', async () => {
      const h = createHarness({ engine: 'playwright' });
      await open('/checkout');
      await h.telemetry.resolve('checkout.place', playwrightStrategies(page, checkoutSpec), { timeout: 2000 });
      await open('/checkout-v2');
      const r = await h.telemetry.resolve('checkout.place', playwrightStrategies(page, checkoutSpec), { timeout: 2000 });
      // The role found an element that differs from the last good one: its confidence is their similarity.
      const confidence = similarity(PLACE_ORDER_V1, PLACE_ORDER_V2);
      expect(confidence).toBeGreaterThan(0.6);
      expect(confidence).toBeLessThan(1);
      expect(r).toMatchObject({ result: 'success', strategy: 'role', confidence, drift: ['strategy_change', 'fingerprint_change'] });
      const [, second] = h.spans().filter((s) => s.name === 'resolve checkout.place');
      expect(attrs(second!)).toMatchObject({
        [ATTR_SELECTOR_CONFIDENCE]: confidence,
        [ATTR_SELECTOR_DRIFT_DETECTED]: true,
        [ATTR_SELECTOR_DRIFT_KIND]: ['strategy_change', 'fingerprint_change'],
      });
      expect(second!.events.map((e) => e.name)).toStrictEqual([EVENT_SELECTOR_DRIFT]);
    });

    it('finds an element that appears after 300 ms in a later retry round', async () => {
      await open('/late');
      const h = createHarness({ engine: 'playwright', attemptSpans: 'always' });
      await page.evaluate('addLater(300)');
      // The test id never matches, so the element cannot be found by the second strategy in the
      // round it appears in: CSS wins in a later round.
      const strategies = playwrightStrategies(page, { css: 'button.late', testId: 'next-step' });
      const r = await h.telemetry.resolve('wizard.continue', strategies, { timeout: 3000, retryIntervals: [0, 50, 100] });
      expect(r).toMatchObject({ result: 'success', strategy: 'css', index: 0, count: 1, fallbackUsed: false });
      expect(r.element).toStrictEqual({
        tag: 'button',
        classes: ['late'],
        text: 'Continue',
        attributes: { type: 'button', 'data-testid': 'continue' },
        path: ['html', 'body', 'div'],
      });
      expect(r.durationMs).toBeGreaterThanOrEqual(290);
      // Whole rounds of both strategies found nothing, then CSS matched: 2 × rounds + 1 attempts.
      expect(r.attempts).toBeGreaterThan(strategies.length);
      expect(r.attempts % 2).toBe(1);
      const rounds = (r.attempts - 1) / 2;

      const span = h.span('resolve wizard.continue');
      expect(attrs(span)).toMatchObject({
        [ATTR_SELECTOR_RESULT]: 'success',
        [ATTR_SELECTOR_STRATEGY]: 'css',
        [ATTR_SELECTOR_STRATEGIES_ATTEMPTED]: ['css', 'test_id'],
        [ATTR_SELECTOR_ATTEMPT_COUNT]: r.attempts,
        [ATTR_SELECTOR_FALLBACK_USED]: false,
        [ATTR_SELECTOR_FALLBACK_DEPTH]: 0,
      });
      const children = childrenOf(h, span);
      expect(children).toHaveLength(r.attempts);
      expect(children.at(-1)!.attributes[ATTR_SELECTOR_STRATEGY_RESULT]).toBe('matched');
      expect(await h.points(METRIC_SELECTOR_STRATEGY_ATTEMPTS)).toStrictEqual([
        { attributes: { [ATTR_SELECTOR_NAME]: 'wizard.continue', [ATTR_SELECTOR_STRATEGY]: 'css', [ATTR_SELECTOR_STRATEGY_RESULT]: 'no_match' }, value: rounds },
        { attributes: { [ATTR_SELECTOR_NAME]: 'wizard.continue', [ATTR_SELECTOR_STRATEGY]: 'test_id', [ATTR_SELECTOR_STRATEGY_RESULT]: 'no_match' }, value: rounds },
        { attributes: { [ATTR_SELECTOR_NAME]: 'wizard.continue', [ATTR_SELECTOR_STRATEGY]: 'css', [ATTR_SELECTOR_STRATEGY_RESULT]: 'matched' }, value: 1 },
      ]);
    });

    it('ends within the budget when nothing matches', async () => {
      await open('/checkout');
      const h = createHarness({ engine: 'playwright' });
      const r = await h.telemetry.resolve('checkout.coupon', playwrightStrategies(page, { css: '#coupon', testId: 'coupon' }), { timeout: 400 });
      // The resolver ends a budget that runs out with nothing found as `timeout` (TimeoutError) when
      // an attempt is still in flight at the deadline, and as `not_found` (NotFoundError) when the
      // deadline falls in a back-off wait; which one happens depends on timer precision.
      const [result, errorType] = r.result === 'not_found' ? ['not_found', 'NotFoundError'] : ['timeout', 'TimeoutError'];
      expect(r).toMatchObject({ result, strategy: 'none', index: -1, count: 0, errorType });
      expect(r.attempts).toBeGreaterThan(2);
      expect(r.durationMs).toBeGreaterThanOrEqual(395);
      expect(r.durationMs).toBeLessThan(700);
      const span = h.span('resolve checkout.coupon');
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
      expect(attrs(span)).toStrictEqual({
        [ATTR_SELECTOR_NAME]: 'checkout.coupon',
        [ATTR_SELECTOR_ENGINE_NAME]: 'playwright',
        [ATTR_SELECTOR_STRATEGY]: 'none',
        [ATTR_SELECTOR_STRATEGY_PRIMARY]: 'css',
        [ATTR_SELECTOR_STRATEGIES_ATTEMPTED]: ['css', 'test_id'],
        [ATTR_SELECTOR_ATTEMPT_COUNT]: r.attempts,
        [ATTR_SELECTOR_CONFIDENCE_THRESHOLD]: 0.6,
        [ATTR_SELECTOR_FALLBACK_USED]: false,
        [ATTR_SELECTOR_RESULT]: result,
        [ATTR_SELECTOR_TIMEOUT]: 0.4,
        [ATTR_SELECTOR_DRIFT_DETECTED]: false,
        [ATTR_ERROR_TYPE]: errorType,
      });
      expect(await h.points(METRIC_SELECTOR_RESOLUTIONS)).toStrictEqual([
        {
          attributes: {
            [ATTR_SELECTOR_NAME]: 'checkout.coupon',
            [ATTR_SELECTOR_STRATEGY]: 'none',
            [ATTR_SELECTOR_RESULT]: result,
            [ATTR_SELECTOR_FALLBACK_USED]: false,
            [ATTR_SELECTOR_ENGINE_NAME]: 'playwright',
          },
          value: 1,
        },
      ]);
    });

    it('times out with TimeoutError when the page does not answer within the budget', async () => {
      await open('/checkout');
      const h = createHarness({ engine: 'playwright' });
      // The page's main thread is busy for 450 ms: the first check cannot answer before the deadline.
      await page.evaluate('setTimeout(() => { const end = Date.now() + 450; while (Date.now() < end); }, 0)');
      const r = await h.telemetry.resolve('checkout.place', playwrightStrategies(page, { css: 'button.primary', testId: 'place-order' }), { timeout: 250 });
      expect(r).toMatchObject({ result: 'timeout', strategy: 'none', index: -1, count: 0, attempts: 1, errorType: 'TimeoutError' });
      expect(r.durationMs).toBeGreaterThanOrEqual(245);
      expect(r.durationMs).toBeLessThan(600);
      const span = h.span('resolve checkout.place');
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
      expect(attrs(span)).toStrictEqual({
        [ATTR_SELECTOR_NAME]: 'checkout.place',
        [ATTR_SELECTOR_ENGINE_NAME]: 'playwright',
        [ATTR_SELECTOR_STRATEGY]: 'none',
        [ATTR_SELECTOR_STRATEGY_PRIMARY]: 'css',
        [ATTR_SELECTOR_STRATEGIES_ATTEMPTED]: ['css'],
        [ATTR_SELECTOR_ATTEMPT_COUNT]: 1,
        [ATTR_SELECTOR_CONFIDENCE_THRESHOLD]: 0.6,
        [ATTR_SELECTOR_FALLBACK_USED]: false,
        [ATTR_SELECTOR_RESULT]: 'timeout',
        [ATTR_SELECTOR_TIMEOUT]: 0.25,
        [ATTR_SELECTOR_DRIFT_DETECTED]: false,
        [ATTR_ERROR_TYPE]: 'TimeoutError',
      });
      expect(childrenOf(h, span).map((s) => attrs(s))).toStrictEqual([
        {
          [ATTR_SELECTOR_NAME]: 'checkout.place',
          [ATTR_SELECTOR_STRATEGY]: 'css',
          [ATTR_SELECTOR_ATTEMPT_INDEX]: 0,
          [ATTR_SELECTOR_STRATEGY_RESULT]: 'timeout',
          [ATTR_ERROR_TYPE]: 'TimeoutError',
        },
        {
          [ATTR_SELECTOR_NAME]: 'checkout.place',
          [ATTR_SELECTOR_STRATEGY]: 'test_id',
          [ATTR_SELECTOR_ATTEMPT_INDEX]: 1,
          [ATTR_SELECTOR_STRATEGY_RESULT]: 'skipped',
        },
      ]);
      expect(await h.points(METRIC_SELECTOR_STRATEGY_ATTEMPTS)).toStrictEqual([
        { attributes: { [ATTR_SELECTOR_NAME]: 'checkout.place', [ATTR_SELECTOR_STRATEGY]: 'css', [ATTR_SELECTOR_STRATEGY_RESULT]: 'timeout' }, value: 1 },
        { attributes: { [ATTR_SELECTOR_NAME]: 'checkout.place', [ATTR_SELECTOR_STRATEGY]: 'test_id', [ATTR_SELECTOR_STRATEGY_RESULT]: 'skipped' }, value: 1 },
      ]);
    });

    it('is ambiguous at once when two elements match (strict mode)', async () => {
      await open('/duplicates');
      const h = createHarness({ engine: 'playwright' });
      const r = await h.telemetry.resolve('editor.save', playwrightStrategies(page, { css: 'button.save' }), { timeout: 2000 });
      expect(r).toMatchObject({ result: 'ambiguous', strategy: 'none', count: 2, attempts: 1, errorType: 'StrictModeViolation' });
      expect(r.durationMs).toBeLessThan(1000);
      const span = h.span('resolve editor.save');
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
      expect(attrs(span)).toStrictEqual({
        [ATTR_SELECTOR_NAME]: 'editor.save',
        [ATTR_SELECTOR_ENGINE_NAME]: 'playwright',
        [ATTR_SELECTOR_STRATEGY]: 'none',
        [ATTR_SELECTOR_STRATEGY_PRIMARY]: 'css',
        [ATTR_SELECTOR_STRATEGIES_ATTEMPTED]: ['css'],
        [ATTR_SELECTOR_ATTEMPT_COUNT]: 1,
        [ATTR_SELECTOR_CONFIDENCE_THRESHOLD]: 0.6,
        [ATTR_SELECTOR_FALLBACK_USED]: false,
        [ATTR_SELECTOR_RESULT]: 'ambiguous',
        [ATTR_SELECTOR_TIMEOUT]: 2,
        [ATTR_SELECTOR_CANDIDATES]: 2,
        [ATTR_SELECTOR_DRIFT_DETECTED]: true,
        [ATTR_SELECTOR_DRIFT_KIND]: ['ambiguity'],
        [ATTR_ERROR_TYPE]: 'StrictModeViolation',
      });
      expect(childrenOf(h, span).map((s) => attrs(s))).toStrictEqual([
        {
          [ATTR_SELECTOR_NAME]: 'editor.save',
          [ATTR_SELECTOR_STRATEGY]: 'css',
          [ATTR_SELECTOR_ATTEMPT_INDEX]: 0,
          [ATTR_SELECTOR_STRATEGY_RESULT]: 'ambiguous',
          [ATTR_SELECTOR_CANDIDATES]: 2,
        },
      ]);
    });

    it('accepts several matches with allowMultiple and returns the locator over all of them', async () => {
      await open('/duplicates');
      const h = createHarness({ engine: 'playwright' });
      const r = await h.telemetry.resolve('editor.save', playwrightStrategies(page, { css: 'button.save' }), { timeout: 2000, allowMultiple: true });
      expect(r).toMatchObject({ result: 'success', strategy: 'css', count: 2 });
      expect(await r.value!.count()).toBe(2);
    });

    it('records a selector Playwright cannot parse as an error, and moves on to the next strategy', async () => {
      await open('/checkout');
      const h = createHarness({ engine: 'playwright' });
      const r = await h.telemetry.resolve('checkout.place', playwrightStrategies(page, { css: 'button[[', testId: 'place-order' }), { timeout: 2000 });
      expect(r).toMatchObject({ result: 'success', strategy: 'test_id', fallbackUsed: true, fallbackFrom: 'css' });
      const span = h.span('resolve checkout.place');
      expect(childrenOf(h, span).map((s) => attrs(s))[0]).toStrictEqual({
        [ATTR_SELECTOR_NAME]: 'checkout.place',
        [ATTR_SELECTOR_STRATEGY]: 'css',
        [ATTR_SELECTOR_ATTEMPT_INDEX]: 0,
        [ATTR_SELECTOR_STRATEGY_RESULT]: 'error',
        [ATTR_ERROR_TYPE]: 'SelectorSyntaxError',
      });

      const bad = await h.telemetry.resolve('broken', playwrightStrategies(page, { css: 'button[[', xpath: '//button[' }), { timeout: 2000 });
      expect(bad).toMatchObject({ result: 'error', errorType: 'SelectorSyntaxError', attempts: 2 });
      expect(h.span('resolve broken').attributes[ATTR_ERROR_TYPE]).toBe('SelectorSyntaxError');
    });
  });

  describe('tracePlaywrightAction', () => {
    const actionSpan = (h: Harness, name: string): ReadableSpan => h.span(`resolve ${name}`);

    it('records a successful click and returns the action result unchanged', async () => {
      await open('/checkout');
      const h = createHarness();
      const out = await tracePlaywrightAction(
        h.telemetry,
        'checkout.place',
        page.getByTestId('place-order'),
        async (l) => {
          await l.click({ timeout: 1000 });
          return 'clicked';
        },
        { kind: 'test_id', context: 'checkout', timeoutMs: 1000 },
      );
      expect(out).toBe('clicked');
      expect(await page.evaluate('window.clicks')).toBe(1);

      const span = actionSpan(h, 'checkout.place');
      expect(span.status.code).toBe(SpanStatusCode.UNSET);
      expect(attrs(span)).toStrictEqual({
        [ATTR_SELECTOR_NAME]: 'checkout.place',
        [ATTR_SELECTOR_ENGINE_NAME]: 'playwright',
        [ATTR_SELECTOR_STRATEGY]: 'test_id',
        [ATTR_SELECTOR_STRATEGY_PRIMARY]: 'test_id',
        [ATTR_SELECTOR_STRATEGIES_ATTEMPTED]: ['test_id'],
        [ATTR_SELECTOR_ATTEMPT_COUNT]: 1,
        [ATTR_SELECTOR_FALLBACK_USED]: false,
        [ATTR_SELECTOR_FALLBACK_DEPTH]: 0,
        [ATTR_SELECTOR_RESULT]: 'success',
        [ATTR_SELECTOR_CONFIDENCE]: 1,
        [ATTR_SELECTOR_TIMEOUT]: 1,
        [ATTR_SELECTOR_CONTEXT]: 'checkout',
        [ATTR_SELECTOR_DRIFT_DETECTED]: false,
      });
      expect(h.spans()).toHaveLength(1);
      expect(await h.points(METRIC_SELECTOR_RESOLUTIONS)).toStrictEqual([
        {
          attributes: {
            [ATTR_SELECTOR_NAME]: 'checkout.place',
            [ATTR_SELECTOR_STRATEGY]: 'test_id',
            [ATTR_SELECTOR_RESULT]: 'success',
            [ATTR_SELECTOR_FALLBACK_USED]: false,
            [ATTR_SELECTOR_ENGINE_NAME]: 'playwright',
            [ATTR_SELECTOR_CONTEXT]: 'checkout',
          },
          value: 1,
        },
      ]);
      expect(await h.points(METRIC_SELECTOR_STRATEGY_ATTEMPTS)).toStrictEqual([
        { attributes: { [ATTR_SELECTOR_NAME]: 'checkout.place', [ATTR_SELECTOR_STRATEGY]: 'test_id', [ATTR_SELECTOR_STRATEGY_RESULT]: 'matched' }, value: 1 },
      ]);
      expect(await histogramCounts(h, METRIC_SELECTOR_RESOLUTION_DURATION)).toStrictEqual([
        { attributes: { [ATTR_SELECTOR_NAME]: 'checkout.place', [ATTR_SELECTOR_RESULT]: 'success', [ATTR_SELECTOR_STRATEGY]: 'test_id' }, count: 1 },
      ]);
    });

    it('records a strict mode violation as ambiguous and re-throws the host error unchanged', async () => {
      await open('/duplicates');
      const h = createHarness();
      const locator = page.locator('button.save');
      let direct: unknown;
      try {
        await locator.click({ timeout: 300 });
      } catch (err) {
        direct = err;
      }
      let traced: unknown;
      try {
        await tracePlaywrightAction(h.telemetry, 'editor.save', locator, (l) => l.click({ timeout: 300 }), { timeoutMs: 300 });
      } catch (err) {
        traced = err;
      }
      expect(traced).toBeInstanceOf(Error);
      expect((traced as Error).name).toBe((direct as Error).name);
      expect((traced as Error).message).toBe((direct as Error).message);
      expect((traced as Error).message).toContain("strict mode violation: locator('button.save') resolved to 2 elements");

      const span = actionSpan(h, 'editor.save');
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
      expect(attrs(span)).toStrictEqual({
        [ATTR_SELECTOR_NAME]: 'editor.save',
        [ATTR_SELECTOR_ENGINE_NAME]: 'playwright',
        [ATTR_SELECTOR_STRATEGY]: 'none',
        [ATTR_SELECTOR_STRATEGY_PRIMARY]: 'css',
        [ATTR_SELECTOR_STRATEGIES_ATTEMPTED]: ['css'],
        [ATTR_SELECTOR_ATTEMPT_COUNT]: 1,
        [ATTR_SELECTOR_FALLBACK_USED]: false,
        [ATTR_SELECTOR_RESULT]: 'ambiguous',
        [ATTR_SELECTOR_CANDIDATES]: 2,
        [ATTR_SELECTOR_TIMEOUT]: 0.3,
        [ATTR_SELECTOR_DRIFT_DETECTED]: true,
        [ATTR_SELECTOR_DRIFT_KIND]: ['ambiguity'],
        [ATTR_ERROR_TYPE]: 'StrictModeViolation',
      });
      expect(childrenOf(h, span).map((s) => attrs(s))).toStrictEqual([
        {
          [ATTR_SELECTOR_NAME]: 'editor.save',
          [ATTR_SELECTOR_STRATEGY]: 'css',
          [ATTR_SELECTOR_ATTEMPT_INDEX]: 0,
          [ATTR_SELECTOR_STRATEGY_RESULT]: 'ambiguous',
          [ATTR_SELECTOR_CANDIDATES]: 2,
        },
      ]);
      expect(await h.points(METRIC_SELECTOR_RESOLUTIONS)).toStrictEqual([
        {
          attributes: {
            [ATTR_SELECTOR_NAME]: 'editor.save',
            [ATTR_SELECTOR_STRATEGY]: 'none',
            [ATTR_SELECTOR_RESULT]: 'ambiguous',
            [ATTR_SELECTOR_FALLBACK_USED]: false,
            [ATTR_SELECTOR_ENGINE_NAME]: 'playwright',
          },
          value: 1,
        },
      ]);
    });

    it('records a TimeoutError as timeout and re-throws the same error object', async () => {
      await open('/checkout');
      const h = createHarness();
      const thrown: unknown[] = [];
      const err = await tracePlaywrightAction(
        h.telemetry,
        'checkout.coupon',
        page.locator('#coupon'),
        async (l) => {
          try {
            return await l.click({ timeout: 200 });
          } catch (e) {
            thrown.push(e);
            throw e;
          }
        },
      ).catch((e: unknown) => e);
      expect(thrown).toHaveLength(1);
      expect(err).toBe(thrown[0]);
      expect((err as Error).name).toBe('TimeoutError');

      const span = actionSpan(h, 'checkout.coupon');
      expect(attrs(span)).toStrictEqual({
        [ATTR_SELECTOR_NAME]: 'checkout.coupon',
        [ATTR_SELECTOR_ENGINE_NAME]: 'playwright',
        [ATTR_SELECTOR_STRATEGY]: 'none',
        [ATTR_SELECTOR_STRATEGY_PRIMARY]: 'css',
        [ATTR_SELECTOR_STRATEGIES_ATTEMPTED]: ['css'],
        [ATTR_SELECTOR_ATTEMPT_COUNT]: 1,
        [ATTR_SELECTOR_FALLBACK_USED]: false,
        [ATTR_SELECTOR_RESULT]: 'timeout',
        [ATTR_SELECTOR_DRIFT_DETECTED]: false,
        [ATTR_ERROR_TYPE]: 'TimeoutError',
      });
      const [child] = childrenOf(h, span);
      expect(attrs(child!)).toStrictEqual({
        [ATTR_SELECTOR_NAME]: 'checkout.coupon',
        [ATTR_SELECTOR_STRATEGY]: 'css',
        [ATTR_SELECTOR_ATTEMPT_INDEX]: 0,
        [ATTR_SELECTOR_STRATEGY_RESULT]: 'timeout',
        [ATTR_ERROR_TYPE]: 'TimeoutError',
      });
      // The span covers the action's wait.
      const ms = (span.duration[0] * 1e9 + span.duration[1]) / 1e6;
      expect(ms).toBeGreaterThanOrEqual(195);
      expect(await histogramCounts(h, METRIC_SELECTOR_RESOLUTION_DURATION)).toStrictEqual([
        { attributes: { [ATTR_SELECTOR_NAME]: 'checkout.coupon', [ATTR_SELECTOR_RESULT]: 'timeout', [ATTR_SELECTOR_STRATEGY]: 'none' }, count: 1 },
      ]);
    });

    it('never lets a broken telemetry break the action', async () => {
      await open('/checkout');
      const broken = {
        recordResolution() {
          throw new Error('exporter exploded');
        },
      } as unknown as SelectorTelemetry;
      const out = await tracePlaywrightAction(broken, 'checkout.email', page.getByLabel('Email'), (l) => l.inputValue({ timeout: 1000 }));
      expect(out).toBe('');
      expect(getDropCounts().get('tracePlaywrightAction: recording failed')).toBe(1);
    });

    it('classifies the errors a real Playwright throws', async () => {
      await open('/duplicates');
      const caught = async (p: Promise<unknown>): Promise<unknown> => p.then(() => undefined, (e: unknown) => e);
      expect(classifyPlaywrightError(await caught(page.locator('button.save').click({ timeout: 300 })))).toStrictEqual({
        result: 'ambiguous',
        errorType: 'StrictModeViolation',
      });
      expect(classifyPlaywrightError(await caught(page.locator('#none').click({ timeout: 100 })))).toStrictEqual({
        result: 'timeout',
        errorType: 'TimeoutError',
      });
      for (const selector of ['css=button[[', 'xpath=//button[', 'nope=button']) {
        expect(classifyPlaywrightError(await caught(page.locator(selector).count()))).toStrictEqual({
          result: 'error',
          errorType: 'SelectorSyntaxError',
        });
      }
    });
  });
});
