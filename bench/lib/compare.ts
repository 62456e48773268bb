/**
 * Two-sided comparisons (a baseline library against sentinelkit, the same operation, the same
 * run) as the adapter benchmarks make them: rows taking turns round by round, each round either
 * four slices with many in flight or request-by-request turns with one, a markdown table of
 * medians and a verdict against the goal.
 */
import { alternate, measure, type Op } from './measure.js';
import { markdownTable, median, quantile } from './report.js';

/** One row: an operation at one concurrency, on both sides. */
export interface Case {
  operation: string;
  inFlight: number;
  base: Op;
  kit: Op;
  /** Not a sentinelkit operation (the drivers alone, say): shown for scale, never judged. */
  reference?: boolean;
}

/** What the rounds of a row measured. */
export interface Result {
  testCase: Case;
  /** Baseline ops/s of each round. */
  base: number[];
  /** sentinelkit ops/s of each round. */
  kit: number[];
  /** sentinelkit / baseline within each round. */
  ratios: number[];
}

export interface ComparisonSettings {
  rounds: number;
  sliceMs: number;
  warmupMs: number;
  /** Printed before each round's ratios. */
  name: string;
}

/**
 * One round of 4 × `sliceMs`: with many in flight, slices of baseline, sentinelkit, sentinelkit,
 * baseline (mirrored when `mirror`); with one, request-by-request turns. Returns the round's ratio.
 */
async function round(result: Result, mirror: boolean, sliceMs: number): Promise<number> {
  const { base, kit, inFlight } = result.testCase;
  let baseOps = 0;
  let kitOps = 0;
  if (inFlight === 1) {
    [baseOps, kitOps] = await alternate(base, kit, 4 * sliceMs);
  } else {
    for (const op of mirror ? [kit, base, base, kit] : [base, kit, kit, base]) {
      const ops = (await measure(op, inFlight, sliceMs)).opsPerSecond / 2;
      if (op === base) baseOps += ops;
      else kitOps += ops;
    }
  }
  result.base.push(baseOps);
  result.kit.push(kitOps);
  result.ratios.push(kitOps / baseOps);
  return kitOps / baseOps;
}

/** Warms every case up, then runs the rounds, the rows taking turns round by round. */
export async function compare(
  cases: readonly Case[],
  settings: ComparisonSettings,
): Promise<Result[]> {
  console.log(`warm-up: ${settings.warmupMs} ms per variant`);
  for (const c of cases) {
    await measure(c.base, c.inFlight, settings.warmupMs);
    await measure(c.kit, c.inFlight, settings.warmupMs);
  }
  const results: Result[] = cases.map((testCase) => ({ testCase, base: [], kit: [], ratios: [] }));
  for (let i = 0; i < settings.rounds; i++) {
    const ratios: string[] = [];
    for (const result of results) {
      ratios.push(fmtRatio(await round(result, i % 2 === 1, settings.sliceMs)));
    }
    console.log(`${settings.name} round ${i + 1}/${settings.rounds}: ratios ${ratios.join(' ')}`);
  }
  return results;
}

const fmtOps = (n: number) => Math.round(n).toLocaleString('en-US');
const fmtRatio = (n: number) => n.toFixed(2);

/** Whether a row meets `goal` (reference rows always do: they are not judged). */
export function meetsGoal(result: Result, goal: number): boolean {
  return result.testCase.reference === true || median(result.ratios) >= goal;
}

/** The median ratio; with three decimals where two would round a miss up to the goal. */
function fmtMedianRatio(result: Result, goal: number): string {
  const ratio = median(result.ratios);
  return !meetsGoal(result, goal) && Number(ratio.toFixed(2)) >= goal
    ? ratio.toFixed(3)
    : fmtRatio(ratio);
}

/** The results as a markdown table: medians, the median ratio (✗ below `goal`) and its IQR. */
export function resultTable(
  results: readonly Result[],
  columns: { base: string; kit: string },
  goal: number,
): string {
  return markdownTable(
    ['Operation', 'In flight', columns.base, columns.kit, 'Ratio (interquartile range)'],
    results.map((r) => [
      r.testCase.operation,
      String(r.testCase.inFlight),
      fmtOps(median(r.base)),
      fmtOps(median(r.kit)),
      `${fmtMedianRatio(r, goal)}${meetsGoal(r, goal) ? '' : ' ✗'} (${fmtRatio(quantile(r.ratios, 0.25))}–${fmtRatio(quantile(r.ratios, 0.75))})`,
    ]),
  );
}

/** What the run says about the goal, in words, from the figures. */
export function verdict(results: readonly Result[], goal: number): string {
  const below = results.filter((r) => !meetsGoal(r, goal));
  if (below.length === 0) return `Every sentinelkit row meets the goal of ≥ ${goal.toFixed(1)}×.`;
  return `Below the goal of ≥ ${goal.toFixed(1)}× (✗): ${below
    .map((r) => `${r.testCase.operation}, ${r.testCase.inFlight} in flight`)
    .join('; ')}.`;
}
