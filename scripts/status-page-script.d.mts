/** The status page script's own tsconfig (DOM types, no Node). */
export const PAGE_TSCONFIG: string;

/** The compiled page script and the CSP source of its SHA-256 hash. */
export interface CompiledStatusPageScript {
  readonly script: string;
  /** `'sha256-…'`, as it stands in `script-src`. */
  readonly hash: string;
}

/** Compiles src/http/status-page/charts.ts and page.ts (or `source` alone) into one classic inline script; throws on what cannot be inlined. */
export function compileStatusPageScript(source?: string): CompiledStatusPageScript;

/** `code` with the script and hash in place of their placeholder literals; throws unless each is there once. */
export function inlineStatusPageScript(code: string, file: string, compiled?: CompiledStatusPageScript): string;
