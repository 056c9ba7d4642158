/**
 * ioredis adapter: hits, misses, puts and explicit deletions of a Redis-backed cache, read from
 * the replies of one client's commands.
 *
 * Mechanism: the instance's `sendCommand` is wrapped (an own property; the prototype, and so any
 * other client, is untouched). ioredis (>= 5.11) also publishes an `ioredis:command` tracing
 * channel, but its context names neither the client instance nor the keys of MGET/MSET/HGET (they
 * are redacted), and a command that fails before it is written (offline queue, retries exhausted)
 * is never published; the instance wrapper sees all of these, on every ioredis version from 4 on.
 *
 * With `@opentelemetry/instrumentation-ioredis` enabled, Driftwatch never adds a second span: that
 * instrumentation patches `Redis.prototype.sendCommand` and starts its span without making it
 * active, so its span can only be reached through its `requestHook`. Pass the instrumentation as
 * `instrumentation` and the cache attributes go onto its spans; without it, Driftwatch records
 * metrics only for commands on that client.
 */
import { context } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/api';
import { reportDrop } from './diag';
import { RedisCache, checkOptions, commandSpec, patchSendCommand } from './redis-common';
import type { Pending, RedisCacheHandle, RedisCacheOptions } from './redis-common';
import { CacheConfigError } from './telemetry';

/** The parts of an ioredis `Command` the adapter reads. */
interface IoredisCommand {
  name: string;
  args: unknown[];
  resolve(value: unknown): void;
  reject(error: unknown): void;
  inTransaction?: boolean;
  [PENDING]?: Pending;
}

/** The parts of an ioredis client (`Redis` instance) the adapter uses. */
export interface IoredisClientLike {
  sendCommand(command: any, stream?: any, node?: any): unknown;
  options?: { host?: string; port?: number; path?: string; db?: number };
  condition?: { select?: number } | null;
}

/** The parts of an `IORedisInstrumentation` (`@opentelemetry/instrumentation-ioredis`) the adapter uses. */
export interface IoredisInstrumentationLike {
  getConfig(): object;
  setConfig(config: object): void;
}

export interface IoredisCacheOptions extends RedisCacheOptions {
  /**
   * The `IORedisInstrumentation` instance in use, if any: Driftwatch chains a `requestHook` into its
   * configuration (keeping yours) and adds the cache attributes to its spans instead of creating its
   * own. Without it, commands that instrumentation traces get no Driftwatch span (metrics are kept).
   */
  instrumentation?: IoredisInstrumentationLike;
}

const PENDING = Symbol('driftwatch.cache.pending');
const INSTRUMENTED = Symbol.for('driftwatch.cache.ioredis');
const OUR_HOOK = Symbol.for('driftwatch.cache.ioredis.requestHook');

/** The command whose `sendCommand` is running (set around the inner call; requestHook reads it). */
let current: Pending | undefined;

type RequestHook = ((span: Span, info: { cmdName?: string; cmdArgs?: unknown[] }) => void) & { [OUR_HOOK]?: true };

/** Driftwatch's part of the chained requestHook: remember the official span of the current command. */
function captureSpan(span: Span, info: { cmdArgs?: unknown[] } | undefined): void {
  const p = current;
  if (p !== undefined && info !== undefined && info.cmdArgs === p.args) p.span = span;
}

/** Chains our requestHook into the instrumentation's configuration (once; again if it was replaced). */
function ensureHook(inst: IoredisInstrumentationLike): void {
  const config = inst.getConfig() as { requestHook?: RequestHook };
  const existing = config.requestHook;
  if (existing !== undefined && existing[OUR_HOOK] === true) return;
  const chained: RequestHook = function (span, info) {
    try {
      captureSpan(span, info);
    } catch (err) {
      reportDrop('ioredis requestHook failed', err);
    }
    if (typeof existing === 'function') existing(span, info);
  };
  chained[OUR_HOOK] = true;
  inst.setConfig({ ...config, requestHook: chained });
}

/**
 * Records an ioredis client's cache traffic: `cache.requests` hits and misses of its reads (GET,
 * GETEX, GETDEL, HGET, HGETALL, MGET and HMGET per key, EXISTS), `cache.puts` of its writes (SET,
 * SETEX, PSETEX, SETNX, MSET, MSETNX, HSET, HMSET, HSETNX), `cache.evictions{explicit}` of the
 * entries its DEL, UNLINK, HDEL and GETDEL removed, `cache.operation.duration` of each, and spans
 * per the `spans` policy. Only keys matching `prefixes` count when given.
 *
 * Throws {@link CacheConfigError} for a bad option, a value that is not an ioredis client, or a
 * client that is already instrumented.
 */
export function instrumentIoredis(client: IoredisClientLike, options: IoredisCacheOptions): RedisCacheHandle {
  checkOptions(options, 'instrumentIoredis');
  if (client === null || typeof client !== 'object' || typeof client.sendCommand !== 'function') {
    throw new CacheConfigError('instrumentIoredis: client must be an ioredis client (a Redis instance with sendCommand)');
  }
  if ('nodes' in client && typeof (client as { nodes?: unknown }).nodes === 'function') {
    throw new CacheConfigError('instrumentIoredis: Cluster clients are not supported; instrument a standalone Redis client');
  }
  const target = client as IoredisClientLike & { [INSTRUMENTED]?: true };
  if (target[INSTRUMENTED] === true) throw new CacheConfigError('instrumentIoredis: this client is already instrumented (call uninstrument() first)');
  const inst = options.instrumentation;
  if (inst !== undefined && (inst === null || typeof inst.getConfig !== 'function' || typeof inst.setConfig !== 'function')) {
    throw new CacheConfigError('instrumentIoredis: instrumentation must be an IORedisInstrumentation (with getConfig and setConfig)');
  }

  let active = true;
  let cache!: RedisCache;
  const restore = patchSendCommand(target, (nextOf) => {
    cache = new RedisCache({
      next: nextOf,
      options,
      client: 'ioredis',
      spanName: (name) => name,
      db: () => target.condition?.select ?? target.options?.db ?? 0,
      address: () => target.options?.path ?? target.options?.host,
      port: () => (target.options?.path === undefined ? target.options?.port : undefined),
    });
    if (inst !== undefined) ensureHook(inst);
    return function sendCommand(this: IoredisClientLike, command: IoredisCommand, stream?: unknown, node?: unknown): unknown {
      const next = nextOf();
      let p: Pending | undefined;
      if (active) {
        try {
          p = begin(command, next);
        } catch (err) {
          reportDrop('ioredis command could not be instrumented', err);
        }
      }
      if (p === undefined) return next.call(this, command, stream, node);
      const outer = current;
      current = p;
      try {
        return next.call(this, command, stream, node);
      } catch (err) {
        p.fail(err);
        throw err;
      } finally {
        current = outer;
        // The client instrumentation wrapped resolve/reject after us and ends its span in there:
        // wrap again, outside it, so the cache attributes land before the span ends.
        if (p.span !== undefined && !p.done) wrapSettle(command, p);
      }
    };
  });

  function begin(command: IoredisCommand, next: unknown): Pending | undefined {
    if (command === null || typeof command !== 'object' || command[PENDING] !== undefined || command.inTransaction === true) return undefined;
    const spec = commandSpec(command.name);
    if (spec === undefined || !Array.isArray(command.args)) return undefined;
    cache.noteNext(next);
    if (inst !== undefined && cache.clientInstrumented) ensureHook(inst);
    const p = cache.begin(spec, command.name, command.args, 0, context.active());
    if (p === undefined) return undefined;
    command[PENDING] = p;
    wrapSettle(command, p);
    return p;
  }

  target[INSTRUMENTED] = true;
  return {
    recorder: cache.recorder,
    uninstrument(): void {
      if (!active) return;
      active = false;
      restore();
      delete target[INSTRUMENTED];
    },
  };
}

/** Records the command when it settles (before the host's promise does). */
function wrapSettle(command: IoredisCommand, p: Pending): void {
  const resolve = command.resolve;
  const reject = command.reject;
  command.resolve = (value: unknown): void => {
    p.complete(value);
    resolve(value);
  };
  command.reject = (error: unknown): void => {
    p.fail(error);
    reject(error);
  };
}
