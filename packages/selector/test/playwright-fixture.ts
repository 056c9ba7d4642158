// Fixtures for the Playwright adapter tests: a local HTTP server with the fixture pages, a Chromium
// from the system (never a downloaded build), and a telemetry harness with in-memory exporters.
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Attributes } from '@opentelemetry/api';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import type { DataPoint, MetricData } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { Browser } from 'playwright-core';
import { createSelectorTelemetry } from '../src/telemetry';
import type { SelectorTelemetry } from '../src/telemetry';
import type { SelectorTelemetryOptions } from '../src/model';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Whether the browser tests run: they need the system Chromium. Without it they are skipped, unless
 * DRIFTWATCH_REQUIRE_E2E=1, where a missing browser must fail the run instead.
 */
export function browserAvailable(): boolean {
  const present = existsSync(CHROMIUM_PATH);
  if (!present && process.env.DRIFTWATCH_REQUIRE_E2E === '1') {
    throw new Error(`DRIFTWATCH_REQUIRE_E2E=1 but ${CHROMIUM_PATH} is missing: the Playwright end-to-end tests cannot run`);
  }
  return present;
}

export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

const layout = (body: string, script = ''): string =>
  `<!doctype html><html><head><meta charset="utf-8"><title>shop</title></head><body>${body}${script ? `<script>${script}</script>` : ''}</body></html>`;

/** The fixture pages, by path. `/checkout` and `/checkout-v2` are one page before and after a redesign. */
export const PAGES: Readonly<Record<string, string>> = {
  '/checkout': layout(`
    <main>
      <form id="checkout" onsubmit="event.preventDefault()">
        <label for="email">Email</label>
        <input id="email" name="email" type="email" placeholder="you@example.com">
        <button id="place-order" class="btn   primary" type="submit" data-testid="place-order"
          onclick="window.clicks = (window.clicks || 0) + 1">
          Place
            order
        </button>
      </form>
      <p class="terms">${'By placing the order you agree to the terms. '.repeat(6)}</p>
    </main>`),
  // The primary button's class was renamed: the CSS selector breaks, the role and test id still hold.
  '/checkout-v2': layout(`
    <main>
      <form id="checkout" onsubmit="event.preventDefault()">
        <label for="email">Email</label>
        <input id="email" name="email" type="email" placeholder="you@example.com">
        <div class="actions">
          <button id="place-order" class="btn cta" type="submit" data-testid="place-order">Place order</button>
        </div>
      </form>
    </main>`),
  // Two buttons match `button.save`: strict mode makes this ambiguous.
  '/duplicates': layout(`
    <section>
      <button class="save" type="button">Save</button>
      <button class="save" type="button">Save</button>
    </section>`),
  // One visible and one hidden match.
  '/hidden': layout(`
    <button class="go" type="button">Go</button>
    <button class="go" type="button" style="display: none">Go</button>`),
  // Nothing at first; `addLater(ms)` adds the button after a delay.
  '/late': layout(
    `<div id="slot"></div>`,
    `window.addLater = function (ms) {
       setTimeout(function () {
         var b = document.createElement('button');
         b.className = 'late';
         b.type = 'button';
         b.textContent = 'Continue';
         b.setAttribute('data-testid', 'continue');
         document.getElementById('slot').appendChild(b);
       }, ms);
     };`,
  ),
};

export interface FixtureServer {
  url(path: string): string;
  close(): Promise<void>;
}

/** Serves {@link PAGES} on 127.0.0.1 with a port the system picks. */
export async function startFixtureServer(): Promise<FixtureServer> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const page = PAGES[path];
    if (page === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(page);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

class PullReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

export interface Harness {
  telemetry: SelectorTelemetry;
  exporter: InMemorySpanExporter;
  spans(): ReadableSpan[];
  /** The one finished span with this name (throws when there is not exactly one). */
  span(name: string): ReadableSpan;
  metric(name: string): Promise<MetricData | undefined>;
  points(name: string): Promise<Array<{ attributes: Attributes; value: unknown }>>;
}

/** A telemetry instance over its own tracer and meter providers, with in-memory exporters. */
export function createHarness(options: Omit<SelectorTelemetryOptions, 'tracerProvider' | 'meterProvider'> = {}): Harness {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const reader = new PullReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  const telemetry = createSelectorTelemetry({ ...options, tracerProvider, meterProvider });
  const metric = async (name: string): Promise<MetricData | undefined> => {
    const { resourceMetrics } = await reader.collect();
    for (const sm of resourceMetrics.scopeMetrics) {
      for (const m of sm.metrics) if (m.descriptor.name === name) return m;
    }
    return undefined;
  };
  return {
    telemetry,
    exporter,
    spans: () => exporter.getFinishedSpans(),
    span: (name) => {
      const found = exporter.getFinishedSpans().filter((s) => s.name === name);
      if (found.length !== 1) throw new Error(`expected one span named "${name}", found ${found.length}`);
      return found[0]!;
    },
    metric,
    points: async (name) => {
      const m = await metric(name);
      return (m?.dataPoints ?? []).map((p: DataPoint<unknown>) => ({ attributes: p.attributes, value: p.value }));
    },
  };
}
