/**
 * @driftwatch/llm: OpenTelemetry instrumentation for LLM calls.
 * This file is the package's only public door; everything not exported here is internal.
 */

// Core: options, records, recorder
export type { LlmInstrumentationOptions, LlmRequestInfo, LlmResponseInfo, LlmUsage, ModelPrice, Redactor } from './types';
export { CallRecorder, LlmTelemetry, errorTypeOf } from './telemetry';
export { defaultRedactor, safeStringify, truncate } from './redact';
export { getDropCounts } from './diag';
export { PACKAGE_NAME, PACKAGE_VERSION } from './version';

// Cost

// Generic API, decorators, module instrumentation, logical calls and resilience adapters

// OpenAI

// Anthropic
