import type { Options } from 'tsup';

/** One build shape for every package: ESM first, CJS beside it, declarations for both. */
export function packageBuild(entry: Record<string, string> = { index: 'src/index.ts' }): Options {
  return {
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node22',
    platform: 'node',
    splitting: false,
    treeshake: true,
    tsconfig: 'tsconfig.build.json',
  };
}
