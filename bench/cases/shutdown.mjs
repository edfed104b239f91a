// Shutdown gate cost on the hot path: ns per trackActiveRequest() + release(), per isShuttingDown(), and, as a
// baseline, the same counter behind the generic closure guard (createGuard).
// Keys: track_release_ns, track_dispose_ns, is_shutting_down_ns, create_guard_baseline_ns.
import { report } from './_measure.mjs';

const { GracefulShutdownManager } = await import('../../dist/esm/entries/shutdown.js');
const { createGuard } = await import('../../dist/esm/entries/testing.js');

/** Best-of-rounds mean ns of a synchronous `fn`, after warm-up. */
function nsPerSyncCall(fn, { iterations = 2_000_000, rounds = 7, warmup = 500_000 } = {}) {
  for (let i = 0; i < warmup; i++) fn();
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) fn();
    const ns = Number(process.hrtime.bigint() - start) / iterations;
    if (ns < best) best = ns;
  }
  return Math.round(best * 100) / 100;
}

const manager = new GracefulShutdownManager({});
let sink = 0;
const trackRelease = nsPerSyncCall(() => {
  const guard = manager.trackActiveRequest();
  guard.release();
});
const trackDispose = nsPerSyncCall(() => {
  const guard = manager.trackActiveRequest();
  guard[Symbol.dispose]();
});
const isShuttingDown = nsPerSyncCall(() => {
  if (manager.isShuttingDown()) sink++;
});
let active = 0;
const baseline = nsPerSyncCall(() => {
  active++;
  createGuard(() => active--).release();
});
if (manager.getShutdownProgress().activeRequests !== 0 || active !== 0 || sink !== 0) throw new Error('guards leaked');
manager.dispose();
report({
  track_release_ns: trackRelease,
  track_dispose_ns: trackDispose,
  is_shutting_down_ns: isShuttingDown,
  create_guard_baseline_ns: baseline,
});
