/** Names of the quality series the processor derives (`driftwatch.*`) and of its events. */
export const ATTR_DRIFTWATCH_WINDOW = 'driftwatch.window' as const;
export const ATTR_DRIFTWATCH_QUANTILE = 'driftwatch.quantile' as const;
export const ATTR_DRIFTWATCH_DETECTOR = 'driftwatch.detector' as const;
export const ATTR_DRIFTWATCH_DOMAIN = 'driftwatch.domain' as const;
export const ATTR_DRIFTWATCH_SERIES = 'driftwatch.series' as const;

export const METRIC_DRIFTWATCH_SUCCESS_RATIO = 'driftwatch.success.ratio' as const;
export const METRIC_DRIFTWATCH_ERROR_RATIO = 'driftwatch.error.ratio' as const;
export const METRIC_DRIFTWATCH_TIMEOUT_RATIO = 'driftwatch.timeout.ratio' as const;
export const METRIC_DRIFTWATCH_FALLBACK_RATIO = 'driftwatch.fallback.ratio' as const;
export const METRIC_DRIFTWATCH_RETRY_MEAN = 'driftwatch.retry.mean' as const;
export const METRIC_DRIFTWATCH_LATENCY = 'driftwatch.latency' as const;
export const METRIC_DRIFTWATCH_RATE = 'driftwatch.rate' as const;
export const METRIC_DRIFTWATCH_TOKENS_RATE = 'driftwatch.tokens.rate' as const;
export const METRIC_DRIFTWATCH_COST_RATE = 'driftwatch.cost.rate' as const;
export const METRIC_DRIFTWATCH_COST_PER_SUCCESS = 'driftwatch.cost.per_success' as const;
export const METRIC_DRIFTWATCH_CACHE_HIT_RATIO = 'driftwatch.cache.hit.ratio' as const;
export const METRIC_DRIFTWATCH_SELECTOR_CONFIDENCE_MEAN = 'driftwatch.selector.confidence.mean' as const;
export const METRIC_DRIFTWATCH_SELECTOR_CONFIDENCE_TREND = 'driftwatch.selector.confidence.trend' as const;
export const METRIC_DRIFTWATCH_ANOMALY_SCORE = 'driftwatch.anomaly.score' as const;

export const EVENT_DRIFTWATCH_ANOMALY = 'driftwatch.anomaly' as const;
export const EVENT_DRIFTWATCH_ALERT = 'driftwatch.alert' as const;
/** Observations in the window (weighted by sampling adjusted counts); not `…count`, which Prometheus reserves for histograms. */
export const METRIC_DRIFTWATCH_OBSERVATIONS = 'driftwatch.observations' as const;

/** Why the processor dropped or repaired an input (`driftwatch.processor.input.invalid`). */
export const ATTR_DRIFTWATCH_REASON = 'driftwatch.reason' as const;
export const DRIFTWATCH_REASON_VALUE_NEGATIVE_DURATION = 'negative_duration' as const;
export const DRIFTWATCH_REASON_VALUE_CLOCK_JUMP = 'clock_jump' as const;
export const DRIFTWATCH_REASON_VALUE_INVALID_VALUE = 'invalid_value' as const;
export const DRIFTWATCH_REASON_VALUE_ODD_ATTRIBUTE = 'odd_attribute' as const;
export const DRIFTWATCH_REASON_VALUE_INVALID_SAMPLING = 'invalid_sampling' as const;
export const DRIFTWATCH_REASON_VALUE_TOO_OLD = 'too_old' as const;
export const DRIFTWATCH_REASON_VALUE_INTERNAL_ERROR = 'internal_error' as const;

/** Domains the processor derives series for. */
export const DRIFTWATCH_DOMAIN_VALUE_LLM = 'llm' as const;
export const DRIFTWATCH_DOMAIN_VALUE_SELECTOR = 'selector' as const;
export const DRIFTWATCH_DOMAIN_VALUE_CACHE = 'cache' as const;

/** Self-observability of the processor. */
export const METRIC_DRIFTWATCH_PROCESSOR_SERIES = 'driftwatch.processor.series' as const;
export const METRIC_DRIFTWATCH_PROCESSOR_OVERFLOW = 'driftwatch.processor.overflow' as const;
export const METRIC_DRIFTWATCH_PROCESSOR_EXPIRED = 'driftwatch.processor.expired' as const;
export const METRIC_DRIFTWATCH_PROCESSOR_INPUT_INVALID = 'driftwatch.processor.input.invalid' as const;

/** The derived metric an anomaly score is about (e.g. `driftwatch.success.ratio`). */
export const ATTR_DRIFTWATCH_METRIC = 'driftwatch.metric' as const;
/** Anomaly log-record attributes: the scored value, the detector's expectation and band, the score. */
export const ATTR_DRIFTWATCH_ANOMALY_VALUE = 'driftwatch.anomaly.value' as const;
export const ATTR_DRIFTWATCH_ANOMALY_EXPECTED = 'driftwatch.anomaly.expected' as const;
export const ATTR_DRIFTWATCH_ANOMALY_LOWER = 'driftwatch.anomaly.lower' as const;
export const ATTR_DRIFTWATCH_ANOMALY_UPPER = 'driftwatch.anomaly.upper' as const;
export const ATTR_DRIFTWATCH_ANOMALY_SCORE = 'driftwatch.anomaly.score' as const;
/** The reasons that fired (`z`, `range`, `drift_up`, `absence`, …). */
export const ATTR_DRIFTWATCH_ANOMALY_FLAGS = 'driftwatch.anomaly.flags' as const;
/** Other series that moved with an anomalous one, best first (`domain|metric|dims`). */
export const ATTR_DRIFTWATCH_ANOMALY_RELATED = 'driftwatch.anomaly.related' as const;
/** An anomaly of a declared series that stopped reporting. */
export const DRIFTWATCH_ANOMALY_FLAG_VALUE_ABSENCE = 'absence' as const;
