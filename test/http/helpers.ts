import { HealthCheckSystem } from '../../src/health/index.js';
import { Probe } from '../health/helpers.js';

/** A health system with an essential `db` and a non-essential `cache`, on a clock tests move by hand. */
export function healthFixture(maxResultAgeMs = 60_000) {
  const clock = { now: Date.now() };
  const health = new HealthCheckSystem(
    { maxResultAgeMs, defaults: { criticalThreshold: 1 } },
    { clock: { wall: () => clock.now, monotonic: () => performance.now() } },
  );
  const db = new Probe();
  const cache = new Probe();
  health.registerComponent('db', db.check, {}, true);
  health.registerComponent('cache', cache.check, {}, false);
  return { health, db, cache, clock };
}

/** GET (or another method) over real HTTP; returns status, headers and the body text. */
export async function request(
  base: string,
  path: string,
  init: RequestInit = {},
): Promise<{ status: number; type: string | null; body: string; headers: Headers }> {
  const res = await fetch(`${base}${path}`, init);
  return { status: res.status, type: res.headers.get('content-type'), body: await res.text(), headers: res.headers };
}

/** The `/health` document (draft-inadarei-api-health-check), as the tests read it. */
export interface HealthDoc {
  status: string;
  checks: Record<string, Array<Record<string, unknown>>>;
  [key: string]: unknown;
}

/** Parses a `/health` body. */
export const healthDoc = (body: string): HealthDoc => JSON.parse(body) as HealthDoc;
