/**
 * `@llmkg/production/deadlines`: deadlines that travel with a call, in OTel context inside the process and in
 * request headers across services, with the schema of the `deadlines` section.
 * `api/production-deadlines.api.md` is the report of this surface. The types
 * its signatures share with the root entry are exported there (`@llmkg/production`), not again here.
 *
 * @module @llmkg/production/deadlines
 */
export {
  DeadlinePropagator,
  DEADLINE_HEADER,
  withDeadline,
  deadlineRemainingMs,
  deadlinesConfigSchema,
  type DeadlinePropagatorOptions,
} from '../deadlines/index.js';
