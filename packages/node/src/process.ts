import { logger } from './diag';

/**
 * Resolves `true` when `promise` settles or `false` after `ms`, whichever is first; never rejects.
 * @internal
 */
export function settleWithin(promise: Promise<unknown>, ms: number, what: string): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => {
      logger.warn(`${what} did not finish within ${ms} ms; continuing without waiting`);
      resolve(false);
    }, ms);
    timer.unref();
    promise.then(
      () => {
        clearTimeout(timer);
        resolve(true);
      },
      (err: unknown) => {
        clearTimeout(timer);
        logger.warn(`${what} failed: ${err instanceof Error ? err.message : String(err)}`);
        resolve(true);
      },
    );
  });
}

type Signal = 'SIGTERM' | 'SIGINT';
const SIGNALS: readonly Signal[] = ['SIGTERM', 'SIGINT'];

/**
 * Process hooks that keep telemetry from being lost at exit while leaving the application's own
 * exit behaviour as it was:
 *
 * - `beforeExit` (the event loop ran dry): shut the SDK down once, bounded by the timeout, so the
 *   last batches are exported. (A flush alone would export metrics again, keep the loop busy, and
 *   fire `beforeExit` forever.) If the shutdown is still waiting on an unreachable collector when
 *   the timeout expires (the exporters' retry timers would otherwise hold the process for up to
 *   their own timeout), the process exits with its current `process.exitCode`, unless the
 *   application has `beforeExit` listeners of its own, which may have scheduled more work.
 * - SIGTERM / SIGINT when the application has no listener of its own for that signal: Node's
 *   default would end the process at once, so shut down (bounded), remove our listeners and
 *   re-raise the signal, which ends the process the way it would have ended without us (exit
 *   status 128 + signal number).
 * - SIGTERM / SIGINT when the application listens itself: it owns the exit; we only flush
 *   (bounded) and leave everything else to it.
 *
 * @internal
 */
export function installProcessHooks(opts: {
  timeoutMillis: number;
  flush: () => Promise<void>;
  /** A shutdown bounded by `timeoutMillis`; resolves false if it had to stop waiting. */
  shutdown: () => Promise<boolean>;
}): () => void {
  let exiting = false;
  const onBeforeExit = (): void => {
    if (exiting) return;
    exiting = true;
    void opts.shutdown().then((done) => {
      if (!done && process.listenerCount('beforeExit') === 0) process.exit();
    });
  };
  const listeners = new Map<Signal, () => void>();
  const uninstall = (): void => {
    process.off('beforeExit', onBeforeExit);
    for (const [sig, fn] of listeners) process.off(sig, fn);
    listeners.clear();
  };
  for (const sig of SIGNALS) {
    let handling = false;
    const onSignal = (): void => {
      const appListens = process.listenerCount(sig) > 1;
      if (appListens) {
        void settleWithin(opts.flush(), opts.timeoutMillis, `flush on ${sig}`);
        return;
      }
      if (handling) {
        // A second signal while shutting down: stop waiting.
        uninstall();
        process.kill(process.pid, sig);
        return;
      }
      handling = true;
      exiting = true;
      void opts.shutdown().then(() => {
        uninstall();
        if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
      });
    };
    listeners.set(sig, onSignal);
    process.on(sig, onSignal);
  }
  process.on('beforeExit', onBeforeExit);
  return uninstall;
}
