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
