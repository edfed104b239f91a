// Shared timing loop for the benchmark cases: ns per awaited call, best of several rounds after warm-up.

/** Mean ns per awaited `fn()` over `iterations`, best of `rounds` (the least disturbed by GC and the OS). */
export async function nsPerCall(fn, { iterations = 200_000, rounds = 5, warmup = 50_000 } = {}) {
  for (let i = 0; i < warmup; i++) await fn();
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) await fn();
    const ns = Number(process.hrtime.bigint() - start) / iterations;
    if (ns < best) best = ns;
  }
  return Math.round(best * 10) / 10;
}

/** Prints the case's one JSON object on stdout. */
export function report(values) {
  process.stdout.write(JSON.stringify(values) + '\n');
}
