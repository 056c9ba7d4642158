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
