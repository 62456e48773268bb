import { describe, expect, it } from 'vitest';
import { bucketCounts, readTimelineSvg, renderTimelineSvg } from '../src/timeline.js';

describe('bucketCounts', () => {
  it('counts each event in the slice it falls in, relative to the origin', () => {
    const origin = 1_000_000;
    const times = [origin - 100, origin - 51, origin - 50, origin, origin + 49, origin + 50];
    expect(bucketCounts(times, origin, -100, 100, 50)).toEqual([2, 1, 2, 1]);
  });

  it('leaves out events before the first or after the last slice', () => {
    expect(bucketCounts([-1, 0, 99, 100, 250], 0, 0, 100, 50)).toEqual([1, 1]);
  });
});

describe('renderTimelineSvg', () => {
  const origin = 5_000;
  // 10 operations per 50 ms before the fault, nothing for 300 ms, 3 failures, then back.
  const ok = [
    ...Array.from({ length: 40 }, (_, i) => origin - 200 + i * 5),
    ...Array.from({ length: 40 }, (_, i) => origin + 300 + i * 5),
  ];
  const failed = [origin + 10, origin + 20, origin + 260];
  const svg = renderTimelineSvg(
    [
      {
        label: 'client <a> & "b"',
        origin,
        ok,
        failed,
        markers: [
          { at: origin, label: 'kill', kind: 'fault' },
          { at: origin + 290, label: '+switch-master', kind: 'switch' },
        ],
      },
      { label: 'idle', origin, ok: [] },
    ],
    { title: 'kill the master', counting: 'acknowledged writes', fromMs: -200, toMs: 500 },
  );

  it('is one SVG document whose panels hold the counts drawn', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    const [first, second] = readTimelineSvg(svg);
    expect(first).toEqual({
      label: 'client <a> & "b"',
      bucketMs: 50,
      fromMs: -200,
      ok: [10, 10, 10, 10, 0, 0, 0, 0, 0, 0, 10, 10, 10, 10],
      failed: [0, 0, 0, 0, 2, 0, 0, 0, 0, 1, 0, 0, 0, 0],
      lost: new Array(14).fill(0),
    });
    expect(second?.ok).toEqual(new Array(14).fill(0));
  });

  it('escapes text and marks each moment at its time', () => {
    expect(svg).not.toContain('<a>');
    expect(svg).toContain('client &#60;a&#62; &#38; &#34;b&#34;');
    expect(
      [...svg.matchAll(/data-kind="(\w+)" data-ms="(-?\d+)"/g)].map((m) => [m[1], m[2]]),
    ).toEqual([
      ['fault', '0'],
      ['switch', '290'],
    ]);
  });

  it('cuts a burst at four times the typical slice and labels it, so the steady flow shows', () => {
    const burst = renderTimelineSvg(
      [
        {
          label: 'held writes answered at once',
          origin: 0,
          ok: [...Array.from({ length: 20 }, (_, i) => i * 5), ...new Array(500).fill(150)],
          lost: [60, 61, 62],
        },
      ],
      { title: 't', counting: 'writes', fromMs: 0, toMs: 200 },
    );
    const [panel] = readTimelineSvg(burst);
    expect(panel).toMatchObject({ ok: [10, 10, 0, 500], lost: [0, 3, 0, 0] });
    expect(burst).toContain('scale 0–40');
    expect(burst).toMatch(/>500<\/text>/);
  });

  it('puts the labels of neighbouring cut slices on separate lines', () => {
    const svg2 = renderTimelineSvg(
      [
        {
          label: 'two bursts side by side',
          origin: 0,
          ok: [
            ...Array.from({ length: 40 }, (_, i) => i * 5),
            ...new Array(524).fill(210),
            ...new Array(216).fill(260),
          ],
        },
      ],
      { title: 't', counting: 'writes', fromMs: 0, toMs: 6000 },
    );
    const labels = [...svg2.matchAll(/<text x="([\d.]+)" y="([\d.]+)"[^>]*>(524|216)<\/text>/g)];
    expect(labels.map((m) => m[3])).toEqual(['524', '216']);
    expect(Number(labels[1]![2]) - Number(labels[0]![2])).toBe(13);
  });

  it('needs nothing from outside: no script, no link, no external reference', () => {
    expect(svg).not.toMatch(/<script|href=|url\(/);
  });
});
