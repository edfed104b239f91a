import { availableParallelism } from 'node:os';

/**
 * Shortest interval a CPU figure is computed over. `process.cpuUsage()` and the clock tick at different
 * granularities, so a ratio over a few milliseconds can read several hundred percent; a sample taken sooner
 * than this after the previous one keeps the previous figure.
 */
export const MIN_CPU_WINDOW_MS = 50;

/** CPUs this process may use (cgroup- and affinity-aware); at least 1. */
export function availableCores(): number {
  return Math.max(1, availableParallelism());
}

/**
 * CPU use as a share of all the cores available to the process, 0 to 100 %: `cpuMicros` of CPU time
 * (user + system) spent over `elapsedMs` of wall time on `cores` cores. One core fully busy on a 4-core
 * machine is 25 %. Clamped, so a clock or counter glitch never reads above 100 % or below 0.
 */
export function cpuPercentOfAllCores(cpuMicros: number, elapsedMs: number, cores: number): number {
  if (!(elapsedMs > 0) || !(cores > 0) || !Number.isFinite(cpuMicros)) return 0;
  const percent = (cpuMicros / 1000 / elapsedMs / cores) * 100;
  return Math.min(100, Math.max(0, percent));
}
