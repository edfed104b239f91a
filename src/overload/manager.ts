import { InvalidConfigError, OverloadedError, type Criticality } from '../errors.js';
import { hotPathClock, type Clock } from '../internal/time.js';
import { parseSection } from '../internal/validation.js';
import type { AdmissionPermit, OperationAdmission, OverloadGate } from '../pipeline.js';
import {
  dependenciesConfigSchema,
  type DependenciesConfig,
  type DependenciesConfigInput,
  type DependencyConfig,
  type ThrottleConfig,
} from '../dependencies/config.js';
import { AdaptiveLimiter } from './adaptive-limiter.js';
import {
  operationOverloadSchema,
  overloadConfigSchema,
  type AdaptiveConcurrencyConfig,
  type OperationOverloadInput,
  type OverloadConfig,
  type OverloadConfigInput,
} from './config.js';
import { countsByClass, criticalityRank } from './criticality.js';
import { OverloadMetrics } from './metrics.js';
import { QueueDelayControl, type LoopLag } from './queue-delay.js';
import { NodeSignals, type SignalProbe, type SignalShedding } from './signals.js';
import { ClientThrottle } from './throttle.js';
import type { OverloadStatus } from './snapshot.js';

export type { OverloadStatus } from './snapshot.js';

/** Options of {@link OverloadManager}. */
export interface OverloadManagerOptions {
  /** Clock of RTTs and throttle windows (monotonic); default the system clock. */
  clock?: Clock;
  /** Source of Node's signals; default this process's. */
  signalProbe?: SignalProbe;
  /** Random source of throttling and queue-delay decisions; default `Math.random`. */
  random?: () => number;
  /** Source of the event loop's lag for the queue-delay control; default a probe timer on this process's loop. */
  loopLag?: LoopLag;
  /** Report metrics through the OTel meter; default true. */
  metrics?: boolean;
}

function sameThrottle(a: ThrottleConfig, b: ThrottleConfig): boolean {
  return a.k === b.k && a.windowMs === b.windowMs && a.buckets === b.buckets && a.accepted === b.accepted;
}

/** Operation name under which shed calls past the operation cap are counted. */
const OTHER = '_other';

const NO_LIMIT: AdmissionPermit = { release: () => undefined };

/** Operation name under which calls refused at the HTTP edge (before any operation ran) are counted. */
export const EDGE_OPERATION = 'http.request';

/**
 * One operation's step-5 admission: the queue delay first (unless an HTTP edge guard decides it), then Node's
 * signals, then its adaptive limit (its own, else the global).
 */
class Admission implements OperationAdmission {
  constructor(
    private readonly operation: string,
    private readonly limiter: AdaptiveLimiter | undefined,
    readonly criticality: Criticality | undefined,
    private readonly manager: OverloadManager,
  ) {}

  tryAcquire(criticality: Criticality): AdmissionPermit | undefined {
    const { queueDelay, signals } = this.manager;
    if (queueDelay !== undefined && !this.manager.edgeAdmission && !queueDelay.admit(criticalityRank(criticality)))
      throw this.manager.shedByQueueDelay(this.operation, criticality);
    if (signals !== undefined && !signals.admit(criticalityRank(criticality)))
      throw this.manager.shedBySignals(this.operation, criticality);
    return this.limiter === undefined ? NO_LIMIT : this.limiter.tryAcquire(criticality);
  }

  acquire(criticality: Criticality, signal?: AbortSignal): Promise<AdmissionPermit> {
    return this.limiter === undefined ? Promise.resolve(NO_LIMIT) : this.limiter.acquire(criticality, signal, this.operation);
  }
}

/**
 * Overload control (steps 5 and 6): adaptive concurrency limits, global and per operation; criticality
 * shedding, also on Node's own signals; and client-side adaptive throttling per named dependency.
 */
/** The settings {@link OverloadManager.reconfigure} compares: the `overload` and `dependencies` sections. */
export interface ReloadableOverload {
  readonly overload: OverloadConfig;
  readonly dependencies: DependenciesConfig;
}

export class OverloadManager implements OverloadGate {
  readonly config: OverloadConfig;
  defaultCriticality: Criticality;
  /** Node's signals, when signal shedding is on. */
  readonly signals: SignalShedding | undefined;
  /** The queue-delay control, when it is on. */
  readonly queueDelay: QueueDelayControl | undefined;
  /** True once an HTTP edge guard takes the queue-delay decision for whole requests (step 5 then leaves it out). */
  edgeAdmission = false;
  private readonly sampler: NodeSignals | undefined;
  private readonly clock: Clock;
  private global: AdaptiveLimiter | undefined;
  private readonly operations = new Map<string, { limiter: AdaptiveLimiter | undefined | false; criticality: Criticality | undefined }>();
  private readonly shed = new Map<string, number[]>();
  private readonly throttles = new Map<string, ClientThrottle>();
  private readonly metrics: OverloadMetrics | undefined;
  private readonly random: OverloadManagerOptions['random'];

  constructor(overload: OverloadConfigInput = {}, dependencies: DependenciesConfigInput = {}, options: OverloadManagerOptions = {}) {
    this.config = parseSection(overloadConfigSchema, overload, 'overload');
    const deps = parseSection(dependenciesConfigSchema, dependencies, 'dependencies');
    this.clock = options.clock ?? hotPathClock;
    this.defaultCriticality = this.config.defaultCriticality;
    this.random = options.random;
    if (this.config.concurrency !== false) this.global = this.limiter('*', this.config.concurrency);
    for (const [name, op] of Object.entries(this.config.operations)) this.configureOperation(name, op);
    for (const [name, dep] of Object.entries(deps)) this.configureDependency(name, dep);
    if (this.config.queueDelay !== false) {
      this.queueDelay = new QueueDelayControl(this.config.queueDelay, options.loopLag, this.clock, options.random);
      this.queueDelay.start();
    }
    if (this.config.signals !== false) {
      this.signals = this.sampler = new NodeSignals(this.config.signals, options.signalProbe, options.random);
      this.sampler.sample();
      this.sampler.start();
    }
    if (options.metrics !== false) {
      this.metrics = new OverloadMetrics({
        limiters: () => this.limiters(),
        shedCounts: () => this.shed,
        throttles: () => this.throttles.values(),
      });
      this.metrics.register();
    }
  }

  /** The operation's admission (signals, then its own or the global limit), or undefined when none applies. */
  admissionFor(operationName: string): OperationAdmission | undefined {
    const own = this.operations.get(operationName);
    const limiter = own?.limiter === false ? undefined : (own?.limiter ?? this.global);
    if (limiter === undefined && this.signals === undefined && this.queueDelay === undefined && own?.criticality === undefined)
      return undefined;
    return new Admission(operationName, limiter, own?.criticality, this);
  }

  /**
   * Sets one operation's adaptive limit (`concurrency`: settings, or false for none, not even the global one)
   * and default class. A new limit starts from its `initialLimit`. INVALID_CONFIG names the bad field.
   */
  configureOperation(operationName: string, input: OperationOverloadInput): void {
    const config = parseSection(operationOverloadSchema, input, `overload.operations.${operationName}`);
    const existing = this.operations.get(operationName);
    if (existing === undefined && this.operations.size >= this.config.maxOperations) {
      throw new InvalidConfigError(
        'operationName',
        `more than overload.maxOperations (${this.config.maxOperations}) configured operations`,
      );
    }
    let limiter = existing?.limiter;
    if (config.concurrency === false) limiter = false;
    else if (config.concurrency !== undefined) {
      if (limiter) limiter.close();
      limiter = this.limiter(operationName, config.concurrency);
    }
    this.operations.set(operationName, { limiter, criticality: config.criticality ?? existing?.criticality });
  }

  /**
   * A configuration reload: the global limit, the default class, the operations and the dependencies' throttles
   * whose settings differ between `previous` and `next` are replaced (a new limit starts from its `initialLimit`,
   * a new throttle with an empty window); the rest keep their state. Node's signals are not reloaded.
   */
  reconfigure(previous: ReloadableOverload, next: ReloadableOverload): void {
    const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
    if (!same(previous.overload.concurrency, next.overload.concurrency)) {
      this.global?.close();
      this.global = next.overload.concurrency === false ? undefined : this.limiter('*', next.overload.concurrency);
    }
    this.defaultCriticality = next.overload.defaultCriticality;
    const names = new Set([...Object.keys(previous.overload.operations), ...Object.keys(next.overload.operations)]);
    for (const name of names) {
      const [before, after] = [previous.overload.operations[name], next.overload.operations[name]];
      if (same(before, after)) continue;
      const existing = this.operations.get(name);
      if (existing?.limiter) existing.limiter.close();
      this.operations.delete(name);
      if (after !== undefined) this.configureOperation(name, after);
    }
    const deps = new Set([...Object.keys(previous.dependencies), ...Object.keys(next.dependencies)]);
    for (const name of deps) {
      const after = next.dependencies[name];
      if (after === undefined) this.throttles.delete(name);
      else this.configureDependency(name, after);
    }
  }

  /**
   * Sets a named dependency's client-side throttle (validated by the caller): a throttle whose settings did not
   * change keeps its window; new settings start a fresh one; none removes it.
   */
  configureDependency(name: string, config: DependencyConfig): void {
    const existing = this.throttles.get(name);
    if (!config.throttle) this.throttles.delete(name);
    else if (existing === undefined || !sameThrottle(existing.config, config.throttle)) {
      this.throttles.set(name, new ClientThrottle(name, config.throttle, this.clock, this.random));
    }
  }

  /** The throttle of a named dependency, or undefined when it has none. */
  throttleFor(dependency: string): ClientThrottle | undefined {
    return this.throttles.get(dependency);
  }

  /**
   * The HTTP edge's admission of one request of class `criticality` (before its body is read or any handler
   * runs): false when the queue-delay control refuses it (counted under the edge operation, `http.request`). True when the
   * control is off. The first call hands the queue-delay decision to the edge: step 5 no longer takes it.
   */
  admitRequest(criticality: Criticality = this.defaultCriticality): boolean {
    const control = this.queueDelay;
    if (control === undefined) return true;
    this.edgeAdmission = true;
    if (control.admit(criticalityRank(criticality))) return true;
    this.countShed(EDGE_OPERATION, criticality);
    return false;
  }

  /** The error for a call shed on the queue delay (counted). */
  shedByQueueDelay(operation: string, criticality: Criticality): OverloadedError {
    this.countShed(operation, criticality);
    return this.queueDelay!.refusalError(operation, criticality);
  }

  /** The error for a call shed on Node's signals (counted). */
  shedBySignals(operation: string, criticality: Criticality): OverloadedError {
    this.countShed(operation, criticality);
    return new OverloadedError(
      operation,
      criticality,
      'signals',
      this.config.signals === false ? 1000 : this.config.signals.sampleIntervalMs,
    );
  }

  /** Plain JSON state for the status page. */
  getOverloadStatus(): OverloadStatus {
    const total = [0, 0, 0, 0];
    for (const counts of this.shed.values()) counts.forEach((n, rank) => (total[rank]! += n));
    return {
      defaultCriticality: this.defaultCriticality,
      limits: [...this.limiters()].map((l) => l.snapshot()),
      shedByClass: countsByClass(total),
      queueDelay: this.queueDelay?.snapshot() ?? null,
      signals: this.signals?.snapshot() ?? null,
      throttles: [...this.throttles.values()].map((t) => t.snapshot()),
    };
  }

  /** Stops sampling and metrics; refuses every waiter. Idempotent. */
  shutdown(): void {
    this.sampler?.stop();
    this.queueDelay?.stop();
    this.metrics?.unregister();
    for (const limiter of this.limiters()) limiter.close();
  }

  private *limiters(): IterableIterator<AdaptiveLimiter> {
    if (this.global !== undefined) yield this.global;
    for (const op of this.operations.values()) if (op.limiter) yield op.limiter;
  }

  private limiter(operation: string, config: AdaptiveConcurrencyConfig): AdaptiveLimiter {
    return new AdaptiveLimiter(operation, config, this.clock, (op, criticality) => this.countShed(op, criticality));
  }

  private countShed(operation: string, criticality: Criticality): void {
    let counts = this.shed.get(operation);
    if (counts === undefined) {
      const key = this.shed.size < this.config.maxOperations ? operation : OTHER;
      counts = this.shed.get(key) ?? [0, 0, 0, 0];
      this.shed.set(key, counts);
    }
    counts[criticalityRank(criticality)]!++;
  }
}
