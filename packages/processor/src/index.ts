/**
 * @driftwatch/processor: derived quality metrics inside the OpenTelemetry SDK pipeline.
 */
export { ExponentialSketch, bucketIndex, relativeErrorAt, DEFAULT_SCALE, DEFAULT_MAX_BUCKETS, MAX_SCALE, MIN_SCALE } from './sketch';
export type { SketchOptions, SketchState } from './sketch';
export { PACKAGE_NAME, PACKAGE_VERSION } from './version';
export { SlidingWindow } from './window';
export type { WindowOptions } from './window';
export { WindowAggregate } from './aggregate';
export type { Observation } from './aggregate';
export { DriftwatchProcessor, getGlobalProcessor, setGlobalProcessor } from './processor';
export type { ProcessorHealth } from './processor';
export { ProcessorMetricReader } from './input-reader';
export { DerivedMetricProducer, DERIVED_GAUGES, SELF_METRICS } from './producer';
export type { ProcessorOptions, Domain } from './config';
export { ALLOWED_DIMENSIONS, DEFAULT_DIMENSIONS, DEFAULT_WINDOWS, DEFAULT_CARDINALITY_LIMIT, DOMAINS, parseDuration, planWindows } from './config';
export type { SeriesStats, WindowStats } from './stats';
export type { SpanInput, InvalidCounts } from './extract';
export { adjustedCount } from './extract';
export type { ProcessorState } from './state';
export { projectTrend, detectSeasonality, laggedCorrelation } from './anomaly/trend';
export type { TrendProjection, Seasonality } from './anomaly/trend';
export { SIGNALS } from './anomaly/engine';
export type { AnomalyOptions, AnomalyEvent, AbsenceRule, SignalDef } from './anomaly/engine';
export type { Detector, DetectorResult, DetectorState, DetectorFactory } from './anomaly/types';
export { DETECTOR_NAMES, DEFAULT_DETECTOR, createDetector, restoreDetector } from './anomaly/index';
export {
  scoreDetector,
  makeWindows,
  PROFILES as NAB_PROFILES,
  normalizeScore,
  scaledSigmoid,
  probationaryLength,
  sweepScores,
  scoresByThreshold,
  optimizeThreshold,
  scoreAtThreshold,
} from './anomaly/nab';
export type { CostProfile, ProfileName, AnomalyWindow, ScoredFile, SweepRow, ThresholdScore, FileScore, DetectorScore, ScoreOptions } from './anomaly/nab';
