// The docs' options tables are checked against the code, so neither can change without the other.
import { readFileSync } from 'node:fs';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  DEFAULT_HEALTH_CHECK_OPTIONS,
  type SentinelHealthCheckOptions,
} from '../src/health/index.js';
import {
  DEFAULT_MODULE_OPTIONS,
  MODULE_OPTION_NAMES,
  type SentinelExistingClientModuleOptions,
  type SentinelLocationModuleOptions,
  type SentinelModuleExtras,
  type SentinelOptionsModuleOptions,
} from '../src/index.js';

const read = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8');
const DOC = read('../../../docs/nestjs.md');
const README = read('../README.md');
const HEADER = ['Property', 'Default', 'Description'];

/** Every markdown table of `markdown`, cells trimmed. */
function tables(markdown: string): { header: string[]; rows: string[][] }[] {
  const lines = markdown.split('\n');
  const found: { header: string[]; rows: string[][] }[] = [];
  const cells = (line: string) =>
    line
      .trim()
      .replace(/^\||\|$/g, '')
      .split('|')
      .map((cell) => cell.trim());
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]!.trim().startsWith('|') || !/^\s*\|[\s:|-]+\|\s*$/.test(lines[i + 1] ?? '')) {
      continue;
    }
    const rows: string[][] = [];
    let j = i + 2;
    for (; j < lines.length && lines[j]!.trim().startsWith('|'); j++) rows.push(cells(lines[j]!));
    found.push({ header: cells(lines[i]!), rows });
    i = j - 1;
  }
  return found;
}

const code = (cell: string) => /^`([^`]*)`$/.exec(cell)?.[1] ?? cell;
const formatDefault = (value: unknown) =>
  typeof value === 'string' ? `\`'${value}'\`` : `\`${String(value)}\``;

describe('MODULE_OPTION_NAMES', () => {
  it('names every option of forRoot() (checked by the type checker)', () => {
    type Every =
      | keyof SentinelLocationModuleOptions
      | keyof SentinelOptionsModuleOptions
      | keyof SentinelExistingClientModuleOptions
      | keyof SentinelModuleExtras;
    expectTypeOf<(typeof MODULE_OPTION_NAMES)[number]>().toEqualTypeOf<Every>();
  });
});

describe.each([
  ['docs/nestjs.md', DOC],
  ['README.md', README],
])('the options table of %s', (_, markdown) => {
  const table = tables(markdown)
    .filter((t) => t.header.join('|') === HEADER.join('|'))
    .at(-1)!;

  it('lists every module option, in order, with its default', () => {
    expect(table.rows.map((row) => code(row[0]!))).toEqual([...MODULE_OPTION_NAMES]);
    for (const [name, value] of Object.entries(DEFAULT_MODULE_OPTIONS)) {
      const row = table.rows.find((r) => code(r[0]!) === name)!;
      expect(row[1], name).toBe(formatDefault(value));
    }
  });
});

it('docs/nestjs.md ends with the module options table', () => {
  const all = tables(DOC);
  expect(all.at(-1)!.header).toEqual(HEADER);
  expect(all.at(-1)!.rows.map((row) => code(row[0]!))).toEqual([...MODULE_OPTION_NAMES]);
  expect(DOC.trimEnd().split('\n').at(-1)).toMatch(/^\| `retryDelay`/);
});

it('the health options table matches SentinelHealthCheckOptions and its defaults', () => {
  const table = tables(DOC).find((t) => t.rows.some((row) => code(row[0]!) === 'minReplicas'))!;
  const names = table.rows.map((row) => code(row[0]!));
  expectTypeOf<keyof SentinelHealthCheckOptions>().toEqualTypeOf<
    'client' | 'timeout' | 'minReplicas'
  >();
  expect(names).toEqual(['client', 'timeout', 'minReplicas']);
  for (const [name, value] of Object.entries(DEFAULT_HEALTH_CHECK_OPTIONS)) {
    expect(table.rows.find((r) => code(r[0]!) === name)![1]).toBe(formatDefault(value));
  }
});
