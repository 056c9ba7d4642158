/** This package's name and version, used for its meter and diagnostic logger. */
export const PACKAGE_NAME = '@driftwatch/node';
export const PACKAGE_VERSION = '0.1.0';
