// OpenAI wire format for the fake provider: `/v1/chat/completions`, `/v1/responses` and
// `/v1/embeddings`, as JSON and as server-sent events.
import type { ServerResponse } from 'node:http';
import {
  CREATED_AT,
  DEFAULT_REPLY,
  base64Floats,
  countUsage,
  countWords,
  deltas,
  embeddingFor,
  openaiRateLimitHeaders,
  replyWords,
  sendJson,
  textOf,
  writeSse,
} from './fake-llm-shared.ts';
import type { FakeScenario, RateLimitState, SseEvent } from './fake-llm-shared.ts';

/** What a route handler gets for one request. */
export interface OpenAIRequestContext {
  res: ServerResponse;
  body: any;
  scenario: FakeScenario;
  /** 1-based number of this request on the server, for ids. */
  seq: number;
  limits: RateLimitState;
}

const ERROR_TYPES: Record<number, [string, string | null]> = {
  400: ['invalid_request_error', null],
  401: ['invalid_request_error', 'invalid_api_key'],
  404: ['invalid_request_error', 'model_not_found'],
  429: ['requests', 'rate_limit_exceeded'],
  500: ['server_error', null],
  503: ['server_error', null],
};

/** Sends an OpenAI error body; returns true when the scenario asked for an error. */
function sendErrorIfAny(ctx: OpenAIRequestContext): boolean {
  const status = ctx.scenario.status ?? 200;
  if (status < 400) return false;
  countUsage(ctx.limits, 0, 0);
  const [type, code] = ERROR_TYPES[status] ?? ['server_error', null];
  const message = ctx.scenario.errorMessage ?? `Fake provider error ${status}.`;
  sendJson(ctx.res, status, headers(ctx), { error: { message, type, param: null, code } });
  return true;
}

function headers(ctx: OpenAIRequestContext): Record<string, string> {
  return { ...openaiRateLimitHeaders(ctx.limits, `req_fake${ctx.seq}`), ...ctx.scenario.headers };
}

function chatInputWords(body: any): number {
  const messages: unknown[] = Array.isArray(body?.messages) ? body.messages : [];
  return messages.reduce<number>((n, m) => n + countWords(textOf((m as { content?: unknown })?.content)), 0);
}

/** `POST /v1/chat/completions`. */
export async function handleChatCompletions(ctx: OpenAIRequestContext): Promise<void> {
  if (sendErrorIfAny(ctx)) return;
  const { body, scenario, seq } = ctx;
  const model = scenario.model ?? String(body.model);
  const n = typeof body.n === 'number' && body.n > 1 ? body.n : 1;
  const { words, truncated } = replyWords(scenario.content ?? DEFAULT_REPLY, body.max_completion_tokens ?? body.max_tokens);
  const finish = scenario.finishReason ?? (truncated ? 'length' : 'stop');
  const input = chatInputWords(body);
  const reasoning = scenario.reasoningTokens ?? 0;
  const output = words.length * n + reasoning;
  const usage = {
    prompt_tokens: input,
    completion_tokens: output,
    total_tokens: input + output,
    prompt_tokens_details: { cached_tokens: scenario.cachedInputTokens ?? 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: reasoning,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
    ...scenario.usageOverride,
  };
  countUsage(ctx.limits, input, output);
  const id = `chatcmpl-fake${seq}`;
  const base = { id, created: CREATED_AT, model, system_fingerprint: 'fp_fake', service_tier: 'default' };

  if (body.stream !== true) {
    const choices = Array.from({ length: n }, (_, index) => ({
      index,
      message: { role: 'assistant', content: words.join(' '), refusal: null, annotations: [] },
      logprobs: null,
      finish_reason: finish,
    }));
    sendJson(ctx.res, 200, headers(ctx), scenario.body ?? { ...base, object: 'chat.completion', choices, usage });
    return;
  }

  const includeUsage = body.stream_options?.include_usage === true;
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}): SseEvent => ({
    data: { ...base, object: 'chat.completion.chunk', choices, ...(includeUsage ? { usage: null } : {}), ...extra },
  });
  const events: SseEvent[] = [];
  for (let index = 0; index < n; index++) {
    events.push(chunk([{ index, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null }]));
    for (const d of deltas(words)) events.push(chunk([{ index, delta: { content: d }, logprobs: null, finish_reason: null }]));
    events.push(chunk([{ index, delta: {}, logprobs: null, finish_reason: finish }]));
  }
  if (includeUsage) events.push(chunk([], { usage }));
  await writeSse(ctx.res, headers(ctx), events, scenario, true);
}

function responsesInputWords(body: any): number {
  const instructions = typeof body.instructions === 'string' ? countWords(body.instructions) : 0;
  const input = body.input;
  if (typeof input === 'string') return instructions + countWords(input);
  if (!Array.isArray(input)) return instructions;
  return input.reduce<number>((n, item) => n + countWords(textOf(item?.content ?? item?.output ?? '')), instructions);
}

/** `POST /v1/responses`. */
export async function handleResponses(ctx: OpenAIRequestContext): Promise<void> {
  if (sendErrorIfAny(ctx)) return;
  const { body, scenario, seq } = ctx;
  const model = scenario.model ?? String(body.model);
  const { words, truncated } = replyWords(scenario.content ?? DEFAULT_REPLY, body.max_output_tokens);
  const input = responsesInputWords(body);
  const reasoning = scenario.reasoningTokens ?? 0;
  const output = words.length + reasoning;
  const usage = {
    input_tokens: input,
    input_tokens_details: { cached_tokens: scenario.cachedInputTokens ?? 0 },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: reasoning },
    total_tokens: input + output,
    ...scenario.usageOverride,
  };
  countUsage(ctx.limits, input, output);
  const id = `resp_fake${seq}`;
  const itemId = `msg_fake${seq}`;
  const text = words.join(' ');
  const part = { type: 'output_text', text, annotations: [], logprobs: [] };
  const item = { id: itemId, type: 'message', status: 'completed', role: 'assistant', content: [part] };
  const response = (status: string, output: unknown[], u: unknown) => ({
    id,
    object: 'response',
    created_at: CREATED_AT,
    status,
    background: false,
    error: null,
    incomplete_details: status === 'incomplete' ? { reason: 'max_output_tokens' } : null,
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    model,
    output,
    parallel_tool_calls: true,
    previous_response_id: body.previous_response_id ?? null,
    reasoning: { effort: null, summary: null },
    service_tier: 'default',
    store: body.store ?? true,
    temperature: body.temperature ?? 1,
    text: body.text ?? { format: { type: 'text' } },
    tool_choice: body.tool_choice ?? 'auto',
    tools: body.tools ?? [],
    top_p: body.top_p ?? 1,
    truncation: 'disabled',
    usage: u,
    user: null,
    metadata: {},
  });
  const finalStatus = truncated ? 'incomplete' : 'completed';

  if (body.stream !== true) {
    sendJson(ctx.res, 200, headers(ctx), scenario.body ?? response(finalStatus, [item], usage));
    return;
  }

  let sequence = 0;
  const ev = (type: string, data: Record<string, unknown>): SseEvent => ({
    event: type,
    data: { type, sequence_number: sequence++, ...data },
  });
  const events: SseEvent[] = [
    ev('response.created', { response: response('in_progress', [], null) }),
    ev('response.in_progress', { response: response('in_progress', [], null) }),
    ev('response.output_item.added', { output_index: 0, item: { ...item, status: 'in_progress', content: [] } }),
    ev('response.content_part.added', {
      item_id: itemId,
      output_index: 0,
      content_index: 0,
      part: { type: 'output_text', text: '', annotations: [], logprobs: [] },
    }),
  ];
  for (const delta of deltas(words)) {
    events.push(ev('response.output_text.delta', { item_id: itemId, output_index: 0, content_index: 0, delta, logprobs: [] }));
  }
  events.push(
    ev('response.output_text.done', { item_id: itemId, output_index: 0, content_index: 0, text, logprobs: [] }),
    ev('response.content_part.done', { item_id: itemId, output_index: 0, content_index: 0, part }),
    ev('response.output_item.done', { output_index: 0, item }),
    ev(truncated ? 'response.incomplete' : 'response.completed', { response: response(finalStatus, [item], usage) }),
  );
  await writeSse(ctx.res, headers(ctx), events, scenario, false);
}

/** `POST /v1/embeddings` (float arrays, or base64 float32 when `encoding_format` is `base64`). */
export async function handleEmbeddings(ctx: OpenAIRequestContext): Promise<void> {
  if (sendErrorIfAny(ctx)) return;
  const { body, scenario } = ctx;
  const inputs: unknown[] = Array.isArray(body.input) && typeof body.input[0] !== 'number' ? body.input : [body.input];
  const dims = scenario.embeddingDimensions ?? (typeof body.dimensions === 'number' ? body.dimensions : 8);
  let tokens = 0;
  const data = inputs.map((input, index) => {
    const text = Array.isArray(input) ? input.join(' ') : String(input);
    tokens += Array.isArray(input) ? input.length : countWords(text);
    const vector = embeddingFor(text, dims);
    return { object: 'embedding', index, embedding: body.encoding_format === 'base64' ? base64Floats(vector) : vector };
  });
  countUsage(ctx.limits, tokens, 0);
  const usage = { prompt_tokens: tokens, total_tokens: tokens, ...scenario.usageOverride };
  sendJson(ctx.res, 200, headers(ctx), scenario.body ?? { object: 'list', data, model: scenario.model ?? body.model, usage });
}

/** Any other OpenAI path: a 404 in OpenAI's error format. */
export function handleOpenAINotFound(ctx: OpenAIRequestContext, path: string): void {
  countUsage(ctx.limits, 0, 0);
  sendJson(ctx.res, 404, headers(ctx), {
    error: { message: `Unknown request URL: POST ${path}.`, type: 'invalid_request_error', param: null, code: 'unknown_url' },
  });
}
