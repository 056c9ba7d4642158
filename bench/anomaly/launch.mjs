// Re-runs the detectors worker under the same Node with --expose-gc (runJsonWorker passes no flags).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const worker = fileURLToPath(new URL('./detectors-worker.mjs', import.meta.url));
const r = spawnSync(process.execPath, ['--expose-gc', worker, ...process.argv.slice(2)], { stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26 });
if (r.status !== 0) process.exit(r.status ?? 1);
process.stdout.write(r.stdout);
