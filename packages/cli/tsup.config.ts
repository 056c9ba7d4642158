import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.config.base';

export default defineConfig([packageBuild(), { ...packageBuild({ bin: 'src/bin.ts' }), format: ['esm'], dts: false, clean: false }]);
