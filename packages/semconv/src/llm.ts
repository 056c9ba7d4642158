/**
 * Driftwatch names for LLM calls beyond the GenAI conventions: cost (OpenInference's `llm.cost.*`,
 * USD), call bookkeeping, rate-limit headroom and call counters.
 */

/** Cost of the input (prompt) tokens in USD, cached input included. */
export const ATTR_LLM_COST_PROMPT = 'llm.cost.prompt' as const;
/** Cost of the output (completion) tokens in USD. */
export const ATTR_LLM_COST_COMPLETION = 'llm.cost.completion' as const;
/** Total cost of the call in USD. */
export const ATTR_LLM_COST_TOTAL = 'llm.cost.total' as const;
/** Cost of cache-read input tokens in USD (part of `llm.cost.prompt`). */
export const ATTR_LLM_COST_PROMPT_CACHE_READ = 'llm.cost.prompt_details.cache_read' as const;
/** Cost of cache-write input tokens in USD (part of `llm.cost.prompt`). */
export const ATTR_LLM_COST_PROMPT_CACHE_WRITE = 'llm.cost.prompt_details.cache_write' as const;
/** `true` when no price is known for the model: cost attributes are then absent, never 0. */
export const ATTR_LLM_COST_UNKNOWN = 'llm.cost.unknown' as const;
/** Where the price came from: `catalogue`, `override` or `reported`. */
export const ATTR_LLM_COST_SOURCE = 'llm.cost.source' as const;
export const LLM_COST_SOURCE_VALUE_CATALOGUE = 'catalogue' as const;
export const LLM_COST_SOURCE_VALUE_OVERRIDE = 'override' as const;
export const LLM_COST_SOURCE_VALUE_REPORTED = 'reported' as const;

/** The caller's id for one logical call (spans only, never metrics). */
export const ATTR_LLM_CALL_ID = 'llm.call.id' as const;
/** Low-cardinality service tier or model tier the caller assigns (e.g. `premium`, `economy`). */
export const ATTR_LLM_TIER = 'llm.tier' as const;
/** Low-cardinality task type the caller assigns (e.g. `summarize`, `classify`). */
export const ATTR_LLM_TASK_TYPE = 'llm.task.type' as const;
/** Outcome of a logical call or attempt: `success` or `error`. */
export const ATTR_LLM_CALL_OUTCOME = 'llm.call.outcome' as const;
export const LLM_CALL_OUTCOME_VALUE_SUCCESS = 'success' as const;
export const LLM_CALL_OUTCOME_VALUE_ERROR = 'error' as const;
/** The user's event type on a traced function (`@traced({ eventType })`). */
export const ATTR_LLM_EVENT_TYPE = 'llm.event.type' as const;
/** Opt-in, redacted and size-limited JSON of a traced function's arguments. */
export const ATTR_LLM_FUNCTION_ARGUMENTS = 'llm.function.arguments' as const;
/** Prefix for user metadata attributes: `llm.metadata.<key>` (spans only). */
export const ATTR_LLM_METADATA_PREFIX = 'llm.metadata.' as const;
/** Kind of rate limit a headroom reading is about: `requests`, `tokens`, `input_tokens`, `output_tokens`. */
export const ATTR_LLM_RATE_LIMIT_TYPE = 'llm.rate_limit.type' as const;

/** Counter of LLM provider calls (attempts) by outcome. */
export const METRIC_LLM_CALLS = 'llm.calls' as const;
/** Counter of retries (attempts after the first). */
export const METRIC_LLM_RETRIES = 'llm.retries' as const;
/** Counter of calls served by a fallback provider or model. */
export const METRIC_LLM_FALLBACKS = 'llm.fallbacks' as const;
/** Counter of cost in USD (only calls whose price is known). */
export const METRIC_LLM_COST = 'llm.cost' as const;
/** Counter of calls whose cost could not be priced. */
export const METRIC_LLM_COST_UNKNOWN = 'llm.cost.unknown' as const;
/** Gauge: remaining requests/tokens in the provider's current rate-limit window. */
export const METRIC_LLM_RATE_LIMIT_REMAINING = 'llm.rate_limit.remaining' as const;
/** Gauge: the provider's rate limit for the current window. */
export const METRIC_LLM_RATE_LIMIT_LIMIT = 'llm.rate_limit.limit' as const;
