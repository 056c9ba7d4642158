/**
 * node-redis adapter (`redis` 5 / 6, `@redis/client`): hits, misses, puts and explicit deletions of
 * a Redis-backed cache, read from the replies of one client's commands.
 *
 * Mechanism: `@redis/client` (>= 5.12) publishes every command on the `node-redis:command` tracing
 * channel, whose `asyncEnd` carries the raw reply. Driftwatch subscribes to it and also wraps the
 * instance's `sendCommand` (an own property; the prototype is untouched): the wrapper marks which
 * command of which client is being published and keeps its raw arguments (the channel redacts the
 * keys of MGET, HGET, HGETALL and MSET, which `prefixes` needs). Pipelined commands, published with
 * `batchMode: 'PIPELINE'` and not passing through `sendCommand`, are matched to the client by
 * `clientId` and read from the channel's (redacted) arguments.
 *
 * `@opentelemetry/instrumentation-redis` makes its span active around the command, so the span
 * active when the command is published is its span: Driftwatch adds the cache attributes to it
 * (it is still open at `asyncEnd`) and creates none of its own.
 *
 * On a client without the channel (`@redis/client` < 5.12) the wrapper alone records the command
 * when its promise settles: metrics and Driftwatch's own spans work, and commands traced by the
 * client instrumentation get no Driftwatch span.
 */
import { context, trace } from '@opentelemetry/api';
import { tracingChannel } from 'node:diagnostics_channel';
import type { TracingChannelSubscribers } from 'node:diagnostics_channel';
import { reportDrop } from './diag';
import { RedisCache, checkOptions, commandSpec, patchSendCommand } from './redis-common';
import type { Pending, RedisCacheHandle, RedisCacheOptions } from './redis-common';
import { CacheConfigError } from './telemetry';

/** The parts of a node-redis client (`createClient()`) the adapter uses. */
export interface NodeRedisClientLike {
  sendCommand(args: any, options?: any): unknown;
  readonly options?: { socket?: { host?: string; port?: number; path?: string }; database?: number } | undefined;
}

export type NodeRedisCacheOptions = RedisCacheOptions;

/** The context node-redis publishes on `node-redis:command`. */
interface CommandContext {
  command?: string;
  args?: unknown[];
  database?: number;
  clientId?: string;
  serverAddress?: string;
  serverPort?: number;
  batchMode?: string;
  result?: unknown;
  error?: unknown;
  [PENDING]?: Pending;
}

const COMMAND_CHANNEL = 'node-redis:command';
const PENDING = Symbol('driftwatch.cache.pending');
const INSTRUMENTED = Symbol.for('driftwatch.cache.node-redis');

/** The command whose `sendCommand` is running (set around the inner call; the channel's start reads it). */
let current: Pending | undefined;
let currentClientId: string | undefined;
/** Instrumented clients by node-redis client id (for pipelined commands). */
const byClientId = new Map<string, RedisCache>();
let subscribers = 0;

const channel = tracingChannel<unknown, CommandContext>(COMMAND_CHANNEL);

// Only the events needed: end and asyncStart are not subscribed (Node skips missing handlers).
const handlers = {
  start(ctx: CommandContext): void {
    try {
      const p = current;
      if (p !== undefined) {
        if (currentClientId !== undefined && ctx.clientId !== undefined && ctx.clientId !== currentClientId) return;
        current = undefined;
        attach(ctx, p);
        // A client instrumentation that activates its span around the command (instrumentation-redis).
        const active = trace.getSpan(context.active());
        if (active !== undefined && active !== trace.getSpan(p.parent) && active.isRecording()) p.span = active;
        return;
      }
      if (ctx.batchMode !== 'PIPELINE' || typeof ctx.clientId !== 'string' || !Array.isArray(ctx.args)) return;
      const cache = byClientId.get(ctx.clientId);
      if (cache === undefined) return;
      const name = ctx.args[0];
      const spec = commandSpec(name);
      if (spec === undefined) return;
      cache.recheckClient();
      const q = cache.begin(spec, name as string, ctx.args, 1, context.active());
      if (q !== undefined) attach(ctx, q);
    } catch (err) {
      reportDrop('node-redis command could not be instrumented', err);
    }
  },
  asyncEnd(ctx: CommandContext): void {
    const p = ctx[PENDING];
    if (p === undefined) return;
    if (Object.prototype.hasOwnProperty.call(ctx, 'error')) p.fail(ctx.error);
    else p.complete(ctx.result);
  },
  error(ctx: CommandContext): void {
    ctx[PENDING]?.fail(ctx.error);
  },
};

function attach(ctx: CommandContext, p: Pending): void {
  p.traced = true;
  p.db = ctx.database;
  p.address = ctx.serverAddress;
  p.port = ctx.serverPort;
  ctx[PENDING] = p;
}

function subscribe(): void {
  if (subscribers++ === 0) channel.subscribe(handlers as TracingChannelSubscribers<CommandContext>);
}

function unsubscribe(): void {
  if (--subscribers === 0) channel.unsubscribe(handlers as TracingChannelSubscribers<CommandContext>);
}

/**
 * Records a node-redis client's cache traffic: `cache.requests` hits and misses of its reads (GET,
 * GETEX, GETDEL, HGET, HGETALL, MGET and HMGET per key, EXISTS), `cache.puts` of its writes (SET,
 * SETEX, PSETEX, SETNX, MSET, MSETNX, HSET, HMSET, HSETNX), `cache.evictions{explicit}` of the
 * entries its DEL, UNLINK, HDEL and GETDEL removed, `cache.operation.duration` of each, and spans
 * per the `spans` policy. Only keys matching `prefixes` count when given.
 *
 * Throws {@link CacheConfigError} for a bad option, a value that is not a node-redis client (pools
 * and clusters: instrument their clients), or a client that is already instrumented.
 */
export function instrumentNodeRedis(client: NodeRedisClientLike, options: NodeRedisCacheOptions): RedisCacheHandle {
  checkOptions(options, 'instrumentNodeRedis');
  if (client === null || typeof client !== 'object' || typeof client.sendCommand !== 'function') {
    throw new CacheConfigError('instrumentNodeRedis: client must be a node-redis client (from createClient())');
  }
  if ('slots' in client || 'totalClients' in client) {
    throw new CacheConfigError('instrumentNodeRedis: cluster and pool clients are not supported; instrument a client from createClient()');
  }
  // Proxies from withTypeMapping()/withCommandOptions() share the client behind `_self`.
  const self = (client as { _self?: unknown })._self;
  const target = (self !== null && typeof self === 'object' ? self : client) as NodeRedisClientLike & { [INSTRUMENTED]?: true };
  if (target[INSTRUMENTED] === true) throw new CacheConfigError('instrumentNodeRedis: this client is already instrumented (call uninstrument() first)');

  let active = true;
  const socket = (): { host?: string; port?: number; path?: string } | undefined => target.options?.socket;
  const idValue = (target as { _clientId?: unknown })._clientId;
  const clientId = typeof idValue === 'string' ? idValue : undefined;
  let cache!: RedisCache;
  const restore = patchSendCommand(target, (nextOf) => {
    cache = new RedisCache({
      next: nextOf,
      options,
      client: 'node-redis',
      spanName: (name) => `redis-${name}`,
      db: () => target.options?.database ?? 0,
      address: () => socket()?.path ?? socket()?.host,
      port: () => (socket()?.path === undefined ? socket()?.port : undefined),
    });
    return function sendCommand(this: NodeRedisClientLike, args: unknown[], commandOptions?: unknown): unknown {
      const next = nextOf();
      let p: Pending | undefined;
      if (active && Array.isArray(args)) {
        try {
          const spec = commandSpec(args[0]);
          if (spec !== undefined) {
            cache.noteNext(next);
            p = cache.begin(spec, args[0] as string, args, 1, context.active());
          }
        } catch (err) {
          reportDrop('node-redis command could not be instrumented', err);
        }
      }
      if (p === undefined) return next.call(this, args, commandOptions);
      const outer = current;
      const outerId = currentClientId;
      current = p;
      currentClientId = clientId;
      let out: unknown;
      try {
        out = next.call(this, args, commandOptions);
      } catch (err) {
        p.fail(err);
        throw err;
      } finally {
        current = outer;
        currentClientId = outerId;
      }
      if (!p.traced) settleLater(out, p);
      return out;
    };
  });

  target[INSTRUMENTED] = true;
  if (clientId !== undefined && byClientId.size < 10_000) byClientId.set(clientId, cache);
  subscribe();
  return {
    recorder: cache.recorder,
    uninstrument(): void {
      if (!active) return;
      active = false;
      restore();
      delete target[INSTRUMENTED];
      if (clientId !== undefined && byClientId.get(clientId) === cache) byClientId.delete(clientId);
      unsubscribe();
    },
  };
}

/** Without the tracing channel: record the command when the promise `sendCommand` returned settles. */
function settleLater(out: unknown, p: Pending): void {
  if (out !== null && typeof out === 'object' && typeof (out as Promise<unknown>).then === 'function') {
    (out as Promise<unknown>).then(
      (v) => p.complete(v),
      (e: unknown) => p.fail(e),
    );
  } else p.complete(out);
}
