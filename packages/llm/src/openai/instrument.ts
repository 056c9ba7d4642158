import { instrumentClient, patchInstanceMethod } from '../stainless';
import { LlmTelemetry } from '../telemetry';
import type { LlmInstrumentationOptions } from '../types';
import { chatCompletionsSpec } from './chat';
import { embeddingsSpec } from './embeddings';
import { responsesSpec } from './responses';

const INSTRUMENTED = Symbol('driftwatch.llm.openai_instrumented');

/**
 * Instruments one OpenAI client instance (the `openai` package, majors 4 to 7, or any client
 * with the same resources such as `AzureOpenAI`) in place and returns the same client.
 *
 * `chat.completions.create` and `responses.create` become `chat` spans, `embeddings.create`
 * `embeddings` spans (GenAI semantic conventions v1.41, kind CLIENT), with the GenAI duration,
 * token-usage and time-to-first-chunk metrics. Helpers built on them (`chat.completions.parse`,
 * `chat.completions.stream`, `responses.parse`, `responses.stream`) are covered too. Every HTTP
 * attempt the SDK makes for such a call is observed through the client's `fetch`: rate-limit
 * headroom (`llm.rate_limit.remaining`) and SDK-internal retries (`resilience.retry.count` and a
 * `resilience.retry` event per retry). Attempts are matched to their call through the active
 * context, which needs the context manager every OpenTelemetry SDK setup registers.
 *
 * The SDK's return values are returned themselves: the `APIPromise` (`.withResponse()`,
 * `.asResponse()`, `_thenUnwrap` keep working and nothing is parsed unless the caller asks) and
 * real `Stream`s (`for await`, `tee()`, `toReadableStream()`, `controller`). A stream's span ends
 * when the caller finishes, leaves (`break`), aborts or fails reading it; a stream that is never
 * read keeps its span open, as does a successful call whose result is never awaited. For
 * streamed chat completions without `stream_options`, `{ include_usage: true }` is added unless
 * `requestStreamUsage` is `false`; the extra final usage chunk (empty `choices`) is delivered to
 * the caller as the SDK delivers it.
 *
 * Clients derived with `withOptions()` are instrumented too; a second call on the same client does
 * nothing. Telemetry failures never reach the caller; the SDK's own errors are recorded
 * (`error.type` is the error class name) and re-thrown unchanged.
 *
 * @throws only for invalid options (e.g. a malformed price override), before anything is patched.
 */
export function instrumentOpenAI<T extends object>(client: T, options: LlmInstrumentationOptions = {}): T {
  if ((client as { [INSTRUMENTED]?: boolean })[INSTRUMENTED]) return client;
  const telemetry = new LlmTelemetry(options);
  const source = (): LlmTelemetry => telemetry;
  instrumentClient(client, INSTRUMENTED, (c) => {
    patchInstanceMethod(c.chat?.completions, 'create', chatCompletionsSpec, source);
    patchInstanceMethod(c.responses, 'create', responsesSpec, source);
    patchInstanceMethod(c.embeddings, 'create', embeddingsSpec, source);
  });
  return client;
}
