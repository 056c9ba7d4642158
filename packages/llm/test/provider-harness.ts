// Test harness for the provider client tests: the fake OpenAI/Anthropic server (started once per
// file, reset before each test) on top of the generic harness, and instrumented SDK clients
// pointed at it.
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { ATTR_SERVER_ADDRESS, ATTR_SERVER_PORT } from '@driftwatch/semconv';
import { instrumentAnthropic, instrumentOpenAI } from '@driftwatch/llm';
import type { LlmInstrumentationOptions } from '@driftwatch/llm';
import { startFakeLlmServer } from '../../../test/support/fake-llm-server';
import type { FakeLlmServer } from '../../../test/support/fake-llm-server';
import { useHarness } from './generic-harness';
import type { Harness } from './generic-harness';

/** An SDK client class (`OpenAI`, `openai-v6`, `Anthropic`, `anthropic-v0`). */
type SdkClass<T> = new (options: { baseURL: string; apiKey: string; maxRetries: number }) => T;

export interface FakeProvider {
  /** The fake provider of this file. */
  server: FakeLlmServer;
  /** The current test's harness. */
  h: Harness;
  /** `server.address` and `server.port` of the fake provider, as recorded on spans and metrics. */
  serverAttrs(): Record<string, unknown>;
  /**
   * `instrumentOpenAI(new Sdk({ baseURL, apiKey: 'test', maxRetries }), options)`; `options` default to
   * the harness providers with cost off.
   */
  openai<T extends object>(Sdk: SdkClass<T>, maxRetries?: number, options?: LlmInstrumentationOptions): T;
  /** The same with `instrumentAnthropic`. */
  anthropic<T extends object>(Sdk: SdkClass<T>, maxRetries?: number, options?: LlmInstrumentationOptions): T;
}

/** Registers the hooks of a provider test file (see {@link useHarness}) and returns live views. */
export function useFakeProvider(): FakeProvider {
  const h = useHarness();
  let current: FakeLlmServer | undefined;
  beforeAll(async () => {
    current = await startFakeLlmServer();
  });
  afterAll(async () => {
    await current?.close();
  });
  beforeEach(() => now().reset());
  const now = (): FakeLlmServer => {
    if (!current) throw new Error('the fake provider is only available inside a test');
    return current;
  };
  const server: FakeLlmServer = {
    get url() {
      return now().url;
    },
    get port() {
      return now().port;
    },
    get openaiBaseURL() {
      return now().openaiBaseURL;
    },
    get anthropicBaseURL() {
      return now().anthropicBaseURL;
    },
    get requests() {
      return now().requests;
    },
    enqueue: (...scenarios) => now().enqueue(...scenarios),
    pending: () => now().pending(),
    reset: () => now().reset(),
    close: () => now().close(),
  };
  const defaults = (): LlmInstrumentationOptions => ({ ...h.opts, cost: false });
  return {
    server,
    h,
    serverAttrs: () => ({ [ATTR_SERVER_ADDRESS]: '127.0.0.1', [ATTR_SERVER_PORT]: now().port }),
    openai: (Sdk, maxRetries = 0, options = defaults()) =>
      instrumentOpenAI(new Sdk({ baseURL: now().openaiBaseURL, apiKey: 'test', maxRetries }), options),
    anthropic: (Sdk, maxRetries = 0, options = defaults()) =>
      instrumentAnthropic(new Sdk({ baseURL: now().anthropicBaseURL, apiKey: 'test', maxRetries }), options),
  };
}
