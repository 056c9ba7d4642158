// The example application: an assistant service that calls LLM providers through the real
// `openai` and `@anthropic-ai/sdk` clients, with the resilience users build around them
// (the SDK's own retries, a cockatiel retry + circuit-breaker policy, a cross-provider fallback).
// Nothing here knows about telemetry except the two `instrument*` calls.
import Anthropic from '@anthropic-ai/sdk';
import { ConsecutiveBreaker, ExponentialBackoff, circuitBreaker, handleAll, retry, wrap } from 'cockatiel';
import OpenAI from 'openai';
import {
  executeLlmCall,
  fallbackChain,
  instrumentAnthropic,
  instrumentOpenAI,
  observeCockatiel,
  recordLlmCall,
  wrapFunction,
} from '@driftwatch/llm';

export function createApp(provider) {
  const openai = instrumentOpenAI(new OpenAI({ apiKey: 'demo-key', baseURL: provider.openaiBaseURL, maxRetries: 2 }));
  const anthropic = instrumentAnthropic(
    // The Anthropic SDK can emit spans of its own; Driftwatch records the call, so turn those off.
    new Anthropic({ apiKey: 'demo-key', baseURL: provider.anthropicBaseURL, maxRetries: 0, openTelemetry: false }),
  );

  // A cockatiel policy around the summariser: 2 retries with backoff, and a breaker that opens
  // after 3 consecutive failures.
  // The summariser leaves retrying to the policy, so its client makes one HTTP attempt per call.
  const openaiNoRetry = instrumentOpenAI(new OpenAI({ apiKey: 'demo-key', baseURL: provider.openaiBaseURL, maxRetries: 0 }));
  const breaker = circuitBreaker(handleAll, { halfOpenAfter: 60_000, breaker: new ConsecutiveBreaker(3) });
  const policy = wrap(retry(handleAll, { maxAttempts: 2, backoff: new ExponentialBackoff({ initialDelay: 5, maxDelay: 20 }) }), breaker);
  observeCockatiel(policy);

  const ask = wrapFunction(async function ask(question, model = 'gpt-4o-mini') {
    const r = await openai.chat.completions.create({
      model,
      messages: [
        { role: 'system', content: 'You are a concise assistant.' },
        { role: 'user', content: question },
      ],
      max_tokens: 64,
      temperature: 0.3,
    });
    return r.choices[0]?.message.content ?? '';
  }, { agent: 'assistant', eventType: 'question' });

  return {
    openai,
    anthropic,
    ask,

    /** Streams an answer; `stopAfter` words ends reading early (the user closed the tab). */
    async streamAnswer(question, { stopAfter } = {}) {
      const stream = await openai.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: question }],
        stream: true,
      });
      let words = 0;
      let text = '';
      for await (const chunk of stream) {
        const delta = chunk.choices[0]?.delta?.content ?? '';
        text += delta;
        if (delta) words++;
        if (stopAfter !== undefined && words >= stopAfter) break;
      }
      return text;
    },

    /** Answers with OpenAI, falling back to Anthropic when OpenAI fails. */
    answerWithFallback(question) {
      return fallbackChain(
        [
          {
            provider: 'openai',
            model: 'gpt-4o',
            run: async () => {
              const r = await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: question }] });
              return r.choices[0]?.message.content ?? '';
            },
          },
          {
            provider: 'anthropic',
            model: 'claude-haiku-4-5',
            run: async () => {
              const m = await anthropic.messages.create({
                model: 'claude-haiku-4-5',
                max_tokens: 128,
                messages: [{ role: 'user', content: question }],
              });
              return m.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
            },
          },
        ],
        { request: { taskType: 'answer', tier: 'premium' } },
      );
    },

    /** Summarises through the cockatiel policy (retries, then the breaker). */
    summarize(text) {
      return executeLlmCall(policy, { operation: 'chat', provider: 'openai', model: 'gpt-4o-mini', taskType: 'summarize' }, () =>
        openaiNoRetry.chat.completions.create({
          model: 'gpt-4o-mini',
          messages: [{ role: 'user', content: `Summarise: ${text}` }],
        }),
      );
    },

    embed(texts) {
      return openai.embeddings.create({ model: 'text-embedding-3-small', input: texts });
    },

    /** A call made through the company gateway, measured by the gateway client itself. */
    reportGatewayCall() {
      recordLlmCall({
        callId: 'gw-7f3a',
        timestamp: Date.now() - 850,
        provider: 'internal-gateway',
        model: 'llama-3.1-70b-instruct',
        tier: 'economy',
        taskType: 'classify',
        inputTokens: 412,
        outputTokens: 9,
        costUsd: 0.00021,
        latencyMs: 850,
        fallbackUsed: true,
        fallbackChain: ['internal-gateway/mixtral-8x22b', 'internal-gateway/llama-3.1-70b-instruct'],
        originalProvider: 'internal-gateway',
        originalModel: 'mixtral-8x22b',
        retryCount: 1,
        circuitBreakerState: 'closed',
        success: true,
      });
    },
  };
}
