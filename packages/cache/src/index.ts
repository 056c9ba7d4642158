/**
 * @driftwatch/cache: OpenTelemetry instrumentation for caches, with Caffeine/Micrometer-grade
 * statistics that cost almost nothing on the hot path.
 */
export { CacheTelemetry, CacheRecorder, CacheConfigError, createCacheTelemetry, telemetryFor, errorTypeOf } from './telemetry';
export type {
  CacheOperation,
  CacheResult,
  PutResult,
  EvictionReason,
  CacheTelemetryOptions,
  CacheSizeReaders,
  CacheRegistration,
  TelemetryChoice,
} from './telemetry';
export { getDropCounts } from './diag';
export { PACKAGE_NAME, PACKAGE_VERSION } from './version';
export { STORE_REPORTED_ERROR } from './telemetry';
export { instrumentLruCache, lruCacheOptions } from './lru-cache';
export type { LruCacheInstrumentOptions } from './lru-cache';
export { instrumentMap } from './map';
export type { MapInstrumentOptions } from './map';
export { instrumentKeyv, keyvGetOrSet } from './keyv';
export type { KeyvInstrumentOptions } from './keyv';
export type { CacheAdapterOptions } from './wrap';
export { instrumentIoredis } from './ioredis';
export type { IoredisCacheOptions, IoredisClientLike, IoredisInstrumentationLike } from './ioredis';
export { instrumentNodeRedis } from './node-redis';
export type { NodeRedisCacheOptions, NodeRedisClientLike } from './node-redis';
export type { RedisCacheOptions, RedisCacheHandle, RedisSpanMode } from './redis-common';
