/**
 * Live reload of the configuration file: on a change (fs.watch on its directory, debounced, so an editor's
 * rename-into-place and a Kubernetes ConfigMap's symlink swap are both seen) and on SIGHUP, the file is read,
 * validated and applied at once, or rejected whole. A rejected or deleted file keeps the running configuration.
 */
import { watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import type { Counter } from '@opentelemetry/api';
import type { ProductionConfig } from '../config.js';
import { systemClock, type Clock } from '../internal/time.js';
import { getMeter } from '../telemetry/api.js';
import { METRIC } from '../telemetry/names.js';
import { restartOnlyChanges } from './apply.js';
import { readConfigFile, type ConfigFile } from './file.js';

/** What `getSystemStatus().configFile` shows: the file, what was applied when, and the reloads so far. */
export interface ConfigFileStatus {
  /** Absolute path of the file. */
  readonly path: string;
  /** SHA-256 (hex) of the file's bytes last applied. */
  readonly hash: string;
  /** ISO time the running configuration was applied (the start, or the last applied reload). */
  readonly appliedAt: string;
  /** Whether changes of the file are watched (SIGHUP reloads either way, unless it is a shutdown signal). */
  readonly watching: boolean;
  /** Reloads so far, by outcome (as counted in `production.config.reloads`). */
  readonly reloads: { readonly applied: number; readonly rejected: number };
  /** The last rejected reload, or null. */
  readonly lastRejection: { readonly at: string; readonly hash: string | null; readonly message: string } | null;
}

/** The result of one reload. */
export type ReloadResult =
  | { readonly outcome: 'applied'; readonly hash: string }
  | { readonly outcome: 'unchanged'; readonly hash: string }
  | { readonly outcome: 'rejected'; readonly message: string };

/** What the reloader needs from the system it reloads. */
export interface ReloadTarget {
  /** The configuration in force. */
  readonly config: ProductionConfig;
  /** Resolves the whole configuration over `file` (its own validation included); throws INVALID_CONFIG. */
  resolve(file: ConfigFile): ProductionConfig;
  /** Applies `next` (validated) over the running configuration; throws INVALID_CONFIG before changing anything. */
  apply(next: ProductionConfig): void;
  /** Logs a reload's outcome. */
  log(level: 'info' | 'warn', message: string): void;
}

/** Options of {@link ConfigReloader}. */
export interface ConfigReloaderOptions {
  /** Wall clock of `appliedAt`; default the system clock. */
  readonly clock?: Clock;
  /** Quiet time after the last change event before the file is read (writes come in bursts). Default 100 ms. */
  readonly debounceMs?: number;
}

/** Reloads one configuration file into one system. */
export class ConfigReloader {
  private file: ConfigFile;
  private appliedAt: number;
  private readonly counts = { applied: 0, rejected: 0 };
  private lastRejection: { at: number; hash: string | null; message: string } | null = null;
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private signal: (() => void) | undefined;
  private readonly counter: Counter;
  private readonly clock: Clock;
  private readonly debounceMs: number;

  constructor(
    file: ConfigFile,
    private readonly target: ReloadTarget,
    options: ConfigReloaderOptions = {},
  ) {
    this.file = file;
    this.clock = options.clock ?? systemClock;
    this.appliedAt = this.clock.wall();
    this.debounceMs = options.debounceMs ?? 100;
    this.counter = getMeter().createCounter(METRIC.configReloads, {
      description: 'Reloads of the configuration file, by outcome (applied, or rejected with the running configuration kept)',
      unit: '{reload}',
    });
  }

  /**
   * Reads the file and applies it when its bytes changed. A file that cannot be read (deleted included), is
   * invalid, or changes a setting that needs a restart is rejected whole: the running configuration stays, the
   * rejection is logged once per distinct content and counted. Never throws.
   */
  reload(): ReloadResult {
    let next: ConfigFile | undefined;
    try {
      next = readConfigFile(this.file.path);
      if (next.hash === this.file.hash) return { outcome: 'unchanged', hash: next.hash };
      const config = this.target.resolve(next);
      const fixed = restartOnlyChanges(this.target.config, config);
      if (fixed.length > 0) {
        throw new Error(
          `${fixed.slice(0, 10).join(', ')}${fixed.length > 10 ? ` and ${fixed.length - 10} more` : ''} cannot change at run time (restart to apply)`,
        );
      }
      this.target.apply(config);
      this.file = next;
      this.appliedAt = this.clock.wall();
      this.counts.applied++;
      this.counter.add(1, { outcome: 'applied' });
      this.target.log('info', `Configuration reloaded from ${next.path} (sha256 ${next.hash.slice(0, 12)})`);
      return { outcome: 'applied', hash: next.hash };
    } catch (error) {
      return this.reject(next?.hash ?? null, error);
    }
  }

  /** Watches the file's directory for changes (debounced) and, unless `signalIsShutdown`, reloads on SIGHUP. */
  start(signalIsShutdown: boolean): void {
    if (this.watcher !== undefined || this.signal !== undefined) return;
    try {
      this.watcher = watch(dirname(this.file.path), { persistent: false }, () => this.schedule());
      this.watcher.on('error', (error) => {
        this.target.log('warn', `Stopped watching ${this.file.path}: ${error.message}; SIGHUP still reloads`);
        this.watcher?.close();
        this.watcher = undefined;
      });
    } catch (error) {
      this.target.log('warn', `Cannot watch ${this.file.path}: ${(error as Error).message}; SIGHUP still reloads`);
    }
    if (!signalIsShutdown) {
      this.signal = () => this.schedule();
      process.on('SIGHUP', this.signal);
    }
  }

  /** Stops watching and listening for SIGHUP. Idempotent. */
  close(): void {
    this.watcher?.close();
    this.watcher = undefined;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.signal !== undefined) process.removeListener('SIGHUP', this.signal);
    this.signal = undefined;
  }

  /** The file, its hash, when it was applied, and the reloads so far. */
  status(): ConfigFileStatus {
    const iso = (ms: number): string => new Date(ms).toISOString();
    const last = this.lastRejection;
    return {
      path: this.file.path,
      hash: this.file.hash,
      appliedAt: iso(this.appliedAt),
      watching: this.watcher !== undefined,
      reloads: { ...this.counts },
      lastRejection: last === null ? null : { at: iso(last.at), hash: last.hash, message: last.message },
    };
  }

  private schedule(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.reload();
    }, this.debounceMs);
    this.timer.unref();
  }

  private reject(hash: string | null, error: unknown): ReloadResult {
    const message = error instanceof Error ? error.message : String(error);
    // Counted and logged once per distinct content (null: unreadable), so a watcher firing on a bad file does not flood.
    if (this.lastRejection !== null && this.lastRejection.hash === hash && this.lastRejection.message === message) {
      return { outcome: 'rejected', message };
    }
    this.lastRejection = { at: this.clock.wall(), hash, message };
    this.counts.rejected++;
    this.counter.add(1, { outcome: 'rejected' });
    this.target.log('warn', `Configuration reload rejected, the running configuration is kept: ${message}`);
    return { outcome: 'rejected', message };
  }
}
