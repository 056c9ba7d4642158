// Process helpers for the benchmark runner.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

/** Starts a long-lived helper process and resolves with its first JSON line and the process. */
export async function startJsonProcess(file, args = []) {
  const child = spawn(process.execPath, [file, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const rl = createInterface({ input: child.stdout });
  const [line] = await once(rl, 'line');
  return { child, info: JSON.parse(line), stop: () => child.stdin.end() };
}

/** Runs a worker to completion and returns the JSON it printed last. */
export async function runJsonWorker(file, args = []) {
  const child = spawn(process.execPath, [file, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const [code] = await once(child, 'exit');
  if (code !== 0) throw new Error(`${file} ${args.join(' ')} exited with ${code}`);
  const lines = out.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}
