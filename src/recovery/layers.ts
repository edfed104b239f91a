import type { OperationRecoveryConfig } from './config.js';
import { mergePatch, type OperationPatch } from './patch.js';

type Plain = Record<string, unknown>;

/**
 * Where each operation's settings came from: the configuration file's `operations:` entry and the code's
 * `configureOperation` calls, kept apart so a reload of the file replaces its layer and the code's still wins.
 */
export class OperationLayers {
  private file = new Map<string, OperationPatch>();
  private readonly code = new Map<string, OperationPatch>();

  /** Adds a code patch over the earlier ones of `name`. */
  addCode(name: string, patch: OperationPatch): void {
    const earlier = this.code.get(name);
    this.code.set(name, earlier === undefined ? patch : mergePatch(earlier, patch));
  }

  /** The file's patches with `changes` applied (undefined: the file no longer names it), without keeping them. */
  fileWith(changes: ReadonlyMap<string, OperationPatch | undefined>): Map<string, OperationPatch> {
    const next = new Map(this.file);
    for (const [name, patch] of changes) {
      if (patch === undefined) next.delete(name);
      else next.set(name, patch);
    }
    return next;
  }

  /** Makes `file` (from {@link OperationLayers.fileWith}) the file's patches. */
  replaceFile(file: ReadonlyMap<string, OperationPatch>): void {
    this.file = new Map(file);
  }

  /** Every operation with settings of its own (under `file`, default the current file patches). */
  names(file: ReadonlyMap<string, OperationPatch> = this.file): Set<string> {
    return new Set([...file.keys(), ...this.code.keys()]);
  }

  /** The unvalidated settings of `name`: `defaults`, then the file's patch, then the code's. */
  merged(name: string, defaults: OperationRecoveryConfig, file: ReadonlyMap<string, OperationPatch> = this.file): Plain {
    const own = file.get(name);
    const withFile = own === undefined ? defaults : (mergePatch(defaults, own) as OperationRecoveryConfig);
    const code = this.code.get(name);
    return code === undefined ? { ...withFile } : mergePatch(withFile, code);
  }
}
