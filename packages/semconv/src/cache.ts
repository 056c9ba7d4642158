/** Cache names (Sentry/Bentocache-compatible span attributes; Caffeine/Micrometer-grade metrics). */
export const ATTR_CACHE_NAME = 'cache.name' as const;
export const ATTR_CACHE_OPERATION = 'cache.operation' as const;
export const ATTR_CACHE_HIT = 'cache.hit' as const;
/** `hit`, `miss` or `stale`. */
export const ATTR_CACHE_RESULT = 'cache.result' as const;
export const ATTR_CACHE_ITEM_SIZE = 'cache.item_size' as const;
/** Time to live in seconds. */
export const ATTR_CACHE_TTL = 'cache.ttl' as const;
/** Opt-in, hashed or redacted key (spans only). */
export const ATTR_CACHE_KEY = 'cache.key' as const;
/** `size`, `expired`, `explicit` or `replaced`. */
export const ATTR_CACHE_EVICTION_REASON = 'cache.eviction.reason' as const;
/** `success` or `failure`. */
export const ATTR_CACHE_LOAD_RESULT = 'cache.load.result' as const;

export const CACHE_RESULT_VALUE_HIT = 'hit' as const;
export const CACHE_RESULT_VALUE_MISS = 'miss' as const;
export const CACHE_RESULT_VALUE_STALE = 'stale' as const;

export const METRIC_CACHE_REQUESTS = 'cache.requests' as const;
export const METRIC_CACHE_OPERATION_DURATION = 'cache.operation.duration' as const;
export const METRIC_CACHE_LOAD_DURATION = 'cache.load.duration' as const;
export const METRIC_CACHE_EVICTIONS = 'cache.evictions' as const;
export const METRIC_CACHE_ENTRY_COUNT = 'cache.entry.count' as const;
export const METRIC_CACHE_STORAGE_USAGE = 'cache.storage.usage' as const;
export const METRIC_CACHE_PUTS = 'cache.puts' as const;
export const METRIC_CACHE_LOADS = 'cache.loads' as const;
export const METRIC_CACHE_TIME_SAVED = 'cache.time_saved' as const;
