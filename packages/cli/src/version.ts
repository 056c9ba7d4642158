/** Package name and version. */
export const PACKAGE_NAME = '@driftwatch/cli';
export const PACKAGE_VERSION = '0.1.0';
