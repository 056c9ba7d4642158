import { createRequire, register as registerLoader } from 'node:module';
import { pathToFileURL } from 'node:url';

/** The part of `import-in-the-middle` used to register its loader hook. */
interface ImportInTheMiddle {
  createAddHookMessageChannel(): {
    registerOptions: { data?: unknown; transferList?: unknown[] };
    waitForAllMessagesAcknowledged(): Promise<void>;
  };
}

/**
 * Registers the ESM loader hook that lets instrumentations patch ES modules (`import OpenAI from
 * 'openai'` in an ESM app), in the mode that only wraps the modules an instrumentation asked for.
 * `import-in-the-middle` is loaded from `@opentelemetry/instrumentation`'s own location so that the
 * hooks the instrumentations create talk to this loader. Returns a function that resolves once the
 * loader has acknowledged every hooked module name; undefined if the hook could not be registered.
 *
 * @internal
 */
export function registerEsmLoaderHook(parentUrl: string): (() => Promise<void>) | undefined {
  try {
    if (typeof registerLoader !== 'function') return undefined;
    const req = createRequire(parentUrl);
    const instrumentationEntry = req.resolve('@opentelemetry/instrumentation');
    const fromInstrumentation = createRequire(instrumentationEntry);
    const iitm = fromInstrumentation('import-in-the-middle') as ImportInTheMiddle;
    const { registerOptions, waitForAllMessagesAcknowledged } = iitm.createAddHookMessageChannel();
    const hookUrl = pathToFileURL(fromInstrumentation.resolve('import-in-the-middle/hook.mjs')).href;
    registerLoader(hookUrl, { parentURL: parentUrl, data: registerOptions.data, transferList: registerOptions.transferList });
    return waitForAllMessagesAcknowledged;
  } catch (err) {
    process.stderr.write(
      `@driftwatch/node: the ESM loader hook could not be registered; ES modules will not be instrumented: ${err instanceof Error ? err.message : String(err)}\n`,
    );
    return undefined;
  }
}
