// Health-check costs. Keys: health_report_ns (getHealthReport over 8 components, what every probe reads),
// health_readyz_ns (the /readyz route answered from held results, no HTTP), health_check_run_ns (one
// check run: span, timeout timer, duration histogram, thresholds).
import { nsPerCall, report } from './_measure.mjs';
import { installOtel } from './_otel.mjs';

installOtel();
const { HealthCheckSystem } = await import('../../dist/esm/health/index.js');
const { AdminRoutes } = await import('../../dist/esm/http/routes.js');

const health = new HealthCheckSystem({});
for (let i = 0; i < 8; i++) health.registerComponent(`c${i}`, async () => ({ observedValue: i, observedUnit: 'ms' }), {}, i < 4);
await health.performFullHealthCheck();

const routes = new AdminRoutes({ health });
const readyz = { method: 'GET', path: '/readyz', query: new URLSearchParams(), authorization: undefined };

const out = {
  health_report_ns: await nsPerCall(() => health.getHealthReport(), { iterations: 100_000 }),
  health_readyz_ns: await nsPerCall(() => routes.handle(readyz), { iterations: 100_000 }),
  health_check_run_ns: await nsPerCall(() => health.checkComponentHealth('c0'), { iterations: 50_000, warmup: 10_000 }),
};
await health.shutdown();
report(out);
