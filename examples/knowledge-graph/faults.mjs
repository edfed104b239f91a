// Fault injection per operation: an error rate and added latency, so retries, breakers, rate limits and
// alerts can be seen working. Defaults come from FAULT_ERROR_RATE / FAULT_LATENCY_MS (for every route);
// POST /admin/faults changes one route (an operation name such as `graph.search`, or `*`).
import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidConfigError } from '@llmkg/production';

/** The error an injected fault throws: a plain application error, so it is retried and counts for breakers. */
export class InjectedFault extends Error {
  /** @param {string} route */
  constructor(route) {
    super(`injected fault on ${route}`);
    this.name = 'InjectedFault';
  }
}

const MAX_ROUTES = 100;

/** @param {unknown} value @param {string} path @param {number} max */
function rate(value, path, max) {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > max)
    throw new InvalidConfigError(path, `expected a number from 0 to ${max}`);
  return value;
}

/** @param {NodeJS.ProcessEnv} env @param {string} name @param {number} max */
function fromEnv(env, name, max) {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return 0;
  return rate(Number(raw), `env.${name}`, max);
}

export class FaultInjector {
  /**
   * @param {NodeJS.ProcessEnv} [env] @param {() => number} [random]
   * @param {readonly string[]} [known] the operation names faults may be set on (any name when not given)
   */
  constructor(env = process.env, random = Math.random, known = undefined) {
    this.random = random;
    this.known = known;
    /** @type {Map<string, { errorRate: number, latencyMs: number }>} */
    this.routes = new Map();
    const errorRate = fromEnv(env, 'FAULT_ERROR_RATE', 1);
    const latencyMs = fromEnv(env, 'FAULT_LATENCY_MS', 60_000);
    if (errorRate > 0 || latencyMs > 0) this.routes.set('*', { errorRate, latencyMs });
  }

  /**
   * Sets (or with both zero, clears) the faults of one route. Throws INVALID_CONFIG on a bad value.
   * @param {{ route?: unknown, errorRate?: unknown, latencyMs?: unknown }} input
   */
  configure(input) {
    const route = input?.route ?? '*';
    if (typeof route !== 'string' || !/^(\*|[a-z][a-z0-9_.]{0,99})$/.test(route))
      throw new InvalidConfigError('faults.route', 'expected an operation name like graph.search, or *');
    // A typo would be accepted and do nothing: refuse it, naming what exists.
    if (this.known !== undefined && route !== '*' && !this.known.includes(route))
      throw new InvalidConfigError('faults.route', `no route "${route}"; expected one of: *, ${this.known.join(', ')}`);
    const errorRate = rate(input.errorRate ?? 0, 'faults.errorRate', 1);
    const latencyMs = rate(input.latencyMs ?? 0, 'faults.latencyMs', 60_000);
    if (errorRate === 0 && latencyMs === 0) this.routes.delete(route);
    else {
      if (!this.routes.has(route) && this.routes.size >= MAX_ROUTES)
        throw new InvalidConfigError('faults.route', `at most ${MAX_ROUTES} routes have faults`);
      this.routes.set(route, { errorRate, latencyMs });
    }
    return this.list();
  }

  /** Current faults by route. */
  list() {
    return Object.fromEntries(this.routes);
  }

  /**
   * Applies the route's faults inside an operation: waits the added latency (ended by `signal`), then
   * throws {@link InjectedFault} with the error rate's probability.
   * @param {string} route @param {AbortSignal} [signal]
   */
  async apply(route, signal) {
    const fault = this.routes.get(route) ?? this.routes.get('*');
    if (fault === undefined) return;
    if (fault.latencyMs > 0) await sleep(fault.latencyMs, undefined, { signal });
    if (fault.errorRate > 0 && this.random() < fault.errorRate) throw new InjectedFault(route);
  }
}
