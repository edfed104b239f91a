import { randomBytes } from 'node:crypto';
import { statfs, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HealthCheck, HealthCheckResult } from '../result.js';

/** What the storage check looks at. */
export interface StorageCheckOptions {
  /** Directory whose file system is checked. */
  path: string;
  /** Free bytes below which the storage is Critical. */
  minFreeBytes: number;
  /** Free bytes below which it is Warning; default twice `minFreeBytes`. */
  warnFreeBytes?: number;
}

/**
 * Storage space and access (the seed's `check_storage_health`): free space of `path`'s file system from
 * `fs.statfs` (bytes available to this user), and a probe file written and removed to prove it is writable
 * (a read-only remount passes `access(W_OK)` but fails this). Reported as `storage:free` in bytes.
 */
export async function checkStorageHealth(options: StorageCheckOptions, signal?: AbortSignal): Promise<HealthCheckResult> {
  const stats = await statfs(options.path);
  const free = stats.bavail * stats.bsize;
  const total = stats.blocks * stats.bsize;
  const probe = join(options.path, `.health-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await writeFile(probe, 'ok', { flag: 'wx', ...(signal ? { signal } : {}) });
  } catch (error) {
    throw new Error(`storage ${options.path} is not writable: ${(error as Error).message}`, { cause: error });
  }
  await unlink(probe).catch(() => undefined);
  const warnBelow = options.warnFreeBytes ?? options.minFreeBytes * 2;
  const status = free < options.minFreeBytes ? 'critical' : free < warnBelow ? 'warning' : 'healthy';
  return {
    status,
    measurement: 'free',
    componentType: 'system',
    observedValue: free,
    observedUnit: 'bytes',
    ...(status === 'healthy' ? {} : { output: `${free} bytes free on ${options.path} (minimum ${options.minFreeBytes})` }),
    details: { path: options.path, freeBytes: free, totalBytes: total, writable: true },
  };
}

/** A {@link HealthCheck} of storage, for `registerComponent`. */
export function createStorageCheck(options: StorageCheckOptions): HealthCheck {
  return (signal) => checkStorageHealth(options, signal);
}
