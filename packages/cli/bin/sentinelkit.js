#!/usr/bin/env node
// The `sentinelkit` bin: a committed file that loads the built one. pnpm links the bins of
// workspace packages when it installs, before anything is built; a bin pointing into dist/ made
// every fresh install warn "Failed to create bin". The published package has dist/ built.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  console.error('sentinelkit: dist/cli.js is missing: run `pnpm build` in the repository first');
  process.exit(1);
}
await import(cli.href);
