import { ERROR_TYPE_VALUE_OTHER } from '@driftwatch/semconv';

/**
 * Thrown at configuration time for a bad option: the message names the option, what it must be
 * and what it got.
 */
export class SelectorConfigError extends Error {
  override readonly name = 'SelectorConfigError';
}

/**
 * Thrown by a strategy whose engine cannot run its kind (cheerio has no XPath, for instance). The
 * resolver records the attempt as `unsupported`, not as a failure, and does not try that strategy
 * again in later rounds. Any error whose `name` is `'UnsupportedStrategyError'` is treated the same,
 * so an adapter need not import this class.
 */
export class UnsupportedStrategyError extends Error {
  override readonly name = 'UnsupportedStrategyError';
  /** The strategy kind that is not supported. */
  readonly kind: string;

  constructor(kind: string, engine?: string) {
    super(engine ? `strategy "${kind}" is not supported by ${engine}` : `strategy "${kind}" is not supported`);
    this.kind = kind;
  }
}

/** `error.type` values of failed resolutions that have no thrown error of their own. */
export const ERROR_TYPE_TIMEOUT = 'TimeoutError';
export const ERROR_TYPE_ABORT = 'AbortError';
export const ERROR_TYPE_NOT_FOUND = 'NotFoundError';
export const ERROR_TYPE_STRICT_MODE = 'StrictModeViolation';
export const ERROR_TYPE_LOW_CONFIDENCE = 'LowConfidence';
export const ERROR_TYPE_UNSUPPORTED = 'UnsupportedStrategyError';
export const ERROR_TYPE_INVALID_MATCH = 'InvalidStrategyMatch';
/** A query the engine cannot parse (a bad CSS selector, say). */
export const ERROR_TYPE_SELECTOR_SYNTAX_ERROR = 'SelectorSyntaxError';

const MAX_ERROR_TYPE = 128;

/**
 * A low-cardinality `error.type` for a thrown value: the error's own `name` when it is specific
 * (`TimeoutError`, `AbortError`, `SyntaxError`), else its class name, else `_OTHER`.
 */
export function errorTypeOf(err: unknown): string {
  if (err !== null && typeof err === 'object') {
    const own = (err as { name?: unknown }).name;
    if (typeof own === 'string' && own !== '' && own !== 'Error') return own.length > MAX_ERROR_TYPE ? own.slice(0, MAX_ERROR_TYPE) : own;
    const ctor = (err as { constructor?: { name?: unknown } }).constructor?.name;
    if (typeof ctor === 'string' && ctor !== '' && ctor !== 'Error' && ctor !== 'Object') return ctor;
  }
  return ERROR_TYPE_VALUE_OTHER;
}

/** True for an error that says the strategy's kind is not supported by its engine. */
export function isUnsupported(err: unknown): boolean {
  return err !== null && typeof err === 'object' && (err as { name?: unknown }).name === 'UnsupportedStrategyError';
}
