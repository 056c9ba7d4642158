// A cheerio resolution of a typical selector on a realistic page: the bare `$(css)` query versus
// Driftwatch's `resolve()` over `cheerioStrategies` with default settings and a recording SDK pipeline.
// Interleaved in one process; prints JSON.
import * as cheerio from 'cheerio';
import { createSelectorTelemetry, cheerioStrategies } from '@driftwatch/selector';
import { createPipeline } from '../support/sdk.mjs';
import { interleave } from '../support/stats.mjs';
import { productPage } from './page.mjs';

const [roundsArg, batchArg] = process.argv.slice(2);
const $ = cheerio.load(productPage(120));
const css = 'form#checkout button.btn-primary[type="submit"]';
if ($(css).length !== 1) throw new Error('fixture: the selector must match exactly one element');

const pipeline = createPipeline();
const telemetry = createSelectorTelemetry({ tracerProvider: pipeline.tracerProvider, meterProvider: pipeline.meterProvider, engine: 'cheerio' });

// The floor: the least a recording instrumentation does per resolution, by hand: one span with a few
// attributes and three histogram records (resolution duration, strategy duration, confidence).
const floorPipeline = createPipeline();
const floorTracer = floorPipeline.tracerProvider.getTracer('floor');
const floorMeter = floorPipeline.meterProvider.getMeter('floor');
const floorDuration = floorMeter.createHistogram('selector.resolution.duration', { unit: 's' });
const floorStrategy = floorMeter.createHistogram('selector.strategy.duration', { unit: 's' });
const floorConfidence = floorMeter.createHistogram('selector.confidence', { unit: '1' });
const floorAttrs = { 'selector.name': 'checkout.submit', 'selector.result': 'success', 'selector.strategy': 'css' };

let sink = 0;
const variants = {
  bare: async () => {
    sink += $(css).length;
  },
  'sdk-floor': async () => {
    const t0 = performance.now();
    const span = floorTracer.startSpan('resolve checkout.submit', { attributes: { 'selector.name': 'checkout.submit', 'selector.context': 'checkout' } });
    const n = $(css).length;
    span.setAttributes({ 'selector.strategy': 'css', 'selector.result': 'success', 'selector.confidence': 1 });
    span.end();
    const seconds = (performance.now() - t0) / 1000;
    floorDuration.record(seconds, floorAttrs);
    floorStrategy.record(seconds, floorAttrs);
    floorConfidence.record(1, floorAttrs);
    sink += n;
  },
  driftwatch: async () => {
    const r = await telemetry.resolve('checkout.submit', cheerioStrategies($, { css }), { context: 'checkout' });
    sink += r.count;
  },
};
for (let i = 0; i < 500; i++) for (const op of Object.values(variants)) await op();
const res = await interleave(variants, { rounds: Number(roundsArg), batch: Number(batchArg), after: (n) => (n === 'driftwatch' ? pipeline.flush() : n === 'sdk-floor' ? floorPipeline.flush() : undefined) });
const spans = pipeline.exporter.exported;
await pipeline.shutdown();
await floorPipeline.shutdown();
process.stdout.write(JSON.stringify({ ...res, spans, elements: $('*').length, sink }) + '\n');
