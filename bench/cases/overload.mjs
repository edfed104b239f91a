// Overload control. permit_adaptive_ns: one adaptive permit (AdaptiveLimiter tryAcquire + release, which reads
// the clock twice and feeds the limit's window) next to permit_fixed_ns, the fixed permit (PermitPool
// tryAcquire + release), in the same run. Then the real-overload experiment of scripts/overload/scenario.mjs: a
// service process with 10 slots of 100 ms (capacity 100 calls/s) driven from a load-generator process at 3x
// its capacity, behind the adaptive limit on its defaults and behind static limits 2x too high (20) and 2x too
// low (5): overload_goodput_ratio_3x (successes per second over the capacity), overload_p99_ratio_3x (p99 of
// admitted calls over the unloaded p99, at 0.5x), overload_static_high_goodput_ratio_3x,
// overload_static_low_goodput_ratio_3x, critical_success_3x (20 % critical, 80 % sheddable at 3x), plus
// overload_static_high_p99_ratio_3x and overload_reconverge_ms (capacity halved at run time: until the limit
// is within 2x the new slots). Timer-based service time, so the capacity holds on a loaded machine; a CPU-bound
// service's capacity would be whatever the machine's other work leaves, so it is not measured here.
import { report } from './_measure.mjs';
import { runOverload } from '../../scripts/overload/scenario.mjs';

const { AdaptiveLimiter } = await import('../../dist/esm/overload/adaptive-limiter.js');
const { adaptiveConcurrencySchema } = await import('../../dist/esm/overload/config.js');
const { PermitPool } = await import('../../dist/esm/limits/permit-pool.js');
const { hotPathClock } = await import('../../dist/esm/internal/time.js');

/** Best-of-rounds ns per synchronous call. */
function syncNs(fn, { iterations = 2_000_000, rounds = 5, warmup = 500_000 } = {}) {
  for (let i = 0; i < warmup; i++) fn();
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) fn();
    best = Math.min(best, Number(process.hrtime.bigint() - start) / iterations);
  }
  return Math.round(best * 10) / 10;
}

const adaptive = new AdaptiveLimiter('bench', adaptiveConcurrencySchema.parse({}), hotPathClock);
const fixed = new PermitPool({ size: 1000, queueSize: 1000, timeoutMs: 0, refuse: () => new Error('full') });
const permit_adaptive_ns = syncNs(() => adaptive.tryAcquire('critical').release('success'));
const permit_fixed_ns = syncNs(() => fixed.tryAcquire().release());

const r = await runOverload({ slots: 10, serviceMs: 100, adaptive: {} });
const round = (n) => (Number.isFinite(n) ? Math.round(n * 1000) / 1000 : null);
report({
  permit_adaptive_ns,
  permit_fixed_ns,
  overload_goodput_ratio_3x: round(r.goodputRatio3x),
  overload_p99_ratio_3x: round(r.p99Ratio3x),
  overload_static_high_goodput_ratio_3x: round(r.staticHigh.goodputRatio),
  overload_static_low_goodput_ratio_3x: round(r.staticLow.goodputRatio),
  overload_static_high_p99_ratio_3x: round(r.staticHigh.p99Ratio),
  critical_success_3x: round(r.criticalSuccess3x),
  overload_reconverge_ms: r.halving.convergedMs,
});
