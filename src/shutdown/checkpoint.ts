import { randomBytes } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import { join } from 'node:path';

/** The state one component saved during SaveState, as written to and read from a {@link CheckpointStore}. */
export interface ShutdownCheckpoint<S = unknown> {
  /** Format version of the checkpoint record. */
  readonly version: 1;
  /** The handler (component) that saved it. */
  readonly component: string;
  /** When it was taken, ISO 8601. */
  readonly timestamp: string;
  /** When it was taken, ms since the epoch. */
  readonly timestampMs: number;
  /** The state the handler returned. */
  readonly state: S;
}

/** Where checkpoints go. Implement it to keep them elsewhere (a database, object storage). */
export interface CheckpointStore {
  /** Saves `checkpoint` as the component's latest, all or nothing. */
  save(checkpoint: ShutdownCheckpoint): Promise<void>;
  /** The component's latest checkpoint, or undefined when it has none. */
  loadLatest(component: string): Promise<ShutdownCheckpoint | undefined>;
}

/** The file operations {@link FileCheckpointStore} uses; tests replace some to simulate crashes. */
export interface CheckpointFileSystem {
  /** `fs.promises.mkdir`. */
  mkdir: typeof fsp.mkdir;
  /** `fs.promises.open`. */
  open: typeof fsp.open;
  /** `fs.promises.rename`: the atomic step. */
  rename: typeof fsp.rename;
  /** `fs.promises.unlink`. */
  unlink: typeof fsp.unlink;
  /** `fs.promises.readFile`. */
  readFile: typeof fsp.readFile;
  /** `fs.promises.readdir` (names only): the stale temp file sweep. */
  readdir: (path: string) => Promise<string[]>;
  /** `fs.promises.stat`: the age of a temp file. */
  stat: typeof fsp.stat;
}

const TEMP_SUFFIX = '.tmp';
const FILE_SUFFIX = '.checkpoint.json';
/** `.<file>.<pid>.<8 hex>.tmp`: the temp files this store writes. */
const TEMP_PATTERN = /^\..+\.checkpoint\.json\.(\d+)\.[0-9a-f]{8}\.tmp$/;
/** A temp file this old is stale whoever wrote it: a save takes milliseconds. */
const STALE_TEMP_MS = 10 * 60_000;

/** True when no process `pid` runs (EPERM: one runs that we may not signal). */
function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** File name of a component's checkpoint: URI-encoded so any name maps to one safe file in the directory. */
export function checkpointFileName(component: string): string {
  return encodeURIComponent(component) + FILE_SUFFIX;
}

function isCheckpoint(value: unknown): value is ShutdownCheckpoint {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    v.version === 1 &&
    typeof v.component === 'string' &&
    typeof v.timestamp === 'string' &&
    typeof v.timestampMs === 'number' &&
    'state' in v
  );
}

/**
 * One JSON file per component in a directory, replaced atomically: the record is written to a temp file in
 * the same directory, fsynced, renamed over the old file, and the directory is fsynced. A crash at any point
 * leaves either the previous checkpoint or the new one, never a half-written file (temp files are ignored).
 * The temp files a killed process left behind are removed at the first load or save of a new process.
 */
export class FileCheckpointStore implements CheckpointStore {
  private readonly fs: CheckpointFileSystem;
  private swept: Promise<number> | undefined;

  constructor(
    /** The directory; created on the first save. */
    readonly directory: string,
    options: { fs?: Partial<CheckpointFileSystem> } = {},
  ) {
    this.fs = {
      mkdir: fsp.mkdir,
      open: fsp.open,
      rename: fsp.rename,
      unlink: fsp.unlink,
      readFile: fsp.readFile,
      readdir: (path) => fsp.readdir(path),
      stat: fsp.stat,
      ...options.fs,
    };
  }

  /**
   * Removes the temp files of saves that never finished: written by a process that no longer runs, by an
   * earlier process with this one's pid (a restarted container is pid 1 again), or older than ten minutes.
   * Runs once per store, before its first load or save; resolves how many it removed. Never rejects.
   */
  removeStaleTempFiles(): Promise<number> {
    this.swept ??= this.sweep().catch(() => 0);
    return this.swept;
  }

  /** Path of `component`'s checkpoint file. */
  pathFor(component: string): string {
    return join(this.directory, checkpointFileName(component));
  }

  async save(checkpoint: ShutdownCheckpoint): Promise<void> {
    // Serialise first: a state that cannot be written must fail before any file is touched.
    const body = JSON.stringify(checkpoint);
    await this.removeStaleTempFiles();
    const target = this.pathFor(checkpoint.component);
    const temp = join(
      this.directory,
      `.${checkpointFileName(checkpoint.component)}.${process.pid}.${randomBytes(4).toString('hex')}${TEMP_SUFFIX}`,
    );
    await this.fs.mkdir(this.directory, { recursive: true, mode: 0o700 });
    try {
      const file = await this.fs.open(temp, 'wx', 0o600);
      try {
        await file.writeFile(body, 'utf8');
        await file.sync();
      } finally {
        await file.close();
      }
      await this.fs.rename(temp, target);
    } catch (error) {
      await this.fs.unlink(temp).catch(() => undefined);
      throw error;
    }
    await this.syncDirectory();
  }

  async loadLatest(component: string): Promise<ShutdownCheckpoint | undefined> {
    await this.removeStaleTempFiles();
    const path = this.pathFor(component);
    let text: string;
    try {
      text = await this.fs.readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new Error(`Checkpoint ${path} is not valid JSON`, { cause: error });
    }
    if (!isCheckpoint(parsed) || parsed.component !== component) throw new Error(`Checkpoint ${path} is not a checkpoint of ${component}`);
    return parsed;
  }

  private async sweep(): Promise<number> {
    let names: string[];
    try {
      names = await this.fs.readdir(this.directory);
    } catch {
      return 0; // no directory yet: nothing was ever written
    }
    const startedAt = Date.now() - process.uptime() * 1000;
    let removed = 0;
    for (const name of names) {
      const match = TEMP_PATTERN.exec(name);
      if (match === null) continue;
      const path = join(this.directory, name);
      try {
        const pid = Number(match[1]);
        const { mtimeMs } = await this.fs.stat(path);
        const stale = Date.now() - mtimeMs > STALE_TEMP_MS || (pid === process.pid ? mtimeMs < startedAt : processGone(pid));
        if (!stale) continue;
        await this.fs.unlink(path);
        removed++;
      } catch {
        // Gone already, or not ours to remove: the next start tries again.
      }
    }
    return removed;
  }

  /** Makes the rename durable; some file systems refuse to fsync a directory, which costs only durability. */
  private async syncDirectory(): Promise<void> {
    let dir: fsp.FileHandle | undefined;
    try {
      dir = await this.fs.open(this.directory, 'r');
      await dir.sync();
    } catch {
      // Durability of the directory entry is best effort; the file itself is complete either way.
    } finally {
      await dir?.close().catch(() => undefined);
    }
  }
}
