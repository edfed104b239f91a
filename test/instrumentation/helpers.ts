import { freePort, spawnService, type ChildHandle } from '../support/helpers.js';

/** The example service, from the repository root. */
export const SERVER = 'examples/knowledge-graph/server.mjs';

/** The environment of a child: this one without any OTEL_*, PRODUCTION_*, npm_* or fault variables, plus `extra`. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(OTEL_|PRODUCTION_|npm_|FAULT_|KG_|PORT$|HOST$)/.test(key)) env[key] = value;
  }
  return { ...env, ...extra };
}

/** The example service under the preload, on free ports. */
export interface Service extends ChildHandle {
  readonly url: string;
  readonly adminUrl: string;
}

/** Starts the example service with `--require ./instrumentation` or `--import ./instrumentation/register.mjs`. */
export async function startService(form: 'require' | 'import', extra: Record<string, string> = {}): Promise<Service> {
  const [port, adminPort] = [await freePort(), await freePort()];
  const flag = form === 'require' ? ['--require', './instrumentation'] : ['--import', './instrumentation/register.mjs'];
  const env = childEnv({ PORT: String(port), OTEL_EXPORTER_PROMETHEUS_PORT: String(adminPort), ...extra });
  const handle = await spawnService(process.execPath, [...flag, SERVER], { env, ports: [port, adminPort] });
  return { ...handle, url: `http://127.0.0.1:${port}`, adminUrl: `http://127.0.0.1:${adminPort}` };
}

/**
 * One service of a chain under `--require ./instrumentation`: `fixture` in role `role`, calling `next`, on free
 * ports; it is ready once it prints `LISTENING`. Resolves with the handle and the service's URL.
 */
export async function startChainService(
  fixture: string,
  role: string,
  next: string,
  extra: Record<string, string> = {},
): Promise<{ handle: ChildHandle; url: string }> {
  const [port, adminPort] = [await freePort(), await freePort()];
  const env = childEnv({
    ROLE: role,
    NEXT: next,
    PORT: String(port),
    OTEL_EXPORTER_PROMETHEUS_PORT: String(adminPort),
    PRODUCTION_LOG_LEVEL: 'critical',
    ...extra,
  });
  const handle = await spawnService(process.execPath, ['--require', './instrumentation', fixture], { env, readyLine: /^LISTENING$/ });
  return { handle, url: `http://127.0.0.1:${port}/` };
}

/** The JSON lines a child printed, parsed. */
export function jsonLines<T>(handle: ChildHandle): T[] {
  return handle
    .lines()
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as T);
}
