/**
 * Applying a reloaded configuration to running components: which settings may change at run time, the list of
 * the ones that may not (named in the rejection), and the change itself, validated before anything changes.
 */
import type { ProductionConfig } from '../config.js';
import { InvalidConfigError } from '../errors.js';
import type { RateLimitingManager } from '../limits/manager.js';
import { DEFAULT_ALERT_RULES } from '../monitoring/alerts/default-rules.js';
import { parseAlertRule, type AlertRule } from '../monitoring/alerts/rule.js';
import type { ProductionMonitor } from '../monitoring/monitor.js';
import type { OverloadManager } from '../overload/manager.js';
import type { ErrorRecoveryManager, OperationPatch } from '../recovery/manager.js';

/**
 * Settings a reload applies (a path or a section). Every other change needs a restart and is named in the
 * rejection: the admin server, the rate-limit store, resource limits, health checks, shutdown, deadlines, ...
 */
export const RELOADABLE_PATHS: readonly string[] = [
  'monitoring.logLevel',
  'monitoring.alertRules',
  'rateLimiting.global',
  'rateLimiting.perOperation',
  'rateLimiting.perUser',
  'errorRecovery.defaults',
  'operations',
  'dependencies',
  'overload.concurrency',
  'overload.operations',
  'overload.defaultCriticality',
];

/** The components a reload changes. */
export interface ReloadableComponents {
  readonly recovery: ErrorRecoveryManager;
  readonly limits: RateLimitingManager;
  readonly overload: OverloadManager;
  readonly monitor: ProductionMonitor;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'function' || typeof b === 'function') return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Dotted paths of the leaves that differ between `a` and `b` (arrays compare whole). */
export function changedPaths(a: unknown, b: unknown, prefix = ''): string[] {
  if (isObject(a) && isObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((key) => changedPaths(a[key], b[key], prefix === '' ? key : `${prefix}.${key}`));
  }
  return same(a, b) ? [] : [prefix || '(root)'];
}

/** The changed paths a reload cannot apply (a restart can), in the order of the config. */
export function restartOnlyChanges(previous: ProductionConfig, next: ProductionConfig): string[] {
  return changedPaths(previous, next).filter(
    (path) => !RELOADABLE_PATHS.some((reloadable) => path === reloadable || path.startsWith(`${reloadable}.`)),
  );
}

function byName(rules: readonly AlertRule[]): Map<string, AlertRule> {
  return new Map(rules.map((rule) => [rule.name, rule]));
}

/**
 * Applies `next` over `previous` to the components. Validates what the schema could not (alert windows against
 * the retention, the operation cap, each operation's merged policies) before changing anything; after that, no
 * step throws. Breakers, limiters, budgets and throttles whose settings did not change keep their state.
 */
export function applyReload(components: ReloadableComponents, previous: ProductionConfig, next: ProductionConfig): void {
  const { recovery, limits, overload, monitor } = components;
  const retention = monitor.config.metricsRetentionMs;
  const before = byName(previous.monitoring.alertRules);
  const after = byName(next.monitoring.alertRules);
  next.monitoring.alertRules.forEach((rule, index) => {
    try {
      parseAlertRule(rule, retention);
    } catch (error) {
      throw new InvalidConfigError(`monitoring.alertRules.${index}`, (error as Error).message);
    }
  });
  // Recovery first: it validates every operation before it changes anything, and is the only step that can refuse.
  const operations = new Map<string, OperationPatch | undefined>();
  const recoveryChanged =
    !same(previous.errorRecovery.defaults, next.errorRecovery.defaults) || !same(previous.dependencies, next.dependencies);
  for (const name of new Set([...Object.keys(previous.operations), ...Object.keys(next.operations)])) {
    const entry = next.operations[name] as OperationPatch | undefined;
    if (recoveryChanged || !same(previous.operations[name], entry)) operations.set(name, entry);
  }
  if (recoveryChanged || operations.size > 0) recovery.reconfigure(next.errorRecovery.defaults, operations, next.dependencies);

  overload.reconfigure(previous, next);
  const rl = [previous.rateLimiting, next.rateLimiting] as const;
  if (!same(rl[0].global, rl[1].global)) limits.configureDefaultRateLimit('global', rl[1].global);
  if (!same(rl[0].perUser, rl[1].perUser)) limits.configureDefaultRateLimit('user', rl[1].perUser);
  for (const name of new Set([...Object.keys(rl[0].perOperation), ...Object.keys(rl[1].perOperation)])) {
    if (!same(rl[0].perOperation[name], rl[1].perOperation[name]))
      limits.configureOperationRateLimit(name, rl[1].perOperation[name] ?? null);
  }

  if (previous.monitoring.logLevel !== next.monitoring.logLevel) monitor.setLogLevel(next.monitoring.logLevel);
  const defaults = next.monitoring.defaultAlertRules
    ? byName(DEFAULT_ALERT_RULES.map((rule) => parseAlertRule(rule)))
    : new Map<string, AlertRule>();
  for (const name of before.keys()) {
    if (after.has(name)) continue;
    // A file rule that had replaced a default gives the default back.
    const fallback = defaults.get(name);
    if (fallback === undefined) monitor.removeAlertRule(name);
    else monitor.addAlertRule(fallback);
  }
  for (const [name, rule] of after) if (!same(before.get(name), rule)) monitor.addAlertRule(rule);
}
