/**
 * Cache names. OpenTelemetry has no cache convention yet (semantic-conventions issue #1747); span
 * attributes are compatible with Sentry's and Bentocache's `cache.*`, metrics give Caffeine /
 * Micrometer-grade statistics (`cache.gets{result}` becomes `cache.requests{cache.result}`, after
 * the semconv guidance of one request counter with a result attribute).
 *
 * Spans: `{cache.operation} {cache.name}` (INTERNAL) for loads, misses, errors, remote stores and a
 * sampled share of hits; a loader call gets a child `load {cache.name}`.
 */

// ---- attributes ------------------------------------------------------------------------------
export const ATTR_CACHE_NAME = 'cache.name' as const;
/** `lru-cache`, `keyv`, `redis`, `memory` (any Map-like store). */
export const ATTR_CACHE_SYSTEM_NAME = 'cache.system.name' as const;
/** `get`, `set`, `delete`, `clear`, `has`, `peek`, `fetch`, `memo`, `get_many`, `set_many`. */
export const ATTR_CACHE_OPERATION = 'cache.operation' as const;
/** Reads only: whether the read found a (fresh or stale) value. */
export const ATTR_CACHE_HIT = 'cache.hit' as const;
/** `hit`, `miss`, `stale` or `error`. */
export const ATTR_CACHE_RESULT = 'cache.result' as const;
/** `l1` / `l2` (or `primary` / `secondary`) in a tiered cache. */
export const ATTR_CACHE_TIER = 'cache.tier' as const;
/** Opt-in, hashed or redacted key (spans only, never metrics). */
export const ATTR_CACHE_KEY = 'cache.key' as const;
/** Size of the value read or written, in bytes. */
export const ATTR_CACHE_ITEM_SIZE = 'cache.item_size' as const;
/** Time to live in seconds. */
export const ATTR_CACHE_TTL = 'cache.ttl' as const;
/** Whether the operation actually wrote. */
export const ATTR_CACHE_WRITE = 'cache.write' as const;
/** Served a stale value. */
export const ATTR_CACHE_STALE = 'cache.stale' as const;
/** Joined a load already in flight for the same key. */
export const ATTR_CACHE_COALESCED = 'cache.coalesced' as const;
/** `success` or `failure` (load spans, `cache.load.duration`). */
export const ATTR_CACHE_LOAD_RESULT = 'cache.load.result' as const;
/** `add`, `update`, `replace` or `rejected` (`cache.puts`). */
export const ATTR_CACHE_PUT_RESULT = 'cache.put.result' as const;
/** `size`, `expired`, `explicit`, `replaced` or `collected` (`cache.evictions`, Caffeine's RemovalCause). */
export const ATTR_CACHE_EVICTION_REASON = 'cache.eviction.reason' as const;

// ---- values ----------------------------------------------------------------------------------
export const CACHE_RESULT_VALUE_HIT = 'hit' as const;
export const CACHE_RESULT_VALUE_MISS = 'miss' as const;
export const CACHE_RESULT_VALUE_STALE = 'stale' as const;
export const CACHE_RESULT_VALUE_ERROR = 'error' as const;

export const CACHE_LOAD_RESULT_VALUE_SUCCESS = 'success' as const;
export const CACHE_LOAD_RESULT_VALUE_FAILURE = 'failure' as const;

export const CACHE_PUT_RESULT_VALUE_ADD = 'add' as const;
export const CACHE_PUT_RESULT_VALUE_UPDATE = 'update' as const;
export const CACHE_PUT_RESULT_VALUE_REPLACE = 'replace' as const;
export const CACHE_PUT_RESULT_VALUE_REJECTED = 'rejected' as const;

export const CACHE_EVICTION_REASON_VALUE_SIZE = 'size' as const;
export const CACHE_EVICTION_REASON_VALUE_EXPIRED = 'expired' as const;
export const CACHE_EVICTION_REASON_VALUE_EXPLICIT = 'explicit' as const;
export const CACHE_EVICTION_REASON_VALUE_REPLACED = 'replaced' as const;
export const CACHE_EVICTION_REASON_VALUE_COLLECTED = 'collected' as const;

export const CACHE_SYSTEM_NAME_VALUE_LRU_CACHE = 'lru-cache' as const;
export const CACHE_SYSTEM_NAME_VALUE_KEYV = 'keyv' as const;
export const CACHE_SYSTEM_NAME_VALUE_REDIS = 'redis' as const;
export const CACHE_SYSTEM_NAME_VALUE_MEMORY = 'memory' as const;

// ---- metrics ---------------------------------------------------------------------------------
/** Counter `{request}`: `cache.name`, `cache.system.name`, `cache.operation`, `cache.result`, `cache.tier`. */
export const METRIC_CACHE_REQUESTS = 'cache.requests' as const;
/** Histogram `s`: `cache.name`, `cache.system.name`, `cache.operation`, `cache.result`, `error.type` (remote stores; opt-in in memory). */
export const METRIC_CACHE_OPERATION_DURATION = 'cache.operation.duration' as const;
/** Histogram `s`: `cache.name`, `cache.system.name`, `cache.load.result` (Caffeine load time, success/failure counts). */
export const METRIC_CACHE_LOAD_DURATION = 'cache.load.duration' as const;
/** Counter `{put}`: `cache.name`, `cache.system.name`, `cache.put.result`. */
export const METRIC_CACHE_PUTS = 'cache.puts' as const;
/** Counter `{eviction}`: `cache.name`, `cache.system.name`, `cache.eviction.reason`. */
export const METRIC_CACHE_EVICTIONS = 'cache.evictions' as const;
/** ObservableUpDownCounter `{entry}`: `cache.name`, `cache.system.name`. */
export const METRIC_CACHE_ENTRY_COUNT = 'cache.entry.count' as const;
/** ObservableUpDownCounter `{entry}`: the entry limit (lru-cache `max`). */
export const METRIC_CACHE_ENTRY_LIMIT = 'cache.entry.limit' as const;
/** ObservableUpDownCounter `By` (or the cache's own size unit): storage in use. */
export const METRIC_CACHE_STORAGE_USAGE = 'cache.storage.usage' as const;
/** ObservableUpDownCounter: the storage limit (lru-cache `maxSize`). */
export const METRIC_CACHE_STORAGE_LIMIT = 'cache.storage.limit' as const;
/** Counter `s`: time saved by hits, each hit adding the cache's average load time (Caffeine's average load penalty). */
export const METRIC_CACHE_SAVED_TIME = 'cache.saved.time' as const;

/** Duration buckets (s) for cache operations: from sub-microsecond memory reads to slow remote loads. */
export const CACHE_DURATION_BUCKETS: readonly number[] = [
  0.000_01, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];
