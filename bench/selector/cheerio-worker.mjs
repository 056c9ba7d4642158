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

let sink = 0;
const variants = {
  bare: async () => {
    sink += $(css).length;
  },
  driftwatch: async () => {
    const r = await telemetry.resolve('checkout.submit', cheerioStrategies($, { css }), { context: 'checkout' });
    sink += r.count;
  },
};
for (let i = 0; i < 500; i++) for (const op of Object.values(variants)) await op();
const res = await interleave(variants, { rounds: Number(roundsArg), batch: Number(batchArg), after: (n) => (n === 'driftwatch' ? pipeline.flush() : undefined) });
const spans = pipeline.exporter.exported;
await pipeline.shutdown();
process.stdout.write(JSON.stringify({ ...res, spans, elements: $('*').length, sink }) + '\n');
