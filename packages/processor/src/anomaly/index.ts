/**
 * The detector registry: every streaming detector by name, built with its options or restored from a
 * state written by its `toState()`. `'ensemble'` is the default.
 */
import type { Detector, DetectorState } from './types';
import type { BaseDetector, NumberSpec } from './common';
import { CUSUM_OPTIONS, PAGE_HINKLEY_OPTIONS } from './drift';
import { ENSEMBLE_OPTIONS } from './ensemble';
import { EWMA_OPTIONS } from './ewma';
import { HOLT_OPTIONS } from './holt';
import { MAD_OPTIONS } from './mad';
import { MA_OPTIONS } from './ma';
import { RANGE_OPTIONS } from './range';
import { ROC_OPTIONS } from './roc';
import { SEASONAL_OPTIONS } from './seasonal';
import { CusumDetector, PageHinkleyDetector } from './drift';
import { EnsembleDetector } from './ensemble';
import { EwmaDetector } from './ewma';
import { HoltDetector } from './holt';
import { MadDetector } from './mad';
import { MovingAverageDetector } from './ma';
import { RangeDetector } from './range';
import { RateOfChangeDetector } from './roc';
import { SeasonalDetector } from './seasonal';

interface Entry {
  create(options?: Record<string, unknown>): BaseDetector;
  restore(state: DetectorState): BaseDetector;
}

const REGISTRY: Readonly<Record<string, Entry>> = Object.freeze({
  ensemble: { create: (o) => new EnsembleDetector(o), restore: (s) => EnsembleDetector.restore(s) },
  ewma: { create: (o) => new EwmaDetector(o), restore: (s) => EwmaDetector.restore(s) },
  ma: { create: (o) => new MovingAverageDetector(o), restore: (s) => MovingAverageDetector.restore(s) },
  roc: { create: (o) => new RateOfChangeDetector(o), restore: (s) => RateOfChangeDetector.restore(s) },
  range: { create: (o) => new RangeDetector(o), restore: (s) => RangeDetector.restore(s) },
  mad: { create: (o) => new MadDetector(o), restore: (s) => MadDetector.restore(s) },
  'page-hinkley': { create: (o) => new PageHinkleyDetector(o), restore: (s) => PageHinkleyDetector.restore(s) },
  cusum: { create: (o) => new CusumDetector(o), restore: (s) => CusumDetector.restore(s) },
  holt: { create: (o) => new HoltDetector(o), restore: (s) => HoltDetector.restore(s) },
  seasonal: { create: (o) => new SeasonalDetector(o), restore: (s) => SeasonalDetector.restore(s) },
});

/** Every name `createDetector` accepts, the default (`'ensemble'`) first. */
export const DETECTOR_NAMES: readonly string[] = Object.freeze(Object.keys(REGISTRY));

/**
 * The numeric options of every detector: default, range and a one-line description (for help texts
 * and docs). The ensemble also takes `weights` (component → weight, 0 turns a component off) and one
 * options object per component, keyed by the component's name.
 */
export const DETECTOR_OPTIONS: Readonly<Record<string, Readonly<Record<string, DetectorOptionSpec>>>> = Object.freeze({
  ensemble: ENSEMBLE_OPTIONS,
  ewma: EWMA_OPTIONS,
  ma: MA_OPTIONS,
  roc: ROC_OPTIONS,
  range: RANGE_OPTIONS,
  mad: MAD_OPTIONS,
  'page-hinkley': PAGE_HINKLEY_OPTIONS,
  cusum: CUSUM_OPTIONS,
  holt: HOLT_OPTIONS,
  seasonal: SEASONAL_OPTIONS,
});

/** One numeric detector option: its default, its allowed range and what it does. */
export type DetectorOptionSpec = NumberSpec;

/** The detector used when none is named. */
export const DEFAULT_DETECTOR = 'ensemble';

function entry(name: unknown, what: string): Entry {
  if (typeof name !== 'string' || !Object.hasOwn(REGISTRY, name)) {
    throw new RangeError(`${what}'${String(name)}' (expected one of ${DETECTOR_NAMES.join(', ')})`);
  }
  return REGISTRY[name]!;
}

/**
 * Builds the detector `name` with `options` (each detector's options and defaults are listed in its
 * module). Throws a `RangeError` naming an unknown detector, an unknown option or a value out of range.
 */
export function createDetector(name: string, options?: Record<string, unknown>): Detector {
  return entry(name, 'unknown detector ').create(options);
}

/**
 * Rebuilds a detector from a state written by `toState()` (also after a JSON round trip); it
 * continues exactly where the original left off. Throws a `RangeError` on an unknown kind or a
 * malformed state.
 */
export function restoreDetector(state: DetectorState): Detector {
  if (state === null || typeof state !== 'object') throw new RangeError('detector state must be an object');
  return entry(state.kind, 'unknown detector kind ').restore(state);
}

export { severityToScore, scoreToSeverity } from './common';
export { ENSEMBLE_COMPONENTS, ENSEMBLE_COMPONENT_DEFAULTS, ENSEMBLE_WEIGHTS } from './ensemble';
export type { EnsembleComponent } from './ensemble';
