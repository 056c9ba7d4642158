import { DiagLogLevel, diag } from '@opentelemetry/api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ATTR_CODE_FUNCTION_NAME, ATTR_LLM_EVENT_TYPE } from '@driftwatch/semconv';
import { instrumentModule, isTracedFunction } from '@driftwatch/llm';
import { drops, useHarness } from './generic-harness';
import * as fixture from './module-fixture';

const h = useHarness();
let debugLines: string[];
beforeEach(() => {
  debugLines = [];
  const keep = (...args: unknown[]) => debugLines.push(args.map(String).join(' '));
  diag.setLogger({ debug: keep, info: () => {}, warn: () => {}, error: () => {}, verbose: () => {} }, DiagLogLevel.DEBUG);
});
afterEach(() => diag.disable());

describe('instrumentModule', () => {
  it('wraps matching own functions in place and returns the same object', async () => {
    class Helper {}
    const mod = {
      summarize: (text: string) => `summary: ${text}`,
      async translate(text: string) {
        return `fr: ${text}`;
      },
      helper: () => 'not matched',
      version: '1.0.0',
      get lazyLoad() {
        return () => 'from getter';
      },
      Helper,
    };
    const out = instrumentModule(mod, { ...h.opts, include: /^(summarize|translate|lazyLoad|Helper|version)$/, eventType: 'nlp' });
    expect(out).toBe(mod);
    expect(mod.summarize('a')).toBe('summary: a');
    expect(await mod.translate('b')).toBe('fr: b');
    expect(mod.helper()).toBe('not matched');
    expect(isTracedFunction(mod.helper)).toBe(false);
    expect(mod.Helper).toBe(Helper);
    expect(mod.version).toBe('1.0.0');
    expect(Object.getOwnPropertyDescriptor(mod, 'lazyLoad')!.get).toBeDefined();

    expect(h.spans().map((s) => [s.name, s.attributes[ATTR_CODE_FUNCTION_NAME], s.attributes[ATTR_LLM_EVENT_TYPE]])).toStrictEqual([
      ['execute_tool summarize', 'summarize', 'nlp'],
      ['execute_tool translate', 'translate', 'nlp'],
    ]);
    expect(debugLines.some((l) => l.includes('lazyLoad is an accessor; skipped'))).toBe(true);
    expect(debugLines.some((l) => l.includes('Helper is a class; skipped'))).toBe(true);
  });

  it('is idempotent: a second call wraps nothing twice', () => {
    const mod = { run: () => 1 };
    instrumentModule(mod, { ...h.opts, include: /.*/ });
    const once = mod.run;
    instrumentModule(mod, { ...h.opts, include: /.*/ });
    expect(mod.run).toBe(once);
    mod.run();
    expect(h.spans()).toHaveLength(1);
  });

  it('honours exclude, and global patterns are safe to reuse', () => {
    const mod = { getA: () => 'a', getB: () => 'b', getC: () => 'c', setA: () => 0 };
    instrumentModule(mod, { ...h.opts, include: /^get/g, exclude: /B$/g });
    expect([mod.getA, mod.getB, mod.getC, mod.setA].map(isTracedFunction)).toStrictEqual([true, false, true, false]);
  });

  it('wraps class prototypes as Class.method, skipping the constructor', async () => {
    class UserService {
      constructor(private readonly prefix = 'user-') {}
      async getUser(id: number) {
        return this.prefix + id;
      }
      listUsers() {
        return [this.prefix];
      }
    }
    instrumentModule(UserService.prototype, { ...h.opts, include: /.*/ });
    expect(Object.prototype.hasOwnProperty.call(UserService.prototype, 'constructor')).toBe(true);
    expect(isTracedFunction(UserService.prototype.constructor)).toBe(false);
    const svc = new UserService();
    expect(await svc.getUser(7)).toBe('user-7');
    expect(svc.listUsers()).toStrictEqual(['user-']);
    expect(h.spans().map((s) => s.attributes[ATTR_CODE_FUNCTION_NAME])).toStrictEqual(['UserService.getUser', 'UserService.listUsers']);
  });

  it('assigns writable non-configurable properties and skips read-only non-configurable ones', () => {
    const mod: Record<string, () => string> = {};
    const fixed = () => 'fixed';
    const assignable = () => 'assignable';
    Object.defineProperty(mod, 'fixed', { value: fixed, writable: false, configurable: false, enumerable: true });
    Object.defineProperty(mod, 'assignable', { value: assignable, writable: true, configurable: false, enumerable: true });
    instrumentModule(mod, { ...h.opts, include: /.*/ });
    expect(mod.fixed).toBe(fixed);
    expect(isTracedFunction(mod.assignable)).toBe(true);
    expect(debugLines.some((l) => l.includes('fixed is neither writable nor configurable; skipped'))).toBe(true);
  });

  it('returns a wrapped copy of a frozen object, leaving the original as it is', () => {
    const frozen = Object.freeze({ run: () => 'ran', other: 1 });
    const copy = instrumentModule(frozen, { ...h.opts, include: /^run$/ });
    expect(copy).not.toBe(frozen);
    expect(isTracedFunction(frozen.run)).toBe(false);
    expect(copy.run()).toBe('ran');
    expect(copy.other).toBe(1);
    expect(instrumentModule(frozen, { ...h.opts, include: /^run$/ })).toBe(copy);
    expect(h.spans()).toHaveLength(1);
  });

  it('returns a wrapped copy of an ESM namespace object (a test module and a Node built-in)', async () => {
    const mod = instrumentModule(fixture, { ...h.opts, include: /^(summarize|translate)$/ });
    expect(mod).not.toBe(fixture);
    expect(mod.summarize('x')).toBe('summary: x');
    expect(await mod.translate('y', 'de')).toBe('de: y');
    expect(mod.VERSION).toBe('1.0.0');
    expect(isTracedFunction(fixture.summarize)).toBe(false);

    const path = await import('node:path');
    const wrappedPath = instrumentModule(path, { ...h.opts, include: /^basename$/ });
    expect(wrappedPath.basename('/a/b.txt')).toBe('b.txt');
    expect(wrappedPath.join('a', 'b')).toBe(`a${path.sep}b`);
    expect(isTracedFunction(path.basename)).toBe(false);

    expect(h.spans().map((s) => s.name)).toStrictEqual(['execute_tool summarize', 'execute_tool translate', 'execute_tool basename']);
  });

  it('never throws on bad input', () => {
    expect(instrumentModule(null as unknown as object, { include: /.*/ })).toBeNull();
    const mod = { a: () => 1 };
    expect(instrumentModule(mod, {} as never)).toBe(mod);
    expect(isTracedFunction(mod.a)).toBe(false);
    expect(drops()).toStrictEqual({
      'instrumentModule called with a non-object; returned as it is': 1,
      'instrumentModule needs an include pattern; nothing wrapped': 1,
    });
  });
});
