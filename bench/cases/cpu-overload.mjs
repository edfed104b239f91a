// Overload when the event loop itself is the bottleneck (scripts/overload/cpu-scenario.mjs): a service whose
// requests burn 1.5 ms of CPU three times with an await of the loop between, its capacity measured first
// (closed loop, cpu_overload_capacity_rps), then open-loop load from another process (scripts/overload/load.mjs)
// at 1x, 2x, 3x and 5x. Goodput is the 200s answered within 250 ms per second over the capacity.
// - `edge`: PRODUCTION_OVERLOAD=on with the node:http edge guard (the recommended set-up): cpu_overload_goodput_<N>x,
//   cpu_overload_p99_ms_3x (p99 of the 200s), cpu_overload_refused_3x (share answered 503),
//   cpu_overload_critical_success_3x (20 % critical, 80 % sheddable at 3x), cpu_overload_recovery_ms (from a step
//   3x -> 0.5x until every later 500 ms window refuses under 1 %).
// - `off`: no overload control, the same phases: cpu_overload_off_goodput_3x, cpu_overload_off_p99_ms_3x.
// - `on`: PRODUCTION_OVERLOAD=on without the edge guard (refusals in step 5): cpu_overload_step5_goodput_3x.
// - hey (Debian's, a generator we did not write; rate-limited workers, open-loop while responses are fast):
//   cpu_overload_hey_goodput_3x, cpu_overload_hey_p99_ms_3x, cpu_overload_hey_refused_3x, and _off_ for no control.
// - refusal_cost_us: server CPU per refused request at the edge (every call refused), beside served_cost_us
//   (a served request at 0.5x) and refusal_cost_step5_us (refused in step 5, a span and an error built).
// The capacity is whatever the machine's other work leaves: on a shared machine, read the figures of one run
// together (they share its capacity measurement).
import { spawnSync } from 'node:child_process';
import { report } from './_measure.mjs';
import { heyPhase, measureCapacity, measureCosts, runCpuPhases } from '../../scripts/overload/cpu-scenario.mjs';

const shape = { chunkMs: 1.5, chunks: 3 };
const round = (n, d = 3) => (typeof n === 'number' && Number.isFinite(n) ? Math.round(n * 10 ** d) / 10 ** d : null);
const capacity = await measureCapacity(shape);
const edge = await runCpuPhases({ control: 'edge', capacity, ...shape });
const off = await runCpuPhases({ control: 'off', capacity, ...shape, multiples: [3] });
const step5 = await runCpuPhases({ control: 'on', capacity, ...shape, multiples: [3] });
const edgeCost = await measureCosts({ ...shape, capacity, control: 'edge' });
const step5Cost = await measureCosts({ ...shape, capacity, control: 'on' });
// hey is a Debian package (.ci/run installs it); without it the hey keys are null.
const hey = spawnSync('hey', ['-h'], { stdio: 'ignore' }).error?.code === 'ENOENT' ? null : {};
if (hey) {
  hey.edge = await heyPhase({ control: 'edge', capacity, ...shape });
  hey.off = await heyPhase({ control: 'off', capacity, ...shape });
}
const phase = (r, x) => r.phases[`${x}x`];
report({
  cpu_overload_capacity_rps: round(capacity, 1),
  cpu_overload_goodput_1x: round(phase(edge, 1).goodput),
  cpu_overload_goodput_2x: round(phase(edge, 2).goodput),
  cpu_overload_goodput_3x: round(phase(edge, 3).goodput),
  cpu_overload_goodput_5x: round(phase(edge, 5).goodput),
  cpu_overload_p99_ms_3x: round(phase(edge, 3).p99Ms, 1),
  cpu_overload_refused_3x: round(phase(edge, 3).refusedShare),
  cpu_overload_critical_success_3x: round(edge.criticalSuccess3x),
  cpu_overload_recovery_ms: edge.recoveryMs,
  cpu_overload_off_goodput_3x: round(phase(off, 3).goodput),
  cpu_overload_off_p99_ms_3x: round(phase(off, 3).p99Ms, 1),
  cpu_overload_step5_goodput_3x: round(phase(step5, 3).goodput),
  cpu_overload_step5_p99_ms_3x: round(phase(step5, 3).p99Ms, 1),
  refusal_cost_us: round(edgeCost.refusedUs, 1),
  served_cost_us: round(edgeCost.servedUs, 1),
  refusal_cost_step5_us: round(step5Cost.refusedUs, 1),
  cpu_overload_hey_goodput_3x: round(hey?.edge.goodput),
  cpu_overload_hey_p99_ms_3x: round(hey?.edge.p99Ms, 1),
  cpu_overload_hey_refused_3x: round(hey?.edge.refusedShare),
  cpu_overload_hey_off_goodput_3x: round(hey?.off.goodput),
  cpu_overload_hey_off_p99_ms_3x: round(hey?.off.p99Ms, 1),
});
