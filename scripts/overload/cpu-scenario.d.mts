/** Figures of the requests of one window of the CPU-bound scenario. */
export interface CpuPhase {
  readonly sent: number;
  readonly ok: number;
  readonly refused: number;
  readonly failed: number;
  readonly refusedShare: number;
  /** 200s answered within 250 ms, per second, over the capacity. */
  readonly goodput: number;
  /** p99 latency of the 200s, in ms (null when none). */
  readonly p99Ms: number | null;
  readonly criticalSent: number;
  readonly criticalOk: number;
}

/** Everything `runCpuPhases` measures for one configuration. */
export interface CpuRun {
  readonly control: 'off' | 'on' | 'edge';
  readonly capacity: number;
  readonly phases: Readonly<Record<string, CpuPhase>>;
  readonly mixed: CpuPhase;
  readonly criticalSuccess3x: number | null;
  /** From the step 3x -> 0.5x until every later 500 ms window refuses under 1 % (null: never). */
  readonly recoveryMs: number | null;
  /** The last 3 s after the step. */
  readonly afterStep: CpuPhase;
  readonly status: unknown;
}

/** Shape of the CPU-bound requests. */
export interface CpuShape {
  readonly chunkMs: number;
  readonly chunks: number;
}

/** Closed-loop capacity (200s per second) of the server with no overload control. */
export function measureCapacity(shape: CpuShape, options?: { concurrency?: number; durationMs?: number }): Promise<number>;

/** One configuration through 1x to 5x, the 20 % critical mix at 3x, and the step back to 0.5x. */
export function runCpuPhases(
  options: CpuShape & {
    control: 'off' | 'on' | 'edge';
    capacity: number;
    phaseMs?: number;
    warmupMs?: number;
    multiples?: readonly number[];
  },
): Promise<CpuRun>;

/** One phase under `hey` against a fresh server. */
export function heyPhase(options: CpuShape & { control: 'off' | 'on' | 'edge'; capacity: number; multiple?: number }): Promise<CpuPhase>;

/** Server CPU µs per served and per refused request. */
export function measureCosts(
  options: CpuShape & { capacity: number; control?: 'on' | 'edge'; durationMs?: number },
): Promise<{ servedUs: number; refusedUs: number; refusedStatuses: number[] }>;
