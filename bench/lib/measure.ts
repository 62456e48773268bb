/** How the benchmarks measure: closed loops with a fixed number of operations in flight. */

/** One operation under test. */
export type Op = () => Promise<unknown>;

/** What one measurement slice saw. */
export interface Slice {
  /** Completed operations per second of wall-clock time. */
  opsPerSecond: number;
  /** This process's CPU time (user + system) per operation, in microseconds. */
  cpuMicros: number;
}

/** Runs `op` in `inFlight` concurrent loops for `ms`. */
export async function measure(op: Op, inFlight: number, ms: number): Promise<Slice> {
  let done = 0;
  const cpu = process.cpuUsage();
  const start = performance.now();
  const end = start + ms;
  const loop = async () => {
    while (performance.now() < end) {
      await op();
      done++;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, loop));
  const elapsed = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { opsPerSecond: done / (elapsed / 1000), cpuMicros: (used.user + used.system) / done };
}

/** Sends `a` and `b` one at a time in turns (a b, b a, …) for `ms`; returns each one's ops/s. */
export async function alternate(a: Op, b: Op, ms: number): Promise<[number, number]> {
  let timeA = 0;
  let timeB = 0;
  let pairs = 0;
  const end = performance.now() + ms;
  const timed = async (op: Op) => {
    const start = performance.now();
    await op();
    return performance.now() - start;
  };
  while (performance.now() < end) {
    if (pairs % 2 === 0) {
      timeA += await timed(a);
      timeB += await timed(b);
    } else {
      timeB += await timed(b);
      timeA += await timed(a);
    }
    pairs++;
  }
  return [pairs / (timeA / 1000), pairs / (timeB / 1000)];
}
