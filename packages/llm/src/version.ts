/** Instrumentation scope name and version for the tracer, meter and logger. */
export const PACKAGE_NAME = '@driftwatch/llm';
export const PACKAGE_VERSION = '0.1.0';
