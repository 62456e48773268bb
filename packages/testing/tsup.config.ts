import { defineConfig } from 'tsup';

export default defineConfig([
  {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    // The maps point at src/, which the package ships: the source once, not again in each map.
    esbuildOptions: (options) => {
      options.sourcesContent = false;
    },
    clean: true,
    target: 'node20',
  },
  {
    // The `sentinelkit-topology` executable: ESM only, with its shebang. In this repository
    // `pnpm topology` runs the same source through tsx.
    entry: ['src/cli.ts'],
    format: ['esm'],
    sourcemap: true,
    // The maps point at src/, which the package ships: the source once, not again in each map.
    esbuildOptions: (options) => {
      options.sourcesContent = false;
    },
    target: 'node20',
    banner: { js: '#!/usr/bin/env node' },
  },
]);
