import { logger, reportDrop, safely } from './diag';
import { isTracedFunction, wrapFunction } from './decorator';
import type { TracedOptions } from './decorator';

/** Options of {@link instrumentModule}. */
export interface InstrumentModuleOptions extends TracedOptions {
  /** Property names to wrap. */
  include: RegExp;
  /** Property names to leave alone, even when `include` matches. */
  exclude?: RegExp;
}

/** Own properties of functions and prototypes that are never wrapped. */
const NEVER: ReadonlySet<string> = new Set(['constructor', 'prototype', 'length', 'name', 'caller', 'arguments']);

const copies = new WeakMap<object, object>();

function matches(re: RegExp, key: string): boolean {
  re.lastIndex = 0; // a /g or /y pattern keeps state between tests
  return re.test(key);
}

function isModuleNamespace(obj: object): boolean {
  return Object.prototype.toString.call(obj) === '[object Module]';
}

function isClass(fn: unknown): boolean {
  if (typeof fn !== 'function') return false;
  try {
    return /^class[\s{]/.test(Function.prototype.toString.call(fn));
  } catch {
    return false;
  }
}

/** `Class.` when `obj` is a class prototype or a class, else nothing. */
function ownerPrefix(obj: object): string {
  if (typeof obj === 'function') return (obj as { name?: string }).name ? `${(obj as { name: string }).name}.` : '';
  const ctor = Object.prototype.hasOwnProperty.call(obj, 'constructor') ? (obj as { constructor?: unknown }).constructor : undefined;
  if (typeof ctor === 'function' && (ctor as { prototype?: unknown }).prototype === obj) {
    const name = (ctor as { name?: string }).name;
    return name ? `${name}.` : '';
  }
  return '';
}

/**
 * Wraps the functions of a module object, a class or a class prototype with {@link wrapFunction}:
 * every own function-valued property whose name matches `include` (and not `exclude`).
 *
 * - Patched in place when the object allows it, and the same object is returned. Calling it again
 *   wraps nothing twice.
 * - Getters/setters, classes and non-writable non-configurable properties are skipped (a `diag`
 *   debug line each).
 * - A frozen object or an ESM namespace object (`import * as ns`) cannot be patched: a new plain
 *   object is returned instead, holding every export with the matching functions wrapped. It is a
 *   snapshot: use the returned object in place of the namespace. The same copy is returned when
 *   called again for the same namespace.
 *
 * Never throws; a failure on one property is counted and the others are still wrapped.
 */
export function instrumentModule<M extends object>(obj: M, options: InstrumentModuleOptions): M {
  if (obj === null || (typeof obj !== 'object' && typeof obj !== 'function')) {
    reportDrop('instrumentModule called with a non-object; returned as it is', typeof obj);
    return obj;
  }
  if (!options || !(options.include instanceof RegExp)) {
    reportDrop('instrumentModule needs an include pattern; nothing wrapped');
    return obj;
  }
  const { include, exclude, ...traced } = options;
  const selected = (key: string): boolean => !NEVER.has(key) && matches(include, key) && !(exclude && matches(exclude, key));
  const prefix = ownerPrefix(obj);
  const wrap = (fn: (...args: any[]) => any, key: string) => wrapFunction(fn, { ...traced, functionName: traced.functionName ?? `${prefix}${key}` });

  if (isModuleNamespace(obj) || Object.isFrozen(obj)) {
    const existing = copies.get(obj);
    if (existing) return existing as M;
    const copy: Record<string, unknown> = {};
    for (const key of Object.keys(obj)) {
      const value = safely('module export could not be read', () => (obj as Record<string, unknown>)[key], undefined);
      copy[key] =
        typeof value === 'function' && selected(key) && !isClass(value) && !isTracedFunction(value)
          ? wrap(value as (...args: any[]) => any, key)
          : value;
    }
    logger.debug('instrumentModule: the object cannot be patched (frozen or an ESM namespace); returning a wrapped copy');
    copies.set(obj, copy);
    return copy as M;
  }

  for (const key of Object.getOwnPropertyNames(obj)) {
    if (!selected(key)) continue;
    safely(
      'module function could not be wrapped',
      () => {
        const desc = Object.getOwnPropertyDescriptor(obj, key);
        if (!desc) return;
        if (desc.get || desc.set) {
          logger.debug(`instrumentModule: ${prefix}${key} is an accessor; skipped`);
          return;
        }
        const value = desc.value;
        if (typeof value !== 'function' || isTracedFunction(value)) return;
        if (isClass(value)) {
          logger.debug(`instrumentModule: ${prefix}${key} is a class; skipped`);
          return;
        }
        if (desc.configurable) {
          Object.defineProperty(obj, key, { ...desc, value: wrap(value, key) });
        } else if (desc.writable) {
          (obj as Record<string, unknown>)[key] = wrap(value, key);
        } else {
          logger.debug(`instrumentModule: ${prefix}${key} is neither writable nor configurable; skipped`);
        }
      },
      undefined,
    );
  }
  return obj;
}
