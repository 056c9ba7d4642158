/**
 * The Playwright adapter: turns a selector spec into ordered {@link Strategy} objects over a page,
 * frame or locator the caller passes in, and records Playwright's own auto-waiting actions.
 * playwright-core is a type-only import here; the adapter never loads it.
 */
import type { Frame, Locator, Page } from 'playwright-core';
import { reportDrop } from './diag';
import { ERROR_TYPE_STRICT_MODE, ERROR_TYPE_TIMEOUT, SelectorConfigError, errorTypeOf } from './errors';
import type { AttemptRecord, ResolutionRecord } from './model';
import type { SelectorTelemetry } from './telemetry';
import type { ElementDescriptor, Strategy, StrategyKind, StrategyMatch } from './types';

/** Where the strategies look: a whole page, one frame, or inside a locator. */
export type PlaywrightRoot = Page | Frame | Locator;

/** An ARIA role, as Playwright's `getByRole` types it. */
export type PlaywrightAriaRole = Parameters<Page['getByRole']>[0];

/**
 * The ways of finding one element, tried in the order the keys are written
 * (`{ css, role }` tries CSS first; `{ role, css }` tries the role first).
 */
export interface PlaywrightSelectorSpec {
  /** A CSS selector (`root.locator('css=…')`). */
  css?: string;
  /** An XPath expression (`root.locator('xpath=…')`); relative to the root when the root is a locator. */
  xpath?: string;
  /** Visible text (`root.getByText`); a substring, case-insensitive match unless `exact`. */
  text?: string | { text: string; exact?: boolean };
  /** ARIA role and optional accessible name (`root.getByRole`). */
  role?: { role: PlaywrightAriaRole | (string & {}); name?: string; exact?: boolean };
  /** Test id (`root.getByTestId`, `data-testid` unless the test id attribute was changed). */
  testId?: string;
  /** Label text of a form control (`root.getByLabel`). */
  label?: string;
}

/** Options of {@link playwrightStrategies}. */
export interface PlaywrightStrategyOptions {
  /**
   * Read a descriptor of the first match (tag, id, classes, text, stable attributes, ancestor path)
   * for fingerprinting and drift detection. It comes with the count in the same page round trip.
   * Default true.
   */
  readElement?: boolean;
  /** Count only visible elements (`locator.filter({ visible: true })`). Default false: like strict mode, hidden elements count. */
  visible?: boolean;
}

/** Options of {@link tracePlaywrightAction}. */
export interface PlaywrightActionOptions {
  /** The strategy kind the locator stands for (default `css`). */
  kind?: StrategyKind;
  /** Low-cardinality page or context label (`selector.context`). */
  context?: string;
  /** The engine name to record (default `playwright`). */
  engine?: string;
  /** The action's timeout in ms, recorded as the resolution's budget (`selector.timeout`). */
  timeoutMs?: number;
}

/** How a Playwright error maps onto a resolution result and an `error.type`. */
export interface PlaywrightErrorClassification {
  result: 'timeout' | 'ambiguous' | 'error';
  errorType: string;
}

/** `error.type` of a selector Playwright cannot parse. */
export const ERROR_TYPE_SELECTOR_SYNTAX = 'SelectorSyntaxError';

const ENGINE = 'playwright';
const SPEC_KEYS = ['css', 'xpath', 'text', 'role', 'testId', 'label'] as const;
type SpecKey = (typeof SPEC_KEYS)[number];
const KIND_OF: Record<SpecKey, StrategyKind> = {
  css: 'css',
  xpath: 'xpath',
  text: 'text',
  role: 'role',
  testId: 'test_id',
  label: 'label',
};

/** Limits of what one element read brings back from the page. */
const MAX_TEXT = 200;
const MAX_ATTRIBUTE = 200;
const MAX_CLASSES = 32;
const MAX_PATH = 32;
/** Stable attributes read into descriptors: identity and accessibility, never free user data (the same list as the cheerio adapter, so both describe an element alike). */
const STABLE_ATTRIBUTES = ['name', 'type', 'role', 'aria-label', 'data-testid', 'href', 'placeholder', 'title', 'alt', 'for'] as const;

/**
 * Builds one strategy per key of `spec`, in key order, each over a locator made from `root`.
 *
 * A strategy's `find()` looks at the page as it is now and never waits: one `evaluateAll` round
 * trip returns the match count and, for one or more matches, a descriptor of the first match; the
 * match's `value` is the locator itself (`.first()` is the caller's choice). The round trip is
 * bounded by the attempt's budget and its abort signal. Playwright's own errors (a selector it
 * cannot parse, a closed page) are thrown so the resolver records the attempt as an error.
 *
 * Throws {@link SelectorConfigError} for a spec with no strategy, an unknown key or a bad value.
 */
export function playwrightStrategies(
  root: PlaywrightRoot,
  spec: PlaywrightSelectorSpec,
  options: PlaywrightStrategyOptions = {},
): Strategy<Locator>[] {
  if (root === null || typeof root !== 'object' || typeof (root as { locator?: unknown }).locator !== 'function') {
    throw new SelectorConfigError('playwrightStrategies: root must be a Playwright Page, Frame or Locator');
  }
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) {
    throw new SelectorConfigError(`playwrightStrategies: spec must be an object with any of ${SPEC_KEYS.join(', ')}; got ${describeValue(spec)}`);
  }
  if (options === null || typeof options !== 'object') {
    throw new SelectorConfigError(`playwrightStrategies: options must be an object; got ${describeValue(options)}`);
  }
  checkOptionalBoolean('readElement', options.readElement);
  checkOptionalBoolean('visible', options.visible);
  const readElement = options.readElement !== false;
  const visible = options.visible === true;

  const strategies: Strategy<Locator>[] = [];
  for (const key of Object.keys(spec)) {
    if (!(SPEC_KEYS as readonly string[]).includes(key)) {
      throw new SelectorConfigError(`playwrightStrategies: unknown spec key "${key}"; expected one of ${SPEC_KEYS.join(', ')}`);
    }
    const value = (spec as Record<string, unknown>)[key];
    if (value === undefined) continue;
    const specKey = key as SpecKey;
    let locator = buildLocator(root, specKey, value);
    if (visible) locator = locator.filter({ visible: true });
    strategies.push(makeStrategy(KIND_OF[specKey], locator, describeQuery(locator, specKey, value), readElement));
  }
  if (strategies.length === 0) {
    throw new SelectorConfigError(`playwrightStrategies: spec must set at least one of ${SPEC_KEYS.join(', ')}`);
  }
  return strategies;
}

function buildLocator(root: PlaywrightRoot, key: SpecKey, value: unknown): Locator {
  switch (key) {
    case 'css':
      return root.locator(`css=${requireString(key, value)}`);
    case 'xpath':
      return root.locator(`xpath=${requireString(key, value)}`);
    case 'testId':
      return root.getByTestId(requireString(key, value));
    case 'label':
      return root.getByLabel(requireString(key, value));
    case 'text': {
      if (typeof value === 'string') return root.getByText(requireString(key, value));
      if (value === null || typeof value !== 'object') {
        throw new SelectorConfigError(`playwrightStrategies: spec.text must be a non-empty string or { text, exact? }; got ${describeValue(value)}`);
      }
      const { text, exact } = value as { text?: unknown; exact?: unknown };
      checkOptionalBoolean('text.exact', exact);
      return root.getByText(requireString('text.text', text), exact === undefined ? undefined : { exact: exact as boolean });
    }
    case 'role': {
      if (value === null || typeof value !== 'object') {
        throw new SelectorConfigError(`playwrightStrategies: spec.role must be { role, name?, exact? }; got ${describeValue(value)}`);
      }
      const { role, name, exact } = value as { role?: unknown; name?: unknown; exact?: unknown };
      const ariaRole = requireString('role.role', role) as PlaywrightAriaRole;
      if (name !== undefined && typeof name !== 'string') {
        throw new SelectorConfigError(`playwrightStrategies: spec.role.name must be a string; got ${describeValue(name)}`);
      }
      checkOptionalBoolean('role.exact', exact);
      const roleOptions: { name?: string; exact?: boolean } = {};
      if (name !== undefined) roleOptions.name = name;
      if (exact !== undefined) roleOptions.exact = exact as boolean;
      return root.getByRole(ariaRole, roleOptions);
    }
  }
}

const READ_ARG: SnapshotArg = Object.freeze({ attributes: STABLE_ATTRIBUTES, read: true, maxText: MAX_TEXT, maxAttribute: MAX_ATTRIBUTE, maxClasses: MAX_CLASSES, maxPath: MAX_PATH });
const COUNT_ARG: SnapshotArg = Object.freeze({ ...READ_ARG, read: false });
const NO_MATCH: StrategyMatch<never> = Object.freeze({ count: 0 });

function makeStrategy(kind: StrategyKind, locator: Locator, query: string, readElement: boolean): Strategy<Locator> {
  const arg = readElement ? READ_ARG : COUNT_ARG;
  return {
    kind,
    query,
    async find(signal: AbortSignal, budgetMs: number): Promise<StrategyMatch<Locator>> {
      let snapshot: Snapshot;
      try {
        snapshot = await withinBudget(locator.evaluateAll(snapshotElements, arg), signal, budgetMs);
      } catch (err) {
        throw asSyntaxError(err);
      }
      if (snapshot.count === 0) return NO_MATCH;
      const match: StrategyMatch<Locator> = { count: snapshot.count, value: locator };
      if (snapshot.element) match.element = snapshot.element;
      return match;
    },
  };
}

/** The page-side view of an element; the adapter compiles without the DOM library. */
interface PageElement {
  localName: string;
  id: string;
  classList: ArrayLike<string>;
  innerText?: string;
  textContent: string | null;
  getAttribute(name: string): string | null;
  parentElement: PageElement | null;
}

interface SnapshotArg {
  attributes: readonly string[];
  read: boolean;
  maxText: number;
  maxAttribute: number;
  maxClasses: number;
  maxPath: number;
}

interface Snapshot {
  count: number;
  element?: ElementDescriptor;
}

/**
 * Runs in the page (serialised by Playwright): counts the matches and describes the first one. It
 * must stay self-contained, with no closures and no named inner functions.
 */
function snapshotElements(elements: PageElement[], arg: SnapshotArg): Snapshot {
  const count = elements.length;
  const el = elements[0];
  if (!arg.read || el === undefined) return { count };
  const element: ElementDescriptor & { classes?: string[]; attributes?: Record<string, string>; path?: string[] } = {
    tag: String(el.localName || '').toLowerCase(),
  };
  if (el.id) element.id = el.id;
  if (el.classList && el.classList.length > 0) element.classes = Array.from(el.classList).slice(0, arg.maxClasses);
  const rawText = typeof el.innerText === 'string' ? el.innerText : (el.textContent ?? '');
  const text = rawText.replace(/\s+/g, ' ').trim().slice(0, arg.maxText);
  if (text) element.text = text;
  const attributes: Record<string, string> = {};
  let hasAttributes = false;
  for (const name of arg.attributes) {
    const value = el.getAttribute(name);
    if (value !== null) {
      attributes[name] = value.slice(0, arg.maxAttribute);
      hasAttributes = true;
    }
  }
  if (hasAttributes) element.attributes = attributes;
  const path: string[] = [];
  for (let p = el.parentElement; p !== null && path.length < arg.maxPath; p = p.parentElement) {
    path.unshift(String(p.localName || '').toLowerCase());
  }
  if (path.length > 0) element.path = path;
  return { count, element };
}

/**
 * Settles with `work`, or rejects with the signal's reason when the resolution is aborted, or with
 * a `TimeoutError` when `budgetMs` runs out first. A late outcome of `work` is swallowed.
 */
function withinBudget<T>(work: Promise<T>, signal: AbortSignal, budgetMs: number): Promise<T> {
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = (): void => {
      cleanup();
      reject(signal.reason);
    };
    const cleanup = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    if (Number.isFinite(budgetMs) && budgetMs >= 0) {
      timer = setTimeout(() => {
        cleanup();
        reject(budgetError(budgetMs));
      }, budgetMs);
      timer.unref?.();
    }
    work.then(
      (value) => {
        cleanup();
        resolve(value);
      },
      (err: unknown) => {
        cleanup();
        reject(err);
      },
    );
  });
}

/**
 * A selector Playwright cannot parse becomes an error named `SelectorSyntaxError` (the original as
 * its `cause`), so the resolver records that `error.type`; any other error passes through as is.
 */
function asSyntaxError(err: unknown): unknown {
  const message = (err as { message?: unknown } | null)?.message;
  if (typeof message !== 'string' || (err as { name?: unknown }).name === ERROR_TYPE_TIMEOUT || !SYNTAX_PATTERNS.test(message)) return err;
  const wrapped = new Error(message, { cause: err });
  wrapped.name = ERROR_TYPE_SELECTOR_SYNTAX;
  return wrapped;
}

function budgetError(budgetMs: number): Error {
  const err = new Error(`the page did not answer within the attempt's ${budgetMs} ms budget`);
  err.name = ERROR_TYPE_TIMEOUT;
  return err;
}

/**
 * Runs a Playwright action that does its own waiting and strict-mode check (`l => l.click()`),
 * and records it as one resolution of `name`: `success` when the action settles, otherwise the
 * {@link classifyPlaywrightError} result. The action's result is returned and its error re-thrown
 * unchanged; recording never throws.
 */
export async function tracePlaywrightAction<R>(
  telemetry: SelectorTelemetry,
  name: string,
  locator: Locator,
  action: (locator: Locator) => R | Promise<R>,
  options: PlaywrightActionOptions = {},
): Promise<R> {
  if (typeof action !== 'function') throw new TypeError('tracePlaywrightAction: action must be a function such as (locator) => locator.click()');
  const startTime = Date.now();
  const start = performance.now();
  let result: R;
  try {
    result = await action(locator);
  } catch (err) {
    record(telemetry, name, options, startTime, performance.now() - start, err, true);
    throw err;
  }
  record(telemetry, name, options, startTime, performance.now() - start, undefined, false);
  return result;
}

function record(
  telemetry: SelectorTelemetry,
  name: string,
  options: PlaywrightActionOptions,
  startTime: number,
  durationMs: number,
  err: unknown,
  failed: boolean,
): void {
  try {
    const kind = options?.kind ?? 'css';
    const attempt: AttemptRecord = { strategy: kind, result: 'matched', durationMs };
    const rec: ResolutionRecord = { strategy: kind, result: 'success', engine: options?.engine ?? ENGINE, durationMs, startTime, attempts: [attempt] };
    if (options?.context !== undefined) rec.context = options.context;
    if (options?.timeoutMs !== undefined) rec.timeoutMs = options.timeoutMs;
    if (failed) {
      const { result, errorType } = classifyPlaywrightError(err);
      rec.result = result;
      rec.errorType = errorType;
      attempt.result = result;
      if (result === 'ambiguous') {
        const candidates = strictModeCount(err);
        if (candidates !== undefined) rec.candidates = attempt.count = candidates;
      }
    }
    telemetry.recordResolution(name, rec);
  } catch (e) {
    reportDrop('tracePlaywrightAction: recording failed', e);
  }
}

const SYNTAX_PATTERNS =
  /while parsing (?:css )?selector|Malformed (?:attribute |test id )?selector|Unknown engine "|is not a valid (?:XPath expression|selector)|Unexpected end of selector|Selector cannot (?:start|end|be empty)|selector cannot be (?:first|empty)/;

/**
 * Maps an error Playwright threw onto a resolution result and `error.type`:
 * `TimeoutError` → `timeout`/`TimeoutError`; a strict mode violation (a plain `Error` whose message
 * says `strict mode violation`) → `ambiguous`/`StrictModeViolation`; a selector Playwright cannot
 * parse → `error`/`SelectorSyntaxError`; anything else → `error` with the error's name, or `_OTHER`.
 */
export function classifyPlaywrightError(err: unknown): PlaywrightErrorClassification {
  const name = err !== null && typeof err === 'object' ? (err as { name?: unknown }).name : undefined;
  if (name === ERROR_TYPE_TIMEOUT) return { result: 'timeout', errorType: ERROR_TYPE_TIMEOUT };
  const message = err !== null && typeof err === 'object' ? (err as { message?: unknown }).message : undefined;
  if (typeof message === 'string') {
    if (message.includes('strict mode violation')) return { result: 'ambiguous', errorType: ERROR_TYPE_STRICT_MODE };
    if (SYNTAX_PATTERNS.test(message)) return { result: 'error', errorType: ERROR_TYPE_SELECTOR_SYNTAX };
  }
  return { result: 'error', errorType: errorTypeOf(err) };
}

/** The element count a strict mode violation reports (`resolved to 2 elements`). */
function strictModeCount(err: unknown): number | undefined {
  const message = (err as { message?: unknown } | null)?.message;
  if (typeof message !== 'string') return undefined;
  const m = /resolved to (\d+) elements/.exec(message);
  return m ? Number(m[1]) : undefined;
}

/** Playwright's own description of the locator (`getByRole('button', { name: 'Save' })`), else the raw query. */
function describeQuery(locator: Locator, key: SpecKey, value: unknown): string {
  try {
    const s = String(locator);
    if (s && s !== '[object Object]') return s;
  } catch {
    // fall through to the raw query
  }
  if (typeof value === 'string') return value;
  if (key === 'text') return String((value as { text: string }).text);
  return String((value as { role: string }).role);
}

function requireString(what: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') {
    throw new SelectorConfigError(`playwrightStrategies: spec.${what} must be a non-empty string; got ${describeValue(value)}`);
  }
  return value;
}

function checkOptionalBoolean(what: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'boolean') {
    throw new SelectorConfigError(`playwrightStrategies: ${what} must be a boolean; got ${describeValue(value)}`);
  }
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return value === '' ? 'an empty string' : `a string`;
  return typeof value;
}
