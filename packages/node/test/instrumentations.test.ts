// register() enables the @driftwatch/llm auto-instrumentations (CommonJS require hook) with the
// resolved LLM options, and lets `instrumentations` extend or replace them.
import { createRequire } from 'node:module';
import type { MeterProvider, TracerProvider } from '@opentelemetry/api';
import { InstrumentationBase, isWrapped } from '@opentelemetry/instrumentation';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import {
  ATTR_GEN_AI_INPUT_MESSAGES,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
} from '@driftwatch/semconv';
import { AnthropicInstrumentation, OpenAIInstrumentation } from '@driftwatch/llm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { defaultInstrumentations, register } from '../src/index';
import type { DriftwatchHandle, RegisterOptions } from '../src/index';
import { startFakeLlmServer } from '../../../test/support/fake-llm-server';
import type { FakeLlmServer } from '../../../test/support/fake-llm-server';

const requireCjs = createRequire(import.meta.url);

let server: FakeLlmServer;
let handle: DriftwatchHandle | undefined;
let memory: InMemorySpanExporter;

beforeAll(async () => {
  server = await startFakeLlmServer();
});
afterAll(async () => {
  await server.close();
});
afterEach(async () => {
  await handle?.shutdown();
  handle = undefined;
});

function start(options: RegisterOptions): DriftwatchHandle {
  memory = new InMemorySpanExporter();
  handle = register({
    tracesExporter: 'none',
    metricsExporter: 'none',
    logsExporter: 'none',
    hostMetrics: false,
    runtimeMetrics: false,
    handleSignals: false,
    spanProcessors: [new SimpleSpanProcessor(memory)],
    ...options,
  });
  return handle;
}

/** The SDK modules as `require` (and so the require hook) sees them. */
function openaiCjs(): any {
  return requireCjs('openai');
}
function anthropicCjs(): any {
  return requireCjs('@anthropic-ai/sdk');
}

describe('default instrumentations', () => {
  it('are the OpenAI and Anthropic instrumentations of @driftwatch/llm, created disabled and configured with the LLM options', () => {
    const list = defaultInstrumentations({ llm: { captureMessageContent: true, maxContentLength: 100 } });
    expect(list.map((i) => i.constructor)).toEqual([OpenAIInstrumentation, AnthropicInstrumentation]);
    for (const i of list) {
      expect(i.getConfig()).toMatchObject({ captureMessageContent: true, maxContentLength: 100, enabled: false });
      expect((i as OpenAIInstrumentation).isEnabled()).toBe(false);
    }
  });

  it('patch required openai and anthropic clients with the SDK providers; OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true turns content capture on', async () => {
    // The first require of each SDK in this process happens after register(), as in an application.
    const h = start({ env: { OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'true' } });
    const { OpenAI } = openaiCjs();
    const { Anthropic } = anthropicCjs();
    expect(isWrapped(OpenAI.Chat.Completions.prototype.create)).toBe(true);
    expect(isWrapped(Anthropic.Messages.prototype.create)).toBe(true);

    const openai = new OpenAI({ baseURL: server.openaiBaseURL, apiKey: 'test', maxRetries: 0 });
    await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello there' }] });
    const anthropic = new Anthropic({ baseURL: server.anthropicBaseURL, apiKey: 'test', maxRetries: 0 });
    await anthropic.messages.create({ model: 'claude-haiku-4-5', max_tokens: 50, messages: [{ role: 'user', content: 'Hi Claude' }] });
    await h.forceFlush();

    // @anthropic-ai/sdk 1.x also traces itself (scope com.anthropic.sdk.typescript); only ours here.
    const spans = memory.getFinishedSpans().filter((sp) => sp.instrumentationScope.name === '@driftwatch/llm');
    expect(spans.map((sp) => sp.name)).toEqual(['chat gpt-4o-mini', 'chat claude-haiku-4-5']);
    expect(spans[0]!.attributes).toMatchObject({
      [ATTR_GEN_AI_OPERATION_NAME]: 'chat',
      [ATTR_GEN_AI_PROVIDER_NAME]: 'openai',
      [ATTR_GEN_AI_REQUEST_MODEL]: 'gpt-4o-mini',
    });
    expect(spans[1]!.attributes[ATTR_GEN_AI_PROVIDER_NAME]).toBe('anthropic');
    expect(String(spans[0]!.attributes[ATTR_GEN_AI_INPUT_MESSAGES])).toContain('Hello there');
    expect(String(spans[1]!.attributes[ATTR_GEN_AI_INPUT_MESSAGES])).toContain('Hi Claude');

    // Shutdown unloads the instrumentations.
    await h.shutdown();
    handle = undefined;
    expect(isWrapped(OpenAI.Chat.Completions.prototype.create)).toBe(false);
    expect(isWrapped(Anthropic.Messages.prototype.create)).toBe(false);
  });

  it('content capture is off by default, and the llm option wins over the variable', async () => {
    const configs: unknown[] = [];
    const grab = (defaults: Instrumentation[]) => {
      configs.push(defaults.map((i) => (i.getConfig() as { captureMessageContent?: boolean }).captureMessageContent));
      return [];
    };
    await start({ env: {}, instrumentations: grab }).shutdown();
    start({ env: { OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'true' }, llm: { captureMessageContent: false }, instrumentations: grab });
    expect(configs).toEqual([
      [false, false],
      [false, false],
    ]);
  });
});

/** An instrumentation with no module to patch that records what it is given. */
class ProbeInstrumentation extends InstrumentationBase {
  tracerProviderSet: unknown;
  meterProviderSet: unknown;
  constructor() {
    super('probe', '1.0.0', { enabled: false });
  }
  protected init(): [] {
    return [];
  }
  override setTracerProvider(tp: TracerProvider): void {
    super.setTracerProvider(tp);
    this.tracerProviderSet = tp;
  }
  override setMeterProvider(mp: MeterProvider): void {
    super.setMeterProvider(mp);
    this.meterProviderSet = mp;
  }
}

describe('options.instrumentations', () => {
  it('an array is added to the defaults and gets the SDK providers', () => {
    const probe = new ProbeInstrumentation();
    const h = start({ env: {}, instrumentations: [probe] });
    expect(probe.isEnabled()).toBe(true);
    expect(probe.tracerProviderSet).toBe(h.tracerProvider);
    expect(probe.meterProviderSet).toBe(h.meterProvider);
  });

  it('a function receives the defaults and returns the complete list: a left-out default is never enabled', () => {
    const probe = new ProbeInstrumentation();
    let defaults: Instrumentation[] = [];
    start({
      env: {},
      instrumentations: (d) => {
        defaults = d;
        return [d[1]!, probe];
      },
    });
    expect(defaults.map((i) => i.constructor)).toEqual([OpenAIInstrumentation, AnthropicInstrumentation]);
    expect((defaults[0] as OpenAIInstrumentation).isEnabled()).toBe(false);
    expect((defaults[1] as AnthropicInstrumentation).isEnabled()).toBe(true);
    expect(probe.isEnabled()).toBe(true);
  });
});
