/** What every benchmark shares: settings from the environment, statistics, and its docs section. */
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';

/** An integer setting from the environment, or `fallback`. */
export function envInt(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`${name} must be a positive integer, got ${JSON.stringify(text)}`);
  }
  return value;
}

/** A comma-separated subset of `all` from the environment (all of them when unset), in `all`'s order. */
export function idList<T extends string>(name: string, all: readonly T[]): T[] {
  const text = process.env[name];
  if (text === undefined || text === '') return [...all];
  const ids = text.split(',').map((s) => s.trim());
  for (const id of ids) {
    if (!(all as readonly string[]).includes(id)) {
      throw new Error(`${name}: unknown value ${JSON.stringify(id)}; use ${all.join(', ')}`);
    }
  }
  return all.filter((id) => ids.includes(id));
}

/** The `q`-quantile (0..1) of `values`, interpolated. */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const low = sorted[Math.floor(at)] ?? Number.NaN;
  const high = sorted[Math.ceil(at)] ?? Number.NaN;
  return low + (high - low) * (at - Math.floor(at));
}

export const median = (values: readonly number[]) => quantile(values, 0.5);

export function markdownTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const width = (s: string) => [...s].length;
  const widths = header.map((h, i) => Math.max(3, width(h), ...rows.map((r) => width(r[i] ?? ''))));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => c + ' '.repeat((widths[i] ?? 0) - width(c))).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** Wraps `text` at `width`, never breaking between '≥'/'≤' and its number. */
export function wrap(text: string, width: number): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/(?<![≥≤])\s+/)) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  return [...lines, line].join('\n');
}

/** Wraps prose paragraphs at `width`; tables, lists, code and comments stay as they are. */
export function reflow(markdown: string, width = 100): string {
  return markdown
    .split('\n\n')
    .map((block) => (/^(\||-|`{3}|<!--)/.test(block) ? block : wrap(block, width)))
    .join('\n\n');
}

/** The machine's CPUs, as `count × model`. */
export function cpuDescription(): string {
  const cpus = os.cpus();
  return `${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}`;
}

/** `redis_version` from the text of `INFO server`. */
export function redisVersion(info: string): string {
  return /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
}

/** What the docs say about the machine a benchmark ran on. */
export interface Machine {
  cpus: string;
  node: string;
  redis: string;
  ioredis: string;
  os: string;
  loadBefore: string;
  loadAfter: string;
}

/** The 1, 5 and 15 minute load averages, as `a / b / c`. */
export function loadAverage(): string {
  return os
    .loadavg()
    .map((n) => n.toFixed(2))
    .join(' / ');
}

/**
 * Replaces the text between `<!-- name:start -->` and `<!-- name:end -->` in a
 * docs page with `body`, or appends it under `heading` the first time.
 */
export async function writeDocsSection(section: {
  path: string;
  startMarker: string;
  endMarker: string;
  script: string;
  command: string;
  heading: string;
  body: string;
}): Promise<void> {
  const { path, startMarker, endMarker } = section;
  const generated = `${startMarker}\n<!-- Written by ${section.script}: rerun \`${section.command}\` rather than edit. -->\n\n${section.body}\n\n${endMarker}`;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    text = '# Benchmarks\n';
  }
  const start = text.indexOf(startMarker);
  const end = text.indexOf(endMarker);
  const next =
    start !== -1 && end > start
      ? text.slice(0, start) + generated + text.slice(end + endMarker.length)
      : `${text.trimEnd()}\n\n## ${section.heading}\n\n${generated}\n`;
  await writeFile(path, next);
}
