/**
 * `@llmkg/production/testing`: for tests and components of your own: the clock every component reads (inject a
 * fake one through the components' `clock` option) and the guard that gates hand back.
 * `api/production-testing.api.md` is the report of this surface. The types
 * its signatures share with the root entry are exported there (`@llmkg/production`), not again here.
 *
 * @module @llmkg/production/testing
 */
export { systemClock } from '../internal/time.js';
export { createGuard } from '../guard.js';
