/**
 * Resilience attributes for any domain (LLM calls, selector resolution, cache loads). No OTel
 * convention covers client-side retries, fallbacks or breaker state, so these live in their own
 * namespace. One parent span per logical call carries the totals; one child span per attempt
 * carries `resilience.attempt`.
 */

/** 1-based number of this attempt within its logical call (attempt spans). */
export const ATTR_RESILIENCE_ATTEMPT = 'resilience.attempt' as const;
/** Number of retries the logical call needed (attempts minus one). */
export const ATTR_RESILIENCE_RETRY_COUNT = 'resilience.retry.count' as const;
/** Whether a fallback (another provider, model or strategy) served the call. */
export const ATTR_RESILIENCE_FALLBACK_USED = 'resilience.fallback.used' as const;
/** Ordered `provider/model` (or strategy) entries tried, the serving one last. */
export const ATTR_RESILIENCE_FALLBACK_CHAIN = 'resilience.fallback.chain' as const;
/** Provider originally asked for when a fallback served the call. */
export const ATTR_RESILIENCE_FALLBACK_FROM_PROVIDER = 'resilience.fallback.from.provider' as const;
/** Model originally asked for when a fallback served the call. */
export const ATTR_RESILIENCE_FALLBACK_FROM_MODEL = 'resilience.fallback.from.model' as const;
/** Circuit-breaker state seen by the call: `closed`, `open`, `half_open`, `isolated`. */
export const ATTR_RESILIENCE_CIRCUIT_BREAKER_STATE = 'resilience.circuit_breaker.state' as const;
/** `true` when the call or attempt ended because a timeout policy fired. */
export const ATTR_RESILIENCE_TIMEOUT = 'resilience.timeout' as const;
/** Seconds the retry policy waited before this attempt (from `retry-after` or backoff). */
export const ATTR_RESILIENCE_RETRY_DELAY = 'resilience.retry.delay' as const;

export const CIRCUIT_BREAKER_STATE_VALUE_CLOSED = 'closed' as const;
export const CIRCUIT_BREAKER_STATE_VALUE_OPEN = 'open' as const;
export const CIRCUIT_BREAKER_STATE_VALUE_HALF_OPEN = 'half_open' as const;
export const CIRCUIT_BREAKER_STATE_VALUE_ISOLATED = 'isolated' as const;
export type CircuitBreakerState = 'closed' | 'open' | 'half_open' | 'isolated';
/** Seconds the server asked the client to wait before retrying (`retry-after` / `retry-after-ms`). */
export const ATTR_RESILIENCE_RETRY_AFTER = 'resilience.retry.after' as const;
/**
 * Span event added to a call's span when its client retries internally (e.g. the OpenAI and
 * Anthropic SDKs' `maxRetries`): one per retried attempt, with the failed attempt's status code
 * or `error.type`, the server's `resilience.retry.after` and the measured `resilience.retry.delay`.
 */
export const EVENT_RESILIENCE_RETRY = 'resilience.retry' as const;
