// Process helpers for the benchmark runner. `cpu` pins a process to one core with taskset when it
// is available, so that the client being measured and the server it calls do not share a core.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { availableParallelism } from 'node:os';
import { createInterface } from 'node:readline';

const canPin = availableParallelism() > 1 && spawnSync('taskset', ['-c', '0', 'true']).status === 0;

function spawnNode(file, args, cpu, stdio) {
  if (canPin && cpu !== undefined) return spawn('taskset', ['-c', String(cpu), process.execPath, file, ...args], { stdio });
  return spawn(process.execPath, [file, ...args], { stdio });
}

/** Starts a long-lived helper process and resolves with its first JSON line and the process. */
export async function startJsonProcess(file, args = [], { cpu } = {}) {
  const child = spawnNode(file, args, cpu, ['pipe', 'pipe', 'inherit']);
  const rl = createInterface({ input: child.stdout });
  const [line] = await once(rl, 'line');
  return { child, info: JSON.parse(line), stop: () => child.stdin.end() };
}

/** Runs a worker to completion and returns the JSON it printed last. */
export async function runJsonWorker(file, args = [], { cpu } = {}) {
  const child = spawnNode(file, args, cpu, ['ignore', 'pipe', 'inherit']);
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const [code] = await once(child, 'exit');
  if (code !== 0) throw new Error(`${file} ${args.join(' ')} exited with ${code}`);
  const lines = out.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}
