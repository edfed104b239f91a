// The preload for ES-module applications, as this repository runs it:
// `node --import ./instrumentation/register.mjs app.mjs`. The code is src/register/ (TypeScript), built to
// dist/ by `npm run build`; this file only loads the ES-module build.
import { existsSync } from 'node:fs';
import * as nodeModule from 'node:module';

const built = new URL('../dist/esm/register/index.js', import.meta.url);
if (!existsSync(built)) {
  process.stderr.write('[@llmkg/production] start-up stopped: the package is not built (no dist/esm); run `npm run build` first\n');
  process.exit(1);
}
// Node 22.1+: V8's code cache on disk for the build and what it loads (a no-op on Node 20; see src/register/index.ts).
nodeModule.enableCompileCache?.();
// A dynamic import, so the check above runs before the module is looked for.
const preload = await import(built.href);

/** The process-wide ProductionSystem the preload created. */
export const getProductionSystem = preload.getProductionSystem;
/** Makes `engine` the one behind the system's engine health check and status. */
export const attachEngine = preload.attachEngine;
/** Resolves with the admin server's bound address once it listens. */
export const adminAddress = preload.adminAddress;
/** Export attempts that failed since start. */
export const exportFailures = preload.exportFailures;
