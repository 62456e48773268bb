// The docs' tables are checked against the code, so neither can change without the other.
import { readFileSync } from 'node:fs';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  DEFAULT_STORE_OPTIONS,
  SESSION_STORE_ERROR_CODES,
  type SentinelStoreOptions,
} from '../src/index.js';

const read = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8');
const DOC = read('../../../docs/express-session.md');
const README = read('../README.md');
const OPTION_NAMES = ['client', ...Object.keys(DEFAULT_STORE_OPTIONS)];

/** Rows of the first table whose header is exactly `header`, cells trimmed, and where it ends. */
function table(markdown: string, header: string[]): { rows: string[][]; endsAt: number } {
  const lines = markdown.split('\n');
  const cells = (line: string) =>
    line
      .trim()
      .replace(/^\||\|$/g, '')
      .split(/(?<!\\)\|/)
      .map((cell) => cell.trim());
  const at = lines.findIndex(
    (l) => l.trim().startsWith('|') && cells(l).join('|') === header.join('|'),
  );
  expect(at, `a table headed ${header.join(' | ')}`).toBeGreaterThanOrEqual(0);
  const rows: string[][] = [];
  let j = at + 2;
  for (; j < lines.length && lines[j]!.trim().startsWith('|'); j++) rows.push(cells(lines[j]!));
  return { rows, endsAt: j };
}

const code = (cell: string) => /^`([^`]*)`$/.exec(cell)?.[1] ?? cell;

function formatDefault(value: unknown): string {
  if (value === JSON) return '`JSON`';
  if (value instanceof RegExp) return `\`${String(value)}\``;
  return typeof value === 'string' ? `\`'${value}'\`` : `\`${String(value)}\``;
}

describe('option names', () => {
  it('DEFAULT_STORE_OPTIONS and client are exactly the keys of SentinelStoreOptions', () => {
    expectTypeOf<keyof typeof DEFAULT_STORE_OPTIONS | 'client'>().toEqualTypeOf<
      keyof SentinelStoreOptions
    >();
  });
});

describe.each([
  ['docs/express-session.md', DOC],
  ['packages/express-session/README.md', README],
])('%s', (_name, markdown) => {
  const options = table(markdown, ['Property', 'Default', 'Description']);

  it('lists every option, in order, with its default', () => {
    expect(options.rows.map((r) => code(r[0]!))).toEqual(OPTION_NAMES);
    const defaults = new Map(options.rows.map((r) => [code(r[0]!), r[1]]));
    expect(defaults.get('client')).toBe('required');
    for (const [key, value] of Object.entries(DEFAULT_STORE_OPTIONS)) {
      expect(defaults.get(key), key).toBe(formatDefault(value));
    }
  });
});

describe('docs/express-session.md', () => {
  it('ends with the options table', () => {
    const { endsAt } = table(DOC, ['Property', 'Default', 'Description']);
    expect(DOC.split('\n').slice(endsAt).join('').trim()).toBe('');
  });

  it('lists every error code', () => {
    const errors = table(DOC, ['`code`', 'When']);
    expect(errors.rows.map((r) => code(r[0]!))).toEqual([...SESSION_STORE_ERROR_CODES]);
  });
});
