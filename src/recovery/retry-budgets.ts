import type { DependenciesConfig, DependencyConfig } from '../dependencies/config.js';
import type { Clock } from '../internal/time.js';
import type { OperationRecoveryConfig } from './config.js';
import { RetryBudget, type RetryBudgetConfig } from './retry-budget.js';
import type { OwnedRetryBudgetStatus, RetryBudgetOwner } from './snapshot.js';

export type { OwnedRetryBudgetStatus, RetryBudgetOwner } from './snapshot.js';

function sameBudget(a: RetryBudgetConfig, b: RetryBudgetConfig): boolean {
  return a.ratio === b.ratio && a.ttlMs === b.ttlMs && a.minRetriesPerSecond === b.minRetriesPerSecond;
}

/**
 * The retry budgets of one recovery manager: one per dependency that declares one (shared by every operation
 * naming it), one per operation with its own. Bounded by the config: dependencies are capped by their
 * schema, operations by `errorRecovery.maxOperations`.
 */
export class RetryBudgets {
  private readonly budgets = new Map<string, { owner: RetryBudgetOwner; budget: RetryBudget }>();
  /** A Map, not the config's object: a name such as `__proto__` is a key like any other. */
  private dependencies: Map<string, DependencyConfig>;

  constructor(
    dependencies: DependenciesConfig,
    private readonly clock: Clock,
  ) {
    this.dependencies = new Map(Object.entries(dependencies));
  }

  /** True when `name` is a declared dependency. */
  declares(name: string): boolean {
    return this.dependencies.has(name);
  }

  /** The declared dependencies' names. */
  declared(): string[] {
    return [...this.dependencies.keys()];
  }

  /**
   * Declares `name` or replaces its settings: its budget keeps its window while the budget's settings stay,
   * and is dropped when they change or the budget is turned off (the next call starts a fresh one).
   */
  configureDependency(name: string, config: DependencyConfig): void {
    this.dependencies.set(name, config);
    const key = `dependency\u0000${name}`;
    const existing = this.budgets.get(key);
    const next = config.retryBudget;
    if (existing !== undefined && (next === undefined || next === false || !sameBudget(existing.budget.config, next)))
      this.budgets.delete(key);
  }

  /** Replaces the dependencies' settings (a reload); budgets of dependencies that no longer declare one are dropped. */
  setDependencies(dependencies: DependenciesConfig): void {
    this.dependencies = new Map(Object.entries(dependencies));
    for (const [key, { owner, budget }] of this.budgets) {
      if (owner === 'dependency' && !this.dependencies.get(budget.dependency)?.retryBudget) this.budgets.delete(key);
    }
  }

  /**
   * The budget an operation's retries draw on: its dependency's when that declares one (`false` there turns
   * budgets off for the dependency), else the operation's own `retryBudget`, else none.
   */
  budgetFor(operationName: string, config: OperationRecoveryConfig): RetryBudget | undefined {
    if (config.dependency !== undefined) {
      const shared = this.dependencies.get(config.dependency)?.retryBudget;
      if (shared === false) return undefined;
      if (shared !== undefined) return this.get('dependency', config.dependency, shared);
    }
    return config.retryBudget ? this.get('operation', operationName, config.retryBudget) : undefined;
  }

  /** Every budget's state. */
  status(): OwnedRetryBudgetStatus[] {
    return [...this.budgets.values()].map(({ owner, budget }) => ({ owner, ...budget.status() }));
  }

  private get(owner: RetryBudgetOwner, name: string, config: RetryBudgetConfig): RetryBudget {
    const key = `${owner}\u0000${name}`;
    const existing = this.budgets.get(key);
    // A budget keeps its window while its settings stay; new settings start a fresh one.
    if (existing !== undefined && sameBudget(existing.budget.config, config)) return existing.budget;
    const budget = new RetryBudget(name, config, this.clock);
    this.budgets.set(key, { owner, budget });
    return budget;
  }
}
