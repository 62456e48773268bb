import { defineConfig } from 'vitest/config';

// Workspace packages resolve to their TypeScript sources through the
// `@sentinelkit/source` export condition, so tests never need a build first.
const conditions = ['@sentinelkit/source', 'node', 'import', 'module', 'default'];
// Vitest also hands the SSR conditions to Node as `--conditions` flags, which then apply to
// `require()` inside CommonJS dependencies too: with `import` among them, a dual package required
// from CommonJS loads its ESM entry (express 5's router gets `{ default }` from is-promise and every
// Nest request fails). Vite adds `import`/`require` per import by itself, so SSR leaves it out.
const ssrConditions = conditions.filter((condition) => condition !== 'import');

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions: ssrConditions, externalConditions: ssrConditions } },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          // Unit tests first: they are fast and fail early.
          sequence: { groupOrder: 0 },
          include: ['packages/*/test/**/*.test.ts', 'test/unit/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', '**/*.container.test.ts', '**/node_modules/**'],
          testTimeout: 10_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          sequence: { groupOrder: 1 },
          include: [
            'packages/*/test/**/*.int.test.ts',
            'test/**/*.int.test.ts',
            'examples/*/test/**/*.int.test.ts',
          ],
          exclude: ['**/node_modules/**'],
          pool: 'forks',
          // Each file starts its own topology (6 redis-server processes). Two at a
          // time keeps a 2-core machine from starving Sentinel's timers.
          maxWorkers: 2,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          // Tests of the container backend of @sentinelkit/testing: `pnpm test:containers`,
          // after `.ci/setup-containers.sh` (CI runs both). They fail without an engine.
          name: 'containers',
          sequence: { groupOrder: 2 },
          include: ['packages/*/test/**/*.container.test.ts'],
          pool: 'forks',
          maxWorkers: 1,
          testTimeout: 90_000,
          hookTimeout: 90_000,
        },
      },
    ],
  },
});
