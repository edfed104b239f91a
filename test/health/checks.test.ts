import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkCacheHealth,
  checkDatabaseHealth,
  checkKnowledgeEngineHealth,
  checkMemoryHealth,
  checkStorageHealth,
  registerBuiltInChecks,
} from '../../src/health/index.js';
import { checkErrorRecoveryHealth } from '../../src/health/checks/recovery.js';
import { checkEventLoopHealth } from '../../src/health/checks/event-loop.js';
import { checkRateLimiterStoreHealth } from '../../src/health/checks/rate-limiter-store.js';
import { system } from './helpers.js';

const signal = new AbortController().signal;

describe('engine check', () => {
  it('maps what the engine reports', async () => {
    expect(await checkKnowledgeEngineHealth({})).toEqual({ status: 'healthy', componentType: 'component' });
    const ok = await checkKnowledgeEngineHealth({ healthCheck: () => ({ status: 'ok' }), stats: async () => ({ nodes: 3 }) });
    expect(ok).toMatchObject({ status: 'healthy', details: { health: { status: 'ok' }, stats: { nodes: 3 } } });
    expect(await checkKnowledgeEngineHealth({ healthCheck: () => false })).toMatchObject({ status: 'critical' });
    expect(await checkKnowledgeEngineHealth({ healthCheck: () => ({ healthy: false, error: 'index corrupt' }) })).toMatchObject({
      status: 'critical',
      output: 'index corrupt',
    });
    expect(await checkKnowledgeEngineHealth({ healthCheck: () => ({ status: 'Degraded' }) })).toMatchObject({ status: 'warning' });
    await expect(checkKnowledgeEngineHealth({ healthCheck: () => Promise.reject(new Error('down')) })).rejects.toThrow('down');
  });
});

describe('memory check', () => {
  const gib = 1024 ** 3;
  it('compares the heap with the heap limit and RSS with the configured limit', () => {
    const base = { warningRatio: 0.8, criticalRatio: 0.9, heapLimitBytes: () => gib };
    expect(checkMemoryHealth({ ...base, memoryUsage: () => ({ rss: gib, heapUsed: 0.5 * gib }) })).toMatchObject({
      status: 'healthy',
      observedValue: 50,
      observedUnit: 'percent',
      measurement: 'utilization',
    });
    expect(checkMemoryHealth({ ...base, memoryUsage: () => ({ rss: gib, heapUsed: 0.85 * gib }) }).status).toBe('warning');
    expect(checkMemoryHealth({ ...base, memoryUsage: () => ({ rss: 0, heapUsed: 0.95 * gib }) }).status).toBe('critical');
    const rss = checkMemoryHealth({ ...base, limitBytes: 2 * gib, memoryUsage: () => ({ rss: 1.9 * gib, heapUsed: 0.1 * gib }) });
    expect(rss).toMatchObject({ status: 'critical', observedValue: 95 });
    expect(rss.output).toMatch(/RSS/);
  });
  it('reads the real process by default', () => {
    expect(checkMemoryHealth({ warningRatio: 0.99, criticalRatio: 1 }).status).toBe('healthy');
  });
});

describe('storage check', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'health-storage-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  it('reports free space and proves writability, leaving no probe file', async () => {
    const result = await checkStorageHealth({ path: dir, minFreeBytes: 1 });
    expect(result).toMatchObject({ status: 'healthy', observedUnit: 'bytes', measurement: 'free', details: { writable: true } });
    expect(result.observedValue).toBeGreaterThan(0);
    expect(await readdir(dir)).toEqual([]);
  });
  it('is Critical below the minimum and Warning below twice of it', async () => {
    const free = (await checkStorageHealth({ path: dir, minFreeBytes: 0 })).observedValue as number;
    expect((await checkStorageHealth({ path: dir, minFreeBytes: free * 4 })).status).toBe('critical');
    expect((await checkStorageHealth({ path: dir, minFreeBytes: Math.floor(free * 0.75) })).status).toBe('warning');
  });
  it('fails for a missing or unwritable path', async () => {
    await expect(checkStorageHealth({ path: join(dir, 'missing'), minFreeBytes: 0 })).rejects.toThrow(/ENOENT/);
    // /proc is mounted everywhere Linux runs and refuses new files even for root.
    await expect(checkStorageHealth({ path: '/proc', minFreeBytes: 0 })).rejects.toThrow(/not writable/);
  });
});

describe('event-loop check', () => {
  it('reads p99 from the histogram and resets it', () => {
    let resets = 0;
    const fake = (p99Ms: number) => ({ count: 10, percentile: () => p99Ms * 1e6, max: p99Ms * 1e6, mean: 1e6, reset: () => void resets++ });
    const options = { warningMs: 100, criticalMs: 500 };
    expect(checkEventLoopHealth(fake(5), options)).toMatchObject({ status: 'healthy', observedValue: 5, observedUnit: 'ms' });
    expect(checkEventLoopHealth(fake(150), options).status).toBe('warning');
    expect(checkEventLoopHealth(fake(600), options).status).toBe('critical');
    expect(checkEventLoopHealth({ ...fake(600), count: 0 }, options).status).toBe('healthy');
    expect(resets).toBe(4);
  });
});

describe('recovery, rate limiter store, database and cache checks', () => {
  it('open breakers are Warning', () => {
    expect(checkErrorRecoveryHealth(() => [])).toMatchObject({ status: 'healthy', observedValue: 0 });
    expect(checkErrorRecoveryHealth(() => ['pay', 'ship'])).toMatchObject({
      status: 'warning',
      observedValue: 2,
      output: 'circuit breakers open: pay, ship',
    });
  });
  it('an unreachable store is a failure', async () => {
    expect(await checkRateLimiterStoreHealth(() => ({ healthy: true, type: 'redis', latencyMs: 2 }))).toMatchObject({
      status: 'healthy',
      observedValue: 2,
      measurement: 'responseTime',
    });
    await expect(checkRateLimiterStoreHealth(async () => ({ healthy: false, type: 'redis', error: 'ECONNREFUSED' }))).rejects.toThrow(
      'rate limiter store (redis) unreachable: ECONNREFUSED',
    );
  });
  it('database: ping latency, slow is Warning, a throw fails', async () => {
    let t = 0;
    const now = () => t;
    expect(await checkDatabaseHealth({ ping: async () => void (t += 5), now }, signal)).toMatchObject({
      status: 'healthy',
      observedValue: 5,
      observedUnit: 'ms',
    });
    expect((await checkDatabaseHealth({ ping: async () => void (t += 50), now, slowMs: 10 }, signal)).status).toBe('warning');
    await expect(checkDatabaseHealth({ ping: () => Promise.reject(new Error('refused')) }, signal)).rejects.toThrow('refused');
  });
  it('cache: hit rate below the threshold is Warning once there are enough requests', async () => {
    expect(await checkCacheHealth({ stats: () => ({ hits: 90, misses: 10 }) }, signal)).toMatchObject({
      status: 'healthy',
      observedValue: 90,
      measurement: 'hitRate',
    });
    expect((await checkCacheHealth({ stats: () => ({ hits: 20, misses: 80 }) }, signal)).status).toBe('warning');
    expect((await checkCacheHealth({ stats: () => ({ hits: 2, misses: 8 }) }, signal)).status).toBe('healthy');
    expect((await checkCacheHealth({ stats: () => ({ hitRate: 0.2 }), minHitRate: 0.3 }, signal)).status).toBe('warning');
    await expect(checkCacheHealth({ ping: () => Promise.reject(new Error('no cache')) }, signal)).rejects.toThrow('no cache');
  });
});

describe('registerBuiltInChecks', () => {
  it('registers what applies, with essential flags, and they pass on a healthy process', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'health-builtins-'));
    try {
      const health = system({ storagePath: dir, storageMinFreeBytes: 0 });
      const names = registerBuiltInChecks(health, {
        engine: { healthCheck: () => ({ healthy: true }) },
        openBreakers: () => [],
        rateLimiterStore: () => ({ healthy: true, type: 'memory' }),
      });
      expect(names).toEqual(['engine', 'memory', 'storage', 'event_loop', 'error_recovery', 'rate_limiter_store']);
      expect(health.getComponent('engine')!.isEssential).toBe(true);
      expect(health.getComponent('event_loop')!.isEssential).toBe(false);
      const report = await health.performFullHealthCheck();
      expect(report.summary.critical).toBe(0);
      expect(report.ready).toBe(true);
      await health.shutdown();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
  it('skips storage without a path and everything when disabled', async () => {
    const health = system();
    expect(registerBuiltInChecks(health)).toEqual(['memory', 'event_loop']);
    await health.shutdown();
    const off = system({ enabled: false });
    expect(registerBuiltInChecks(off, { engine: {} })).toEqual([]);
  });
});
