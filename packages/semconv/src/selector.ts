/** Selector-resolution names (spans `resolve {selector.name}`, one child per strategy attempt). */
export const ATTR_SELECTOR_NAME = 'selector.name' as const;
export const ATTR_SELECTOR_STRATEGY = 'selector.strategy' as const;
/** Confidence of the resolved element, 0..1. */
export const ATTR_SELECTOR_CONFIDENCE = 'selector.confidence' as const;
export const ATTR_SELECTOR_FALLBACK_USED = 'selector.fallback.used' as const;
/** The strategy that failed first when a fallback served the resolution. */
export const ATTR_SELECTOR_FALLBACK_FROM = 'selector.fallback.from' as const;
/** Number of candidate elements the winning strategy matched. */
export const ATTR_SELECTOR_CANDIDATES = 'selector.candidates' as const;
/** Low-cardinality page or context label the user gives. */
export const ATTR_SELECTOR_CONTEXT = 'selector.context' as const;
/** `found`, `not_found`, `timeout` or `error`. */
export const ATTR_SELECTOR_OUTCOME = 'selector.outcome' as const;
/** `true` when the element matched differs from the last fingerprint seen for this selector. */
export const ATTR_SELECTOR_DRIFT = 'selector.drift' as const;

export const SELECTOR_OUTCOME_VALUE_FOUND = 'found' as const;
export const SELECTOR_OUTCOME_VALUE_NOT_FOUND = 'not_found' as const;
export const SELECTOR_OUTCOME_VALUE_TIMEOUT = 'timeout' as const;
export const SELECTOR_OUTCOME_VALUE_ERROR = 'error' as const;

export const METRIC_SELECTOR_RESOLUTIONS = 'selector.resolutions' as const;
export const METRIC_SELECTOR_RESOLUTION_DURATION = 'selector.resolution.duration' as const;
export const METRIC_SELECTOR_STRATEGY_ATTEMPTS = 'selector.strategy.attempts' as const;
export const METRIC_SELECTOR_CONFIDENCE = 'selector.confidence' as const;
