// ESM form of the preload: `node --import ./instrumentation/register.mjs app.mjs`. It loads the CommonJS
// preload, so both forms share one process-wide ProductionSystem whichever way the application asks for it.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const preload = require('./index.js');

/** The process-wide ProductionSystem the preload created. */
export const getProductionSystem = preload.getProductionSystem;
/** Makes `engine` the one behind the system's engine health check and status. */
export const attachEngine = preload.attachEngine;
/** Resolves with the admin server's bound address once it listens. */
export const adminAddress = preload.adminAddress;
/** Export attempts that failed since start. */
export const exportFailures = preload.exportFailures;
