'use strict';
// The preload, as this repository runs it: `node --require ./instrumentation app.js`. The code is
// src/register/ (TypeScript), built to dist/ by `npm run build`; this file only loads the CommonJS build.
try {
  require.resolve('../dist/cjs/register/index.js');
} catch {
  process.stderr.write('[@llmkg/production] start-up stopped: the package is not built (no dist/cjs); run `npm run build` first\n');
  process.exit(1);
}
// Node 22.1+: V8's code cache on disk for the build and what it loads (a no-op on Node 20; see src/register/index.ts).
require('node:module').enableCompileCache?.();
module.exports = require('../dist/cjs/register/index.js');
