// Every TypeScript/JavaScript block of README.md, docs/*.md and packages/*/README.md is a file the
// type checker accepts: a reader copies them as they are. Each block is written to a gitignored
// `.docs-blocks/` directory of the workspace package whose node_modules hold what it imports (the
// Nest samples need @nestjs/*, the migration one connect-redis), and all of them are checked in one
// program under the repository's strict options. A block that cannot stand alone says why in its
// info string: ```ts fragment: <reason>; it is then skipped, the reason being checked instead.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const LANGUAGES = new Set(['ts', 'typescript', 'js', 'javascript']);
/**
 * Workspace packages whose node_modules a block may resolve against, first match wins: the example
 * apps (current express 5, Nest 11), then the conformance suite (ioredis, connect-redis) and the
 * benchmarks (@keyv/redis).
 */
const HOSTS = [
  'examples/express-app',
  'examples/nestjs-app',
  'examples/cache-manager',
  'test',
  'bench',
];
const OUT = '.docs-blocks';

interface Block {
  /** Markdown file, relative to the repository root. */
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  language: string;
  /** What follows `fragment:` in the info string, when the block is flagged as one. */
  fragment: string | undefined;
  code: string;
}

function markdownFiles(): string[] {
  const inDir = (dir: string) =>
    readdirSync(join(ROOT, dir))
      .filter((name) => name.endsWith('.md'))
      .map((name) => `${dir}/${name}`);
  const packageReadmes = readdirSync(join(ROOT, 'packages'))
    .map((name) => `packages/${name}/README.md`)
    .filter((path) => existsSync(join(ROOT, path)));
  return ['README.md', ...inDir('docs'), ...packageReadmes];
}

/** The fenced blocks of `markdown` in one of LANGUAGES. */
export function extractBlocks(file: string, markdown: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const [, indent, fence, language, rest] = open as unknown as [
      string,
      string,
      string,
      string,
      string,
    ];
    let end = i + 1;
    while (end < lines.length && !lines[end]!.trim().startsWith(fence)) end++;
    if (LANGUAGES.has(language)) {
      const fragment = /\bfragment:(.*)$/.exec(rest);
      const body = lines
        .slice(i + 1, end)
        .map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l));
      blocks.push({
        file,
        line: i + 1,
        language,
        fragment: fragment ? fragment[1]!.trim() : /\bfragment\b/.test(rest) ? '' : undefined,
        code: body.join('\n'),
      });
    }
    i = end;
  }
  return blocks;
}

/** Package names a block imports, without Node's built-in modules. */
function importedPackages(code: string): string[] {
  const specifiers = [
    ...code.matchAll(/\bfrom\s+['"]([^'"]+)['"]/g),
    ...code.matchAll(/\bimport\s*\(?\s*['"]([^'"]+)['"]/g),
    ...code.matchAll(/\brequire\(\s*['"]([^'"]+)['"]\s*\)/g),
  ].map((m) => m[1]!);
  return [
    ...new Set(
      specifiers
        .filter((s) => !s.startsWith('.') && !s.startsWith('node:') && !builtinModules.includes(s))
        .map((s) =>
          s
            .split('/')
            .slice(0, s.startsWith('@') ? 2 : 1)
            .join('/'),
        ),
    ),
  ];
}

const resolvesIn = (host: string, pkg: string) =>
  existsSync(join(ROOT, host, 'node_modules', pkg)) || existsSync(join(ROOT, 'node_modules', pkg));

/** The first host where every package of the block resolves. */
function hostFor(block: Block): string | undefined {
  const packages = importedPackages(block.code);
  return HOSTS.find((host) => packages.every((pkg) => resolvesIn(host, pkg)));
}

const slug = (block: Block) => `${block.file.replace(/[/.]/g, '_')}_L${block.line}`;
const extension = (block: Block) => {
  const js = block.language === 'js' || block.language === 'javascript';
  // A block that uses require() is a CommonJS module, as a reader's jest.setup.js would be.
  const cjs = /\brequire\(/.test(block.code) && !/^\s*import\s/m.test(block.code);
  return js ? (cjs ? '.cjs' : '.mjs') : cjs ? '.cts' : '.mts';
};

const BLOCKS = markdownFiles().flatMap((file) =>
  extractBlocks(file, readFileSync(join(ROOT, file), 'utf8')),
);

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
