// The docs' tables are checked against the code, so neither can change without the other.
import { readFileSync } from 'node:fs';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { SENTINELKIT_ERROR_CODES, type SentinelClientOptions } from '../src/index.js';
import { DEFAULT_OPTIONS, OPTION_NAMES } from '../src/internal.js';

const read = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8');
const CORE_DOC = read('../../../docs/core.md');
const README = read('../README.md');

/** Every markdown table of `markdown`: header cells and body rows, cells trimmed. */
function tables(markdown: string): { header: string[]; rows: string[][]; endsAt: number }[] {
  const lines = markdown.split('\n');
  const found: { header: string[]; rows: string[][]; endsAt: number }[] = [];
  const cells = (line: string) =>
    line
      .trim()
      .replace(/^\||\|$/g, '')
      .split('|')
      .map((cell) => cell.trim());
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const next = lines[i + 1] ?? '';
    if (!line.trim().startsWith('|') || !/^\s*\|[\s:|-]+\|\s*$/.test(next)) continue;
    const rows: string[][] = [];
    let j = i + 2;
    for (; j < lines.length && lines[j]!.trim().startsWith('|'); j++) rows.push(cells(lines[j]!));
    found.push({ header: cells(line), rows, endsAt: j });
    i = j - 1;
  }
  return found;
}

/** The table whose header is exactly `header`; fails when there is not exactly one. */
function tableWith(markdown: string, header: string[]) {
  const matching = tables(markdown).filter((t) => t.header.join('|') === header.join('|'));
  expect(matching, `one table headed ${header.join(' | ')}`).toHaveLength(1);
  return matching[0]!;
}

/** `` `name` `` → `name`; anything else unchanged. */
const code = (cell: string) => /^`([^`]*)`$/.exec(cell)?.[1] ?? cell;

/** How a default value is written in the Default column. */
function formatDefault(value: unknown): string {
  return typeof value === 'string' ? `\`'${value}'\`` : `\`${String(value)}\``;
}

describe('OPTION_NAMES', () => {
  it('names every field of SentinelClientOptions (checked by the type checker)', () => {
    expectTypeOf<(typeof OPTION_NAMES)[number]>().toEqualTypeOf<keyof SentinelClientOptions>();
    expect(new Set(OPTION_NAMES).size).toBe(OPTION_NAMES.length);
  });
});

describe.each([
  ['docs/core.md', CORE_DOC],
  ['packages/core/README.md', README],
])('%s options table', (_name, markdown) => {
  const table = tableWith(markdown, ['Property', 'Default', 'Description']);

  it('lists exactly the keys of SentinelClientOptions, in order', () => {
    expect(table.rows.map((row) => code(row[0]!))).toEqual([...OPTION_NAMES]);
  });

  it('gives the defaults of DEFAULT_OPTIONS', () => {
    const defaults = new Map(table.rows.map((row) => [code(row[0]!), row[1]]));
    for (const [key, value] of Object.entries(DEFAULT_OPTIONS)) {
      expect(defaults.get(key), key).toBe(formatDefault(value));
    }
    expect(defaults.get('masterName')).toBe('required');
    expect(defaults.get('sentinels')).toBe('required');
  });

  it('describes every option', () => {
    for (const row of table.rows) expect(row[2], row[0]).toMatch(/\w{3}/);
  });
});

describe('docs/core.md', () => {
  it('ends with the options table (docs/<topic>.md ends in Property | Default | Description)', () => {
    const table = tableWith(CORE_DOC, ['Property', 'Default', 'Description']);
    const after = CORE_DOC.split('\n').slice(table.endsAt).join('\n');
    expect(after.trim()).toBe('');
  });

  it('has one row per error code in its error table', () => {
    const table = tableWith(CORE_DOC, ['code', 'when', 'what to do']);
    expect(table.rows.map((row) => code(row[0]!)).sort()).toEqual(
      [...SENTINELKIT_ERROR_CODES].sort(),
    );
  });

  it('is linked from docs/README.md', () => {
    expect(read('../../../docs/README.md')).toContain('](core.md)');
  });
});

describe('packages/core/README.md', () => {
  it('has one row per error code in its error table', () => {
    const table = tableWith(README, ['code', 'when']);
    expect(table.rows.map((row) => code(row[0]!)).sort()).toEqual(
      [...SENTINELKIT_ERROR_CODES].sort(),
    );
  });

  it('keeps the package README order: install, use, options, errors, Sentinel specifics', () => {
    const headings = README.split('\n').filter((line) => line.startsWith('## '));
    expect(headings).toEqual([
      '## Install',
      '## Use',
      '## Options',
      '## Errors',
      '## Sentinel specifics',
    ]);
  });
});
