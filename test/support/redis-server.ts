// A real Redis server for end-to-end tests: `startRedisServer()` spawns Debian's `redis-server` on a
// free loopback port (no persistence) and waits until it answers PING, or uses the server at
// REDIS_URL when that is set. Tests that need Redis run when `shouldRunRedisTests()` is true: when a
// server is available, or when DRIFTWATCH_REQUIRE_E2E=1 (then a missing server fails them).
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export interface RedisServer {
  host: string;
  port: number;
  /** `redis://host:port`. */
  url: string;
  /** Spawned by this helper (false for REDIS_URL): only a spawned server can be killed and restarted. */
  spawned: boolean;
  /** Shuts the server down (SIGTERM) and waits for it to exit. No-op for REDIS_URL. */
  stop(): Promise<void>;
  /** Kills the server abruptly (SIGKILL), dropping every connection, and waits for it to exit. */
  kill(): Promise<void>;
  /** Starts it again on the same port (after kill or stop) and waits until it answers PING. */
  restart(): Promise<void>;
}

/** The `redis-server` executable on PATH (or /usr/bin), if any. */
export function redisServerPath(): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/bin', '/usr/local/bin'];
  for (const d of dirs) {
    if (!d) continue;
    const p = join(d, 'redis-server');
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** Whether a Redis server can be had: REDIS_URL is set or `redis-server` is installed. */
export function redisAvailable(): boolean {
  if (process.env.REDIS_URL) return true;
  const p = redisServerPath();
  return p !== undefined && spawnSync(p, ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Whether Redis tests should run: a server is available, or DRIFTWATCH_REQUIRE_E2E=1 (then they fail without one). */
export function shouldRunRedisTests(): boolean {
  return redisAvailable() || process.env.DRIFTWATCH_REQUIRE_E2E === '1';
}

async function freePort(): Promise<number> {
  const s = createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address() as { port: number };
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** One PING over a fresh connection: true when the server answers +PONG. */
function ping(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host, port });
    let data = '';
    const done = (ok: boolean): void => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(500, () => done(false));
    sock.on('error', () => done(false));
    sock.on('connect', () => sock.write('PING\r\n'));
    sock.on('data', (b) => {
      data += b.toString();
      if (data.includes('\r\n')) done(data.startsWith('+PONG'));
    });
  });
}

async function waitForPing(host: string, port: number, child: ChildProcess | undefined, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode} before answering PING on port ${port}`);
    if (await ping(host, port)) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`redis-server did not answer PING on ${host}:${port} within ${timeoutMs} ms`);
}

const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

function spawnServer(bin: string, port: number): ChildProcess {
  const child = spawn(
    bin,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', tmpdir(), '--loglevel', 'warning'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  children.add(child);
  child.once('exit', () => children.delete(child));
  child.stderr?.resume();
  return child;
}

async function exited(child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const gone = once(child, 'exit');
  child.kill(signal);
  await gone;
}

/**
 * A Redis server for a test file: the one at REDIS_URL, or a fresh `redis-server` on a free
 * loopback port. `own: true` asks for a spawned server even when REDIS_URL is set (tests that kill
 * and restart it), falling back to REDIS_URL only when `redis-server` is missing and end-to-end
 * tests are not required. Throws when neither is available.
 */
export async function startRedisServer(options: { own?: boolean } = {}): Promise<RedisServer> {
  const external = process.env.REDIS_URL;
  const spawnable = redisServerPath() !== undefined || process.env.DRIFTWATCH_REQUIRE_E2E === '1';
  if (external && !(options.own && spawnable)) {
    const u = new URL(external);
    const host = u.hostname || '127.0.0.1';
    const port = Number(u.port || 6379);
    await waitForPing(host, port, undefined, 5_000);
    const unsupported = (): Promise<void> => Promise.reject(new Error('a server given by REDIS_URL cannot be killed or restarted'));
    return { host, port, url: external, spawned: false, stop: async () => undefined, kill: unsupported, restart: unsupported };
  }
  const bin = redisServerPath();
  if (!bin) {
    throw new Error(
      'redis-server is not installed (install the Debian "redis-server" package) and REDIS_URL is not set' +
        (process.env.DRIFTWATCH_REQUIRE_E2E === '1' ? '; DRIFTWATCH_REQUIRE_E2E=1 requires it' : ''),
    );
  }
  const host = '127.0.0.1';
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    let child = spawnServer(bin, port);
    try {
      await waitForPing(host, port, child);
    } catch (err) {
      lastError = err;
      await exited(child, 'SIGKILL');
      continue; // the port was taken in between: try another one
    }
    return {
      host,
      port,
      url: `redis://${host}:${port}`,
      spawned: true,
      stop: () => exited(child, 'SIGTERM'),
      kill: () => exited(child, 'SIGKILL'),
      async restart() {
        await exited(child, 'SIGKILL');
        child = spawnServer(bin, port);
        await waitForPing(host, port, child);
      },
    };
  }
  throw lastError instanceof Error ? lastError : new Error('redis-server could not be started');
}
