// Shared pieces of the fake LLM provider server: scenario and request types, deterministic token
// counting, SSE writing and rate-limit headers. Erasable-only TypeScript importing node builtins
// only, so Node runs it directly with type stripping.
import { Buffer } from 'node:buffer';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';

/** What the next request should get. Every field is optional; the default is a normal success. */
export interface FakeScenario {
  /** HTTP status; 400 and above send an error body in the provider's format. Default 200. */
  status?: number;
  /** Extra response headers; they win over the defaults (e.g. `retry-after`, `retry-after-ms`). */
  headers?: Record<string, string>;
  /** Message of the error body when `status` is 400 or above. */
  errorMessage?: string;
  /** A JSON body to send as it is instead of the generated one (non-streaming responses). */
  body?: unknown;
  /** Model reported in the response; default: the requested model. */
  model?: string;
  /** Assistant text; default {@link DEFAULT_REPLY}. One output token per whitespace-separated word. */
  content?: string;
  /** Finish (stop) reason to report instead of the computed one. */
  finishReason?: string;
  /** Cached input tokens: OpenAI `cached_tokens`, Anthropic `cache_read_input_tokens`. */
  cachedInputTokens?: number;
  /** Anthropic `cache_creation_input_tokens`. */
  cacheCreationInputTokens?: number;
  /** Reasoning tokens, counted in the output tokens as the APIs do (Anthropic: `thinking_tokens`). */
  reasoningTokens?: number;
  /** Fields merged over the generated usage object, e.g. to send invalid counts. */
  usageOverride?: Record<string, unknown>;
  /** Embedding length; default: the request's `dimensions`, else 8. */
  embeddingDimensions?: number;
  /** Milliseconds to wait before the response headers are sent. */
  delayMs?: number;
  /** Milliseconds to wait before each streamed event. */
  chunkDelayMs?: number;
  /** Destroy the socket after this many streamed data events (a mid-stream network failure). */
  streamErrorAfterChunks?: number;
  /** Destroy the connection without sending anything (a connection error). */
  dropConnection?: boolean;
}

/** One request the server received. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: any;
}

/** The reply used when a scenario gives no `content`. */
export const DEFAULT_REPLY = 'Hello from the fake provider.';
/** `created` timestamps are fixed so bodies are reproducible. */
export const CREATED_AT = 1767225600;

/** Deterministic token count: whitespace-separated words. */
export function countWords(text: string): number {
  return text.split(/\s+/).filter((w) => w !== '').length;
}

/** All text inside a message `content` (string, array of parts, or nested blocks). */
export function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map(textOf).join(' ');
  if (content && typeof content === 'object') {
    const c = content as Record<string, unknown>;
    if (typeof c['text'] === 'string') return c['text'];
    if (c['content'] !== undefined) return textOf(c['content']);
  }
  return '';
}

/** Words of the reply, cut to `maxTokens` when given; `truncated` says whether the cut happened. */
export function replyWords(content: string, maxTokens: unknown): { words: string[]; truncated: boolean } {
  const words = content.split(/\s+/).filter((w) => w !== '');
  if (typeof maxTokens === 'number' && maxTokens >= 0 && maxTokens < words.length) {
    return { words: words.slice(0, maxTokens), truncated: true };
  }
  return { words, truncated: false };
}

/** Splits text into streamed deltas: one word each, keeping the separating spaces. */
export function deltas(words: string[]): string[] {
  return words.map((w, i) => (i === 0 ? w : ` ${w}`));
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** True once the client went away (abort, socket destroyed). */
export function gone(res: ServerResponse): boolean {
  return res.destroyed || res.writableEnded;
}

/** Sends a JSON response unless the client is gone. */
export function sendJson(res: ServerResponse, status: number, headers: Record<string, string>, body: unknown): void {
  if (gone(res)) return;
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** One SSE event to write: an optional `event:` name and the `data:` payload. */
export interface SseEvent {
  event?: string;
  data: unknown;
}

/**
 * Writes SSE events with the scenario's pacing and failure injection, then ends the response
 * (after `[DONE]` when `done` is set). Returns false when the stream was cut.
 */
export async function writeSse(
  res: ServerResponse,
  headers: Record<string, string>,
  events: SseEvent[],
  scenario: FakeScenario,
  done: boolean,
): Promise<boolean> {
  if (gone(res)) return false;
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', ...headers });
  res.flushHeaders();
  let written = 0;
  for (const ev of events) {
    if (scenario.chunkDelayMs) await sleep(scenario.chunkDelayMs);
    if (gone(res)) return false;
    if (scenario.streamErrorAfterChunks !== undefined && written >= scenario.streamErrorAfterChunks) {
      res.socket?.destroy();
      return false;
    }
    const name = ev.event ? `event: ${ev.event}\n` : '';
    // Waiting for each write to be flushed keeps a later socket cut from swallowing earlier events.
    await new Promise<void>((resolve) => {
      res.write(`${name}data: ${typeof ev.data === 'string' ? ev.data : JSON.stringify(ev.data)}\n\n`, () => resolve());
    });
    written++;
  }
  if (gone(res)) return false;
  if (done) res.write('data: [DONE]\n\n');
  res.end();
  return true;
}

/** Per-provider request and token counters behind the rate-limit headers. */
export interface RateLimitState {
  requests: number;
  tokens: number;
  inputTokens: number;
  outputTokens: number;
}

/** Fresh counters (nothing served yet). */
export function newRateLimitState(): RateLimitState {
  return { requests: 0, tokens: 0, inputTokens: 0, outputTokens: 0 };
}

/** OpenAI limits the fake server reports. */
export const OPENAI_LIMITS = { requests: 10_000, tokens: 2_000_000 } as const;
/** Anthropic limits the fake server reports. */
export const ANTHROPIC_LIMITS = { requests: 4_000, tokens: 800_000, inputTokens: 600_000, outputTokens: 200_000 } as const;

/** OpenAI's `x-ratelimit-*` headers after counting this response. */
export function openaiRateLimitHeaders(state: RateLimitState, requestId: string): Record<string, string> {
  return {
    'x-request-id': requestId,
    'openai-version': '2020-10-01',
    'openai-processing-ms': '1',
    'x-ratelimit-limit-requests': String(OPENAI_LIMITS.requests),
    'x-ratelimit-remaining-requests': String(Math.max(0, OPENAI_LIMITS.requests - state.requests)),
    'x-ratelimit-reset-requests': '6ms',
    'x-ratelimit-limit-tokens': String(OPENAI_LIMITS.tokens),
    'x-ratelimit-remaining-tokens': String(Math.max(0, OPENAI_LIMITS.tokens - state.tokens)),
    'x-ratelimit-reset-tokens': '0s',
  };
}

/** Anthropic's `anthropic-ratelimit-*` headers after counting this response. */
export function anthropicRateLimitHeaders(state: RateLimitState, requestId: string): Record<string, string> {
  const reset = new Date(CREATED_AT * 1000 + 60_000).toISOString();
  const L = ANTHROPIC_LIMITS;
  return {
    'request-id': requestId,
    'anthropic-ratelimit-requests-limit': String(L.requests),
    'anthropic-ratelimit-requests-remaining': String(Math.max(0, L.requests - state.requests)),
    'anthropic-ratelimit-requests-reset': reset,
    'anthropic-ratelimit-tokens-limit': String(L.tokens),
    'anthropic-ratelimit-tokens-remaining': String(Math.max(0, L.tokens - state.tokens)),
    'anthropic-ratelimit-tokens-reset': reset,
    'anthropic-ratelimit-input-tokens-limit': String(L.inputTokens),
    'anthropic-ratelimit-input-tokens-remaining': String(Math.max(0, L.inputTokens - state.inputTokens)),
    'anthropic-ratelimit-input-tokens-reset': reset,
    'anthropic-ratelimit-output-tokens-limit': String(L.outputTokens),
    'anthropic-ratelimit-output-tokens-remaining': String(Math.max(0, L.outputTokens - state.outputTokens)),
    'anthropic-ratelimit-output-tokens-reset': reset,
  };
}

/** Counts one served request and its tokens into `state`. */
export function countUsage(state: RateLimitState, input: number, output: number): void {
  state.requests++;
  state.inputTokens += input;
  state.outputTokens += output;
  state.tokens += input + output;
}

/** A deterministic unit-length-ish embedding for `text`: values from a string hash. */
export function embeddingFor(text: string, dims: number): number[] {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  const out: number[] = [];
  for (let i = 0; i < dims; i++) {
    h = Math.imul(h ^ (h >>> 15), 2246822507) >>> 0;
    out.push(Math.round(((h % 2000) / 1000 - 1) * 1e6) / 1e6);
  }
  return out;
}

/** Float32 little-endian base64, the wire format of `encoding_format: 'base64'`. */
export function base64Floats(values: number[]): string {
  const buf = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => buf.writeFloatLE(v, i * 4));
  return buf.toString('base64');
}
