// Shared timing loop for the benchmark cases: ns per awaited call, best of several rounds after warm-up.

/**
 * Mean ns per awaited `fn()`, best of `rounds` rounds (the least disturbed by GC and the OS). The number of
 * iterations per round is sized from the warm-up so a round lasts about `roundMs`.
 */
export async function nsPerCall(fn, { rounds = 7, roundMs = 300, warmupMs = 300 } = {}) {
  let iterations = 0;
  const warmStart = process.hrtime.bigint();
  const warmLimit = BigInt(warmupMs) * 1_000_000n;
  while (process.hrtime.bigint() - warmStart < warmLimit) {
    for (let i = 0; i < 1000; i++) await fn();
    iterations += 1000;
  }
  const perRound = Math.max(1000, Math.round((iterations * roundMs) / warmupMs));
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < perRound; i++) await fn();
    const ns = Number(process.hrtime.bigint() - start) / perRound;
    if (ns < best) best = ns;
  }
  return Math.round(best * 10) / 10;
}

/** Prints the case's one JSON object on stdout. */
export function report(values) {
  process.stdout.write(JSON.stringify(values) + '\n');
}
