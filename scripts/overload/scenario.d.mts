/** Figures of the requests of one window. */
export interface OverloadPhase {
  readonly sent: number;
  readonly ok: number;
  readonly okPerSecond: number;
  readonly shed: number;
  readonly failed: number;
  readonly p99Ms: number;
  readonly criticalSent: number;
  readonly criticalOk: number;
  /** The adaptive limit at the end of the phase. */
  readonly limit?: number;
}

/** A static-limit comparison run. */
export interface StaticRun extends OverloadPhase {
  readonly goodputRatio: number;
  readonly p99Ratio: number;
}

/** Everything `runOverload` measures. */
export interface OverloadResult {
  /** Calls per second the server can serve. */
  readonly capacity: number;
  readonly unloadedP99Ms: number;
  readonly phases: Readonly<Record<string, OverloadPhase>>;
  readonly goodputRatio3x: number;
  readonly p99Ratio3x: number;
  readonly criticalSuccess3x: number;
  readonly mixed: OverloadPhase;
  readonly halving: {
    readonly slots: number;
    readonly convergedMs: number | null;
    readonly timeline: ReadonlyArray<readonly [number, number]>;
    readonly after: OverloadPhase;
  };
  readonly staticHigh: StaticRun;
  readonly staticLow: StaticRun;
}

/** Settings of `runOverload`. */
export interface OverloadOptions {
  readonly slots?: number;
  readonly serviceMs?: number;
  /** The adaptive limit's settings (`overload.operations.work.concurrency`). */
  readonly adaptive?: Record<string, unknown>;
  readonly phaseMs?: number;
  readonly warmupMs?: number;
}

/** Runs every scenario: adaptive at 0.5x to 3x, capacity halving, a critical mix, static limits 2x high and 2x low. */
export function runOverload(options?: OverloadOptions): Promise<OverloadResult>;
