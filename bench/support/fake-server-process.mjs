// Runs the fake LLM provider in its own process so that its CPU time does not count against the
// client being measured. Prints `{"url": ...}` once listening; exits when stdin closes.
import { startFakeLlmServer } from '../../test/support/fake-llm-server.ts';

const server = await startFakeLlmServer();
process.stdout.write(JSON.stringify({ url: server.url }) + '\n');
process.stdin.resume();
process.stdin.on('end', () => server.close().finally(() => process.exit(0)));
process.on('SIGTERM', () => server.close().finally(() => process.exit(0)));
