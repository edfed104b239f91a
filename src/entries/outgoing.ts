/**
 * `@llmkg/production/outgoing`: the protected client for calls to a named dependency, as
 * `system.dependencyFetch(name)` makes it, to build one around a system of your own.
 * `api/production-outgoing.api.md` is the report of this surface. The types
 * its signatures share with the root entry are exported there (`@llmkg/production`), not again here.
 *
 * @module @llmkg/production/outgoing
 */
export { createDependencyFetch, DEFAULT_FAILURE_STATUSES, type DependencyFetchHost } from '../outgoing/dependency-fetch.js';
export { RESEND_COUNT_ATTRIBUTE } from '../outgoing/resend.js';
