import type { Cheerio, CheerioAPI } from 'cheerio';
import type { AnyNode, Element } from 'domhandler';
import { ERROR_TYPE_SELECTOR_SYNTAX_ERROR, SelectorConfigError } from './errors';
import { isDescriptor, normalizeText, similarity } from './fingerprint';
import type { ElementDescriptor, Strategy, StrategyMatch } from './types';

/**
 * The cheerio adapter: turns a spec of queries into strategies over a loaded document. cheerio is
 * not a dependency of this package: only its types are imported, and the caller hands in `$`.
 *
 * Static HTML does not change while you wait, so resolve with `retryIntervals: []` (one round).
 */

/** One query per strategy kind; the object's key order is the strategy order. */
export interface CheerioStrategySpec {
  /** A CSS selector (`css`). */
  css?: string;
  /** Visible text (`text`): the deepest elements whose text equals it, else contains it (case-insensitive). */
  text?: string;
  /** A test id (`test_id`): the value of the test-id attribute (`data-testid` unless configured). */
  testId?: string;
  /** A label (`label`): the control a `<label>` with this text labels, or an element with this `aria-label`. */
  label?: string;
  /** An ARIA role, explicit or implicit (`role`), optionally with its accessible name. */
  role?: string | { role: string; name?: string };
  /** A reference element (`heuristic`): every element of its tag is scored against it with `similarity()`. */
  heuristic?: ElementDescriptor;
}

export interface CheerioStrategyOptions {
  /** Text, label and accessible-name matches must be whole (normalised, case-insensitive); default false. */
  exact?: boolean;
  /** The test-id attribute (default `data-testid`). */
  testIdAttribute?: string;
  /** Candidates of the heuristic strategy: elements of the reference's tag (default), or all elements. */
  heuristicScope?: 'tag' | 'all';
}

const SPEC_KEYS = ['css', 'text', 'testId', 'label', 'role', 'heuristic'] as const;
/** Characters of text kept in a descriptor. */
const MAX_TEXT = 200;
const MAX_ATTRIBUTE = 200;
/** Stable attributes copied into descriptors: identity and accessibility, never free user data. */
const STABLE_ATTRIBUTES = ['name', 'type', 'role', 'aria-label', 'data-testid', 'href', 'placeholder', 'title', 'alt', 'for'] as const;
/** Elements whose content is not visible text. */
const INVISIBLE = new Set(['head', 'script', 'style', 'noscript', 'template', 'title', 'meta', 'link']);
const NO_MATCH: StrategyMatch<never> = Object.freeze({ count: 0 });
const MAX_SCORES = 5;

const descriptors = new WeakMap<Element, ElementDescriptor>();

function isElement(node: AnyNode | null | undefined): node is Element {
  return node !== null && node !== undefined && (node.type === 'tag' || node.type === 'script' || node.type === 'style');
}

/**
 * The descriptor of a cheerio (domhandler) element: tag, id, classes, up to 200 characters of
 * normalised text, a few stable attributes and the ancestor tags. Cached per node, so describing
 * the same node again costs a WeakMap look-up. Use it to keep a reference element for the heuristic
 * strategy.
 */
export function describeCheerioElement(el: Element): ElementDescriptor {
  let d = descriptors.get(el);
  if (d !== undefined) return d;
  const attribs = el.attribs ?? {};
  const desc: { -readonly [K in keyof ElementDescriptor]: ElementDescriptor[K] } = { tag: el.name.toLowerCase() };
  if (attribs.id) desc.id = attribs.id;
  const cls = attribs.class;
  if (cls) {
    const classes = cls.split(/\s+/).filter((c) => c !== '');
    if (classes.length > 0) desc.classes = Object.freeze(classes);
  }
  const text = visibleText(el, MAX_TEXT);
  if (text !== '') desc.text = text;
  let attrs: Record<string, string> | undefined;
  for (const k of STABLE_ATTRIBUTES) {
    const v = attribs[k];
    if (typeof v === 'string') (attrs ??= {})[k] = v.length > MAX_ATTRIBUTE ? v.slice(0, MAX_ATTRIBUTE) : v;
  }
  if (attrs !== undefined) desc.attributes = Object.freeze(attrs);
  const path: string[] = [];
  for (let p = el.parent; p !== null && isElement(p); p = p.parent) path.push(p.name.toLowerCase());
  desc.path = Object.freeze(path.reverse());
  d = Object.freeze(desc);
  descriptors.set(el, d);
  return d;
}

/** Normalised visible text of a node, cut at `max` characters (`Infinity` for all of it). */
function visibleText(node: AnyNode, max: number): string {
  let raw = '';
  const budget = max === Infinity ? Infinity : max * 2 + 64;
  const stack: AnyNode[] = [node];
  while (stack.length > 0 && raw.length < budget) {
    const n = stack.pop()!;
    if (n.type === 'text') {
      raw += ` ${n.data}`;
    } else if (isElement(n) || n.type === 'root') {
      if (isElement(n) && INVISIBLE.has(n.name)) continue;
      const children = (n as Element).children;
      for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
    }
  }
  const text = normalizeText(raw);
  return text.length > max ? text.slice(0, max) : text;
}

function matchOf(sel: Cheerio<Element>): StrategyMatch<Cheerio<Element>> {
  const count = sel.length;
  if (count === 0) return NO_MATCH;
  const first = sel[0];
  return { count, element: isElement(first) ? describeCheerioElement(first) : undefined, value: sel };
}

/**
 * `$(css)`; cheerio reports a bad selector with a plain `Error`, rethrown here as a
 * `SelectorSyntaxError` (the original as its `cause`) so that `error.type` says what happened.
 */
function select($: CheerioAPI, css: string): Cheerio<Element> {
  try {
    return $(css) as Cheerio<Element>;
  } catch (err) {
    const e = new Error(`invalid CSS selector: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    e.name = ERROR_TYPE_SELECTOR_SYNTAX_ERROR;
    throw e;
  }
}

/** The document node of a loaded document. */
function rootOf($: CheerioAPI): AnyNode {
  return $.root()[0] as AnyNode;
}

/** The match for a list of found elements: count, the first one described, all of them selected. */
function wrap($: CheerioAPI, els: Element[]): StrategyMatch<Cheerio<Element>> {
  return els.length === 0 ? NO_MATCH : { count: els.length, element: describeCheerioElement(els[0]!), value: $(els) };
}

function allElements(root: AnyNode): Element[] {
  const out: Element[] = [];
  const stack: AnyNode[] = [root];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (isElement(n)) out.push(n);
    const children = (n as Element).children;
    if (children !== undefined) for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
  }
  return out;
}

/** Matches of normalised, lower-cased `needle` against a text: 2 = whole, 1 = contains, 0 = none. */
function textMatch(text: string, needle: string): number {
  if (text === needle) return 2;
  return text.includes(needle) ? 1 : 0;
}

/** The deepest elements whose visible text equals the needle (else contains it). */
function findByText(root: AnyNode, needle: string, exact: boolean): Element[] {
  const whole: Element[] = [];
  const partial: Element[] = [];
  const visit = (node: AnyNode): string => {
    if (node.type === 'text') return node.data;
    if (!isElement(node) && node.type !== 'root') return '';
    if (isElement(node) && INVISIBLE.has(node.name)) return '';
    const before = partial.length;
    let raw = '';
    for (const c of (node as Element).children) raw += visit(c);
    if (isElement(node) && partial.length === before) {
      const m = textMatch(normalizeText(raw).toLowerCase(), needle);
      if (m > 0) partial.push(node);
      if (m === 2) whole.push(node);
    }
    return raw;
  };
  visit(root);
  return whole.length > 0 ? whole : exact ? [] : partial;
}

function implicitRole(el: Element): string | undefined {
  const a = el.attribs;
  const explicit = a.role?.trim();
  if (explicit) return explicit.split(/\s+/)[0]!.toLowerCase();
  switch (el.name) {
    case 'button':
      return 'button';
    case 'a':
    case 'area':
      return a.href !== undefined ? 'link' : undefined;
    case 'input': {
      const type = (a.type ?? 'text').toLowerCase();
      switch (type) {
        case 'button':
        case 'submit':
        case 'reset':
        case 'image':
          return 'button';
        case 'checkbox':
          return 'checkbox';
        case 'radio':
          return 'radio';
        case 'range':
          return 'slider';
        case 'number':
          return 'spinbutton';
        case 'search':
          return a.list !== undefined ? 'combobox' : 'searchbox';
        case 'email':
        case 'tel':
        case 'text':
        case 'url':
          return a.list !== undefined ? 'combobox' : 'textbox';
        default:
          return undefined;
      }
    }
    case 'textarea':
      return 'textbox';
    case 'select':
      return a.multiple !== undefined || Number(a.size) > 1 ? 'listbox' : 'combobox';
    case 'option':
      return 'option';
    case 'h1':
    case 'h2':
    case 'h3':
    case 'h4':
    case 'h5':
    case 'h6':
      return 'heading';
    case 'img':
      return a.alt === '' ? 'presentation' : 'img';
    case 'nav':
      return 'navigation';
    case 'main':
      return 'main';
    case 'header':
      return 'banner';
    case 'footer':
      return 'contentinfo';
    case 'aside':
      return 'complementary';
    case 'form':
      return 'form';
    case 'section':
      return a['aria-label'] !== undefined || a['aria-labelledby'] !== undefined ? 'region' : undefined;
    case 'ul':
    case 'ol':
    case 'menu':
      return 'list';
    case 'li':
      return 'listitem';
    case 'table':
      return 'table';
    case 'tr':
      return 'row';
    case 'td':
      return 'cell';
    case 'th':
      return 'columnheader';
    case 'dialog':
      return 'dialog';
    case 'article':
      return 'article';
    case 'progress':
      return 'progressbar';
    case 'hr':
      return 'separator';
    default:
      return undefined;
  }
}

const LABELLABLE = new Set(['input', 'select', 'textarea', 'button', 'meter', 'output', 'progress']);

/** A simplified accessible name: aria-labelledby, aria-label, labels, alt/value, content, title. */
function accessibleName(el: Element, byId: (id: string) => Element | undefined, labels: (el: Element) => string | undefined): string {
  const a = el.attribs;
  const labelledBy = a['aria-labelledby'];
  if (labelledBy) {
    const parts: string[] = [];
    for (const id of labelledBy.split(/\s+/)) {
      const ref = id ? byId(id) : undefined;
      if (ref) parts.push(visibleText(ref, Infinity));
    }
    const joined = normalizeText(parts.join(' '));
    if (joined !== '') return joined;
  }
  const ariaLabel = a['aria-label'];
  if (ariaLabel && ariaLabel.trim() !== '') return normalizeText(ariaLabel);
  if (LABELLABLE.has(el.name)) {
    const fromLabel = labels(el);
    if (fromLabel) return fromLabel;
  }
  if (el.name === 'img' || (el.name === 'input' && a.type === 'image')) {
    if (a.alt) return normalizeText(a.alt);
  }
  if (el.name === 'input') {
    const type = (a.type ?? 'text').toLowerCase();
    if (type === 'submit' || type === 'reset' || type === 'button') {
      if (a.value) return normalizeText(a.value);
      if (type === 'submit') return 'Submit';
      if (type === 'reset') return 'Reset';
    }
    if (a.placeholder) return normalizeText(a.placeholder);
  } else if (el.name !== 'select' && el.name !== 'textarea') {
    const text = visibleText(el, Infinity);
    if (text !== '') return text;
  }
  return a.title ? normalizeText(a.title) : '';
}

/** Look-ups over one document, built lazily once per strategy call. */
class DocumentIndex {
  private _ids: Map<string, Element> | undefined;
  private _labels: Map<Element, string[]> | undefined;
  readonly elements: Element[];

  constructor(root: AnyNode) {
    this.elements = allElements(root);
  }

  byId = (id: string): Element | undefined => {
    if (this._ids === undefined) {
      this._ids = new Map();
      for (const el of this.elements) {
        const v = el.attribs.id;
        if (v && !this._ids.has(v)) this._ids.set(v, el);
      }
    }
    return this._ids.get(id);
  };

  /** Texts of the `<label>`s of a control (by `for`, or wrapping it). */
  labelsOf = (el: Element): string | undefined => {
    if (this._labels === undefined) {
      this._labels = new Map();
      for (const label of this.elements) {
        if (label.name !== 'label') continue;
        const control = this.controlOf(label);
        if (!control) continue;
        const list = this._labels.get(control) ?? [];
        list.push(visibleText(label, Infinity));
        this._labels.set(control, list);
      }
    }
    const texts = this._labels.get(el);
    return texts ? normalizeText(texts.join(' ')) : undefined;
  };

  /** The control a `<label>` labels. */
  controlOf(label: Element): Element | undefined {
    const target = label.attribs.for;
    if (target) {
      const el = this.byId(target);
      return el && LABELLABLE.has(el.name) ? el : undefined;
    }
    const stack: AnyNode[] = [...label.children];
    while (stack.length > 0) {
      const n = stack.shift()!;
      if (isElement(n)) {
        if (LABELLABLE.has(n.name)) return n;
        stack.push(...n.children);
      }
    }
    return undefined;
  }
}

function pick(whole: Element[], partial: Element[], exact: boolean): Element[] {
  return whole.length > 0 ? whole : exact ? [] : partial;
}

function label(v: unknown, what: string): string {
  if (typeof v !== 'string' || v.trim() === '') throw new SelectorConfigError(`cheerio strategy ${what} must be a non-empty string, got ${typeof v === 'string' ? 'an empty string' : typeof v}`);
  return v;
}

/** A CSS string literal for an attribute value. */
function cssString(v: string): string {
  return `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\a ')}"`;
}

/**
 * Strategies over a document loaded with cheerio, one per key of `spec`, in the spec's key order:
 * `css` → `css`, `text` → `text`, `testId` → `test_id`, `label` → `label`, `role` → `role`,
 * `heuristic` → `heuristic`. Each strategy checks the document as it is (no waiting). Throws
 * `SelectorConfigError` for an unknown key or an empty query.
 *
 * @example
 * const $ = cheerio.load(html);
 * const r = await telemetry.resolve('checkout.submit', cheerioStrategies($, { css: '#place-order', text: 'Place order' }), { retryIntervals: [] });
 */
export function cheerioStrategies($: CheerioAPI, spec: CheerioStrategySpec, options: CheerioStrategyOptions = {}): Strategy<Cheerio<Element>>[] {
  if (typeof $ !== 'function' || typeof ($ as { root?: unknown }).root !== 'function') {
    throw new SelectorConfigError('cheerioStrategies needs the CheerioAPI returned by cheerio.load()');
  }
  if (spec === null || typeof spec !== 'object') throw new SelectorConfigError('cheerioStrategies needs a spec object such as { css, text }');
  if (options === null || typeof options !== 'object') throw new SelectorConfigError('cheerio strategy options must be an object');
  const exact = options.exact === true;
  const testIdAttribute = options.testIdAttribute === undefined ? 'data-testid' : label(options.testIdAttribute, 'option testIdAttribute');
  const scope = options.heuristicScope ?? 'tag';
  if (scope !== 'tag' && scope !== 'all') throw new SelectorConfigError(`heuristicScope must be 'tag' or 'all', got ${String(scope)}`);
  const out: Strategy<Cheerio<Element>>[] = [];
  for (const key of Object.keys(spec)) {
    const value = (spec as Record<string, unknown>)[key];
    if (value === undefined) continue;
    switch (key) {
      case 'css': {
        const css = label(value, 'css');
        out.push({ kind: 'css', query: css, find: () => matchOf(select($, css)) });
        break;
      }
      case 'text': {
        const needle = normalizeText(label(value, 'text')).toLowerCase();
        out.push({ kind: 'text', query: `text=${value as string}`, find: () => wrap($, findByText(rootOf($), needle, exact)) });
        break;
      }
      case 'testId': {
        const id = label(value, 'testId');
        const css = `[${testIdAttribute}=${cssString(id)}]`;
        out.push({ kind: 'test_id', query: css, find: () => matchOf(select($, css)) });
        break;
      }
      case 'label': {
        const needle = normalizeText(label(value, 'label')).toLowerCase();
        out.push({
          kind: 'label',
          query: `label=${value as string}`,
          find: () => {
            const index = new DocumentIndex(rootOf($));
            const whole = new Set<Element>();
            const partial = new Set<Element>();
            for (const el of index.elements) {
              if (el.name === 'label') {
                const m = textMatch(visibleText(el, Infinity).toLowerCase(), needle);
                const control = m > 0 ? index.controlOf(el) : undefined;
                if (control) (m === 2 ? whole : partial).add(control);
                continue;
              }
              const aria = el.attribs['aria-label'];
              if (aria) {
                const m = textMatch(normalizeText(aria).toLowerCase(), needle);
                if (m > 0) (m === 2 ? whole : partial).add(el);
              }
            }
            return wrap($, pick([...whole], [...partial], exact));
          },
        });
        break;
      }
      case 'role': {
        let role: string;
        let name: string | undefined;
        if (typeof value === 'string') role = label(value, 'role');
        else if (value !== null && typeof value === 'object') {
          role = label((value as { role?: unknown }).role, 'role.role');
          const n = (value as { name?: unknown }).name;
          if (n !== undefined) name = label(n, 'role.name');
        } else throw new SelectorConfigError(`cheerio strategy role must be a string or { role, name? }, got ${typeof value}`);
        const wantRole = role.trim().toLowerCase();
        const wantName = name !== undefined ? normalizeText(name).toLowerCase() : undefined;
        out.push({
          kind: 'role',
          query: name !== undefined ? `role=${role}[name=${cssString(name)}]` : `role=${role}`,
          find: () => {
            const index = new DocumentIndex(rootOf($));
            const whole: Element[] = [];
            const partial: Element[] = [];
            for (const el of index.elements) {
              if (implicitRole(el) !== wantRole) continue;
              if (wantName === undefined) {
                whole.push(el);
                continue;
              }
              const m = textMatch(accessibleName(el, index.byId, index.labelsOf).toLowerCase(), wantName);
              if (m === 2) whole.push(el);
              else if (m === 1) partial.push(el);
            }
            return wrap($, pick(whole, partial, exact));
          },
        });
        break;
      }
      case 'heuristic': {
        if (!isDescriptor(value)) throw new SelectorConfigError('cheerio strategy heuristic must be an element descriptor { tag, id?, classes?, text?, attributes?, path? }');
        const ref = value;
        const tag = ref.tag.toLowerCase();
        out.push({
          kind: 'heuristic',
          query: `heuristic=${tag}${ref.id ? `#${ref.id}` : ''}`,
          find: () => {
            const all = allElements(rootOf($));
            let candidates = scope === 'tag' ? all.filter((el) => el.name === tag) : all;
            if (candidates.length === 0) candidates = all;
            let best: Element | undefined;
            let bestScore = -1;
            let ties = 0;
            const scores: number[] = [];
            for (const el of candidates) {
              const s = similarity(ref, describeCheerioElement(el));
              scores.push(s);
              if (s > bestScore + 1e-9) {
                best = el;
                bestScore = s;
                ties = 1;
              } else if (Math.abs(s - bestScore) <= 1e-9) ties++;
            }
            if (best === undefined) return NO_MATCH;
            scores.sort((x, y) => y - x);
            return {
              count: ties,
              confidence: bestScore,
              element: describeCheerioElement(best),
              candidateScores: scores.slice(0, MAX_SCORES),
              value: $(best),
            };
          },
        });
        break;
      }
      default:
        throw new SelectorConfigError(`unknown cheerio strategy "${key}"; expected one of ${SPEC_KEYS.join(', ')}`);
    }
  }
  if (out.length === 0) throw new SelectorConfigError(`cheerioStrategies needs at least one of ${SPEC_KEYS.join(', ')}`);
  return out;
}
