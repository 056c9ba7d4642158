/** Instrumentation scope name and version for the tracer and meter. */
export const PACKAGE_NAME = '@driftwatch/selector';
export const PACKAGE_VERSION = '0.1.0';
