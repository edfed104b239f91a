import { execFileSync } from 'node:child_process';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childEnv } from '../instrumentation/helpers.js';
import { startOtlpReceiver } from '../support/otlp-receiver.js';
import { freePort, ROOT, spawnService } from '../support/helpers.js';
import {
  installedMegabytes,
  installProject,
  otelCopies,
  otelVersionsInTree,
  PACKAGE,
  packPackage,
  readmeSnippets,
  writeSnippet,
  type Snippet,
} from './consumer.js';

// One `npm pack` and one install serve every case: the README's four adoption snippets (Express and Fastify,
// under the preload and with the application's own NodeSDK) are the consumer applications, run as written.

const SPAN_KIND_SERVER = 2;
const SPAN_KIND_CLIENT = 3;
const snippets = readmeSnippets();
let project: string;
let tarball: string;
const node = (args: string[], env: NodeJS.ProcessEnv = childEnv()) =>
  execFileSync(process.execPath, args, { cwd: project, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

beforeAll(() => {
  tarball = packPackage();
  // What a service that adopts us has: our package, its web framework, and (for the own-SDK snippets) the
  // OTel Node SDK and Prometheus exporter at the versions we pin, as the README asks.
  project = installProject({
    '@llmkg/production': `file:${tarball}`,
    '@opentelemetry/sdk-node': PACKAGE.dependencies['@opentelemetry/sdk-node']!,
    '@opentelemetry/exporter-prometheus': PACKAGE.devDependencies['@opentelemetry/exporter-prometheus']!,
    express: PACKAGE.devDependencies.express!,
    fastify: PACKAGE.devDependencies.fastify!,
  });
}, 300_000);

afterAll(() => {
  // About 70 MB per run: leave nothing behind in the temp folder.
  if (project) rmSync(project, { recursive: true, force: true });
  if (tarball) rmSync(dirname(tarball), { recursive: true, force: true });
});

describe('the packed package installed in a new project', () => {
  it('holds one copy of each @opentelemetry package, and the API as a peer', () => {
    const copies = otelCopies(project);
    expect(copies.size).toBeGreaterThan(10);
    const doubled = [...copies].filter(([, folders]) => folders.length > 1);
    expect(doubled, 'packages installed more than once').toEqual([]);
    const versions = otelVersionsInTree(project);
    expect([...versions].filter(([, v]) => v.size > 1).map(([name, v]) => `${name}@${[...v].join('|')}`)).toEqual([]);
    expect(PACKAGE.peerDependencies['@opentelemetry/api']).toBeDefined();
    expect(PACKAGE.dependencies['@opentelemetry/api']).toBeUndefined();
    expect(PACKAGE.peerDependencies['@opentelemetry/api-logs']).toBeDefined();
    expect(PACKAGE.dependencies['@opentelemetry/api-logs']).toBeUndefined();
  });

  it('installs nothing a user does not run: no ioredis, no framework or type packages of ours, cockatiel bundled', () => {
    expect(PACKAGE.peerDependenciesMeta?.ioredis?.optional).toBe(true);
    expect(Object.keys(PACKAGE.dependencies).filter((name) => /^(ioredis|express|fastify|@types\/)/.test(name))).toEqual([]);
    expect(() => node(['-e', "require.resolve('ioredis')"])).toThrow();
    // cockatiel is compiled into our bundle (only the policies we use), so it is not installed beside it.
    expect(() => node(['-e', "require.resolve('cockatiel')"])).toThrow();
    const out = node([
      '-e',
      "const p = require('@llmkg/production'); console.log(typeof p.createProductionSystem, Object.keys(require.cache).some((f) => f.includes('ioredis')))",
    ]);
    expect(out).toBe('function false');
  });

  it('installed alone takes about the disk space the README says', () => {
    // Issue 21, finding 9: the README said 64 MB; a consumer install measured 72 MB.
    const alone = installProject({ '@llmkg/production': `file:${tarball}` }, 'production-alone-consumer-');
    try {
      const measured = installedMegabytes(alone);
      const stated = Number(/A consumer install is about (\d+) MB/.exec(readFileSync(join(ROOT, 'README.md'), 'utf8'))?.[1]);
      expect(stated, 'README: "A consumer install is about N MB"').toBeGreaterThan(0);
      expect(Math.abs(measured - stated) / stated, `measured ${measured} MB, the README says ${stated} MB`).toBeLessThan(0.15);
    } finally {
      rmSync(alone, { recursive: true, force: true });
    }
  }, 300_000);

  it('stops a Redis store without ioredis with INVALID_CONFIG naming the package', () => {
    const script = `
      const { createProductionSystem } = require('@llmkg/production');
      try {
        createProductionSystem({}, { rateLimiting: { store: { type: 'redis', url: 'redis://127.0.0.1:1' } } });
        console.log('created');
      } catch (error) {
        console.log(JSON.stringify({ code: error.code, path: error.path, message: error.message }));
      }
      process.exit(0);`;
    const result = JSON.parse(node(['-e', script])) as { code: string; path: string; message: string };
    expect(result).toMatchObject({ code: 'INVALID_CONFIG', path: 'rateLimiting.store' });
    expect(result.message).toContain('npm install ioredis');
  });

  it('runs the preload from the build of the application module kind, so they share one copy of the package', async () => {
    const env = childEnv({ OTEL_EXPORTER_PROMETHEUS_PORT: String(await freePort()) });
    const esm =
      "import { ProductionSystem } from '@llmkg/production'; import { getProductionSystem } from '@llmkg/production/register'; console.log(getProductionSystem() instanceof ProductionSystem)";
    expect(node(['--import', '@llmkg/production/register', '--input-type=module', '-e', esm], env)).toBe('true');
    const cjs =
      "const { ProductionSystem } = require('@llmkg/production'); console.log(require('@llmkg/production/register').getProductionSystem() instanceof ProductionSystem)";
    expect(node(['--require', '@llmkg/production/register', '-e', cjs], env)).toBe('true');
  });
});

/** Every file under `dir`, relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => statSync(join(dir, f)).isFile());
}

/** The relative modules a built JavaScript file loads: static and dynamic imports, and requires. */
function relativeImports(code: string): string[] {
  return [...code.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^import\s*)["'](\.{1,2}\/[^"']+)["']/gm)].map((m) => m[1]!);
}

describe('what the tarball ships', () => {
  it('ships the JavaScript its entry points load and no other module', () => {
    // Issue 21, finding 9: about 350 per-module .js files tsc emits (beside the bundles) were shipped unused.
    const installed = join(project, 'node_modules/@llmkg/production');
    const files = filesUnder(installed);
    const pkg = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
    const entries = new Set<string>(['instrumentation/index.js', 'instrumentation/register.mjs']);
    const collect = (value: unknown): void => {
      if (typeof value === 'string') {
        if (/\.(c|m)?js$/.test(value)) entries.add(relative(installed, resolve(installed, value)));
      } else if (typeof value === 'object' && value !== null) Object.values(value).forEach(collect);
    };
    collect(pkg.exports);
    const loaded = new Set<string>();
    const visit = (file: string): void => {
      if (loaded.has(file)) return;
      expect(files, `${file} is loaded but not shipped`).toContain(file);
      loaded.add(file);
      for (const target of relativeImports(readFileSync(join(installed, file), 'utf8')))
        visit(relative(installed, resolve(installed, dirname(file), target)));
    };
    for (const entry of entries) visit(entry);
    const javascript = files.filter((f) => /\.(c|m)?js$/.test(f));
    expect(
      javascript.filter((f) => !loaded.has(f)),
      'shipped JavaScript that nothing loads',
    ).toEqual([]);
    // The entries (two formats each, the task entries among them: thin re-exports) and the shared chunks, two per
    // format at most: a start loads a few files, not one per module.
    expect(javascript.filter((f) => f.includes('/chunks/')).length).toBeLessThanOrEqual(4);
    expect(javascript.length).toBeLessThanOrEqual(entries.size + 4);
    // The declarations stay: the entries' types re-export the per-module ones.
    expect(files).toContain('dist/esm/limits/index.d.ts');
  });
});

describe('the README snippets for adopting it in an existing service', () => {
  it('answer refusals with errorResponse(), not a hand-written status map', () => {
    // Issue 21, finding 9: the hand-written maps lacked DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED and
    // BULKHEAD_REJECTED (so 500s) and sent no Retry-After.
    for (const snippet of snippets) {
      expect(snippet.code, snippet.title).toContain('errorResponse(error)');
      expect(snippet.code, snippet.title).not.toMatch(/RATE_LIMITED:\s*429/);
    }
  });

  it('are four: Express and Fastify, each under the preload and with its own NodeSDK, CommonJS and ES modules', () => {
    expect(snippets.map((s) => s.title)).toEqual([
      'Express, under the preload',
      'Express, with your own NodeSDK',
      'Fastify, under the preload',
      'Fastify, with your own NodeSDK',
    ]);
    expect(snippets.map((s) => s.file)).toEqual(['server.cjs', 'server.cjs', 'server.mjs', 'server.mjs']);
  });

  describe.each(snippets.map((s): [string, Snippet] => [s.title, s]))('%s', (_title, snippet) => {
    let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
    // The snippet's `inventory` dependency: answers with the headers it received.
    let inventory: Server;
    const seen: IncomingHttpHeaders[] = [];
    beforeAll(async () => {
      receiver = await startOtlpReceiver();
      inventory = createServer((req, res) => {
        seen.push(req.headers);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ sku: req.url?.split('/').pop(), left: 3 }));
      });
      await new Promise<void>((resolve) => inventory.listen(0, '127.0.0.1', resolve));
    });
    afterAll(async () => {
      await receiver?.close();
      await new Promise<void>((resolve) => inventory.close(() => resolve()));
    });

    it('serves protected requests, calls its dependency with the trace and the deadline, shows each series once, exports each span once', async () => {
      const dir = writeSnippet(project, snippet);
      const [port, metricsPort] = [await freePort(), await freePort()];
      const env = childEnv({
        PORT: String(port),
        // One call a second per user: the second call at once is refused, through the snippet's error handler.
        PRODUCTION_RATE_LIMIT_USER_RPS: '1',
        // The preload's admin server, or the application's own PrometheusExporter: both read this variable.
        OTEL_EXPORTER_PROMETHEUS_PORT: String(metricsPort),
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_BSP_SCHEDULE_DELAY: '100',
        OTEL_BLRP_SCHEDULE_DELAY: '100',
        INVENTORY_URL: `http://127.0.0.1:${(inventory.address() as AddressInfo).port}`,
      });
      const app = await spawnService(process.execPath, snippet.args, { env, cwd: dir, ports: [port, metricsPort], timeoutMs: 30_000 });
      try {
        const res = await fetch(`http://127.0.0.1:${port}/orders/42`, { headers: { 'x-user-id': 'alice' } });
        expect(res.status, app.stderr()).toBe(200);
        expect(await res.json()).toEqual({ id: '42', attempt: 1 });
        let refused: Response | undefined;
        for (let i = 0; i < 5 && refused === undefined; i++) {
          const next = await fetch(`http://127.0.0.1:${port}/orders/42`, { headers: { 'x-user-id': 'alice' } });
          if (next.status !== 200) refused = next;
        }
        expect(refused?.status, app.stderr()).toBe(429);
        expect(Number(refused!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        expect(await refused!.json()).toEqual({ error: 'RATE_LIMITED' });

        const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
        const lines = text.split('\n');
        expect(lines.filter((l) => l === '# TYPE production_operation_duration histogram')).toHaveLength(1);
        const counts = lines.filter(
          (l) =>
            l.startsWith('production_operation_duration_count{') &&
            l.includes('production_operation_name="orders.get"') &&
            l.includes('production_outcome="success"'),
        );
        expect(counts, text.slice(0, 2000)).toHaveLength(1);
        expect(counts[0]).toMatch(/production_outcome="success".* 1$/);

        // The protected client of `inventory` (fetch underneath): the trace and the deadline left travel with it.
        const stock = await fetch(`http://127.0.0.1:${port}/stock/7`);
        expect(stock.status, app.stderr()).toBe(200);
        expect(await stock.json()).toEqual({ sku: '7', left: 3 });
        expect(seen).toHaveLength(1);
        expect(seen[0]!.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
        const left = Number(seen[0]!['production-deadline-ms']);
        expect(left).toBeGreaterThan(0);
        expect(left).toBeLessThanOrEqual(800);
      } finally {
        // SIGTERM: the graceful shutdown drains, flushes the exporters and exits 0.
        expect((await app.stop()).code, app.stderr()).toBe(0);
      }
      const operations = receiver.spans.filter((s) => s.name === 'orders.get' && s.attributes['production.outcome'] === 'success');
      expect(operations, JSON.stringify(receiver.spans.map((s) => s.name))).toHaveLength(1);
      expect(operations[0]!.attributes['user.id']).toBe('alice');
      // One client span for the one request to inventory, in the trace its traceparent named.
      const clients = receiver.spans.filter((s) => s.kind === SPAN_KIND_CLIENT && String(s.attributes['url.full']).includes('/stock/7'));
      expect(clients, JSON.stringify(receiver.spans.map((s) => [s.name, s.kind]))).toHaveLength(1);
      expect(seen.at(-1)!.traceparent).toBe(`00-${clients[0]!.traceId}-${clients[0]!.spanId}-01`);
      seen.length = 0;
      if (snippet.preload) {
        // The preload's HTTP instrumentation: the request's server span is the operation's parent.
        expect(receiver.spans.find((s) => s.spanId === operations[0]!.parentSpanId)?.kind).toBe(SPAN_KIND_SERVER);
      }
      expect(receiver.problems).toEqual([]);
    });
  });
});
