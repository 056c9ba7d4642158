// A protocol-faithful fake of the OpenAI and Anthropic HTTP APIs for tests, the demo and the
// benchmarks. Real SDK clients talk to it over HTTP; behaviour is scripted per request through a
// queue of scenarios. Erasable-only TypeScript importing node builtins only, so Node runs it
// directly with type stripping:
//
//   import { startFakeLlmServer } from '../../test/support/fake-llm-server.ts';
//   const server = await startFakeLlmServer();
//   const openai = new OpenAI({ baseURL: server.openaiBaseURL, apiKey: 'test' });
//   server.enqueue({ status: 429, headers: { 'retry-after': '0' } });
import { Buffer } from 'node:buffer';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleAnthropicNotFound, handleMessages } from './fake-anthropic.ts';
import { newRateLimitState, sendJson, sleep } from './fake-llm-shared.ts';
import type { FakeScenario, RateLimitState, RecordedRequest } from './fake-llm-shared.ts';
import {
  handleChatCompletions,
  handleEmbeddings,
  handleOpenAINotFound,
  handleResponses,
} from './fake-openai.ts';

export type { FakeScenario, RecordedRequest } from './fake-llm-shared.ts';
export {
  ANTHROPIC_LIMITS,
  CREATED_AT,
  DEFAULT_REPLY,
  OPENAI_LIMITS,
  countWords,
} from './fake-llm-shared.ts';

/** Options of {@link startFakeLlmServer}. */
export interface FakeLlmServerOptions {
  /** Scenario used when the queue is empty; default: a normal success. */
  defaultScenario?: FakeScenario;
  /** Port to listen on; default 0 (any free port). */
  port?: number;
  /** Interface to listen on; default `127.0.0.1`. */
  host?: string;
}

/** A running fake provider. */
export interface FakeLlmServer {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  /** Base URL for the OpenAI SDK (`<url>/v1`). */
  readonly openaiBaseURL: string;
  /** Base URL for the Anthropic SDK (`<url>`; the SDK adds `/v1/...`). */
  readonly anthropicBaseURL: string;
  /** Requests received so far, in order (each retry attempt is its own entry). */
  readonly requests: RecordedRequest[];
  /** Queues scenarios; each request takes the next one, or the default scenario when none is left. */
  enqueue(...scenarios: FakeScenario[]): void;
  /** Scenarios still queued. */
  pending(): number;
  /** Clears the queue, the recorded requests and the rate-limit counters. */
  reset(): void;
  /** Stops the server and drops open connections. */
  close(): Promise<void>;
}

type Provider = 'openai' | 'anthropic';

interface Route {
  provider: Provider;
  handle: (ctx: RouteContext) => Promise<void>;
}

interface RouteContext {
  res: ServerResponse;
  body: any;
  scenario: FakeScenario;
  seq: number;
  limits: RateLimitState;
}

const ROUTES: Record<string, Route> = {
  '/v1/chat/completions': { provider: 'openai', handle: handleChatCompletions },
  '/v1/responses': { provider: 'openai', handle: handleResponses },
  '/v1/embeddings': { provider: 'openai', handle: handleEmbeddings },
  '/v1/messages': { provider: 'anthropic', handle: handleMessages },
};

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Starts the fake provider on `127.0.0.1` and an ephemeral port. */
export async function startFakeLlmServer(options: FakeLlmServerOptions = {}): Promise<FakeLlmServer> {
  const queue: FakeScenario[] = [];
  const requests: RecordedRequest[] = [];
  const limits: Record<Provider, RateLimitState> = { openai: newRateLimitState(), anthropic: newRateLimitState() };
  let seq = 0;

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const raw = await readBody(req);
    let body: any;
    try {
      body = raw === '' ? undefined : JSON.parse(raw);
    } catch {
      body = raw;
    }
    requests.push({ method: req.method ?? 'GET', path, headers: req.headers, body });
    const scenario = queue.shift() ?? options.defaultScenario ?? {};
    const n = ++seq;
    if (scenario.dropConnection) {
      req.socket.destroy();
      return;
    }
    if (scenario.delayMs) await sleep(scenario.delayMs);
    const route = ROUTES[path];
    const provider: Provider = route?.provider ?? (path.startsWith('/v1/messages') ? 'anthropic' : 'openai');
    const ctx: RouteContext = { res, body: body ?? {}, scenario, seq: n, limits: limits[provider] };
    if (!route || req.method !== 'POST') {
      if (provider === 'anthropic') handleAnthropicNotFound(ctx, path);
      else handleOpenAINotFound(ctx, path);
      return;
    }
    await route.handle(ctx);
  }

  const server = createServer((req, res) => {
    onRequest(req, res).catch((err: unknown) => {
      sendJson(res, 500, {}, { error: { message: `fake server failure: ${String(err)}`, type: 'server_error' } });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${options.host ?? '127.0.0.1'}:${port}`;

  return {
    url,
    port,
    openaiBaseURL: `${url}/v1`,
    anthropicBaseURL: url,
    requests,
    enqueue: (...scenarios) => {
      queue.push(...scenarios);
    },
    pending: () => queue.length,
    reset: () => {
      queue.length = 0;
      requests.length = 0;
      limits.openai = newRateLimitState();
      limits.anthropic = newRateLimitState();
      seq = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
