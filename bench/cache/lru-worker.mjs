// In-memory lru-cache `get` hits, bare versus instrumented, in one process. Each variant has its own
// cache with the same entries and its own loop function (compiled separately, so one variant's call
// site never sees the other's `get`), run in interleaved rounds; prints JSON.
import { LRUCache } from 'lru-cache';
import { instrumentLruCache } from '@driftwatch/cache';
import { createPipeline } from '../support/sdk.mjs';

const [roundsArg, opsArg] = process.argv.slice(2);
const rounds = Number(roundsArg);
const ops = Number(opsArg);
const SIZE = 1024;
const keys = Array.from({ length: SIZE }, (_, i) => `user:${i}`);

function filled() {
  const c = new LRUCache({ max: SIZE * 2 });
  for (const k of keys) c.set(k, { id: k, score: k.length });
  return c;
}

// A fresh copy of the loop for each variant.
const makeLoop = () =>
  new Function(
    'cache',
    'keys',
    'n',
    `let sink = 0;
     for (let i = 0; i < n; i++) { const v = cache.get(keys[i & ${SIZE - 1}]); if (v !== undefined) sink += v.score; }
     return sink;`,
  );

const pipeline = createPipeline();
const variants = {
  bare: { cache: filled(), loop: makeLoop() },
  driftwatch: { cache: filled(), loop: makeLoop() },
};
instrumentLruCache(variants.driftwatch.cache, { name: 'bench', tracerProvider: pipeline.tracerProvider, meterProvider: pipeline.meterProvider });

// Warm-up: let both loops reach the optimising tier.
for (let i = 0; i < 20; i++) for (const v of Object.values(variants)) v.loop(v.cache, keys, 100_000);

const names = Object.keys(variants);
const ns = Object.fromEntries(names.map((n) => [n, []]));
const diffs = Object.fromEntries(names.map((n) => [n, []]));
let sink = 0;
for (let r = 0; r < rounds; r++) {
  const order = r % 2 ? [...names].reverse() : names;
  const round = {};
  for (const name of order) {
    const v = variants[name];
    const t0 = process.hrtime.bigint();
    sink += v.loop(v.cache, keys, ops);
    round[name] = Number(process.hrtime.bigint() - t0) / ops;
    ns[name].push(round[name]);
  }
  for (const name of names) diffs[name].push(round[name] - round.bare);
}
await pipeline.shutdown();
process.stdout.write(JSON.stringify({ ns, diffs, sink }) + '\n');
