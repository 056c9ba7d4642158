/**
 * Stable OpenTelemetry database attributes (semantic conventions v1.33+, `db.*` registry) that the
 * Redis adapters of `@driftwatch/cache` set on the CLIENT spans they create, the same names
 * `@opentelemetry/instrumentation-ioredis` and `-redis` emit.
 */
/** The database management system: `redis`. */
export const ATTR_DB_SYSTEM_NAME = 'db.system.name' as const;
/** The command name, as the client sends it (`get` for ioredis, `GET` for node-redis). */
export const ATTR_DB_OPERATION_NAME = 'db.operation.name' as const;
/** The command with its arguments sanitised (values replaced, as `@opentelemetry/redis-common` does). */
export const ATTR_DB_QUERY_TEXT = 'db.query.text' as const;
/** The Redis database index as a string, set when it is not 0. */
export const ATTR_DB_NAMESPACE = 'db.namespace' as const;

export const DB_SYSTEM_NAME_VALUE_REDIS = 'redis' as const;
