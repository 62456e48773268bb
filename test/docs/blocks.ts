// The ts/js blocks of README.md, docs/*.md and packages/*/README.md, and where each can resolve
// what it imports: shared by the check that type-checks them (test/unit/docs-blocks.test.ts) and
// the one that runs the runnable ones against a real topology (test/docs/run.int.test.ts).
//
// Info-string flags after the language:
//   ```ts fragment: <reason>  cannot stand alone; not compiled, the reason is checked instead
//   ```ts run                  a complete program: run to completion against a real topology
//                              (a vitest file: run with vitest, starting its own topology)
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const LANGUAGES = new Set(['ts', 'typescript', 'js', 'javascript']);
/**
 * Workspace packages whose node_modules a block may resolve against, first match wins: the example
 * apps (current express 5, Nest 11), then the conformance suite (ioredis, connect-redis) and the
 * benchmarks (@keyv/redis).
 */
export const HOSTS = [
  'examples/express-app',
  'examples/nestjs-app',
  'examples/cache-manager',
  'test',
  'bench',
];

export interface Block {
  /** Markdown file, relative to the repository root. */
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  language: string;
  /** What follows `fragment:` in the info string, when the block is flagged as one. */
  fragment: string | undefined;
  /** Flagged `run`: a complete program, run against a real topology. */
  run: boolean;
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
        run: /^\s*run\b/.test(rest),
        code: body.join('\n'),
      });
    }
    i = end;
  }
  return blocks;
}

/** Package names a block imports, without Node's built-in modules. */
export function importedPackages(code: string): string[] {
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
export function hostFor(block: Block): string | undefined {
  const packages = importedPackages(block.code);
  return HOSTS.find((host) => packages.every((pkg) => resolvesIn(host, pkg)));
}

export const slug = (block: Block) => `${block.file.replace(/[/.]/g, '_')}_L${block.line}`;
export const extension = (block: Block) => {
  const js = block.language === 'js' || block.language === 'javascript';
  // A block that uses require() is a CommonJS module, as a reader's jest.setup.js would be.
  const cjs = /\brequire\(/.test(block.code) && !/^\s*import\s/m.test(block.code);
  return js ? (cjs ? '.cjs' : '.mjs') : cjs ? '.cts' : '.mts';
};

export const BLOCKS = markdownFiles().flatMap((file) =>
  extractBlocks(file, readFileSync(join(ROOT, file), 'utf8')),
);
