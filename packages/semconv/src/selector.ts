/**
 * Selector-resolution names. No OpenTelemetry convention covers selectors or locators; these follow
 * the naming rules of the semantic conventions (checked against semantic-conventions @384d661) and
 * borrow their notions from Healenium (confidence in [0,1], acceptance threshold), Playwright
 * (strict mode, `TimeoutError`) and mabl/Testim (per-selector history, drift).
 *
 * Spans: `resolve {selector.name}` (INTERNAL) for one resolution and one child per strategy attempt,
 * `{selector.strategy} {selector.name}` (INTERNAL).
 */

// ---- resolution span -------------------------------------------------------------------------
/** Logical, low-cardinality name of the selector (e.g. `checkout.submit`). */
export const ATTR_SELECTOR_NAME = 'selector.name' as const;
/** The engine that resolved it: `playwright`, `cheerio`, `dom`, `custom`. */
export const ATTR_SELECTOR_ENGINE_NAME = 'selector.engine.name' as const;
/** The winning strategy (`none` when no strategy resolved the selector). */
export const ATTR_SELECTOR_STRATEGY = 'selector.strategy' as const;
/** The first strategy in the configured order. */
export const ATTR_SELECTOR_STRATEGY_PRIMARY = 'selector.strategy.primary' as const;
/** The strategies tried, in order (string[]). */
export const ATTR_SELECTOR_STRATEGIES_ATTEMPTED = 'selector.strategies.attempted' as const;
/** Number of strategy attempts made. */
export const ATTR_SELECTOR_ATTEMPT_COUNT = 'selector.attempt.count' as const;
/** Confidence of the accepted match, 0..1. */
export const ATTR_SELECTOR_CONFIDENCE = 'selector.confidence' as const;
/** The acceptance threshold in force, 0..1. */
export const ATTR_SELECTOR_CONFIDENCE_THRESHOLD = 'selector.confidence.threshold' as const;
/** True when the winning strategy is not the primary one. */
export const ATTR_SELECTOR_FALLBACK_USED = 'selector.fallback.used' as const;
/** The primary strategy that failed when a fallback served the resolution. */
export const ATTR_SELECTOR_FALLBACK_FROM = 'selector.fallback.from' as const;
/** Index of the winning strategy in the configured order (0 = primary). */
export const ATTR_SELECTOR_FALLBACK_DEPTH = 'selector.fallback.depth' as const;
/** Number of candidate elements the winning strategy matched. */
export const ATTR_SELECTOR_CANDIDATES = 'selector.candidates' as const;
/** Low-cardinality page or context label the user gives (e.g. `checkout-page`). */
export const ATTR_SELECTOR_CONTEXT = 'selector.context' as const;
/** `success`, `not_found`, `ambiguous`, `timeout`, `low_confidence` or `error`. */
export const ATTR_SELECTOR_RESULT = 'selector.result' as const;
/** The total time budget of the resolution, in seconds. */
export const ATTR_SELECTOR_TIMEOUT = 'selector.timeout' as const;
/** Short hash of the matched element (tag, id, classes, text, ancestor path). */
export const ATTR_SELECTOR_ELEMENT_FINGERPRINT = 'selector.element.fingerprint' as const;
/** True when this resolution matched a different element (fingerprint) than the previous one. */
export const ATTR_SELECTOR_DRIFT_DETECTED = 'selector.drift.detected' as const;
/** What drifted (string[]): `strategy_change`, `confidence_drop`, `fingerprint_change`, `fallback_rate`, `ambiguity`. */
export const ATTR_SELECTOR_DRIFT_KIND = 'selector.drift.kind' as const;
/** Change of the engine process's heap during the resolution, in bytes (where measurable). */
export const ATTR_SELECTOR_MEMORY_DELTA = 'selector.memory.delta' as const;

// ---- attempt span ----------------------------------------------------------------------------
/** Position of the attempt in the configured order (0 = primary). */
export const ATTR_SELECTOR_ATTEMPT_INDEX = 'selector.attempt.index' as const;
/** `matched`, `no_match`, `ambiguous`, `timeout`, `error`, `rejected`, `skipped` or `unsupported`. */
export const ATTR_SELECTOR_STRATEGY_RESULT = 'selector.strategy.result' as const;
/** The raw selector string (opt-in: selector text can hold user data; spans only, truncated). */
export const ATTR_SELECTOR_QUERY = 'selector.query' as const;
/** Top candidate scores of a scoring strategy (double[], at most 5). */
export const ATTR_SELECTOR_CANDIDATE_SCORES = 'selector.candidate.scores' as const;

// ---- values ----------------------------------------------------------------------------------
export const SELECTOR_RESULT_VALUE_SUCCESS = 'success' as const;
export const SELECTOR_RESULT_VALUE_NOT_FOUND = 'not_found' as const;
export const SELECTOR_RESULT_VALUE_AMBIGUOUS = 'ambiguous' as const;
export const SELECTOR_RESULT_VALUE_TIMEOUT = 'timeout' as const;
export const SELECTOR_RESULT_VALUE_LOW_CONFIDENCE = 'low_confidence' as const;
export const SELECTOR_RESULT_VALUE_ERROR = 'error' as const;

export const SELECTOR_STRATEGY_RESULT_VALUE_MATCHED = 'matched' as const;
export const SELECTOR_STRATEGY_RESULT_VALUE_NO_MATCH = 'no_match' as const;
export const SELECTOR_STRATEGY_RESULT_VALUE_AMBIGUOUS = 'ambiguous' as const;
export const SELECTOR_STRATEGY_RESULT_VALUE_TIMEOUT = 'timeout' as const;
export const SELECTOR_STRATEGY_RESULT_VALUE_ERROR = 'error' as const;
export const SELECTOR_STRATEGY_RESULT_VALUE_REJECTED = 'rejected' as const;
export const SELECTOR_STRATEGY_RESULT_VALUE_SKIPPED = 'skipped' as const;
export const SELECTOR_STRATEGY_RESULT_VALUE_UNSUPPORTED = 'unsupported' as const;

/** Strategy name when nothing resolved. */
export const SELECTOR_STRATEGY_VALUE_NONE = 'none' as const;

export const SELECTOR_DRIFT_KIND_VALUE_STRATEGY_CHANGE = 'strategy_change' as const;
export const SELECTOR_DRIFT_KIND_VALUE_CONFIDENCE_DROP = 'confidence_drop' as const;
export const SELECTOR_DRIFT_KIND_VALUE_FINGERPRINT_CHANGE = 'fingerprint_change' as const;
export const SELECTOR_DRIFT_KIND_VALUE_FALLBACK_RATE = 'fallback_rate' as const;
export const SELECTOR_DRIFT_KIND_VALUE_AMBIGUITY = 'ambiguity' as const;

// ---- metrics ---------------------------------------------------------------------------------
/** Counter `{resolution}`: `selector.name`, `selector.strategy`, `selector.result`, `selector.fallback.used`, `selector.engine.name`, `selector.context`. */
export const METRIC_SELECTOR_RESOLUTIONS = 'selector.resolutions' as const;
/** Histogram `s`: `selector.name`, `selector.result`, `selector.strategy`. */
export const METRIC_SELECTOR_RESOLUTION_DURATION = 'selector.resolution.duration' as const;
/** Counter `{attempt}`: `selector.name`, `selector.strategy`, `selector.strategy.result`. */
export const METRIC_SELECTOR_STRATEGY_ATTEMPTS = 'selector.strategy.attempts' as const;
/** Histogram `s`: `selector.strategy`, `selector.strategy.result`. */
export const METRIC_SELECTOR_STRATEGY_DURATION = 'selector.strategy.duration' as const;
/** Histogram `1`: `selector.name`, `selector.strategy`. */
export const METRIC_SELECTOR_CONFIDENCE = 'selector.confidence' as const;

/** Log event when a selector's resolution drifts from its baseline (emitted on a state change). */
export const EVENT_SELECTOR_DRIFT = 'selector.drift' as const;

/** Duration buckets (s), reaching Playwright's 30 s default timeout. */
export const SELECTOR_DURATION_BUCKETS: readonly number[] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Confidence buckets; 0.5/0.6 and 0.7 line up with Healenium's score cap and Testim's threshold. */
export const SELECTOR_CONFIDENCE_BUCKETS: readonly number[] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1];
