import { instrumentClient, patchInstanceMethod } from '../stainless';
import { LlmTelemetry } from '../telemetry';
import type { LlmInstrumentationOptions } from '../types';
import { messagesSpec } from './messages';

const INSTRUMENTED = Symbol('driftwatch.llm.anthropic_instrumented');

/**
 * Instruments one Anthropic client instance (`@anthropic-ai/sdk` 0.20 and later, up to 1.x) in
 * place and returns the same client.
 *
 * `messages.create` becomes a `chat` span (GenAI semantic conventions v1.41, kind CLIENT) with the
 * GenAI duration, token-usage and time-to-first-chunk metrics; `messages.stream()` and
 * `messages.parse()` go through it. `gen_ai.usage.input_tokens` includes cached input
 * (`input_tokens + cache_read_input_tokens + cache_creation_input_tokens`). Every HTTP attempt of
 * such a call is observed through the client's `fetch`: rate-limit headroom
 * (`llm.rate_limit.remaining`) and SDK-internal retries (`resilience.retry.count` and a
 * `resilience.retry` event per retry). Attempts are matched to their call through the active
 * context, which needs the context manager every OpenTelemetry SDK setup registers.
 *
 * The SDK's `APIPromise` and `Stream` objects are returned themselves (`.withResponse()`,
 * `.asResponse()`, `tee()`, `toReadableStream()`, `controller` keep working). A stream's span ends
 * when the caller finishes, leaves (`break`), aborts or fails reading it; a stream that is never
 * read keeps its span open, as does a successful call whose result is never awaited. Clients
 * derived with `withOptions()` are instrumented too; a second call on the same client does
 * nothing. Telemetry failures never reach the caller; the SDK's own errors are recorded
 * (`error.type` is the error class name) and re-thrown unchanged.
 *
 * Recent SDK versions (late 0.x and 1.x) also emit spans of their own through the global tracer
 * provider; pass `openTelemetry: false` to the client to keep only these.
 *
 * @throws only for invalid options (e.g. a malformed price override), before anything is patched.
 */
export function instrumentAnthropic<T extends object>(client: T, options: LlmInstrumentationOptions = {}): T {
  if ((client as { [INSTRUMENTED]?: boolean })[INSTRUMENTED]) return client;
  const telemetry = new LlmTelemetry(options);
  instrumentClient(client, INSTRUMENTED, (c) => patchInstanceMethod(c.messages, 'create', messagesSpec, () => telemetry));
  return client;
}
