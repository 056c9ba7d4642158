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
export { Pricer } from './cost';
export type { CostBreakdown } from './cost';

// Generic API, decorators, module instrumentation, logical calls and resilience adapters
export { createLlmTelemetry, recordLlmCall, traceLlmCall } from './generic';
export type { LlmCallOptions, LlmCallRecord, TraceLlmCallOptions } from './generic';
export { fallbackChain, withLlmCall } from './resilience/logical';
export type { FallbackChainOptions, FallbackStep, FallbackStepInfo, LogicalCall, WithLlmCallOptions } from './resilience/logical';
export { isTracedFunction, traced, unwrapFunction, wrapFunction } from './decorator';
export type { TracedDecorator, TracedOptions } from './decorator';
export { instrumentModule } from './module';
export type { InstrumentModuleOptions } from './module';
export { cockatielCircuitState, executeLlmCall, observeCockatiel } from './resilience/cockatiel';
export type { CockatielPolicy, ExecuteLlmCallOptions } from './resilience/cockatiel';
export { fireLlmCall, observeOpossum, opossumCircuitState, opossumErrorType } from './resilience/opossum';
export type { OpossumBreaker } from './resilience/opossum';

// OpenAI
export { instrumentOpenAI } from './openai/instrument';
export { OPENAI_SUPPORTED_VERSIONS, OpenAIInstrumentation } from './openai/instrumentation';
export type { OpenAIInstrumentationConfig } from './openai/instrumentation';

// Anthropic
export { instrumentAnthropic } from './anthropic/instrument';
export { ANTHROPIC_SUPPORTED_VERSIONS, AnthropicInstrumentation } from './anthropic/instrumentation';
export type { AnthropicInstrumentationConfig } from './anthropic/instrumentation';
