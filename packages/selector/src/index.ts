/**
 * @driftwatch/selector: OpenTelemetry instrumentation for selector resolution — ordered strategies,
 * confidence, fallbacks, timeouts and drift — with cheerio and Playwright adapters.
 * This file is the package's only public door; everything not exported here is internal.
 */

// Shapes shared by the resolver and the engine adapters
export type { ElementDescriptor, Strategy, StrategyKind, StrategyMatch } from './types';
export type {
  AttemptRecord,
  DriftKind,
  DurationStats,
  ReportPeriod,
  Resolution,
  ResolutionRecord,
  ResolveOptions,
  SelectorAnomaly,
  SelectorAnomalyKind,
  SelectorReport,
  SelectorReportEntry,
  SelectorResult,
  SelectorStats,
  SelectorWindowStats,
  SelectorTelemetryOptions,
  StrategyResult,
  StrategyStats,
} from './model';

// The resolver and its telemetry
export {
  SelectorTelemetry,
  createSelectorTelemetry,
  detectAnomalies,
  generateReport,
  getSelectorStats,
  recordResolution,
  resolve,
} from './telemetry';
export { SelectorConfigError, UnsupportedStrategyError, errorTypeOf } from './errors';
export { fingerprint, similarity } from './fingerprint';
export { formatReport } from './report';
export { getDropCounts } from './diag';
export { PACKAGE_NAME, PACKAGE_VERSION } from './version';

// cheerio adapter (cheerio itself is the caller's: only its types are used)
export { cheerioStrategies, describeCheerioElement } from './cheerio';
export type { CheerioStrategyOptions, CheerioStrategySpec } from './cheerio';

// Playwright adapter (playwright-core is the caller's: only its types are used)
export { playwrightStrategies, tracePlaywrightAction, classifyPlaywrightError } from './playwright';
export type { PlaywrightActionOptions, PlaywrightErrorClassification, PlaywrightRoot, PlaywrightSelectorSpec, PlaywrightStrategyOptions } from './playwright';
