import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.config.base';

// Three builds share dist/, so it is cleaned once here rather than by each build (they run in parallel).
rmSync(fileURLToPath(new URL('./dist', import.meta.url)), { recursive: true, force: true });

export default defineConfig([
  // The public door, ESM + CJS.
  { ...packageBuild({ index: 'src/index.ts' }), clean: false },
  // `node --import @driftwatch/node/register`: ESM, registers the ESM loader hook (top-level await).
  { ...packageBuild({ register: 'src/register.ts' }), format: ['esm'], clean: false },
  // `node --require @driftwatch/node/register`: CJS, require hooks only.
  { ...packageBuild({ register: 'src/register-require.ts' }), format: ['cjs'], clean: false },
]);
