// Added wall time of an instrumented ioredis GET over loopback, versus the bare client and the official
// @opentelemetry/instrumentation-ioredis, measured in one run: a real redis-server pinned to one core,
// one worker process per variant pinned to the other, driven batch by batch in a rotating order.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { median, quantile } from '../support/stats.mjs';

const worker = fileURLToPath(new URL('./redis-worker.mjs', import.meta.url));
const VARIANTS = ['bare', 'driftwatch', 'otel-contrib'];
const canPin = spawnSync('taskset', ['-c', '0', 'true']).status === 0;
const pinned = (cpu, cmd, args, opts) => (canPin ? spawn('taskset', ['-c', String(cpu), cmd, ...args], opts) : spawn(cmd, args, opts));

async function freePort() {
  const s = createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address();
  s.close();
  return port;
}

async function startRedis() {
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL, stop() {} };
  const port = await freePort();
  const child = pinned(1, 'redis-server', ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const rl = createInterface({ input: child.stdout });
  for await (const line of rl) if (line.includes('Ready to accept connections')) break;
  return { url: `redis://127.0.0.1:${port}`, stop: () => child.kill() };
}

function startWorker(variant, url) {
  const child = pinned(0, process.execPath, [worker, variant, url], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  return {
    async run(n) {
      child.stdin.write(`run ${n}\n`);
      const { value } = await lines.next();
      return JSON.parse(value);
    },
    async quit() {
      child.stdin.write('quit\n');
      const { value } = await lines.next();
      await once(child, 'exit');
      return JSON.parse(value);
    },
  };
}

export async function run({ quick = false } = {}) {
  const redis = await startRedis();
  const rounds = quick ? 10 : 60;
  const batch = 2000;
  const workers = Object.fromEntries(VARIANTS.map((v) => [v, startWorker(v, redis.url)]));
  const wall = Object.fromEntries(VARIANTS.map((v) => [v, []]));
  const cpu = Object.fromEntries(VARIANTS.map((v) => [v, []]));
  const diffs = Object.fromEntries(VARIANTS.map((v) => [v, []]));
  try {
    for (const w of Object.values(workers)) await w.run(3000); // warm-up
    for (let r = 0; r < rounds; r++) {
      const order = VARIANTS.map((_, i) => VARIANTS[(i + r) % VARIANTS.length]);
      const round = {};
      for (const v of order) {
        const res = await workers[v].run(batch);
        round[v] = res.wall;
        wall[v].push(res.wall);
        cpu[v].push(res.cpu);
      }
      for (const v of VARIANTS) diffs[v].push(round[v] - round.bare);
    }
  } finally {
    for (const w of Object.values(workers)) await w.quit().catch(() => undefined);
    redis.stop();
  }
  const bare = median(wall.bare);
  const rows = VARIANTS.map((v) => ({
    variant: v,
    perGetUs: median(wall[v]),
    addedUs: median(diffs[v]),
    addedLowUs: quantile(diffs[v], 0.25),
    addedHighUs: quantile(diffs[v], 0.75),
    addedPct: (median(diffs[v]) / bare) * 100,
    cpuUs: median(cpu[v]),
  }));
  process.stderr.write(`redis GET: ${rows.map((x) => `${x.variant}=${x.perGetUs.toFixed(1)}µs (+${x.addedUs.toFixed(2)}µs, ${x.addedPct.toFixed(2)}%)`).join('  ')}\n`);
  return [{ rounds, batch, rows }];
}

export function render([r]) {
  const lines = [
    '## Cache: Redis GET over loopback (ioredis)',
    '',
    'Sequential `GET` of a present 64-byte value with ioredis 6 against a local redis-server (pinned to its own',
    'core). Each variant runs in its own process (the client publishes on a process-wide tracing channel) with a',
    'recording SDK pipeline; the runner drives the processes batch by batch in a rotating order, and "added" is the',
    'median over rounds of the paired difference to the bare client.',
    '',
    `${r.rounds} rounds × ${r.batch} GETs per variant.`,
    '',
    '| variant | wall per GET (µs) | added (µs) [IQR] | added (% of bare) | CPU per GET (µs) |',
    '|---|---:|---:|---:|---:|',
  ];
  for (const x of r.rows) {
    const iqr = x.variant === 'bare' ? '' : ` [${x.addedLowUs.toFixed(2)}, ${x.addedHighUs.toFixed(2)}]`;
    lines.push(`| ${x.variant} | ${x.perGetUs.toFixed(1)} | ${x.addedUs.toFixed(2)}${iqr} | ${x.addedPct.toFixed(2)}% | ${x.cpuUs.toFixed(1)} |`);
  }
  const dw = r.rows.find((x) => x.variant === 'driftwatch');
  const peer = r.rows.find((x) => x.variant === 'otel-contrib');
  if (dw && peer) {
    lines.push(
      '',
      `Target (added ≤ 2% of the bare GET): **${dw.addedPct <= 2 ? 'met' : 'not met'}** (${dw.addedPct.toFixed(2)}%). ` +
        `Target (added ≤ the official instrumentation's): **${dw.addedUs <= peer.addedUs ? 'met' : 'not met'}** (${dw.addedUs.toFixed(2)} vs ${peer.addedUs.toFixed(2)} µs).`,
    );
  }
  lines.push('');
  return lines.join('\n');
}
