import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/internal.ts', 'src/opentelemetry.ts'],
  format: ['esm', 'cjs'],
  // One copy of each module across the entry points, in CommonJS too (tsup splits ESM only by
  // default): /internal's and /opentelemetry's CJS then share the main entry's classes, so
  // `instanceof SentinelConfigError` holds whichever entry created the error.
  splitting: true,
  dts: true,
  sourcemap: true,
  // The maps point at src/, which the package ships: the source once, not again in each map.
  esbuildOptions: (options) => {
    options.sourcesContent = false;
  },
  clean: true,
  target: 'node20',
});
