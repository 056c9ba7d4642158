// Anthropic wire format for the fake provider: `/v1/messages` as JSON and as server-sent events
// (`message_start`, `content_block_start`, `ping`, `content_block_delta`, `content_block_stop`,
// `message_delta`, `message_stop`).
import type { ServerResponse } from 'node:http';
import {
  DEFAULT_REPLY,
  anthropicRateLimitHeaders,
  countUsage,
  countWords,
  deltas,
  replyWords,
  sendJson,
  textOf,
  writeSse,
} from './fake-llm-shared.ts';
import type { FakeScenario, RateLimitState, SseEvent } from './fake-llm-shared.ts';

/** What the Anthropic handler gets for one request. */
export interface AnthropicRequestContext {
  res: ServerResponse;
  body: any;
  scenario: FakeScenario;
  /** 1-based number of this request on the server, for ids. */
  seq: number;
  limits: RateLimitState;
}

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

function headers(ctx: AnthropicRequestContext): Record<string, string> {
  return { ...anthropicRateLimitHeaders(ctx.limits, `req_fake${ctx.seq}`), ...ctx.scenario.headers };
}

function sendError(ctx: AnthropicRequestContext, status: number, message: string): void {
  countUsage(ctx.limits, 0, 0);
  sendJson(ctx.res, status, headers(ctx), {
    type: 'error',
    error: { type: ERROR_TYPES[status] ?? 'api_error', message },
    request_id: `req_fake${ctx.seq}`,
  });
}

function inputWords(body: any): number {
  const system = body.system === undefined ? 0 : countWords(textOf(body.system));
  const messages: unknown[] = Array.isArray(body.messages) ? body.messages : [];
  return messages.reduce<number>((n, m) => n + countWords(textOf((m as { content?: unknown })?.content)), system);
}

/** `POST /v1/messages`. */
export async function handleMessages(ctx: AnthropicRequestContext): Promise<void> {
  const { body, scenario, seq } = ctx;
  const status = scenario.status ?? 200;
  if (status >= 400) {
    sendError(ctx, status, scenario.errorMessage ?? `Fake provider error ${status}.`);
    return;
  }
  const model = scenario.model ?? String(body.model);
  const { words, truncated } = replyWords(scenario.content ?? DEFAULT_REPLY, body.max_tokens);
  const stop = scenario.finishReason ?? (truncated ? 'max_tokens' : 'end_turn');
  // Anthropic's `input_tokens` excludes the cached part; the fake splits the counted words that way.
  const total = inputWords(body);
  const cacheRead = scenario.cachedInputTokens ?? 0;
  const cacheCreation = scenario.cacheCreationInputTokens ?? 0;
  const uncached = Math.max(0, total - cacheRead - cacheCreation);
  const thinking = scenario.reasoningTokens;
  const output = words.length + (thinking ?? 0);
  const usage = {
    input_tokens: uncached,
    cache_creation_input_tokens: cacheCreation,
    cache_read_input_tokens: cacheRead,
    output_tokens: output,
    ...(thinking === undefined ? {} : { output_tokens_details: { thinking_tokens: thinking } }),
    service_tier: 'standard',
    ...scenario.usageOverride,
  };
  countUsage(ctx.limits, total, output);
  const id = `msg_fake${seq}`;
  const text = words.join(' ');

  if (body.stream !== true) {
    sendJson(
      ctx.res,
      200,
      headers(ctx),
      scenario.body ?? {
        id,
        type: 'message',
        role: 'assistant',
        model,
        content: [{ type: 'text', text }],
        stop_reason: stop,
        stop_sequence: null,
        usage,
      },
    );
    return;
  }

  const ev = (type: string, data: Record<string, unknown>): SseEvent => ({ event: type, data: { type, ...data } });
  const events: SseEvent[] = [
    ev('message_start', {
      message: {
        id,
        type: 'message',
        role: 'assistant',
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { ...usage, output_tokens: Math.min(1, output) },
      },
    }),
    ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
    ev('ping', {}),
  ];
  for (const d of deltas(words)) events.push(ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: d } }));
  events.push(
    ev('content_block_stop', { index: 0 }),
    ev('message_delta', { delta: { stop_reason: stop, stop_sequence: null }, usage: { output_tokens: usage.output_tokens } }),
    ev('message_stop', {}),
  );
  await writeSse(ctx.res, headers(ctx), events, scenario, false);
}

/** Any other Anthropic path: a 404 in Anthropic's error format. */
export function handleAnthropicNotFound(ctx: AnthropicRequestContext, path: string): void {
  sendError(ctx, 404, `Not found: ${path}`);
}
