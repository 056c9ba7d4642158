/** Instrumentation scope name and version. */
export const PACKAGE_NAME = '@driftwatch/processor';
export const PACKAGE_VERSION = '0.1.0';
