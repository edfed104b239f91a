import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileCheckpointStore, GracefulShutdownManager, type ShutdownCheckpoint } from '../../src/shutdown/index.js';
import { distEntry, eventually, memoryLogger, requireBuild, spawnProcess } from '../support/helpers.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'llmkg-checkpoints-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function checkpoint(component: string, state: unknown, at = Date.now()): ShutdownCheckpoint {
  return { version: 1, component, timestamp: new Date(at).toISOString(), timestampMs: at, state };
}

describe('FileCheckpointStore', () => {
  it('round-trips a checkpoint and replaces it with the newer one', async () => {
    const store = new FileCheckpointStore(join(dir, 'nested'));
    expect(await store.loadLatest('limits')).toBeUndefined();
    await store.save(checkpoint('limits', { tokens: 3 }, 1000));
    await store.save(checkpoint('limits', { tokens: 7 }, 2000));
    const loaded = await store.loadLatest('limits');
    expect(loaded).toEqual(checkpoint('limits', { tokens: 7 }, 2000));
    expect(await readdir(join(dir, 'nested'))).toEqual(['limits.checkpoint.json']);
    const raw = JSON.parse(await readFile(store.pathFor('limits'), 'utf8')) as Record<string, unknown>;
    expect(raw.timestamp).toBe(new Date(2000).toISOString());
  });

  it('keeps the previous checkpoint intact when the process dies between write and rename', async () => {
    const store = new FileCheckpointStore(dir);
    await store.save(checkpoint('breakers', { open: ['a'] }, 1000));
    const crashing = new FileCheckpointStore(dir, {
      fs: {
        rename: async () => {
          throw Object.assign(new Error('simulated crash before rename'), { code: 'EIO' });
        },
      },
    });
    await expect(crashing.save(checkpoint('breakers', { open: ['b', 'c'] }, 2000))).rejects.toThrow('simulated crash');
    expect((await store.loadLatest('breakers'))?.state).toEqual({ open: ['a'] });
    // The failed save cleaned up its temp file.
    expect(await readdir(dir)).toEqual(['breakers.checkpoint.json']);
  });

  it('ignores a temp file a real crash left behind', async () => {
    const store = new FileCheckpointStore(dir);
    await store.save(checkpoint('breakers', { v: 1 }));
    await writeFile(join(dir, '.breakers.checkpoint.json.123.abcd.tmp'), '{"version":1,"comp');
    expect((await store.loadLatest('breakers'))?.state).toEqual({ v: 1 });
  });

  it('writes nothing when the state cannot be serialised', async () => {
    const store = new FileCheckpointStore(dir);
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    await expect(store.save(checkpoint('bad', circular))).rejects.toThrow(TypeError);
    expect(await readdir(dir)).toEqual([]);
  });

  it('maps any component name to one file inside the directory', async () => {
    const store = new FileCheckpointStore(dir);
    await store.save(checkpoint('../escape/me', 1));
    expect(await readdir(dir)).toEqual(['..%2Fescape%2Fme.checkpoint.json']);
    expect((await store.loadLatest('../escape/me'))?.state).toBe(1);
  });

  it('refuses a corrupt file with a message naming it', async () => {
    const store = new FileCheckpointStore(dir);
    await writeFile(store.pathFor('x'), 'not json');
    await expect(store.loadLatest('x')).rejects.toThrow(/x\.checkpoint\.json is not valid JSON/);
    await writeFile(store.pathFor('x'), JSON.stringify({ version: 1, component: 'y', timestamp: 't', timestampMs: 1, state: 1 }));
    await expect(store.loadLatest('x')).rejects.toThrow(/not a checkpoint of x/);
  });
});

describe('checkpoints through the manager', () => {
  it('saves handler state at SaveState and reads it back in a new manager', async () => {
    const first = new GracefulShutdownManager({ checkpointDir: dir, preStopDelayMs: 0 });
    first.registerHandler('limits', { saveState: () => ({ buckets: { alice: 4 } }) });
    first.registerHandler('stateless', { saveState: () => undefined });
    const report = await first.initiateShutdown();
    expect(report.checkpointsSaved).toBe(1);
    expect(report.checkpoints).toEqual([{ component: 'limits', timestamp: expect.any(String), persisted: true }]);
    expect(first.getCheckpoints().map((c) => c.component)).toEqual(['limits']);

    const next = new GracefulShutdownManager({ checkpointDir: dir });
    const loaded = await next.loadLatestCheckpoint<{ buckets: Record<string, number> }>('limits');
    expect(loaded?.state.buckets.alice).toBe(4);
    expect(loaded?.timestamp).toBe(report.checkpoints[0]!.timestamp);
    expect(await next.loadLatestCheckpoint('stateless')).toBeUndefined();
  });

  it('reports a failed checkpoint write as a failed handler and keeps going', async () => {
    const logger = memoryLogger();
    const store = { save: async () => Promise.reject(new Error('read-only file system')), loadLatest: async () => undefined };
    const manager = new GracefulShutdownManager({ preStopDelayMs: 0 }, { checkpointStore: store, logger });
    manager.registerHandler('limits', { saveState: () => ({ a: 1 }) });
    let cleaned = false;
    manager.registerHandler('cleanup', { cleanup: () => void (cleaned = true) });
    const report = await manager.initiateShutdown();
    expect(report.handlers.find((h) => h.name === 'limits')).toMatchObject({ outcome: 'failed', error: 'read-only file system' });
    expect(report.checkpointsSaved).toBe(0);
    expect(cleaned).toBe(true);
  });

  it('keeps state in memory only when no directory is configured, and neither the log nor the report says it was saved', async () => {
    // Issue 21, finding 5: without PRODUCTION_CHECKPOINT_DIR the last shutdown record said checkpoints_saved: 2.
    const logger = memoryLogger();
    const manager = new GracefulShutdownManager({ preStopDelayMs: 0 }, { logger });
    manager.registerHandler('limits', { saveState: async () => ({ a: 1 }) });
    const report = await manager.initiateShutdown();
    expect(report.checkpoints).toEqual([{ component: 'limits', timestamp: expect.any(String), persisted: false }]);
    expect(report.checkpointsSaved).toBe(0);
    expect(await manager.loadLatestCheckpoint('limits')).toBeUndefined();
    const last = logger.records.find((r) => r.message.startsWith('Shutdown complete'))!;
    expect(last.metadata).toMatchObject({ checkpoints_saved: 0, checkpoints: 'not saved (no checkpoint directory or store configured)' });
  });

  it('logs and returns undefined for an unreadable checkpoint at start-up', async () => {
    await writeFile(join(dir, 'limits.checkpoint.json'), '{broken');
    const logger = memoryLogger();
    const manager = new GracefulShutdownManager({ checkpointDir: dir }, { logger });
    expect(await manager.loadLatestCheckpoint('limits')).toBeUndefined();
    expect(logger.records.some((r) => r.level === 'error' && r.operation === 'load_checkpoint')).toBe(true);
  });
});

describe('temp files of a checkpoint cut short by a kill', () => {
  // Regression (issue 11, finding 8): a kill during a checkpoint left a temp file that was never removed.
  it('are removed at the next start (child process killed mid-save)', async () => {
    const previous = new FileCheckpointStore(dir);
    await previous.save(checkpoint('graph', { entities: 1 }, 1000));
    const script = `
      import { FileCheckpointStore } from ${JSON.stringify(distEntry('shutdown'))};
      // The rename never comes: the process is killed between writing the temp file and renaming it.
      const store = new FileCheckpointStore(process.env.DIR, { fs: { rename: () => new Promise(() => {}) } });
      setInterval(() => {}, 1000);
      void store.save({ version: 1, component: 'graph', timestamp: new Date().toISOString(), timestampMs: Date.now(), state: { entities: 2 } });
    `;
    requireBuild('dist/esm/index.js');
    const child = spawnProcess(process.execPath, ['--input-type=module', '-e', script], { env: { PATH: process.env.PATH, DIR: dir } });
    const temps = async () => (await readdir(dir)).filter((n) => n.endsWith('.tmp'));
    await eventually(async () => (await temps()).length > 0, { what: 'the temp file of the save', details: child.output });
    await child.stop('SIGKILL');
    expect(await temps()).toHaveLength(1);
    expect((await temps())[0]).toContain(`.${child.child.pid}.`);

    const manager = new GracefulShutdownManager({ checkpointDir: dir });
    expect((await manager.loadLatestCheckpoint('graph'))?.state).toEqual({ entities: 1 });
    expect(await readdir(dir)).toEqual(['graph.checkpoint.json']);
    manager.dispose();
  });

  it("leave a live process's temp file alone, but not one older than ten minutes", async () => {
    const live = `.a.checkpoint.json.${process.ppid}.0123abcd.tmp`;
    const old = `.b.checkpoint.json.${process.ppid}.4567cdef.tmp`;
    await writeFile(join(dir, live), '{');
    await writeFile(join(dir, old), '{');
    const longAgo = new Date(Date.now() - 11 * 60_000);
    await utimes(join(dir, old), longAgo, longAgo);
    expect(await new FileCheckpointStore(dir).removeStaleTempFiles()).toBe(1);
    expect(await readdir(dir)).toEqual([live]);
  });
});
