import { InvalidConfigError } from '../errors.js';
import { AwaitedTimers } from '../internal/awaited-timers.js';
import { backgroundTimers, systemClock, type Clock } from '../internal/time.js';
import { parseSection } from '../internal/validation.js';
import type { OperationLogger } from '../pipeline.js';
import { ComponentHealth, type ComponentHealthSnapshot, type HealthTransition } from './component.js';
import {
  componentSettingsSchema,
  healthCheckConfigSchema,
  type ComponentCheckConfig,
  type ComponentCheckConfigInput,
  type HealthCheckConfig,
  type HealthCheckConfigInput,
} from './config.js';
import { aggregateStatus, isServing, summarise, type SystemHealthReport } from './report.js';
import type { ComponentStatusSnapshot, HealthStatusSnapshot } from './snapshot.js';
import type { CheckOutcome, HealthCheck } from './result.js';
import { runCheck } from './runner.js';
import { type HealthStatus } from './status.js';
import { HealthTelemetry } from './telemetry.js';
import { guarded, reportInternalError } from '../telemetry/internal-errors.js';

/** Options of {@link HealthCheckSystem}. */
export interface HealthCheckSystemOptions {
  /** Where status transitions are logged (the monitoring component); else straight to the OTel logs API. */
  logger?: OperationLogger;
  /** Wall time for result times and staleness, monotonic time for check durations; default the system clock. */
  clock?: Clock;
  /** Extra "shutting down" source, e.g. the shutdown manager's gate; readiness is withdrawn while it is true. */
  isShuttingDown?: () => boolean;
  /** Most components that may be registered. Default 256. */
  maxComponents?: number;
}

/** Component names double as metric attributes and IETF keys (`name:measurement`), so no colons or spaces. */
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.\-/]{0,127}$/;

interface Slot {
  readonly component: ComponentHealth;
  inFlight: Promise<CheckOutcome> | undefined;
  registered: boolean;
}

/**
 * The health-check system (the seed's `HealthCheckSystem`): a registry of components, each probed on its
 * interval by an `unref()`ed background runner (never overlapping itself), thresholds that turn failures
 * into Warning then Critical, and reports the probe endpoints answer from without running checks again.
 */
export class HealthCheckSystem {
  /** The validated configuration. */
  readonly config: HealthCheckConfig;
  private readonly components = new Map<string, Slot>();
  /** Background runner timers, one per component. */
  private readonly checkRunners = new Map<string, NodeJS.Timeout>();
  private readonly telemetry: HealthTelemetry;
  private readonly clock: Clock;
  private readonly stop = new AbortController();
  /** Check timeouts: they keep the process alive only while a caller awaits a run. */
  private readonly timers = new AwaitedTimers();
  private readonly externalShuttingDown: (() => boolean) | undefined;
  private readonly maxComponents: number;
  private readonly componentSchema: ReturnType<typeof componentSettingsSchema>;
  private started = false;
  private notReadyReason: string | undefined;

  constructor(config: HealthCheckConfigInput = {}, options: HealthCheckSystemOptions = {}) {
    this.config = parseSection(healthCheckConfigSchema, config, 'healthChecks');
    this.componentSchema = componentSettingsSchema(this.config.maxResultAgeMs);
    this.clock = options.clock ?? systemClock;
    this.externalShuttingDown = options.isShuttingDown;
    this.maxComponents = options.maxComponents ?? 256;
    this.telemetry = new HealthTelemetry({ componentStatuses: () => this.componentStatuses() }, options.logger);
  }

  /**
   * Adds a component. `config` overrides `healthChecks.components[name]`, which overrides `healthChecks.defaults`.
   * Essential components decide readiness and can make the whole system Critical. Throws INVALID_CONFIG for
   * a bad or duplicate name, bad settings, or past `maxComponents`.
   */
  registerComponent(name: string, check: HealthCheck, config: ComponentCheckConfigInput = {}, isEssential = true): ComponentHealth {
    if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
      throw new InvalidConfigError('name', `component name must match ${NAME_PATTERN} (got ${JSON.stringify(name)})`);
    }
    if (typeof check !== 'function')
      throw new InvalidConfigError(`healthChecks.components.${name}`, 'check must be a function (signal) => Promise<result>');
    if (this.components.has(name))
      throw new InvalidConfigError(`healthChecks.components.${name}`, 'a component with this name is already registered');
    if (this.components.size >= this.maxComponents)
      throw new InvalidConfigError('healthChecks.components', `at most ${this.maxComponents} components may be registered`);
    const settings = this.componentConfig(name, config);
    const slot: Slot = {
      component: new ComponentHealth(name, check, settings, isEssential !== false),
      inFlight: undefined,
      registered: true,
    };
    this.components.set(name, slot);
    if (this.started && !this.stop.signal.aborted) this.schedule(slot, 0);
    return slot.component;
  }

  /** Removes a component, stops its runner and calls its check's `close()`. False when there was none. */
  unregisterComponent(name: string): boolean {
    const slot = this.components.get(name);
    if (!slot) return false;
    slot.registered = false;
    this.components.delete(name);
    this.cancelRunner(name);
    slot.component.check.close?.();
    return true;
  }

  /** The tracking of one component, or undefined. */
  getComponent(name: string): ComponentHealth | undefined {
    return this.components.get(name)?.component;
  }

  /** Names of every registered component. */
  componentNames(): string[] {
    return [...this.components.keys()];
  }

  /**
   * Runs one component's check now (joining a run already in flight rather than starting a second one) and
   * returns the component's state after it. Throws INVALID_CONFIG for an unknown name.
   */
  async checkComponentHealth(name: string): Promise<ComponentHealthSnapshot> {
    const slot = this.components.get(name);
    if (!slot) throw new InvalidConfigError('component', `no health component named ${JSON.stringify(name)}`);
    await this.timers.hold(this.run(slot));
    return slot.component.snapshot(this.clock.wall(), this.config.maxResultAgeMs);
  }

  /**
   * Runs every check concurrently (each at most once at a time) and returns the report. While it is
   * awaited, the checks' timeout timers keep the process alive, so a hung check ends as a timeout in the
   * report instead of the script ending before it.
   */
  async performFullHealthCheck(): Promise<SystemHealthReport> {
    await this.timers.hold(Promise.all([...this.components.values()].map((slot) => this.run(slot))));
    return this.getHealthReport();
  }

  /** The report from the results held now; runs no check (what the probe endpoints use). */
  getHealthReport(): SystemHealthReport {
    const now = this.clock.wall();
    const maxAge = this.config.maxResultAgeMs;
    const components: Record<string, ComponentHealthSnapshot> = {};
    const essentialFailures: string[] = [];
    for (const [name, { component }] of this.components) {
      const snapshot = component.snapshot(now, maxAge);
      components[name] = snapshot;
      if (snapshot.essential && !isServing(snapshot.status)) essentialFailures.push(name);
    }
    const list = Object.values(components);
    const shuttingDown = this.isShuttingDown();
    return {
      status: aggregateStatus(list),
      ready: !shuttingDown && essentialFailures.length === 0,
      shuttingDown,
      timestamp: new Date(now).toISOString(),
      components,
      summary: summarise(list),
      essentialFailures,
    };
  }

  /** Overall status from the held results. */
  getOverallStatus(): HealthStatus {
    return aggregateStatus(this.componentStatusList());
  }

  /**
   * Readiness from the held results: not shutting down, and every essential component not in `exclude` has a
   * fresh Healthy or Warning result.
   */
  isReady(exclude?: ReadonlySet<string>): boolean {
    if (this.isShuttingDown()) return false;
    const now = this.clock.wall();
    for (const [name, { component }] of this.components) {
      if (!component.isEssential || exclude?.has(name)) continue;
      if (!isServing(component.effectiveStatus(now, this.config.maxResultAgeMs))) return false;
    }
    return true;
  }

  /** Withdraws readiness (the first step of a graceful shutdown); checks keep running. */
  setNotReady(reason = 'shutting down'): void {
    this.notReadyReason = reason;
  }

  /** Gives readiness back after {@link setNotReady} (e.g. a cancelled drain). */
  setReady(): void {
    this.notReadyReason = undefined;
  }

  /** True after `setNotReady()`, `shutdown()`, or while the injected shutdown source says so. */
  isShuttingDown(): boolean {
    return this.notReadyReason !== undefined || this.stop.signal.aborted || (this.externalShuttingDown?.() ?? false);
  }

  /** Plain-JSON status of every component (the seed's `get_health_status`). */
  getHealthStatus(): HealthStatusSnapshot {
    const report = this.getHealthReport();
    const components: Record<string, ComponentStatusSnapshot> = {};
    for (const [name, c] of Object.entries(report.components)) {
      components[name] = {
        status: c.status,
        essential: c.essential,
        stale: c.stale,
        consecutiveFailures: c.consecutiveFailures,
        totalChecks: c.totalChecks,
        totalFailures: c.totalFailures,
        avgResponseTimeMs: Math.round(c.avgResponseTimeMs * 1000) / 1000,
        lastError: c.lastError ?? null,
        lastSuccess: c.lastSuccessTime === undefined ? null : new Date(c.lastSuccessTime).toISOString(),
        lastCheck: c.lastCheckTime === undefined ? null : new Date(c.lastCheckTime).toISOString(),
      };
    }
    return {
      status: report.status,
      ready: report.ready,
      shuttingDown: report.shuttingDown,
      notReadyReason: this.notReadyReason ?? null,
      running: this.started && !this.stop.signal.aborted,
      summary: report.summary,
      components,
    };
  }

  /** Starts the background runners: each component now, then every `intervalMs` after its run ends. */
  start(): void {
    if (this.started || this.stop.signal.aborted || !this.config.enabled) return;
    this.started = true;
    for (const slot of this.components.values()) this.schedule(slot, 0);
  }

  /** Stops the runners, aborts checks in flight, closes checks and detaches the metrics. Idempotent. */
  async shutdown(): Promise<void> {
    if (this.stop.signal.aborted) return;
    this.stop.abort(new Error('health checks stopped'));
    for (const name of [...this.checkRunners.keys()]) this.cancelRunner(name);
    const inFlight = [...this.components.values()].flatMap((slot) => slot.inFlight ?? []);
    await Promise.all(inFlight);
    for (const slot of this.components.values()) slot.component.check.close?.();
    this.telemetry.close();
  }

  private run(slot: Slot): Promise<CheckOutcome | undefined> {
    if (slot.inFlight) return slot.inFlight;
    if (this.stop.signal.aborted) return Promise.resolve(undefined);
    const run = runCheck(slot.component, this.telemetry, this.clock, this.stop.signal, this.timers).then((outcome) => {
      slot.inFlight = undefined;
      if (slot.registered && !this.stop.signal.aborted) {
        const change = slot.component.record(outcome);
        if (change) this.logTransition(change);
      }
      return outcome;
    });
    slot.inFlight = run;
    return run;
  }

  private logTransition(change: HealthTransition): void {
    try {
      this.telemetry.transition(change);
    } catch {
      // A throwing user logger must not break the runner (its promise chain has no other catch).
    }
  }

  private schedule(slot: Slot, delayMs: number): void {
    const name = slot.component.name;
    this.cancelRunner(name);
    // Background work nobody awaits: the runner's timer never keeps the process alive.
    const timer = backgroundTimers.setTimeout(
      guarded('health_runner', () => {
        this.checkRunners.delete(name);
        const next = () => {
          if (slot.registered && !this.stop.signal.aborted) this.schedule(slot, slot.component.config.intervalMs);
        };
        // A failed run is reported and the runner goes on: a component must not stop being probed.
        this.run(slot).then(next, (error: unknown) => {
          reportInternalError('health_runner', error);
          next();
        });
      }),
      delayMs,
    );
    this.checkRunners.set(name, timer);
  }

  private cancelRunner(name: string): void {
    const timer = this.checkRunners.get(name);
    backgroundTimers.clearTimeout(timer);
    this.checkRunners.delete(name);
  }

  private componentConfig(name: string, config: ComponentCheckConfigInput): ComponentCheckConfig {
    const path = `healthChecks.components.${name}`;
    if (typeof config !== 'object' || config === null) throw new InvalidConfigError(path, 'config must be an object');
    const merged = { ...this.config.defaults, ...this.config.components[name], ...config };
    return parseSection(this.componentSchema, merged, path);
  }

  private *componentStatuses(): Iterable<readonly [ComponentHealth, HealthStatus]> {
    const now = this.clock.wall();
    for (const { component } of this.components.values())
      yield [component, component.effectiveStatus(now, this.config.maxResultAgeMs)] as const;
  }

  private *componentStatusList(): Iterable<{ status: HealthStatus; essential: boolean }> {
    for (const [component, status] of this.componentStatuses()) yield { status, essential: component.isEssential };
  }
}
