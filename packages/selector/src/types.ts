/**
 * The shapes every engine adapter and the resolver share. An engine adapter turns its own queries
 * (a CSS string, a Playwright locator, a scorer) into {@link Strategy} objects; the resolver tries
 * them in order and records what happened.
 */

/** Strategy kinds with a meaning of their own; any other string is accepted as a custom kind. */
export type StrategyKind = 'css' | 'xpath' | 'text' | 'role' | 'test_id' | 'label' | 'heuristic' | 'ai' | 'custom' | (string & {});

/**
 * What identifies an element across page versions (the Healenium idea): tag, id, classes, text,
 * a few stable attributes and the ancestor path. Engines fill what they can read.
 */
export interface ElementDescriptor {
  /** Lower-case tag name. */
  tag: string;
  id?: string;
  classes?: readonly string[];
  /** Visible text, whitespace-normalised (adapters cap it at 200 characters). */
  text?: string;
  /** Stable attributes such as `name`, `type`, `role`, `aria-label`, `data-testid`, `href`. */
  attributes?: Readonly<Record<string, string>>;
  /** Ancestor tags from the root to the parent, e.g. `['html', 'body', 'form']`. */
  path?: readonly string[];
}

/** What one strategy attempt found. */
export interface StrategyMatch<T = unknown> {
  /** Number of elements the query matched (0 = no match; > 1 is ambiguous unless allowed). */
  count: number;
  /** The engine's own confidence in [0, 1], when it has one (scorers do; CSS does not). */
  confidence?: number;
  /** The (first) matched element, for fingerprinting and drift; absent when unreadable. */
  element?: ElementDescriptor;
  /** Top candidate scores of a scoring strategy, best first. */
  candidateScores?: readonly number[];
  /** What the caller gets back for the matched element (a Playwright `Locator`, a cheerio selection…). */
  value?: T;
}

/** One way of finding the element, tried by the resolver in the configured order. */
export interface Strategy<T = unknown> {
  /** The strategy kind (`css`, `xpath`, `text`, `role`, `test_id`, `label`, `heuristic`, `ai`, or custom). */
  kind: StrategyKind;
  /** The raw query, recorded only when query capture is turned on. */
  query?: string;
  /**
   * Finds the element. `signal` aborts when the resolution's time budget runs out; a strategy that
   * never settles is abandoned at the deadline and recorded as a timeout. Throwing (or rejecting)
   * records the attempt as an error and moves on to the next strategy.
   */
  find(signal: AbortSignal, budgetMs: number): StrategyMatch<T> | Promise<StrategyMatch<T>>;
}
