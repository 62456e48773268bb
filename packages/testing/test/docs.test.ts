// The options tables of docs/testing.md and the README are checked against SentinelTopologyOptions,
// so neither can change without the other.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ClusterTopologyOptions, SentinelTopologyOptions } from '../src/index.js';

const read = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8');
const HEADER = ['Property', 'Default', 'Description'];

/**
 * Every option of `startSentinelTopology()`, in the order of the interface. `satisfies` makes the
 * type checker fail when `SentinelTopologyOptions` gains or loses a key and this list does not.
 */
const OPTIONS = {
  replicas: true,
  sentinels: true,
  quorum: true,
  masterName: true,
  downAfterMs: true,
  failoverTimeoutMs: true,
  password: true,
  username: true,
  sentinelPassword: true,
  sentinelUsername: true,
  sentinelUserRules: true,
  readyTimeoutMs: true,
  backend: true,
  redisServer: true,
  image: true,
  containerNetwork: true,
  tls: true,
} as const satisfies Record<keyof SentinelTopologyOptions, true>;
const OPTION_NAMES = Object.keys(OPTIONS);

/** Every markdown table of `markdown`: header cells and body rows, cells trimmed. */
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

/** `` `name` `` → `name`; anything else unchanged. */
const code = (cell: string) => /^`([^`]*)`$/.exec(cell)?.[1] ?? cell;

/**
 * The options of `SentinelTopologyOptions` as src/options.ts declares them, in order, each with
 * the `@default` of its JSDoc when that is a plain literal (`2`, `'mymaster'`); the others
 * (`$SENTINELKIT_BACKEND`, a majority of …) are prose and left out.
 */
function declaredOptions(): { names: string[]; literalDefaults: Map<string, string> } {
  const source = read('../src/options.ts');
  const body = /export interface SentinelTopologyOptions \{([\s\S]*?)\n\}/.exec(source)?.[1];
  expect(body, 'SentinelTopologyOptions in src/options.ts').toBeDefined();
  const names: string[] = [];
  const literalDefaults = new Map<string, string>();
  for (const [, doc, name] of body!.matchAll(/\/\*\*([\s\S]*?)\*\/\s*(\w+)\?:/g)) {
    names.push(name!);
    const value = /@default\s+(\S.*?)\s*(?:\*\/|\n|$)/.exec(doc!)?.[1];
    if (value !== undefined && /^(?:\d+|'[^']*')$/.test(value)) literalDefaults.set(name!, value);
  }
  return { names, literalDefaults };
}

it('OPTIONS follows the order of SentinelTopologyOptions in src/options.ts', () => {
  // The type checker keeps the set of keys right; this keeps the order (and the parse below).
  expect(declaredOptions().names).toEqual(OPTION_NAMES);
});

describe.each([
  ['docs/testing.md', read('../../../docs/testing.md')],
  ['packages/testing/README.md', read('../README.md')],
])('the options table of %s', (_, markdown) => {
  const matching = tables(markdown).filter((t) => t.header.join('|') === HEADER.join('|'));

  it('is one table, the last of the page', () => {
    expect(matching).toHaveLength(1);
    expect(tables(markdown).at(-1)).toEqual(matching[0]);
  });

  it('lists exactly the keys of SentinelTopologyOptions, in order', () => {
    expect(matching[0]!.rows.map((row) => code(row[0]!))).toEqual(OPTION_NAMES);
  });

  it('gives the literal defaults of the JSDoc', () => {
    const defaults = declaredOptions().literalDefaults;
    // A JSDoc reformatted out of the parse's reach would otherwise silently check nothing.
    expect([...defaults.keys()]).toEqual(
      expect.arrayContaining(['replicas', 'masterName', 'readyTimeoutMs', 'containerNetwork']),
    );
    const documented = new Map(matching[0]!.rows.map((row) => [code(row[0]!), row[1]]));
    for (const [name, value] of defaults) expect(documented.get(name), name).toBe(`\`${value}\``);
  });

  it('describes every option', () => {
    for (const row of matching[0]!.rows) expect(row[2], row[0]).toMatch(/\w{3}/);
  });
});

/** Every option of `startClusterTopology()`, in the order of the interface (checked as above). */
const CLUSTER_OPTIONS = {
  masters: true,
  replicasPerMaster: true,
  nodeTimeoutMs: true,
  requireFullCoverage: true,
  password: true,
  username: true,
  readyTimeoutMs: true,
  backend: true,
  redisServer: true,
  image: true,
} as const satisfies Record<keyof ClusterTopologyOptions, true>;

describe('the cluster options table of docs/testing.md', () => {
  const markdown = read('../../../docs/testing.md');
  const header = ['Cluster option', 'Default', 'Description'];
  const matching = tables(markdown).filter((t) => t.header.join('|') === header.join('|'));
  const source = read('../src/cluster-options.ts');
  const body = /export interface ClusterTopologyOptions \{([\s\S]*?)\n\}/.exec(source)?.[1] ?? '';
  const declared = [...body.matchAll(/\/\*\*([\s\S]*?)\*\/\s*(\w+)\?:/g)].map(([, doc, name]) => ({
    name: name!,
    literal: /@default\s+(\d+|'[^']*'|true|false)\s*(?:\*\/|\n|$)/.exec(doc!)?.[1],
  }));

  it('lists exactly the keys of ClusterTopologyOptions, in the order src/cluster-options.ts declares them', () => {
    expect(matching).toHaveLength(1);
    expect(declared.map((d) => d.name)).toEqual(Object.keys(CLUSTER_OPTIONS));
    expect(matching[0]!.rows.map((row) => code(row[0]!))).toEqual(Object.keys(CLUSTER_OPTIONS));
  });

  it('gives the literal defaults of the JSDoc and describes every option', () => {
    const documented = new Map(matching[0]!.rows.map((row) => [code(row[0]!), row]));
    const literals = declared.filter((d) => d.literal !== undefined);
    expect(literals.map((d) => d.name)).toEqual(
      expect.arrayContaining(['masters', 'nodeTimeoutMs', 'requireFullCoverage']),
    );
    for (const { name, literal } of literals) {
      expect(documented.get(name)?.[1], name).toBe(`\`${literal}\``);
    }
    for (const row of documented.values()) expect(row[2], row[0]).toMatch(/\w{3}/);
  });
});
