/**
 * The streaming anomaly-detector contract. A detector is causal: `update()` scores a point against
 * what came before it and only then learns from it (score-then-update); it never looks ahead and
 * never knows the series' future range. Each update is O(1) or O(log n) and the state is bounded and
 * serialisable (processor state snapshots), so a detector restored from `toState()` continues exactly
 * as the original would.
 */

/** What a detector says about one point. */
export interface DetectorResult {
  /** Anomaly score in [0, 1]: 0 normal, 1 certainly anomalous. */
  score: number;
  /** Named reasons that fired on this point (e.g. `'z'`, `'range'`, `'drift_up'`); empty when none. */
  flags: string[];
  /** The value the detector expected (its forecast or baseline), when it has one. */
  expected?: number;
  /** The band of normal values around `expected`, when it has one. */
  lower?: number;
  upper?: number;
}

/** Serialisable detector state: plain JSON (numbers, strings, arrays, objects). */
export type DetectorState = { readonly kind: string; readonly version: number } & Record<string, unknown>;

export interface Detector {
  /** Stable name (`'ewma'`, `'ensemble'`, …), used in `driftwatch.detector` and `--detector`. */
  readonly name: string;
  /**
   * Scores `value` observed at `timestamp` (epoch ms, non-decreasing), then learns from it. A
   * non-finite value or timestamp is not learned from and scores 0 (the caller counts it).
   */
  update(timestamp: number, value: number): DetectorResult;
  /** A JSON-serialisable copy of the state. */
  toState(): DetectorState;
}

/** Builds a detector, optionally restoring a state written by `toState()` of the same kind. */
export type DetectorFactory<O = Record<string, unknown>> = (options?: O, state?: DetectorState) => Detector;
