// The options tables of the docs are checked against the code, so neither changes without the other.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_STORE_OPTIONS,
  KEYV_OPTION_NAMES,
  LEGACY_OPTION_NAMES,
  STORE_OPTION_NAMES,
} from '../src/options.js';

const read = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8');

/** Header and rows (cells trimmed) of each markdown table of `markdown`, with where it ends. */
function tables(markdown: string) {
  const lines = markdown.split('\n');
  const cells = (line: string) =>
    line
      .trim()
      .replace(/^\||\|$/g, '')
      .split('|')
      .map((cell) => cell.trim());
  const found: { header: string[]; rows: string[][]; endsAt: number }[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]!.trim().startsWith('|') || !/^\s*\|[\s:|-]+\|\s*$/.test(lines[i + 1] ?? '')) {
      continue;
    }
    const rows: string[][] = [];
    let j = i + 2;
    for (; j < lines.length && lines[j]!.trim().startsWith('|'); j++) rows.push(cells(lines[j]!));
    found.push({ header: cells(lines[i]!), rows, endsAt: j });
    i = j - 1;
  }
  return { found, lines: lines.length };
}

const ALL_OPTIONS = [...new Set([...KEYV_OPTION_NAMES, ...LEGACY_OPTION_NAMES])].sort();
const code = (cell: string) => /^`([^`]*)`/.exec(cell)?.[1] ?? cell;

const DOC = read('../../../docs/cache-manager.md');
const README = read('../README.md');

describe.each([
  ['docs/cache-manager.md', DOC],
  ['README.md', README],
])('%s', (_name, markdown) => {
  const { found } = tables(markdown);
  const options = found.filter((t) => t.header.join('|') === 'Property|Default|Description');

  it('has one options table listing every option, with the defaults of the code', () => {
    expect(options).toHaveLength(1);
    const table = options[0]!;
    expect(table.rows.map((row) => code(row[0]!)).sort()).toEqual(ALL_OPTIONS);
    const defaults = Object.fromEntries(table.rows.map((row) => [code(row[0]!), row[1]]));
    expect(defaults.throwOnErrors).toBe(`\`${DEFAULT_STORE_OPTIONS.throwOnErrors}\``);
    expect(defaults.clearWithoutNamespace).toBe(
      `\`${DEFAULT_STORE_OPTIONS.clearWithoutNamespace}\``,
    );
    expect(defaults.scanCount).toBe(`\`${DEFAULT_STORE_OPTIONS.scanCount}\``);
    expect(defaults.namespace).toContain(`\`'${DEFAULT_STORE_OPTIONS.legacyNamespace}'\``);
    expect(defaults.ttl).toContain(`\`${DEFAULT_STORE_OPTIONS.legacyTtl}\` (legacy)`);
  });

  it('names only options the stores take', () => {
    for (const name of STORE_OPTION_NAMES) expect(markdown).toContain(`\`${name}\``);
  });
});

describe('docs/cache-manager.md', () => {
  it('ends with the options table', () => {
    const { found, lines } = tables(DOC);
    const last = found.at(-1)!;
    expect(last.header).toEqual(['Property', 'Default', 'Description']);
    // Only the trailing newline after it.
    expect(last.endsAt).toBeGreaterThanOrEqual(lines - 1);
  });
});
