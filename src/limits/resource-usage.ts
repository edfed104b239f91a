import { loopDelaySampler } from '../internal/loop-delay.js';
import { availableCores, cpuPercentOfAllCores, MIN_CPU_WINDOW_MS } from '../internal/cpu.js';
import type { Clock } from '../internal/time.js';
import type { ResourceUsageSnapshot } from './snapshot.js';

export type { ResourceUsageSnapshot } from './snapshot.js';

/** Where samples come from; tests inject their own. */
export interface ResourceProbe {
  /** Memory in bytes by the configured measure. */
  memoryBytes(measure: 'rss' | 'heap'): number;
  /** Process CPU time (user + system) since the process started, in microseconds. */
  cpuMicros(): number;
  /** Time since the process started, in ms: the first CPU figure is the average over it. Default `process.uptime()`. */
  uptimeMs?(): number;
  /** Cores the process may use: CPU is a share of all of them. Default `os.availableParallelism()`. */
  cores?(): number;
  /** Event-loop delay (p99) since the previous call, in ms; NaN when unknown. */
  eventLoopDelayMs(): number;
  /** Stops background measurement. */
  close(): void;
}

/** The process's own numbers: `process.memoryUsage`, `process.cpuUsage`, `monitorEventLoopDelay`. */
export function processProbe(): ResourceProbe {
  const loopDelay = loopDelaySampler(20);
  return {
    memoryBytes: (measure) => (measure === 'rss' ? process.memoryUsage.rss() : process.memoryUsage().heapUsed),
    cpuMicros: () => {
      const usage = process.cpuUsage();
      return usage.user + usage.system;
    },
    uptimeMs: () => process.uptime() * 1000,
    cores: availableCores,
    eventLoopDelayMs: () => loopDelay.p99Ms(),
    close: () => loopDelay.close(),
  };
}

/**
 * Current and peak resource use. Memory, CPU and event-loop delay are sampled on a timer (never per call);
 * operations and connections are the permit pools' live counts, copied in by the manager.
 */
export class ResourceUsage {
  /** Memory in bytes at the last sample (RSS or heap, as configured). */
  memoryBytes = 0;
  /**
   * CPU use of the process as a share of all the cores it may use, 0 to 100 % (one busy core of four is
   * 25 %): over the last sample interval, or, until the first interval has passed, the average since the
   * process started.
   */
  cpuPercent = 0;
  /** Event-loop delay p99 over the last sample interval, in ms. */
  eventLoopDelayMs = 0;
  /** Operation permits held. */
  activeOperations = 0;
  /** Database connections held. */
  databaseConnections = 0;
  /** Highest sampled memory. */
  peakMemoryBytes = 0;
  /** Highest sampled CPU use. */
  peakCpuPercent = 0;
  /** Highest sampled event-loop delay. */
  peakEventLoopDelayMs = 0;
  /** Most operation permits held at once. */
  peakOperations = 0;
  /** Most database connections held at once. */
  peakDatabaseConnections = 0;
  /** Samples taken. */
  samples = 0;
  /** Clock time of the last sample. */
  sampledAt = 0;
  /** Cores CPU use is shared over. */
  readonly cores: number;
  private lastCpuMicros = 0;
  private lastCpuAt: number;

  constructor(
    private readonly probe: ResourceProbe,
    private readonly clock: Clock,
    private readonly measure: 'rss' | 'heap',
  ) {
    this.cores = Math.max(1, probe.cores?.() ?? availableCores());
    // The baseline is the process's start (no CPU spent yet), so the first figure is the average since then
    // rather than a ratio over the few microseconds between construction and the first sample.
    this.lastCpuAt = clock.monotonic() - (probe.uptimeMs?.() ?? process.uptime() * 1000);
  }

  /** Takes one sample of memory, CPU and event-loop delay. */
  sample(): void {
    const now = this.clock.monotonic();
    this.memoryBytes = this.probe.memoryBytes(this.measure);
    if (this.memoryBytes > this.peakMemoryBytes) this.peakMemoryBytes = this.memoryBytes;
    const elapsedMs = now - this.lastCpuAt;
    // A sample right after another keeps the previous figure: over a few ms the counters' granularity alone
    // can make the ratio read several hundred percent.
    if (elapsedMs >= MIN_CPU_WINDOW_MS) {
      const cpu = this.probe.cpuMicros();
      this.cpuPercent = cpuPercentOfAllCores(cpu - this.lastCpuMicros, elapsedMs, this.cores);
      if (this.cpuPercent > this.peakCpuPercent) this.peakCpuPercent = this.cpuPercent;
      this.lastCpuMicros = cpu;
      this.lastCpuAt = now;
    }
    const delay = this.probe.eventLoopDelayMs();
    if (!Number.isNaN(delay)) {
      this.eventLoopDelayMs = delay;
      if (delay > this.peakEventLoopDelayMs) this.peakEventLoopDelayMs = delay;
    }
    this.samples++;
    this.sampledAt = now;
  }

  /** Plain JSON: current and peak values. */
  toJSON(): ResourceUsageSnapshot {
    return {
      memoryBytes: this.memoryBytes,
      peakMemoryBytes: this.peakMemoryBytes,
      cpuPercent: round(this.cpuPercent),
      peakCpuPercent: round(this.peakCpuPercent),
      eventLoopDelayMs: round(this.eventLoopDelayMs),
      peakEventLoopDelayMs: round(this.peakEventLoopDelayMs),
      activeOperations: this.activeOperations,
      peakOperations: this.peakOperations,
      databaseConnections: this.databaseConnections,
      peakDatabaseConnections: this.peakDatabaseConnections,
      samples: this.samples,
    };
  }
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
