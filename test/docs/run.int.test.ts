// The docs followed word for word: every block flagged ```ts run (see blocks.ts) runs to
// completion against a real topology and exits by itself (a process still running after its time
// limit fails: a sample that leaves a socket or a timer open is a sample that hangs a reader's
// script). Programs get the topology's location the way the docs tell a reader to pass it:
// $SENTINEL_LOCATION / $REDIS_SENTINEL_URL, and the placeholder location of the samples
// (PLACEHOLDER) is replaced with the topology's. Blocks importing vitest are test files: they
// run with vitest, each starting its own topology as the docs show. Blocks resolve workspace
// packages to their sources (the `@sentinelkit/source` condition), as the other tests do; the
// packaging check runs docs/testing.md's first sample against the packed tarballs too.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type SentinelTopology, startSentinelTopology } from '@sentinelkit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describe as describeOutcome, run } from '../packaging/processes.js';
import {
  BLOCKS,
  type Block,
  extension,
  HOSTS,
  hostFor,
  importedPackages,
  ROOT,
  slug,
} from './blocks.js';

/** The location the samples show; a reader puts their own there, the test the topology's. */
const PLACEHOLDER = 'mymaster/10.0.0.1:26379,10.0.0.2:26379,10.0.0.3:26379';
const OUT = '.docs-run';
const TIME_LIMIT = { program: 30_000, vitest: 120_000 };

const RUNNABLE = BLOCKS.filter((block) => block.run);
const isTestFile = (block: Block) => importedPackages(block.code).includes('vitest');
const programs = RUNNABLE.filter((block) => !isTestFile(block));
const testFiles = RUNNABLE.filter(isTestFile);
const where = (block: Block) => `${block.file}:${block.line}`;

/** Writes the block where its imports resolve; returns [host directory, file name]. */
function place(block: Block, code: string, suffix = ''): [string, string] {
  const host = hostFor(block);
  if (!host) throw new Error(`${where(block)}: no workspace package resolves its imports`);
  const dir = join(ROOT, host, OUT);
  mkdirSync(dir, { recursive: true });
  const name = slug(block) + suffix + extension(block);
  writeFileSync(join(dir, name), `${code}\n`);
  return [dir, name];
}

// Not the test runner's environment: a sample runs as in a reader's shell.
const READER_ENV = { VITEST: undefined, VITEST_POOL_ID: undefined, NODE_ENV: undefined };
const TSX = ['node', '--import', 'tsx', '--conditions=@sentinelkit/source'];

describe('the runnable code blocks of the docs', () => {
  let topology: SentinelTopology;

  beforeAll(async () => {
    for (const host of HOSTS) rmSync(join(ROOT, host, OUT), { recursive: true, force: true });
    topology = await startSentinelTopology();
  });
  afterAll(() => topology?.stop());

  it('flags complete programs only, samples of each kind', () => {
    expect(RUNNABLE.filter((b) => b.fragment !== undefined).map(where)).toEqual([]);
    expect(programs.length).toBeGreaterThanOrEqual(4);
    expect(testFiles.length).toBeGreaterThanOrEqual(2);
  });

  it.each(programs.map((block) => [where(block), block] as const))(
    '%s runs against a topology and exits by itself',
    async (_, block) => {
      const [dir, name] = place(block, block.code.replaceAll(PLACEHOLDER, topology.location));
      const outcome = await run([...TSX, name], dir, TIME_LIMIT.program, {
        ...READER_ENV,
        SENTINEL_LOCATION: topology.location,
        REDIS_SENTINEL_URL: topology.location,
        SESSION_SECRET: 'docs-sample-secret',
        REDIS_PASSWORD: undefined,
        SENTINEL_PASSWORD: undefined,
      });
      expect(
        { exit: describeOutcome(outcome, TIME_LIMIT.program), output: outcome.output },
        `${where(block)} after ${outcome.ms} ms`,
      ).toEqual({ exit: 'exit code 0', output: outcome.output });
    },
    TIME_LIMIT.program + 10_000,
  );

  it.each(testFiles.map((block) => [where(block), block] as const))(
    '%s passes under vitest, starting its own topology',
    async (_, block) => {
      const [dir, name] = place(block, block.code, '.test');
      // The reader's vitest config is vitest's default; only the source condition is added.
      writeFileSync(
        join(dir, 'vitest.config.mjs'),
        "export default { resolve: { conditions: ['@sentinelkit/source'] }, ssr: { resolve: { conditions: ['@sentinelkit/source'], externalConditions: ['@sentinelkit/source'] } } };\n",
      );
      const vitest = join(ROOT, 'node_modules/.bin/vitest');
      const outcome = await run(
        [vitest, 'run', '--root', dir, '--config', 'vitest.config.mjs', name],
        dir,
        TIME_LIMIT.vitest,
        { ...READER_ENV, NO_COLOR: '1', FORCE_COLOR: undefined },
      );
      expect(
        { exit: describeOutcome(outcome, TIME_LIMIT.vitest), output: outcome.output },
        `${where(block)} after ${outcome.ms} ms`,
      ).toEqual({ exit: 'exit code 0', output: outcome.output });
      expect(outcome.output).toMatch(/Tests\s+\S*\d+ passed/);
    },
    TIME_LIMIT.vitest + 10_000,
  );
});
