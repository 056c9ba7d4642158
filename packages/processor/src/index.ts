/**
 * @driftwatch/processor: derived quality metrics inside the OpenTelemetry SDK pipeline. This first
 * part is the quantile sketch the sliding windows are built from.
 */
export { ExponentialSketch, bucketIndex, relativeErrorAt, DEFAULT_SCALE, DEFAULT_MAX_BUCKETS, MAX_SCALE, MIN_SCALE } from './sketch';
export type { SketchOptions } from './sketch';
export { PACKAGE_NAME, PACKAGE_VERSION } from './version';
export { SlidingWindow, WindowAggregate } from './window';
export type { WindowOptions, Observation } from './window';
