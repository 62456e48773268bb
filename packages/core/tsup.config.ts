import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/internal.ts', 'src/opentelemetry.ts'],
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
