import { defineConfig } from 'tsup';

export default defineConfig({
  // One entry per export path: the cache and health entries import optional peers
  // (@nestjs/cache-manager, @nestjs/terminus), so the main entry must not.
  entry: { index: 'src/index.ts', cache: 'src/cache/index.ts', health: 'src/health/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  // The maps point at src/, which the package ships: the source once, not again in each map.
  esbuildOptions: (options) => {
    options.sourcesContent = false;
  },
  clean: true,
  target: 'node20',
});
