import type { MeterProvider, TracerProvider } from '@opentelemetry/api';
import type { GenAiMetricsVersion } from '@driftwatch/semconv';

/**
 * Rewrites text before it is put on a span (prompt/completion content, error messages,
 * function arguments). It MUST be pure and SHOULD be fast; if it throws, the text is dropped
 * (never recorded unredacted) and a `diag` warning is counted.
 */
export type Redactor = (text: string) => string;

/** Prices in USD per million tokens, for one model. */
export interface ModelPrice {
  /** USD per 1M input tokens (uncached). */
  readonly inputPerMTok: number;
  /** USD per 1M output tokens. */
  readonly outputPerMTok: number;
  /** USD per 1M cache-read input tokens; defaults to `inputPerMTok`. */
  readonly cacheReadPerMTok?: number;
  /** USD per 1M cache-write input tokens; defaults to `inputPerMTok`. */
  readonly cacheWritePerMTok?: number;
}

/** Options shared by every `@driftwatch/llm` entry point. All are optional. */
export interface LlmInstrumentationOptions {
  /** Tracer provider to use; the global one when absent. */
  tracerProvider?: TracerProvider;
  /** Meter provider to use; the global one when absent. */
  meterProvider?: MeterProvider;
  /**
   * Record prompt and completion content on spans (`gen_ai.input.messages`, `gen_ai.output.messages`,
   * `gen_ai.system_instructions`). Off by default. `register()` maps
   * `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true` to this option.
   */
  captureMessageContent?: boolean;
  /** Redactor applied to captured content and error messages; `defaultRedactor` when absent. */
  redact?: Redactor;
  /** Largest captured content attribute in characters (default 16384); longer values are truncated. */
  maxContentLength?: number;
  /**
   * Price overrides keyed by model name (exact, or provider-prefixed `provider/model`). They win
   * over the catalogue. A model with no price anywhere is marked `llm.cost.unknown=true`.
   */
  prices?: Readonly<Record<string, ModelPrice>>;
  /** Turn cost computation off entirely (no `llm.cost.*` attributes or metrics). Default: on. */
  cost?: boolean;
  /**
   * For OpenAI streaming chat completions, add `stream_options.include_usage: true` when the caller
   * has not set `stream_options` itself, so token usage arrives in the final chunk. Default: true.
   */
  requestStreamUsage?: boolean;
  /** GenAI metric-name generation (see `@driftwatch/semconv`). Default `'1.41'`. */
  metricsVersion?: GenAiMetricsVersion;
}

/** Token usage of one call. Counts that are unknown stay undefined (never 0 by guess). */
export interface LlmUsage {
  inputTokens?: number;
  outputTokens?: number;
  cacheReadInputTokens?: number;
  cacheCreationInputTokens?: number;
  reasoningOutputTokens?: number;
}

/** What is known about a call when it starts (the sampling-relevant attributes among them). */
export interface LlmRequestInfo {
  /** `gen_ai.operation.name`, e.g. `chat`, `embeddings`. */
  operation: string;
  /** `gen_ai.provider.name`, e.g. `openai`, `anthropic`, or the user's own gateway name. */
  provider: string;
  /** Requested model. */
  model?: string;
  serverAddress?: string;
  serverPort?: number;
  stream?: boolean;
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  frequencyPenalty?: number;
  presencePenalty?: number;
  stopSequences?: string[];
  seed?: number;
  choiceCount?: number;
  conversationId?: string;
  agentName?: string;
  /** Caller's id of the logical call (spans only). */
  callId?: string;
  /** Low-cardinality tier label (`llm.tier`). */
  tier?: string;
  /** Low-cardinality task type label (`llm.task.type`). */
  taskType?: string;
  /** Extra span attributes (metadata); never put on metrics. */
  metadata?: Readonly<Record<string, unknown>>;
}

/** What is known when a call ends. */
export interface LlmResponseInfo {
  responseId?: string;
  responseModel?: string;
  finishReasons?: string[];
  usage?: LlmUsage;
  /** Cost the provider or gateway reported itself, in USD; wins over the catalogue. */
  reportedCostUsd?: number;
  /** Set on embeddings calls. */
  embeddingDimensions?: number;
}
