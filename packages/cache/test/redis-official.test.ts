// Driftwatch alongside the official OpenTelemetry Redis instrumentations, for real: each is enabled
// with the test's tracer provider and patches the very module copy the test uses (through its own
// module definitions, as its require hook would). Exactly one span per command, carrying both the
// instrumentation's db.* attributes and Driftwatch's cache.* attributes; metrics either way.
import { createRequire } from 'node:module';
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import type { Attributes } from '@opentelemetry/api';
import type { IORedisInstrumentation as IORedisInstrumentationType } from '@opentelemetry/instrumentation-ioredis';
import type { RedisInstrumentation as RedisInstrumentationType } from '@opentelemetry/instrumentation-redis';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ATTR_CACHE_HIT,
  ATTR_CACHE_OPERATION,
  ATTR_CACHE_RESULT,
  ATTR_CACHE_WRITE,
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_QUERY_TEXT,
  ATTR_DB_SYSTEM_NAME,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  METRIC_CACHE_PUTS,
  METRIC_CACHE_REQUESTS,
} from '@driftwatch/semconv';
import { instrumentIoredis } from '../src/ioredis';
import { instrumentNodeRedis } from '../src/node-redis';
import { shouldRunRedisTests } from '../../../test/support/redis-server';
import { cacheBase, uniquePrefix, useRedisHarness } from './redis-harness';
import type { Harness } from './redis-harness';

// The instrumentations are loaded as CommonJS, as a require hook set-up would load them.
const require = createRequire(import.meta.url);
const { IORedisInstrumentation } = require('@opentelemetry/instrumentation-ioredis') as { IORedisInstrumentation: typeof IORedisInstrumentationType };
const { RedisInstrumentation } = require('@opentelemetry/instrumentation-redis') as { RedisInstrumentation: typeof RedisInstrumentationType };

interface PatchableDefinition {
  name: string;
  patch?: (exports: unknown, version?: string) => unknown;
  unpatch?: (exports: unknown, version?: string) => void;
  files?: PatchableDefinition[];
}

const requests = (name: string, rows: Array<[string, string, number]>) =>
  rows.map(([o, r, v]) => ({ attributes: { ...cacheBase(name), [ATTR_CACHE_OPERATION]: o, [ATTR_CACHE_RESULT]: r }, value: v }));

/** Runs `fn` under a parent span, which is ended afterwards. */
async function underParent<T>(h: Harness, fn: () => Promise<T>): Promise<T> {
  const parent = h.tracerProvider.getTracer('test').startSpan('request');
  try {
    return await context.with(trace.setSpan(context.active(), parent), fn);
  } finally {
    parent.end();
  }
}

const commandSpans = (h: Harness): ReadableSpan[] => h.spans().filter((s) => s.name !== 'request');

describe.runIf(shouldRunRedisTests())('with @opentelemetry/instrumentation-ioredis', () => {
  const { h, server } = useRedisHarness();
  const mod = require('ioredis') as { prototype: { sendCommand: unknown } };
  const version = (require('ioredis/package.json') as { version: string }).version;
  const inst = new IORedisInstrumentation();
  const defs = inst.getModuleDefinitions() as PatchableDefinition[];
  const patch = (): void => defs.forEach((d) => d.patch?.(mod, version));
  const unpatch = (): void => defs.forEach((d) => d.unpatch?.(mod, version));

  beforeAll(() => {
    inst.enable();
    patch();
  });
  afterAll(() => {
    unpatch();
    inst.disable();
  });

  async function clients(): Promise<{ c: Redis; admin: Redis; p: string; done(): Promise<void> }> {
    inst.setTracerProvider(h.tracerProvider);
    const c = new Redis(server().url, { lazyConnect: true });
    const admin = new Redis(server().url, { lazyConnect: true });
    await c.connect();
    await admin.connect();
    return { c, admin, p: uniquePrefix(), done: async () => void (await Promise.all([c.quit(), admin.quit()])) };
  }

  const db = (cmd: string, query: string): Attributes => ({
    [ATTR_DB_SYSTEM_NAME]: 'redis',
    [ATTR_DB_OPERATION_NAME]: cmd,
    [ATTR_DB_QUERY_TEXT]: `${cmd} ${query}`,
    [ATTR_SERVER_ADDRESS]: server().host,
    [ATTR_SERVER_PORT]: server().port,
  });

  it('the module is really patched: the client sendCommand goes through the instrumentation', () => {
    expect((mod.prototype.sendCommand as { __wrapped?: boolean }).__wrapped).toBe(true);
    expect(Redis.prototype.sendCommand).toBe(mod.prototype.sendCommand);
  });

  it('given the instrumentation: one span per command, the official one, with db.* and cache.* attributes', async () => {
    const { c, admin, p, done } = await clients();
    try {
      await admin.set(`${p}a`, 'v1'); // no parent span: the instrumentation makes none
      await admin.hset(`${p}h`, 'f', 'v');
      instrumentIoredis(c, { name: 'users', ...h.opts, instrumentation: inst });
      await underParent(h, async () => {
        expect(await c.get(`${p}missing`)).toBeNull();
        expect(await c.get(`${p}a`)).toBe('v1');
        expect(await c.set(`${p}b`, 'secret')).toBe('OK');
        expect(((await c.get(`${p}h`).catch((e: unknown) => e)) as Error).message).toMatch(/^WRONGTYPE/);
        expect(await c.incr(`${p}n`)).toBe(1);
      });
      const spans = commandSpans(h);
      expect(spans.map((s) => [s.name, s.kind, s.instrumentationScope.name])).toEqual([
        ['get', SpanKind.CLIENT, '@opentelemetry/instrumentation-ioredis'],
        ['get', SpanKind.CLIENT, '@opentelemetry/instrumentation-ioredis'],
        ['set', SpanKind.CLIENT, '@opentelemetry/instrumentation-ioredis'],
        ['get', SpanKind.CLIENT, '@opentelemetry/instrumentation-ioredis'],
        ['incr', SpanKind.CLIENT, '@opentelemetry/instrumentation-ioredis'],
      ]);
      const [miss, hit, set, error, incr] = spans;
      const cache = (o: string): Attributes => ({ ...cacheBase('users'), [ATTR_CACHE_OPERATION]: o });
      expect(miss!.attributes).toEqual({ ...db('get', `${p}missing`), ...cache('get'), [ATTR_CACHE_RESULT]: 'miss', [ATTR_CACHE_HIT]: false });
      expect(hit!.attributes).toEqual({ ...db('get', `${p}a`), ...cache('get'), [ATTR_CACHE_RESULT]: 'hit', [ATTR_CACHE_HIT]: true });
      expect(set!.attributes).toEqual({ ...db('set', `${p}b [1 other arguments]`), ...cache('set'), [ATTR_CACHE_WRITE]: true });
      expect(error!.attributes).toEqual({ ...db('get', `${p}h`), ...cache('get'), [ATTR_CACHE_RESULT]: 'error' });
      expect(error!.status.code).toBe(SpanStatusCode.ERROR);
      expect(incr!.attributes).toEqual(db('incr', `${p}n`));
      expect(await h.points(METRIC_CACHE_REQUESTS)).toEqual(requests('users', [['get', 'error', 1], ['get', 'hit', 1], ['get', 'miss', 1]]));
      expect((await h.points(METRIC_CACHE_PUTS)).map((pt) => pt.value)).toEqual([1]);
    } finally {
      await done();
    }
  });

  it('a requestHook of your own keeps running', async () => {
    const { c, p, done } = await clients();
    const seen: string[] = [];
    inst.setConfig({ requestHook: (_span, info) => void seen.push(info.cmdName) });
    try {
      instrumentIoredis(c, { name: 'users', ...h.opts, instrumentation: inst });
      await underParent(h, () => c.get(`${p}missing`));
      expect(seen).toEqual(['get']);
      expect(commandSpans(h).map((s) => s.attributes[ATTR_CACHE_RESULT])).toEqual(['miss']);
    } finally {
      inst.setConfig({});
      await done();
    }
  });

  it('without the instrumentation handle: no Driftwatch span beside the official one, metrics recorded', async () => {
    const { c, p, done } = await clients();
    try {
      instrumentIoredis(c, { name: 'users', ...h.opts });
      await underParent(h, () => c.get(`${p}missing`));
      await c.get(`${p}missing`); // no parent: the instrumentation makes no span, nor does Driftwatch
      expect(commandSpans(h).map((s) => [s.name, s.instrumentationScope.name, s.attributes[ATTR_CACHE_RESULT]])).toEqual([
        ['get', '@opentelemetry/instrumentation-ioredis', undefined],
      ]);
      expect(await h.points(METRIC_CACHE_REQUESTS)).toEqual(requests('users', [['get', 'miss', 2]]));
    } finally {
      await done();
    }
  });

  it('instrumentation enabled after instrumentIoredis: still one span per command', async () => {
    const { c, p, done } = await clients();
    unpatch();
    try {
      instrumentIoredis(c, { name: 'users', ...h.opts, instrumentation: inst });
      await underParent(h, () => c.get(`${p}missing`));
      expect(commandSpans(h).map((s) => [s.name, s.instrumentationScope.name])).toEqual([['get', '@driftwatch/cache']]);
      h.exporter.reset();
      patch();
      await underParent(h, () => c.get(`${p}missing`));
      expect(commandSpans(h).map((s) => [s.name, s.instrumentationScope.name, s.attributes[ATTR_CACHE_RESULT]])).toEqual([
        ['get', '@opentelemetry/instrumentation-ioredis', 'miss'],
      ]);
    } finally {
      patch();
      await done();
    }
  });
});

describe.runIf(shouldRunRedisTests())('with @opentelemetry/instrumentation-redis (node-redis)', () => {
  const { h, server } = useRedisHarness();
  const version = (require('@redis/client/package.json') as { version: string }).version;
  const inst = new RedisInstrumentation();
  const files = (inst.getModuleDefinitions() as PatchableDefinition[])
    .filter((d) => d.name === '@redis/client')
    .flatMap((d) => d.files ?? [])
    .filter((f) => /client\/(index|multi-command)\.js$/.test(f.name));
  const exportsOf = (f: PatchableDefinition): unknown => require(f.name);

  beforeAll(() => {
    inst.enable();
    for (const f of files) f.patch?.(exportsOf(f), version);
  });
  afterAll(() => {
    for (const f of files) f.unpatch?.(exportsOf(f), version);
    inst.disable();
  });

  const makeClient = () => createClient({ url: server().url });
  type Client = ReturnType<typeof makeClient>;
  async function clients(): Promise<{ c: Client; admin: Client; p: string; done(): Promise<void> }> {
    inst.setTracerProvider(h.tracerProvider);
    const c = makeClient();
    const admin = makeClient();
    c.on('error', () => undefined);
    admin.on('error', () => undefined);
    await c.connect();
    await admin.connect();
    return { c, admin, p: uniquePrefix(), done: async () => void (await Promise.all([c.close(), admin.close()])) };
  }

  const db = (cmd: string, query: string): Attributes => ({
    [ATTR_DB_SYSTEM_NAME]: 'redis',
    [ATTR_DB_OPERATION_NAME]: cmd,
    [ATTR_DB_QUERY_TEXT]: `${cmd} ${query}`,
    [ATTR_SERVER_ADDRESS]: server().host,
    [ATTR_SERVER_PORT]: server().port,
  });

  it('the module is really patched', () => {
    expect(files.map((f) => f.name.replace(/\\/g, '/'))).toEqual(['@redis/client/dist/lib/client/multi-command.js', '@redis/client/dist/lib/client/index.js']);
    const proto = (require('@redis/client/dist/lib/client/index.js') as { default: { prototype: { sendCommand: unknown } } }).default.prototype;
    expect((proto.sendCommand as { __wrapped?: boolean }).__wrapped).toBe(true);
  });

  it('one span per command, the official one, with db.* and cache.* attributes (found active when the command is published)', async () => {
    const { c, admin, p, done } = await clients();
    try {
      await admin.set(`${p}a`, 'v1');
      await admin.hSet(`${p}h`, 'f', 'v');
      instrumentNodeRedis(c, { name: 'users', ...h.opts });
      h.exporter.reset();
      await underParent(h, async () => {
        expect(await c.get(`${p}missing`)).toBeNull();
        expect(await c.get(`${p}a`)).toBe('v1');
        expect(await c.set(`${p}b`, 'secret')).toBe('OK');
        expect(((await c.get(`${p}h`).catch((e: unknown) => e)) as Error).message).toMatch(/^WRONGTYPE/);
        expect(await c.incr(`${p}n`)).toBe(1);
      });
      const spans = commandSpans(h);
      expect(spans.map((s) => [s.name, s.kind, s.instrumentationScope.name])).toEqual(
        ['redis-GET', 'redis-GET', 'redis-SET', 'redis-GET', 'redis-INCR'].map((n) => [n, SpanKind.CLIENT, '@opentelemetry/instrumentation-redis']),
      );
      const [miss, hit, set, error, incr] = spans;
      const cache = (o: string): Attributes => ({ ...cacheBase('users'), [ATTR_CACHE_OPERATION]: o });
      expect(miss!.attributes).toEqual({ ...db('GET', `${p}missing`), ...cache('get'), [ATTR_CACHE_RESULT]: 'miss', [ATTR_CACHE_HIT]: false });
      expect(hit!.attributes).toEqual({ ...db('GET', `${p}a`), ...cache('get'), [ATTR_CACHE_RESULT]: 'hit', [ATTR_CACHE_HIT]: true });
      expect(set!.attributes).toEqual({ ...db('SET', `${p}b [1 other arguments]`), ...cache('set'), [ATTR_CACHE_WRITE]: true });
      expect(error!.attributes).toEqual({ ...db('GET', `${p}h`), ...cache('get'), [ATTR_CACHE_RESULT]: 'error' });
      expect(error!.status.code).toBe(SpanStatusCode.ERROR);
      expect(incr!.attributes).toEqual(db('INCR', `${p}n`));
      expect(await h.points(METRIC_CACHE_REQUESTS)).toEqual(requests('users', [['get', 'error', 1], ['get', 'hit', 1], ['get', 'miss', 1]]));
    } finally {
      await done();
    }
  });

  it('pipelined commands: the official spans only, metrics recorded', async () => {
    const { c, admin, p, done } = await clients();
    try {
      await admin.set(`${p}a`, '1');
      instrumentNodeRedis(c, { name: 'users', ...h.opts });
      h.exporter.reset();
      await underParent(h, () => c.multi().get(`${p}a`).get(`${p}b`).execAsPipeline());
      expect(commandSpans(h).map((s) => s.instrumentationScope.name)).toEqual(['@opentelemetry/instrumentation-redis', '@opentelemetry/instrumentation-redis']);
      expect(await h.points(METRIC_CACHE_REQUESTS)).toEqual(requests('users', [['get', 'hit', 1], ['get', 'miss', 1]]));
    } finally {
      await done();
    }
  });
});
