/**
 * A failover as a picture: what clients got done per time slice around a fault, one panel per
 * client or run, with the fault, Sentinel's `+switch-master` and the thaw marked, so the gap each
 * client leaves is seen at a glance. Pure: times in, a self-contained SVG document out (no
 * script, no font or network dependency), so a test or benchmark can write it next to its figures.
 *
 * The counts drawn are also in each panel's `data-*` attributes, so a test can read the picture
 * back and check it against the run it was drawn from ({@link readTimelineSvg}).
 *
 * @module
 */

/** What a marker stands for; it sets the marker's colour. */
export type TimelineMarkerKind = 'fault' | 'switch' | 'thaw' | 'note';

/** A moment to mark with a vertical line and a label. */
export interface TimelineMarker {
  /** Epoch ms (the same clock as the panel's events). */
  at: number;
  label: string;
  kind: TimelineMarkerKind;
}

/** One row of the picture: a client (or one run of one) and what it got done. */
export interface TimelinePanel {
  /** Shown above the row, e.g. the client's name and its figure for this run. */
  label: string;
  /** Epoch ms drawn as 0 on the time axis (e.g. the fault). */
  origin: number;
  /** Epoch ms at which each operation succeeded. */
  ok: readonly number[];
  /** Epoch ms at which each operation failed (drawn in red below the axis). */
  failed?: readonly number[];
  /**
   * Epoch ms at which an operation succeeded whose effect was lost afterwards (e.g. a write
   * acknowledged by an old master, then gone): drawn in orange below the axis. Not in `ok`.
   */
  lost?: readonly number[];
  markers?: readonly TimelineMarker[];
}

export interface TimelineOptions {
  /** The picture's heading. */
  title: string;
  /** What is counted, for the axis label: e.g. "acknowledged writes". */
  counting: string;
  /** The first and last ms drawn, relative to each panel's origin. */
  fromMs: number;
  toMs: number;
  /** Width of a time slice. Default 50 ms. */
  bucketMs?: number;
  /** The time axis' name. Default "ms from the fault". */
  axisLabel?: string;
  /** Width of the picture in px. Default 960. */
  width?: number;
}

/** A panel as {@link readTimelineSvg} reads it back. */
export interface TimelinePanelData {
  label: string;
  bucketMs: number;
  fromMs: number;
  ok: number[];
  failed: number[];
  lost: number[];
}

const MARKER_COLOURS: Record<TimelineMarkerKind, string> = {
  fault: '#c62828',
  switch: '#6a1b9a',
  thaw: '#ef6c00',
  note: '#546e7a',
};
const OK_COLOUR = '#2e7d32';
const FAILED_COLOUR = '#c62828';
const LOST_COLOUR = '#ef6c00';
/**
 * The count scale stops at this many times the typical (median non-zero) slice, so a burst
 * (held writes all answered at once after a failover) does not flatten the steady flow; a
 * slice above it is drawn to the top and labelled with its count.
 */
const SCALE_CAP = 4;
const PANEL_HEIGHT = 120;
const PANEL_GAP = 46;
const LEFT = 56;
const RIGHT = 16;
const TOP = 58;
const BOTTOM = 44;

/**
 * Counts events per time slice: slice `i` holds the events in
 * `[origin + fromMs + i·bucketMs, origin + fromMs + (i+1)·bucketMs)`; events outside the range
 * are not counted.
 */
export function bucketCounts(
  times: readonly number[],
  origin: number,
  fromMs: number,
  toMs: number,
  bucketMs: number,
): number[] {
  const counts = new Array<number>(Math.max(0, Math.ceil((toMs - fromMs) / bucketMs))).fill(0);
  for (const at of times) {
    const i = Math.floor((at - origin - fromMs) / bucketMs);
    if (i >= 0 && i < counts.length) counts[i] = (counts[i] ?? 0) + 1;
  }
  return counts;
}

const escapeXml = (text: string) => text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

const round = (n: number) => Math.round(n * 10) / 10;

/** A step line through the slices' counts, from the axis and back to it. */
function stepPath(counts: readonly number[], x: (i: number) => number, y: (n: number) => number) {
  const points: string[] = [`M${round(x(0))},${round(y(0))}`];
  counts.forEach((n, i) => {
    points.push(`L${round(x(i))},${round(y(n))}`, `L${round(x(i + 1))},${round(y(n))}`);
  });
  points.push(`L${round(x(counts.length))},${round(y(0))}`, 'Z');
  return points.join('');
}

/** Round tick spacing for a span: about eight ticks. */
function tickStep(spanMs: number): number {
  for (const step of [100, 250, 500, 1000, 2000, 5000, 10_000, 30_000, 60_000]) {
    if (spanMs / step <= 10) return step;
  }
  return 120_000;
}

const fmtTick = (ms: number) => (ms === 0 ? '0' : `${ms > 0 ? '+' : '−'}${Math.abs(ms) / 1000} s`);

/** Draws the panels, one under the other, on one time axis and one count scale. */
export function renderTimelineSvg(
  panels: readonly TimelinePanel[],
  options: TimelineOptions,
): string {
  const bucketMs = options.bucketMs ?? 50;
  const width = options.width ?? 960;
  const { fromMs, toMs } = options;
  const plotWidth = width - LEFT - RIGHT;
  const counted = panels.map((panel) => ({
    panel,
    ok: bucketCounts(panel.ok, panel.origin, fromMs, toMs, bucketMs),
    failed: bucketCounts(panel.failed ?? [], panel.origin, fromMs, toMs, bucketMs),
    lost: bucketCounts(panel.lost ?? [], panel.origin, fromMs, toMs, bucketMs),
  }));
  const slices = counted[0]?.ok.length ?? 0;
  const all = counted.flatMap((c) => [...c.ok, ...c.failed.map((n, i) => n + (c.lost[i] ?? 0))]);
  const nonZero = all.filter((n) => n > 0).sort((a, b) => a - b);
  const typical = nonZero[Math.floor(nonZero.length / 2)] ?? 1;
  const peak = Math.max(1, Math.min(Math.max(0, ...all), typical * SCALE_CAP));
  const height = TOP + panels.length * (PANEL_HEIGHT + PANEL_GAP) + BOTTOM - PANEL_GAP;
  const x = (i: number) => LEFT + (i / Math.max(1, slices)) * plotWidth;
  const xAt = (ms: number) => LEFT + ((ms - fromMs) / (toMs - fromMs)) * plotWidth;
  const step = tickStep(toMs - fromMs);

  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<title>${escapeXml(options.title)}</title>`,
    `<desc>${escapeXml(`${options.counting} per ${bucketMs} ms, one panel per client; failed operations in red below each axis.`)}</desc>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${LEFT}" y="22" font-size="16" font-weight="bold">${escapeXml(options.title)}</text>`,
    `<text x="${LEFT}" y="40" fill="#455a64">${escapeXml(`${options.counting} per ${bucketMs} ms (green); below the axis: failed (red), succeeded but lost (orange); scale 0–${peak}, a taller slice is cut and labelled`)}</text>`,
  ];
  counted.forEach(({ panel, ok, failed, lost }, row) => {
    const top = TOP + row * (PANEL_HEIGHT + PANEL_GAP);
    // Successes above the axis (¾ of the panel), failures below it (¼).
    const axis = top + PANEL_HEIGHT * 0.75;
    const yOk = (n: number) => axis - (Math.min(n, peak) / peak) * (PANEL_HEIGHT * 0.75 - 14);
    const yFailed = (n: number) => axis + (Math.min(n, peak) / peak) * (PANEL_HEIGHT * 0.25);
    const bad = failed.map((n, i) => n + (lost[i] ?? 0));
    out.push(
      `<g class="panel" data-label="${escapeXml(panel.label)}" data-bucket-ms="${bucketMs}" data-from-ms="${fromMs}" data-ok="${ok.join(',')}" data-failed="${failed.join(',')}" data-lost="${lost.join(',')}">`,
      `<text x="${LEFT}" y="${top + 4}" font-weight="bold">${escapeXml(panel.label)}</text>`,
    );
    for (let tick = Math.ceil(fromMs / step) * step; tick <= toMs; tick += step) {
      out.push(
        `<line x1="${round(xAt(tick))}" x2="${round(xAt(tick))}" y1="${top + 12}" y2="${top + PANEL_HEIGHT}" stroke="#eceff1"/>`,
      );
    }
    out.push(
      `<path d="${stepPath(ok, x, yOk)}" fill="${OK_COLOUR}" fill-opacity="0.35" stroke="${OK_COLOUR}" stroke-width="1"/>`,
    );
    if (lost.some((n) => n > 0)) {
      out.push(
        `<path d="${stepPath(bad, x, yFailed)}" fill="${LOST_COLOUR}" fill-opacity="0.5" stroke="${LOST_COLOUR}" stroke-width="1"/>`,
      );
    }
    if (failed.some((n) => n > 0)) {
      out.push(
        `<path d="${stepPath(failed, x, yFailed)}" fill="${FAILED_COLOUR}" fill-opacity="0.5" stroke="${FAILED_COLOUR}" stroke-width="1"/>`,
      );
    }
    // The slices cut by the scale, labelled with their count; a label close to the previous one
    // goes a line lower, so neighbours do not print over each other.
    let lastLabel = Number.NEGATIVE_INFINITY;
    let shift = 0;
    ok.forEach((n, i) => {
      if (n > peak) {
        const lx = round(x(i + 1) + 2);
        shift = lx - lastLabel < 36 ? shift + 13 : 0;
        lastLabel = lx;
        out.push(
          `<text x="${lx}" y="${round(yOk(peak / 2)) + shift}" fill="${OK_COLOUR}">${n}</text>`,
        );
      }
    });
    bad.forEach((n, i) => {
      if (n > peak) {
        out.push(
          `<text x="${round(x(i + 1) + 2)}" y="${round(yFailed(peak))}" fill="${(lost[i] ?? 0) > 0 ? LOST_COLOUR : FAILED_COLOUR}">${n}</text>`,
        );
      }
    });
    out.push(
      `<line x1="${LEFT}" x2="${LEFT + plotWidth}" y1="${axis}" y2="${axis}" stroke="#90a4ae"/>`,
      `<text x="${LEFT - 6}" y="${round(yOk(peak)) + 4}" text-anchor="end" fill="#78909c">${peak}</text>`,
      `<text x="${LEFT - 6}" y="${axis + 4}" text-anchor="end" fill="#78909c">0</text>`,
    );
    // Labels of markers close together go on separate lines, so none hides another.
    const markers = [...(panel.markers ?? [])].sort((a, b) => a.at - b.at);
    let lastX = Number.NEGATIVE_INFINITY;
    let line = 0;
    for (const marker of markers) {
      const ms = marker.at - panel.origin;
      if (ms < fromMs || ms > toMs) continue;
      const mx = round(xAt(ms));
      line = mx - lastX < 110 ? line + 1 : 0;
      lastX = mx;
      const colour = MARKER_COLOURS[marker.kind];
      out.push(
        `<line class="marker" data-kind="${marker.kind}" data-ms="${Math.round(ms)}" x1="${mx}" x2="${mx}" y1="${top + 8}" y2="${top + PANEL_HEIGHT}" stroke="${colour}" stroke-width="1.5" stroke-dasharray="4 3"/>`,
        `<text x="${mx + 4}" y="${top + 22 + line * 13}" fill="${colour}">${escapeXml(marker.label)}</text>`,
      );
    }
    out.push('</g>');
  });
  const axisY = height - BOTTOM + 16;
  for (let tick = Math.ceil(fromMs / step) * step; tick <= toMs; tick += step) {
    out.push(
      `<text x="${round(xAt(tick))}" y="${axisY}" text-anchor="middle" fill="#455a64">${fmtTick(tick)}</text>`,
    );
  }
  out.push(
    `<text x="${LEFT + plotWidth / 2}" y="${axisY + 18}" text-anchor="middle" fill="#455a64">${escapeXml(options.axisLabel ?? 'ms from the fault')}</text>`,
    '</svg>',
    '',
  );
  return out.join('\n');
}

const attribute = (tag: string, name: string): string | undefined => {
  const match = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
  return match?.[1]?.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));
};

const numbers = (list: string | undefined) => (list ? list.split(',').map((n) => Number(n)) : []);

/** Reads back the counts a picture drawn by {@link renderTimelineSvg} shows, panel by panel. */
export function readTimelineSvg(svg: string): TimelinePanelData[] {
  return [...svg.matchAll(/<g class="panel"[^>]*>/g)].map(([tag]) => ({
    label: attribute(tag, 'data-label') ?? '',
    bucketMs: Number(attribute(tag, 'data-bucket-ms')),
    fromMs: Number(attribute(tag, 'data-from-ms')),
    ok: numbers(attribute(tag, 'data-ok')),
    failed: numbers(attribute(tag, 'data-failed')),
    lost: numbers(attribute(tag, 'data-lost')),
  }));
}
