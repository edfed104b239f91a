import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { CircuitOpenError } from '../../src/errors.js';
import { CircuitBreaker } from '../../src/recovery/breaker.js';
import { circuitBreakerConfigSchema } from '../../src/recovery/config.js';
import { isOperationFailure } from '../../src/recovery/operation.js';
import { SharedCircuitBreaker } from '../../src/shared-breaker/breaker.js';
import type { SharedStateStore } from '../../src/shared-breaker/store.js';
import { connectAdmin, startRedisServer } from '../limits/support/redis-server.js';
import { manualClock, type ManualClock } from '../support/clock.js';
import { eventually, freePort, type ChildHandle } from '../support/helpers.js';

// The shared state machine on a real redis-server, driven by a manual clock: every replica's wall clock is
// the clock the script sees, and rounds run when the test calls publish() (the interval timer is faked).
let server: ChildHandle;
let port: number;
let admin: Redis;
let client: Redis;
let store: SharedStateStore;
let clock: ManualClock;
const breakers: SharedCircuitBreaker[] = [];
let keyCounter = 0;
let key: string;

beforeAll(async () => {
  port = await freePort();
  server = await startRedisServer(port);
  admin = await connectAdmin(port);
  client = new Redis({ port, host: '127.0.0.1', enableOfflineQueue: false, maxRetriesPerRequest: 0 });
  client.on('error', () => undefined);
  await eventually(() => client.status === 'ready', { what: 'client ready', timeoutMs: 10_000 });
  store = { type: 'redis', client, keyPrefix: 'test:', timeoutMs: 2000 };
}, 30_000);
afterAll(async () => {
  client?.disconnect();
  admin?.disconnect();
  await server?.stop();
});
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
  clock = manualClock(1_800_000_000_000);
  key = `op:test-${keyCounter++}`;
});
afterEach(() => {
  for (const b of breakers.splice(0)) b.stop();
  vi.useRealTimers();
});

async function replica(id: string, settings: Record<string, unknown> = {}): Promise<SharedCircuitBreaker> {
  const config = circuitBreakerConfigSchema.parse({
    shared: true,
    failureThreshold: 5,
    recoveryTimeoutMs: 10_000,
    publishIntervalMs: 50,
    ...settings,
  });
  const local = new CircuitBreaker('checkout', config, isOperationFailure);
  const breaker = new SharedCircuitBreaker(local, key, { store, clock, replicaId: id });
  breakers.push(breaker);
  await breaker.publish();
  return breaker;
}

const fail = (): Promise<never> => Promise.reject(new Error('dependency down'));

/** One call through the breaker as OperationRecovery makes it: closed calls report their outcome themselves. */
async function call(b: SharedCircuitBreaker, fn: () => Promise<unknown>): Promise<string> {
  try {
    if (b.isClosed()) {
      try {
        await fn();
        b.recordClosedSuccess();
      } catch (error) {
        await b.recordClosedFailure(error);
        throw error;
      }
    } else await b.execute(fn);
    return 'ok';
  } catch (error) {
    return error instanceof CircuitOpenError ? 'open' : 'failed';
  }
}

async function publishAll(list: SharedCircuitBreaker[]): Promise<void> {
  for (const b of list) await b.publish();
}

describe('shared breaker state machine (real redis-server, manual clock)', () => {
  it('opens after failureThreshold failures over every replica, not per replica, and every replica refuses after its next round', async () => {
    const all = [await replica('r1'), await replica('r2'), await replica('r3')];
    expect(all.map((b) => b.status().replicas)).toEqual([1, 2, 3]);
    // Two failures each: six over the cluster, but no replica alone reached five.
    for (const b of all) for (let i = 0; i < 2; i++) expect(await call(b, fail)).toBe('failed');
    expect(all.every((b) => b.status().localState === 'closed')).toBe(true);
    await all[0]!.publish();
    await all[1]!.publish();
    expect(all[1]!.status()).toMatchObject({ sharedState: 'closed', failures: 4 });
    await all[2]!.publish();
    expect(all[2]!.status()).toMatchObject({ sharedState: 'open', mode: 'shared' });
    expect(all.map((b) => b.state)).toEqual(['closed', 'closed', 'open']);
    await all[0]!.publish();
    await all[1]!.publish();
    for (const b of all) {
      expect(b.state).toBe('open');
      await expect(b.execute(() => Promise.resolve('never'))).rejects.toMatchObject({ code: 'CIRCUIT_OPEN', retryAfterMs: 10_000 });
    }
  });

  it('a success anywhere resets the consecutive count', async () => {
    const [a, b] = [await replica('r1'), await replica('r2')];
    for (let i = 0; i < 4; i++) await call(a, fail);
    await a.publish();
    expect(a.status()).toMatchObject({ sharedState: 'closed', failures: 4 });
    await call(b, () => Promise.resolve());
    await b.publish();
    expect(b.status().failures).toBe(0);
    await call(a, fail);
    await a.publish();
    expect(a.state).toBe('closed');
  });

  it('half-open: exactly one replica holds the trial lease; the others refuse until the trial closes the state', async () => {
    const all = [await replica('r1'), await replica('r2'), await replica('r3')];
    for (let i = 0; i < 5; i++) await call(all[0]!, fail);
    await publishAll(all);
    expect(all.map((b) => b.state)).toEqual(['open', 'open', 'open']);
    clock.now += 10_000;
    const reached: string[] = [];
    const dependency = (id: string) => async () => void reached.push(id);
    // Every replica has callers waiting (refused calls are its demand for the lease).
    for (const b of all) expect(await call(b, dependency('early'))).toBe('open');
    await publishAll(all);
    const holders = all.filter((b) => b.status().holdsLease);
    expect(holders).toHaveLength(1);
    expect(all.map((b) => b.state)).toEqual(['half_open', 'half_open', 'half_open']);
    for (let round = 0; round < 3; round++) {
      const results = await Promise.all(all.map((b, i) => call(b, dependency(`r${i + 1}`))));
      expect(results.filter((r) => r === 'ok')).toHaveLength(round === 0 ? 1 : 0);
    }
    expect(reached).toEqual([holders[0]!.status().leaseHolder!.split('/')[0]]);
    // The trial's success went out at once: the holder is closed, the others on their next round.
    await eventually(() => holders[0]!.state === 'closed', { what: 'trial verdict', timeoutMs: 5000 });
    await publishAll(all);
    expect(all.map((b) => b.state)).toEqual(['closed', 'closed', 'closed']);
    expect(await call(all[2]!, () => Promise.resolve())).toBe('ok');
  });

  it('a failed trial opens the state again for a new recovery period', async () => {
    const [a, b] = [await replica('r1'), await replica('r2')];
    for (let i = 0; i < 5; i++) await call(a, fail);
    await publishAll([a, b]);
    clock.now += 10_000;
    await call(a, fail);
    await a.publish();
    expect(a.status().holdsLease).toBe(true);
    expect(await call(a, fail)).toBe('failed');
    await eventually(() => a.state === 'open', { what: 'trial verdict', timeoutMs: 5000 });
    await b.publish();
    expect(b.state).toBe('open');
    expect(b.retryAfterMs()).toBe(10_000);
    clock.now += 9_999;
    await call(b, fail);
    await b.publish();
    expect(b.state).toBe('open');
  });

  it('a lease whose holder died expires and another replica takes it', async () => {
    const [a, b] = [await replica('r1', { publishIntervalMs: 20 }), await replica('r2', { publishIntervalMs: 20 })];
    for (let i = 0; i < 5; i++) await call(a, fail);
    await publishAll([a, b]);
    clock.now += 10_000;
    await call(a, fail);
    await a.publish();
    expect(a.status().holdsLease).toBe(true);
    a.stop(); // dies holding the lease: it renews no more
    await call(b, fail);
    await b.publish();
    expect(b.status()).toMatchObject({ holdsLease: false, sharedState: 'half_open' });
    // The lease lives 3 intervals plus the reply timeout of real time on the server.
    await eventually(
      async () => {
        await call(b, fail);
        await b.publish();
        return b.status().holdsLease;
      },
      { what: 'the lease to pass to r2', timeoutMs: 10_000, intervalMs: 100 },
    );
  });

  it('failure_rate mode: the rate over every replica’s recent buckets opens it', async () => {
    const settings = { mode: 'failure_rate', failureRateThreshold: 0.5, samplingDurationMs: 10_000, minimumRps: 1 };
    const [a, b] = [await replica('r1', settings), await replica('r2', settings)];
    // a: 6 successes, b: 5 failures: 11 calls (>= 10, the minimum), 45 % failing.
    for (let i = 0; i < 6; i++) await call(a, () => Promise.resolve());
    for (let i = 0; i < 5; i++) await call(b, fail);
    await publishAll([a, b]);
    expect(b.status()).toMatchObject({ sharedState: 'closed', calls: 11, failures: 5 });
    // Ten seconds later those buckets are out of the window: 4 failures in 4 calls is under the minimum.
    clock.now += 10_000;
    for (let i = 0; i < 4; i++) await call(b, fail);
    await b.publish();
    expect(b.status()).toMatchObject({ sharedState: 'closed', calls: 4 });
    for (let i = 0; i < 6; i++) await call(a, fail);
    await a.publish();
    expect(a.status()).toMatchObject({ sharedState: 'open', calls: 10, failures: 10 });
  });

  it('store stopped (SIGSTOP): the round gives up after timeoutMs and the local breaker decides; rejoins after SIGCONT', async () => {
    const a = await replica('r1');
    for (let i = 0; i < 5; i++) await call(a, fail);
    await a.publish();
    expect(a.state).toBe('open');
    server.child.kill('SIGSTOP');
    try {
      await a.publish();
      expect(a.status()).toMatchObject({ mode: 'local', localState: 'open' });
      expect(a.status().lastError).toMatch(/no reply/);
      // More ticks while the call is outstanding send nothing more.
      const before = a.status().publishFailures;
      void a.publish();
      void a.publish();
      expect(a.status().publishFailures).toBe(before);
    } finally {
      server.child.kill('SIGCONT');
    }
    await a.publish();
    expect(a.status()).toMatchObject({ mode: 'shared', sharedState: 'open' });
  });

  it('store back after an outage: the failures the local breaker counted meanwhile do not open the shared state', async () => {
    const own = new Redis({ port, host: '127.0.0.1', lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    own.on('error', () => undefined);
    await own.connect();
    try {
      const config = circuitBreakerConfigSchema.parse({ shared: true, failureThreshold: 5, recoveryTimeoutMs: 600_000 });
      const b = new SharedCircuitBreaker(new CircuitBreaker('checkout', config, isOperationFailure), key, {
        store: { ...store, client: own },
        clock,
        replicaId: 'r1',
      });
      breakers.push(b);
      await b.publish();
      expect(b.status()).toMatchObject({ mode: 'shared', sharedState: 'closed' });
      own.disconnect();
      await eventually(() => own.status === 'end', { what: 'client closed', timeoutMs: 10_000 });
      await b.publish();
      expect(b.status().mode).toBe('local');
      // The dependency fails while the store is away: the local breaker opens on its own count, with no
      // round in between (the store comes back before the next tick).
      for (let i = 0; i < 5; i++) expect(await call(b, fail)).toBe('failed');
      expect(b.status().localState).toBe('open');
      await own.connect();
      await b.publish();
      expect(b.status()).toMatchObject({ mode: 'shared', sharedState: 'closed', failures: 0 });
      expect(await call(b, () => Promise.resolve())).toBe('ok');
    } finally {
      own.disconnect();
    }
  });

  it('before its first reply, and with the store away, the local breaker decides: its own threshold, its own trial', async () => {
    const down: SharedStateStore = {
      ...store,
      client: new Redis({ port: 1, host: '127.0.0.1', lazyConnect: true, enableOfflineQueue: false }),
    };
    const config = circuitBreakerConfigSchema.parse({ shared: true, failureThreshold: 2, recoveryTimeoutMs: 60_000 });
    const breaker = new SharedCircuitBreaker(new CircuitBreaker('checkout', config, isOperationFailure), key, {
      store: down,
      clock,
      replicaId: 'r1',
    });
    breakers.push(breaker);
    await breaker.publish();
    expect(breaker.status()).toMatchObject({
      mode: 'local',
      sharedState: null,
      publishes: 0,
      lastError: expect.stringMatching(/not connected/),
    });
    // The closed-path calls go through execute too (a call that raced a state change).
    await expect(breaker.execute(fail)).rejects.toThrow('dependency down');
    expect(await call(breaker, fail)).toBe('failed');
    expect(breaker.state).toBe('open');
    expect(breaker.retryAfterMs()).toBeGreaterThan(59_000);
    await expect(breaker.execute(() => Promise.resolve(1))).rejects.toMatchObject({ code: 'CIRCUIT_OPEN' });
    expect(breaker.snapshot().probation).toBe(0);
  });

  it('shared and closed: execute runs and counts the call; isolate holds the local breaker open', async () => {
    const a = await replica('r1');
    expect(a.status().mode).toBe('shared');
    await expect(a.execute(() => Promise.resolve('value'))).resolves.toBe('value');
    await expect(a.execute(fail)).rejects.toThrow('dependency down');
    await a.publish();
    expect(a.status()).toMatchObject({ failures: 1, sharedState: 'closed' });
    expect(a.retryAfterMs()).toBe(0);
    const held = a.isolate();
    expect(a.status().localState).toBe('open');
    held[Symbol.dispose]();
    expect(a.status().localState).toBe('closed');
  });

  it('a reply that is not the script’s counts as a store failure', async () => {
    const { parseReply } = await import('../../src/shared-breaker/store.js');
    expect(() => parseReply('OK')).toThrow(/unexpected reply/);
    expect(() => parseReply(['sideways', 0, '', 1, 0, 0, 0])).toThrow(/unexpected state/);
    expect(() => parseReply(['open', -1, '', 1, 0, 0, 0])).toThrow(/unexpected number/);
    expect(parseReply(['open', 5, 'r1/op', 2, 3, 3, 0])).toEqual({
      state: 'open',
      retryAfterMs: 5,
      leaseHolder: 'r1/op',
      replicas: 2,
      calls: 3,
      failures: 3,
    });
  });
});

describe('SharedBreakerHub', () => {
  it('tracks the shared breakers it made until each stops, and stops them all', async () => {
    const { SharedBreakerHub } = await import('../../src/shared-breaker/hub.js');
    const hub = new SharedBreakerHub(store, { clock, metrics: false, replicaId: 'hub-test' });
    const config = circuitBreakerConfigSchema.parse({ shared: true });
    const a = hub.share(new CircuitBreaker('a', config, isOperationFailure), 'op:a');
    hub.share(new CircuitBreaker('b', config, isOperationFailure), 'op:b');
    expect(hub.status().map((s) => s.key)).toEqual(['op:a', 'op:b']);
    a.stop();
    expect(hub.status().map((s) => s.key)).toEqual(['op:b']);
    hub.stop();
    expect(hub.status()).toEqual([]);
    expect(hub.replicaId).toBe('hub-test');
  });
});
