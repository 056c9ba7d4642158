// Test harness for the generic API, decorator, module and resilience tests: a tracer provider with an
// in-memory exporter, a meter provider with a pull reader, and the async-hooks context manager.
// `useHarness()` registers the per-file and per-test hooks; provider-harness.ts adds the fake provider.
import { SpanKind } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { ATTR_RESILIENCE_ATTEMPT } from '@driftwatch/semconv';
import { createOtelHarness as createHarness, installContextManager, removeContextManager, useCurrentHarness } from '../../../test/support/otel-harness.ts';
import type { OtelHarness as Harness } from '../../../test/support/otel-harness.ts';
import { getDropCounts, resetDropCounts } from '../src/diag';

export { createHarness, installContextManager, removeContextManager };
export type { Harness };

/**
 * Registers the hooks a test file needs (context manager for the file; a fresh harness and zeroed
 * drop counts before each test) and returns a view that always reads the current test's harness.
 */
export function useHarness(): Harness {
  return useCurrentHarness(createHarness, resetDropCounts);
}

/** Drop counts as a plain object, for exact assertions. */
export function drops(): Record<string, number> {
  return Object.fromEntries(getDropCounts());
}

export { resetDropCounts };

/** The span's parent span id (SDK 2.x `parentSpanContext`). */
export function parentId(span: ReadableSpan): string | undefined {
  return span.parentSpanContext?.spanId;
}

/** The logical-call spans (kind INTERNAL), in the order they ended. */
export function parentSpans(h: Harness): ReadableSpan[] {
  return h.spans().filter((s) => s.kind === SpanKind.INTERNAL);
}

/** The attempt spans under `parent`, by attempt number. */
export function attemptsOf(h: Harness, parent: ReadableSpan): ReadableSpan[] {
  const attempt = (s: ReadableSpan): number => s.attributes[ATTR_RESILIENCE_ATTEMPT] as number;
  return h
    .spans()
    .filter((s) => parentId(s) === parent.spanContext().spanId)
    .sort((a, b) => attempt(a) - attempt(b));
}

/** Resolves after `ms`; when `signal` aborts first, rejects with an `AbortError` DOMException. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(new DOMException('aborted', 'AbortError'));
    });
  });
}
