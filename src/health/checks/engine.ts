import type { Engine } from '../../pipeline.js';
import type { HealthCheck, HealthCheckResult } from '../result.js';

const FAILING = new Set(['unhealthy', 'critical', 'fail', 'failed', 'down', 'error']);
const DEGRADED = new Set(['warning', 'warn', 'degraded']);

/**
 * The engine's health (the seed's `check_knowledge_engine_health`): calls its optional `healthCheck()` and
 * `stats()`. A throw, `false`, `{ healthy: false }` or a failing `status` string is Critical; a `warning` or
 * `degraded` status is Warning. An engine with neither method is Healthy (there is nothing to ask).
 */
export async function checkKnowledgeEngineHealth(engine: Engine): Promise<HealthCheckResult> {
  const reported = engine.healthCheck ? await engine.healthCheck() : undefined;
  const stats = engine.stats ? await engine.stats() : undefined;
  const details: Record<string, unknown> = {};
  if (reported !== undefined) details.health = reported;
  if (stats !== undefined) details.stats = stats;
  const verdict = interpret(reported);
  return {
    status: verdict.status,
    componentType: 'component',
    ...(verdict.output !== undefined ? { output: verdict.output } : {}),
    ...(Object.keys(details).length > 0 ? { details } : {}),
  };
}

function interpret(reported: unknown): { status: 'healthy' | 'warning' | 'critical'; output?: string } {
  if (reported === false) return { status: 'critical', output: 'engine healthCheck() returned false' };
  if (typeof reported !== 'object' || reported === null) return { status: 'healthy' };
  const record = reported as Record<string, unknown>;
  if (record.healthy === false) return { status: 'critical', output: describe(record) ?? 'engine reports healthy: false' };
  const status = typeof record.status === 'string' ? record.status.toLowerCase() : undefined;
  if (status !== undefined && FAILING.has(status))
    return { status: 'critical', output: describe(record) ?? `engine reports status ${status}` };
  if (status !== undefined && DEGRADED.has(status))
    return { status: 'warning', output: describe(record) ?? `engine reports status ${status}` };
  return { status: 'healthy' };
}

function describe(record: Record<string, unknown>): string | undefined {
  for (const key of ['message', 'error', 'reason', 'output']) if (typeof record[key] === 'string') return record[key];
  return undefined;
}

/** A {@link HealthCheck} of the engine, for `registerComponent`. */
export function createEngineCheck(engine: Engine): HealthCheck {
  return () => checkKnowledgeEngineHealth(engine);
}
