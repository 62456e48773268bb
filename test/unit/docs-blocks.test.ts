// Every TypeScript/JavaScript block of README.md, docs/*.md and packages/*/README.md is a file the
// type checker accepts: a reader copies them as they are. Each block is written to a gitignored
// `.docs-blocks/` directory of the workspace package whose node_modules hold what it imports (the
// Nest samples need @nestjs/*, the migration one connect-redis), and all of them are checked in one
// program under the repository's strict options. A block that cannot stand alone says why in its
// info string: ```ts fragment: <reason>; it is then skipped, the reason being checked instead.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import {
  BLOCKS,
  type Block,
  extension,
  HOSTS,
  hostFor,
  importedPackages,
  ROOT,
  slug,
} from '../docs/blocks.js';

const OUT = '.docs-blocks';

describe('code blocks of the docs', () => {
  it('finds the blocks of README.md, docs/ and the package READMEs', () => {
    expect(BLOCKS.length).toBeGreaterThan(30);
  });

  it('gives a reason for every block flagged as a fragment', () => {
    const unexplained = BLOCKS.filter((b) => b.fragment === '').map((b) => `${b.file}:${b.line}`);
    expect(unexplained, 'write ```ts fragment: <why it cannot be complete>').toEqual([]);
  });

  it('type-checks every complete block under the strict options of tsconfig.base.json', () => {
    const complete = BLOCKS.filter((b) => b.fragment === undefined);
    for (const host of HOSTS) rmSync(join(ROOT, host, OUT), { recursive: true, force: true });
    const where = new Map<string, Block>();
    const unresolved: string[] = [];
    for (const block of complete) {
      const host = hostFor(block);
      if (!host) {
        unresolved.push(
          `${block.file}:${block.line} imports ${importedPackages(block.code).join(', ')}`,
        );
        continue;
      }
      const path = join(ROOT, host, OUT, slug(block) + extension(block));
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, `${block.code}\n`);
      where.set(path, block);
    }
    expect(unresolved, 'no workspace package has these in its node_modules').toEqual([]);

    const base = ts.getParsedCommandLineOfConfigFile(
      join(ROOT, 'tsconfig.base.json'),
      {},
      { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} },
    );
    const program = ts.createProgram([...where.keys()], {
      ...base!.options,
      noEmit: true,
      declaration: false,
      sourceMap: false,
      allowJs: true,
      checkJs: true,
      // Every block is a module of its own, even one without import or export.
      moduleDetection: ts.ModuleDetectionKind.Force,
      // Nest's decorators are TypeScript's legacy ones (a Nest CLI app sets this).
      experimentalDecorators: true,
    });
    const errors = ts.getPreEmitDiagnostics(program).map((d) => {
      const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
      const block = d.file && where.get(d.file.fileName);
      if (!d.file || d.start === undefined) return `TS${d.code}: ${message}`;
      const { line } = d.file.getLineAndCharacterOfPosition(d.start);
      const at = block
        ? `${block.file}:${block.line + 1 + line}`
        : `${relative(ROOT, d.file.fileName)}:${line + 1}`;
      return `${at} TS${d.code}: ${message}`;
    });
    expect(errors).toEqual([]);
  }, 180_000); // one program over ~35 files: seconds alone, much longer on a loaded machine
});
