/**
 * What the ioredis and node-redis adapters share: the table of cache commands, key-prefix
 * matching, reading hits, misses, puts and deletions from a reply, and recording one command
 * (counters, `cache.operation.duration`, and a span of our own or cache attributes on the Redis
 * client instrumentation's span).
 *
 * The per-command path allocates one {@link Pending} and builds no attribute set: counters are
 * array increments, duration attribute sets are built once per cache (and a hit records no duration
 * unless asked), and a span of our own is only started when the command ends and the policy wants
 * one (misses, errors, writes, deletes and a sampled share of hits), back-dated to its start.
 */
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Attributes, Context, Span, Tracer } from '@opentelemetry/api';
import {
  ATTR_CACHE_HIT,
  ATTR_CACHE_KEY,
  ATTR_CACHE_NAME,
  ATTR_CACHE_OPERATION,
  ATTR_CACHE_RESULT,
  ATTR_CACHE_SYSTEM_NAME,
  ATTR_CACHE_WRITE,
  ATTR_DB_NAMESPACE,
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_QUERY_TEXT,
  ATTR_DB_SYSTEM_NAME,
  ATTR_ERROR_TYPE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  CACHE_RESULT_VALUE_ERROR,
  CACHE_RESULT_VALUE_HIT,
  CACHE_RESULT_VALUE_MISS,
  CACHE_SYSTEM_NAME_VALUE_REDIS,
  DB_SYSTEM_NAME_VALUE_REDIS,
  ERROR_TYPE_VALUE_OTHER,
} from '@driftwatch/semconv';
import { logger, reportDrop } from './diag';
import { CacheConfigError, errorTypeOf, telemetryFor } from './telemetry';
import type { CacheOperation, CacheRecorder, CacheTelemetry, TelemetryChoice } from './telemetry';

/**
 * Span policy of a Redis adapter:
 * - `'auto'` (default): when a Redis client instrumentation (`@opentelemetry/instrumentation-ioredis`
 *   or `-redis`) made a span for the command, add the `cache.*` attributes to it; when none is
 *   active on the client, create a CLIENT span of our own for misses, errors, writes, deletes and
 *   sampled hits; never a second span for a command the client instrumentation traces.
 * - `'enrich'`: only ever add `cache.*` attributes to the client instrumentation's span.
 * - `'none'`: metrics only.
 */
export type RedisSpanMode = 'auto' | 'enrich' | 'none';

export interface RedisCacheOptions extends TelemetryChoice {
  /** The cache's name (`cache.name`, low cardinality). */
  name: string;
  /**
   * Only commands on keys starting with one of these count as cache traffic (Sentry's
   * `cachePrefixes`); keys are matched as sent, including a client-side `keyPrefix`. Default: every
   * key.
   */
  prefixes?: readonly string[];
  /** Span policy (default `'auto'`). */
  spans?: RedisSpanMode;
  /** Create spans of our own only under an active parent span (default false). */
  requireParentSpan?: boolean;
  /**
   * Record `cache.operation.duration` for hits too (default false: misses, errors, writes, deletes
   * and clears only). A hit is the hot path: its histogram record costs about 1 µs (the SDK hashes
   * the attribute set on each record), more than the rest of the per-command work together.
   */
  recordHitDuration?: boolean;
}

/** What an `instrument*` call returns. */
export interface RedisCacheHandle {
  /** The recorder the client's cache traffic is counted in. */
  readonly recorder: CacheRecorder;
  /** Restores the client's own `sendCommand` and stops recording (idempotent). */
  uninstrument(): void;
}

// ---- the command table -------------------------------------------------------------------------

/** How a command's reply is read. */
type Shape =
  | 'get' // GET, GETEX, HGET, HGETALL: one value, null/empty = miss
  | 'getdel' // GETDEL: a read that also removes the entry on a hit
  | 'getMany' // MGET: one value per key
  | 'getFields' // HMGET: one value per field of one key
  | 'has' // EXISTS: the number of existing keys
  | 'set' // SET (NX/XX/GET read from the arguments), SETEX, PSETEX
  | 'setNx' // SETNX, HSETNX: 1 = written, 0 = rejected
  | 'setMany' // MSET
  | 'setManyNx' // MSETNX: 1 = all written, 0 = none
  | 'setFields' // HSET (number of new fields), HMSET
  | 'delete' // DEL, UNLINK: the number of keys removed
  | 'deleteFields' // HDEL: the number of fields removed
  | 'clear'; // FLUSHDB, FLUSHALL

/** Where a command's keys are. */
type KeyLayout = 'first' | 'all' | 'pairs' | 'none';

/** @internal */
export interface CommandSpec {
  readonly shape: Shape;
  readonly op: CacheOperation;
  readonly keys: KeyLayout;
  readonly read: boolean;
  /** Arguments `db.query.text` shows (-1: all), by the rules of `@opentelemetry/redis-common`. */
  readonly shownArgs: number;
  /** Index into the per-cache duration attribute sets. */
  readonly opIndex: number;
}

/**
 * The argument-display rules of `@opentelemetry/redis-common` (used by the official ioredis and
 * redis instrumentations for `db.query.text`): the first matching rule says how many arguments
 * after the command name are shown; -1 shows all; a command no rule matches shows none.
 */
const QUERY_TEXT_RULES: ReadonlyArray<readonly [RegExp, number]> = [
  [/^ECHO/i, 0],
  [/^(GETSET|LPUSH|MSET|PFA|PSETEX|PUBLISH|RPUSH|SADD|SET|SPUBLISH|XADD|ZADD)/i, 1],
  [/^(HSET|HMSET|LSET|LINSERT)/i, 2],
  [/^(ACL|CONFIG)/i, 1],
  [/^(BIT|B[LRZ]|CLIENT|CLUSTER|COMMAND|DECR|DEL|EVAL|EX|FUNCTION|GEO|GET|HINCR|HMGET|HSCAN|INCR|L[TRLM]|MEMORY|P[EFISTU]|RPOP|S[CDIMORSU]|XACK|X[CDGILPRT]|Z[CDILMPRS])/i, -1],
];

function shownArgsOf(name: string): number {
  for (const [re, n] of QUERY_TEXT_RULES) if (re.test(name)) return n;
  return 0;
}

const OPS: readonly CacheOperation[] = ['get', 'get_many', 'has', 'set', 'set_many', 'delete', 'clear'];

const TABLE: ReadonlyArray<readonly [string, Shape, CacheOperation, KeyLayout]> = [
  ['get', 'get', 'get', 'first'],
  ['getex', 'get', 'get', 'first'],
  ['hget', 'get', 'get', 'first'],
  ['hgetall', 'get', 'get', 'first'],
  ['getdel', 'getdel', 'get', 'first'],
  ['mget', 'getMany', 'get_many', 'all'],
  ['hmget', 'getFields', 'get_many', 'first'],
  ['exists', 'has', 'has', 'all'],
  ['set', 'set', 'set', 'first'],
  ['setex', 'set', 'set', 'first'],
  ['psetex', 'set', 'set', 'first'],
  ['setnx', 'setNx', 'set', 'first'],
  ['hsetnx', 'setNx', 'set', 'first'],
  ['mset', 'setMany', 'set_many', 'pairs'],
  ['msetnx', 'setManyNx', 'set_many', 'pairs'],
  ['hset', 'setFields', 'set', 'first'],
  ['hmset', 'setFields', 'set', 'first'],
  ['del', 'delete', 'delete', 'all'],
  ['unlink', 'delete', 'delete', 'all'],
  ['hdel', 'deleteFields', 'delete', 'first'],
  ['flushdb', 'clear', 'clear', 'none'],
  ['flushall', 'clear', 'clear', 'none'],
];

const COMMANDS = new Map<string, CommandSpec>();
for (const [name, shape, op, keys] of TABLE) {
  const spec: CommandSpec = {
    shape,
    op,
    keys,
    read: shape === 'get' || shape === 'getdel' || shape === 'getMany' || shape === 'getFields' || shape === 'has',
    shownArgs: shownArgsOf(name),
    opIndex: OPS.indexOf(op),
  };
  COMMANDS.set(name, spec);
  COMMANDS.set(name.toUpperCase(), spec);
}

/** The cache command a Redis command name stands for (any case), or undefined for other commands. */
export function commandSpec(name: unknown): CommandSpec | undefined {
  if (typeof name !== 'string') return undefined;
  return COMMANDS.get(name) ?? (name.length < 10 ? COMMANDS.get(name.toLowerCase()) : undefined);
}

// ---- arguments -----------------------------------------------------------------------------------

function argText(a: unknown): string {
  return typeof a === 'string' ? a : String(a);
}

/**
 * `db.query.text` as `@opentelemetry/redis-common` writes it: the command name, the arguments its
 * rules allow, then `[N other arguments]`.
 */
export function queryText(name: string, args: readonly unknown[], offset: number, shown: number): string {
  const n = args.length - offset;
  if (n <= 0) return name;
  const keep = shown < 0 ? n : Math.min(shown, n);
  let out = name;
  for (let i = 0; i < keep; i++) out += ' ' + argText(args[offset + i]);
  if (n > keep) out += ` [${n - keep} other arguments]`;
  return out;
}

function isBytes(v: unknown): v is Uint8Array {
  return v instanceof Uint8Array;
}

const encoder = new TextEncoder();

/** Key-prefix filter (strings and byte keys). */
class Prefixes {
  private readonly _text: readonly string[];
  private readonly _bytes: readonly Uint8Array[];

  constructor(prefixes: readonly string[]) {
    this._text = prefixes;
    this._bytes = prefixes.map((p) => encoder.encode(p));
  }

  matches(key: unknown): boolean {
    if (typeof key === 'string') {
      for (const p of this._text) if (key.startsWith(p)) return true;
      return false;
    }
    if (isBytes(key)) {
      outer: for (const p of this._bytes) {
        if (key.length < p.length) continue;
        for (let i = 0; i < p.length; i++) if (key[i] !== p[i]) continue outer;
        return true;
      }
      return false;
    }
    return typeof key === 'number' ? this.matches(String(key)) : false;
  }
}

/** An option word (NX, XX, GET) in a SET argument, case-insensitively. */
function optionIs(a: unknown, word: string): boolean {
  if (typeof a === 'string') return a.length === word.length && a.toUpperCase() === word;
  if (isBytes(a) && a.length === word.length) {
    for (let i = 0; i < word.length; i++) if ((a[i]! & 0xdf) !== word.charCodeAt(i)) return false;
    return true;
  }
  return false;
}

/** A read reply that found nothing: null/undefined, or an empty array, Map or plain object (HGETALL). */
function isEmptyReply(v: unknown): boolean {
  if (v === null || v === undefined) return true;
  if (typeof v !== 'object' || isBytes(v)) return false;
  if (Array.isArray(v)) return v.length === 0;
  if (v instanceof Map) return v.size === 0;
  const proto = Object.getPrototypeOf(v) as unknown;
  if (proto === Object.prototype || proto === null) {
    for (const _ in v) return false;
    return true;
  }
  return false;
}

function toCount(v: unknown): number {
  const n = typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : Number(argText(v));
  return Number.isFinite(n) && n > 0 ? Math.floor(n) : 0;
}

/** Shimmer's marks on a wrapped function (how OpenTelemetry instrumentations patch methods). */
export function isWrappedByInstrumentation(fn: unknown): boolean {
  if (typeof fn !== 'function') return false;
  const f = fn as { __wrapped?: unknown; __original?: unknown };
  return f.__wrapped === true && typeof f.__original === 'function';
}

/**
 * Replaces a client's `sendCommand` with an own property made by `makeWrapper` (the prototype, and
 * so any other client, is untouched) and returns the function that puts the client's own back.
 * `makeWrapper` gets `next`, the `sendCommand` a wrapped call goes through: the instance's own one
 * when it had one, else the prototype's, read at each call (a client instrumentation that patches
 * the prototype later is still called). It runs before anything is replaced, so when it throws the
 * client is left as it was. Restoring leaves a `sendCommand` someone replaced since in place.
 */
export function patchSendCommand<F extends (...args: any[]) => unknown>(target: { sendCommand: F }, makeWrapper: (next: () => F) => F): () => void {
  const hadOwn = Object.prototype.hasOwnProperty.call(target, 'sendCommand');
  const own = hadOwn ? target.sendCommand : undefined;
  const proto = Object.getPrototypeOf(target) as { sendCommand: F };
  const wrapper = makeWrapper(() => own ?? proto.sendCommand);
  target.sendCommand = wrapper;
  return (): void => {
    if (target.sendCommand !== wrapper) return;
    if (hadOwn) target.sendCommand = own!;
    else delete (target as { sendCommand?: unknown }).sendCommand;
  };
}

// ---- one command ---------------------------------------------------------------------------------

/** @internal The state of one command between its start and its reply. */
export class Pending {
  readonly cache: RedisCache;
  readonly spec: CommandSpec;
  /** The command name as the client sends it. */
  readonly name: string;
  /** The command's arguments; those of the command start at `offset`. */
  readonly args: readonly unknown[];
  readonly offset: number;
  /** Which keys match the prefixes, when only some do (`undefined`: all of them). */
  readonly mask: Uint8Array | undefined;
  /** The number of matching keys. */
  readonly matched: number;
  readonly parent: Context;
  t0: number;
  /** A Redis client instrumentation's span for this command, to enrich. */
  span: Span | undefined = undefined;
  /** Database index and server, when the client published them. */
  db: number | undefined = undefined;
  address: string | undefined = undefined;
  port: number | undefined = undefined;
  /** The command was seen on the client's tracing channel. */
  traced = false;
  done = false;

  constructor(
    cache: RedisCache,
    spec: CommandSpec,
    name: string,
    args: readonly unknown[],
    offset: number,
    mask: Uint8Array | undefined,
    matched: number,
    parent: Context,
  ) {
    this.cache = cache;
    this.spec = spec;
    this.name = name;
    this.args = args;
    this.offset = offset;
    this.mask = mask;
    this.matched = matched;
    this.parent = parent;
    this.t0 = performance.now();
  }

  /** The command's reply arrived. */
  complete(reply: unknown): void {
    if (this.done) return;
    this.done = true;
    try {
      this.cache._complete(this, reply);
    } catch (err) {
      reportDrop('redis command telemetry could not be recorded', err);
    }
  }

  /** The command failed. */
  fail(error: unknown): void {
    if (this.done) return;
    this.done = true;
    try {
      this.cache._fail(this, error);
    } catch (err) {
      reportDrop('redis command telemetry could not be recorded', err);
    }
  }
}

/** What a reply says (reused per cache: the path is synchronous). */
interface Outcome {
  hits: number;
  misses: number;
  added: number;
  replaced: number;
  rejected: number;
  evicted: number;
}

const N_RESULT_SETS = 3; // none, hit, miss
const MAX_ERROR_SETS = 64;

/** Everything known about one instrumented client. */
export interface RedisCacheInit {
  options: RedisCacheOptions;
  /** `ioredis` or `node-redis`, for messages. */
  client: string;
  /** The span name for a command, as the client's official instrumentation names it. */
  spanName(command: string): string;
  /** The `sendCommand` a command goes through after Driftwatch's wrapper (see {@link RedisCache.noteNext}). */
  next(): unknown;
  /** Database index, server address and port when the channel did not publish them. */
  db(): number | undefined;
  address(): string | undefined;
  port(): number | undefined;
}

/** @internal One instrumented client: options, recorder, prebuilt attribute sets. */
export class RedisCache {
  readonly telemetry: CacheTelemetry;
  readonly recorder: CacheRecorder;
  readonly tracer: Tracer;
  readonly mode: RedisSpanMode;
  readonly requireParentSpan: boolean;
  readonly hitDuration: boolean;
  readonly prefixes: Prefixes | undefined;
  /** A Redis client instrumentation wraps the client's `sendCommand` (see {@link noteNext}). */
  clientInstrumented = false;
  private readonly _init: RedisCacheInit;
  private readonly _durationSets: Attributes[];
  private readonly _errorSets = new Map<string, Attributes>();
  private _lastNext: unknown = undefined;
  private _warnedNoSpan = false;
  private readonly _o: Outcome = { hits: 0, misses: 0, added: 0, replaced: 0, rejected: 0, evicted: 0 };

  constructor(init: RedisCacheInit) {
    const o = init.options;
    this._init = init;
    const mode = o.spans ?? 'auto';
    if (mode !== 'auto' && mode !== 'enrich' && mode !== 'none') {
      throw new CacheConfigError(`spans must be 'auto', 'enrich' or 'none', got ${String(mode)}`);
    }
    for (const flag of ['requireParentSpan', 'recordHitDuration'] as const) {
      if (o[flag] !== undefined && typeof o[flag] !== 'boolean') throw new CacheConfigError(`${flag} must be a boolean, got ${typeof o[flag]}`);
    }
    if (o.prefixes !== undefined) {
      if (!Array.isArray(o.prefixes) || o.prefixes.length === 0 || !o.prefixes.every((p) => typeof p === 'string' && p !== '')) {
        throw new CacheConfigError('prefixes must be a non-empty array of non-empty strings');
      }
      this.prefixes = new Prefixes([...o.prefixes]);
    }
    this.mode = mode;
    this.requireParentSpan = o.requireParentSpan === true;
    this.hitDuration = o.recordHitDuration === true;
    this.telemetry = telemetryFor(o);
    this.recorder = this.telemetry.cache({ name: o.name, system: CACHE_SYSTEM_NAME_VALUE_REDIS, remote: true });
    this.tracer = this.telemetry.tracer;
    const base = this.recorder._base;
    this._durationSets = [];
    for (const op of OPS) {
      this._durationSets.push({ ...base, [ATTR_CACHE_OPERATION]: op });
      this._durationSets.push({ ...base, [ATTR_CACHE_OPERATION]: op, [ATTR_CACHE_RESULT]: CACHE_RESULT_VALUE_HIT });
      this._durationSets.push({ ...base, [ATTR_CACHE_OPERATION]: op, [ATTR_CACHE_RESULT]: CACHE_RESULT_VALUE_MISS });
    }
  }

  /**
   * Remembers which `sendCommand` a command goes through next; when it changes, re-checks whether a
   * Redis client instrumentation wraps it.
   */
  noteNext(next: unknown): void {
    if (next === this._lastNext) return;
    this._lastNext = next;
    this.clientInstrumented = isWrappedByInstrumentation(next);
  }

  /** Re-checks the client's `sendCommand` (for commands that do not pass through the wrapper). */
  recheckClient(): void {
    this.noteNext(this._init.next());
  }

  /**
   * The pending state of a cache command, or undefined when the command is not cache traffic
   * (another command, or no key matching the prefixes).
   */
  begin(spec: CommandSpec, name: string, args: readonly unknown[], offset: number, parent: Context): Pending | undefined {
    const n = args.length - offset;
    let mask: Uint8Array | undefined;
    let matched: number;
    const prefixes = this.prefixes;
    switch (spec.keys) {
      case 'none':
        matched = 0;
        break;
      case 'first':
        if (n < 1 || (prefixes !== undefined && !prefixes.matches(args[offset]))) return undefined;
        matched = 1;
        break;
      case 'all':
      case 'pairs': {
        const step = spec.keys === 'pairs' ? 2 : 1;
        const count = spec.keys === 'pairs' ? n >> 1 : n;
        if (count < 1) return undefined;
        if (prefixes === undefined) {
          matched = count;
          break;
        }
        matched = 0;
        for (let i = 0; i < count; i++) if (prefixes.matches(args[offset + i * step])) matched++;
        if (matched === 0) return undefined;
        if (matched < count) {
          mask = new Uint8Array(count);
          for (let i = 0; i < count; i++) mask[i] = prefixes.matches(args[offset + i * step]) ? 1 : 0;
        }
        break;
      }
    }
    return new Pending(this, spec, name, args, offset, mask, matched, parent);
  }

  /** @internal */
  _complete(p: Pending, reply: unknown): void {
    const o = this._read(p, reply);
    const spec = p.spec;
    const rec = this.recorder;
    let result: 'hit' | 'miss' | undefined;
    let write: boolean | undefined;
    if (spec.read) {
      if (o.hits > 0) rec.request(spec.op, 'hit', o.hits);
      if (o.misses > 0) rec.request(spec.op, 'miss', o.misses);
      result = o.misses > 0 ? 'miss' : 'hit';
    }
    if (o.added > 0) rec.put('add', o.added);
    if (o.replaced > 0) rec.put('replace', o.replaced);
    if (o.rejected > 0) rec.put('rejected', o.rejected);
    if (o.evicted > 0) rec.eviction('explicit', o.evicted);
    if (spec.shape !== 'delete' && spec.shape !== 'deleteFields' && spec.shape !== 'clear' && !spec.read) write = o.added + o.replaced > 0;
    // The hot path, a hit: counted above; a duration and a span only when asked for.
    let ownSpan = this.mode === 'auto' && p.span === undefined;
    if (result === 'hit') {
      if (ownSpan) ownSpan = rec.sampleHit();
      if (!this.hitDuration && !ownSpan && p.span === undefined) return;
    }
    const t1 = performance.now();
    if (result !== 'hit' || this.hitDuration) {
      const resultIndex = result === undefined ? 0 : result === 'hit' ? 1 : 2;
      this.telemetry._operationDuration.record((t1 - p.t0) / 1000, this._durationSets[spec.opIndex * N_RESULT_SETS + resultIndex]!);
    }
    if (this.mode === 'none') return;
    if (p.span !== undefined) return this._enrich(p.span, p, result, write);
    if (!ownSpan) return;
    const span = this._ownSpan(p);
    if (span === undefined) return;
    if (result !== undefined) {
      span.setAttribute(ATTR_CACHE_RESULT, result);
      span.setAttribute(ATTR_CACHE_HIT, result === 'hit');
    }
    if (write !== undefined) span.setAttribute(ATTR_CACHE_WRITE, write);
    span.end(t1);
  }

  /** @internal */
  _fail(p: Pending, error: unknown): void {
    const t1 = performance.now();
    const spec = p.spec;
    const type = errorTypeOf(error);
    this.recorder.request(spec.op, 'error', 1);
    this.telemetry._operationDuration.record((t1 - p.t0) / 1000, this._errorSet(spec.op, type));
    if (this.mode === 'none') return;
    if (p.span !== undefined) return this._enrich(p.span, p, CACHE_RESULT_VALUE_ERROR, undefined);
    const span = this._ownSpan(p);
    if (span === undefined) return;
    span.setAttribute(ATTR_CACHE_RESULT, CACHE_RESULT_VALUE_ERROR);
    span.setAttribute(ATTR_ERROR_TYPE, type);
    span.recordException(error instanceof Error ? error : String(error), t1);
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
    span.end(t1);
  }

  /** Adds the cache attributes to a Redis client instrumentation's span (still open). */
  private _enrich(span: Span, p: Pending, result: string | undefined, write: boolean | undefined): void {
    if (!span.isRecording()) return;
    const base = this.recorder._base;
    span.setAttribute(ATTR_CACHE_NAME, base[ATTR_CACHE_NAME] as string);
    span.setAttribute(ATTR_CACHE_SYSTEM_NAME, CACHE_SYSTEM_NAME_VALUE_REDIS);
    span.setAttribute(ATTR_CACHE_OPERATION, p.spec.op);
    const key = this._key(p);
    if (key !== undefined) span.setAttribute(ATTR_CACHE_KEY, key);
    if (result !== undefined) {
      span.setAttribute(ATTR_CACHE_RESULT, result);
      if (p.spec.read && result !== CACHE_RESULT_VALUE_ERROR) span.setAttribute(ATTR_CACHE_HIT, result === CACHE_RESULT_VALUE_HIT);
    }
    if (write !== undefined) span.setAttribute(ATTR_CACHE_WRITE, write);
  }

  /** Starts (back-dated) a CLIENT span of our own, or returns undefined when the policy says none. */
  private _ownSpan(p: Pending): Span | undefined {
    if (this.mode !== 'auto') return undefined;
    if (this.clientInstrumented) {
      if (!this._warnedNoSpan) {
        this._warnedNoSpan = true;
        logger.info(
          `${this._init.client}: a Redis client instrumentation wraps this client's sendCommand but made no span Driftwatch could enrich; ` +
            'Driftwatch adds no span of its own (metrics are recorded).' +
            (this._init.client === 'ioredis' ? ' Pass its instance as `instrumentation` to add the cache attributes to its spans.' : ''),
        );
      }
      return undefined;
    }
    if (this.requireParentSpan && trace.getSpan(p.parent) === undefined) return undefined;
    const init = this._init;
    const attrs: Attributes = {
      [ATTR_DB_SYSTEM_NAME]: DB_SYSTEM_NAME_VALUE_REDIS,
      [ATTR_DB_OPERATION_NAME]: p.name,
      [ATTR_DB_QUERY_TEXT]: queryText(p.name, p.args, p.offset, p.spec.shownArgs),
    };
    const db = p.db ?? init.db();
    if (db !== undefined && db !== 0) attrs[ATTR_DB_NAMESPACE] = String(db);
    const address = p.address ?? init.address();
    if (address !== undefined) attrs[ATTR_SERVER_ADDRESS] = address;
    const port = p.port ?? init.port();
    if (port !== undefined) attrs[ATTR_SERVER_PORT] = port;
    attrs[ATTR_CACHE_NAME] = this.recorder._base[ATTR_CACHE_NAME] as string;
    attrs[ATTR_CACHE_SYSTEM_NAME] = CACHE_SYSTEM_NAME_VALUE_REDIS;
    attrs[ATTR_CACHE_OPERATION] = p.spec.op;
    const key = this._key(p);
    if (key !== undefined) attrs[ATTR_CACHE_KEY] = key;
    const span = this.tracer.startSpan(init.spanName(p.name), { kind: SpanKind.CLIENT, startTime: p.t0, attributes: attrs }, p.parent);
    return span.isRecording() ? span : (span.end(), undefined);
  }

  /** The (opt-in) `cache.key` of a single-key command. */
  private _key(p: Pending): string | undefined {
    if (p.spec.keys !== 'first') return undefined;
    const k = p.args[p.offset];
    return this.telemetry.keyAttribute(isBytes(k) ? Buffer.from(k.buffer, k.byteOffset, k.length).toString() : k);
  }

  private _errorSet(op: CacheOperation, type: string): Attributes {
    const key = `${op}|${type}`;
    let set = this._errorSets.get(key);
    if (set === undefined) {
      // Bounded: past MAX_ERROR_SETS distinct types, new ones are recorded as `_OTHER`.
      const full = this._errorSets.size >= MAX_ERROR_SETS;
      const t = full ? ERROR_TYPE_VALUE_OTHER : type;
      set = this._errorSets.get(`${op}|${t}`);
      if (set === undefined) {
        set = { ...this.recorder._base, [ATTR_CACHE_OPERATION]: op, [ATTR_CACHE_RESULT]: CACHE_RESULT_VALUE_ERROR, [ATTR_ERROR_TYPE]: t };
        if (!full) this._errorSets.set(key, set);
      }
    }
    return set;
  }

  /** Reads hits, misses, puts and deletions from a reply. */
  private _read(p: Pending, reply: unknown): Outcome {
    const o = this._o;
    o.hits = o.misses = o.added = o.replaced = o.rejected = o.evicted = 0;
    const { args, offset, mask } = p;
    switch (p.spec.shape) {
      case 'get':
        if (isEmptyReply(reply)) o.misses = 1;
        else o.hits = 1;
        break;
      case 'getdel':
        if (isEmptyReply(reply)) o.misses = 1;
        else o.hits = o.evicted = 1;
        break;
      case 'getMany':
      case 'getFields': {
        if (!Array.isArray(reply)) break;
        for (let i = 0; i < reply.length; i++) {
          if (mask !== undefined && mask[i] !== 1) continue;
          if (reply[i] === null || reply[i] === undefined) o.misses++;
          else o.hits++;
        }
        break;
      }
      case 'has':
        o.hits = Math.min(toCount(reply), p.matched);
        o.misses = p.matched - o.hits;
        break;
      case 'set': {
        let nx = false;
        let xx = false;
        let get = false;
        if (p.name.length === 3) {
          for (let i = offset + 2; i < args.length; i++) {
            const a = args[i];
            if (optionIs(a, 'NX')) nx = true;
            else if (optionIs(a, 'XX')) xx = true;
            else if (optionIs(a, 'GET')) get = true;
          }
        }
        if (get) {
          // Returns the old value: null means the key was absent.
          const absent = reply === null || reply === undefined;
          if (nx) {
            if (absent) o.added = 1;
            else o.rejected = 1;
          } else if (xx) {
            if (absent) o.rejected = 1;
            else o.replaced = 1;
          } else if (absent) o.added = 1;
          else o.replaced = 1;
        } else if (reply === null || reply === undefined) o.rejected = 1;
        else if (xx) o.replaced = 1;
        else o.added = 1;
        break;
      }
      case 'setNx':
        if (toCount(reply) === 1) o.added = 1;
        else o.rejected = 1;
        break;
      case 'setMany':
        o.added = p.matched;
        break;
      case 'setManyNx':
        if (toCount(reply) === 1) o.added = p.matched;
        else o.rejected = p.matched;
        break;
      case 'setFields': {
        const pairs = (args.length - offset - 1) >> 1;
        if (typeof reply === 'number' || typeof reply === 'bigint') {
          o.added = Math.min(toCount(reply), pairs);
          o.replaced = pairs - o.added;
        } else o.added = pairs;
        break;
      }
      case 'delete':
        o.evicted = Math.min(toCount(reply), p.matched);
        break;
      case 'deleteFields':
        o.evicted = toCount(reply);
        break;
      case 'clear':
        break;
    }
    return o;
  }
}

/** Validates the options every Redis adapter shares (throws {@link CacheConfigError}). */
export function checkOptions(options: unknown, what: string): asserts options is RedisCacheOptions {
  if (options === null || typeof options !== 'object') throw new CacheConfigError(`${what} options must be an object with a cache name`);
  const name = (options as { name?: unknown }).name;
  if (typeof name !== 'string' || name.trim() === '') throw new CacheConfigError(`${what}: name must be a non-empty string`);
}
