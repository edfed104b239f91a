'use strict';
// The preload, as this repository runs it: `node --require ./instrumentation app.js`. The code is
// src/register/ (TypeScript), built to dist/ by `npm run build`; this file only loads the CommonJS build.
try {
  require.resolve('../dist/cjs/register/index.js');
} catch {
  process.stderr.write('[@llmkg/production] start-up stopped: the package is not built (no dist/cjs); run `npm run build` first\n');
  process.exit(1);
}
module.exports = require('../dist/cjs/register/index.js');
