import express from 'express';
import Fastify from 'fastify';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createProductionSystem,
  errorResponse,
  RateLimitedError,
  setRateLimitHeaders,
  type ProductionConfigInput,
  type StandardProductionSystem,
} from '../../src/index.js';
import { rateLimitOf } from '../../src/entries/limits.js';
import { freePort, type ChildHandle } from '../support/helpers.js';
import { ALGORITHM_CASES, expectRateLimitHeaders, type AlgorithmCase, type SeenResponse } from '../support/rate-limit-headers.js';
import { parseItemField, parseList, SfToken } from '../support/structured-fields.js';
import { startRedisServer } from '../limits/support/redis-server.js';

// Regression (issue 21, finding 3): no public call gave an admitted call's rate-limit decision, so `RateLimit`
// and `RateLimit-Policy` could not be sent on admitted responses, and a refusal's headers had no
// `RateLimit-Policy`. Now `ctx.rateLimit` / `rateLimitOf(error)` carry the tightest scope's decision, and
// `setRateLimitHeaders` and `errorResponse` write both fields on every response of a rate-limited operation.

describe('the structured-field parser the header checks use (RFC 8941)', () => {
  it('reads lists of items with parameters and rejects what RFC 8941 rejects', () => {
    const [item] = parseList('"user";r=0;t=12, tok;a;b=?0, (1 2.5);x=:aGk=:');
    expect(item).toMatchObject({ value: 'user' });
    expect(parseList('"a\\"b";q=1')[0]).toMatchObject({ value: 'a"b' });
    expect(parseItemField('tok/1:x').value).toEqual(new SfToken('tok/1:x'));
    for (const bad of [
      '"user";r=1,',
      '"user";R=1',
      '"user";r=1.',
      '"user";r=1234567890123456',
      '"user";r=-',
      '"user" ;r=1',
      '"un\\terminated',
      '"a\\x"',
      '"user";r=1;;',
      'a,,b',
      '(1 2',
      '"é"',
    ])
      expect(() => parseList(bad), bad).toThrow(SyntaxError);
  });
});

type System = StandardProductionSystem<object>;
const systems: System[] = [];
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  await Promise.all(systems.splice(0).map((s) => s.shutdown()));
});

function system(config: ProductionConfigInput): System {
  const s = createProductionSystem({}, config, { env: {}, startHealthChecks: false });
  systems.push(s);
  return s;
}

function userOf(req: IncomingMessage): string | undefined {
  return new URL(req.url ?? '/', 'http://x').searchParams.get('user') ?? undefined;
}

/** A node:http server whose every request is the protected operation `op` for `?user=`; `?fail` makes it throw. */
async function nodeServer(s: System): Promise<string> {
  const server = createServer((req, res) => {
    const fail = req.url?.includes('fail') === true;
    s.executeProtectedOperation('op', userOf(req), (ctx) => {
      setRateLimitHeaders(res, ctx);
      return fail ? Promise.reject(new Error('the operation failed')) : Promise.resolve('ok');
    }).then(
      (body) => res.end(body),
      (error: unknown) => {
        const answer = errorResponse(error);
        res.writeHead(answer.status, answer.headers).end(answer.code);
      },
    );
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function get(url: string): Promise<SeenResponse> {
  const res = await fetch(url);
  await res.text();
  const headers: Record<string, string> = {};
  res.headers.forEach((value, name) => (headers[name] = value));
  return { status: res.status, headers };
}

async function calls(base: string, user: string, n: number): Promise<SeenResponse[]> {
  const out: SeenResponse[] = [];
  for (let i = 0; i < n; i++) out.push(await get(`${base}/?user=${user}`));
  return out;
}

describe('RateLimit headers on every response, memory store (node:http)', () => {
  it.each(ALGORITHM_CASES.map((c) => [c.name, c] as const))('%s: on admission and on refusal', async (_, c: AlgorithmCase) => {
    const base = await nodeServer(system({ rateLimiting: { perUser: c.policy } }));
    expectRateLimitHeaders(await calls(base, 'alice', c.admitted + 2), c);
  });

  it('an admitted call that then fails still answers with its RateLimit headers (errorResponse)', async () => {
    const c = ALGORITHM_CASES[0]!;
    const base = await nodeServer(system({ rateLimiting: { perUser: c.policy } }));
    const failed = await get(`${base}/?user=bob&fail`);
    expect(failed.status).toBe(500);
    expectRateLimitHeaders([{ ...failed, status: 200 }], c);
  });

  it('the tightest scope decides: the operation limit when it has less left than the user limit', async () => {
    const s = system({
      rateLimiting: {
        perUser: { algorithm: 'fixed_window', limit: 10, windowMs: 86_400_000 },
        perOperation: { op: { algorithm: 'fixed_window', limit: 2, windowMs: 86_400_000 } },
      },
    });
    const seen = await s.executeProtectedOperation('op', 'carol', (ctx) => Promise.resolve(ctx.rateLimit));
    expect(seen).toMatchObject({ scope: 'operation', allowed: true, remaining: 1, limit: 2 });
    await s.executeProtectedOperation('op', 'carol', () => Promise.resolve());
    const refused = await s.executeProtectedOperation('op', 'carol', () => Promise.resolve()).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RateLimitedError);
    expect(rateLimitOf(refused)).toMatchObject({ scope: 'operation', allowed: false, remaining: 0, limit: 2 });
    // Without any rate limit, nothing is written.
    const free = system({});
    const headers = new Map<string, string>();
    await free.executeProtectedOperation('op', 'dave', (ctx) =>
      Promise.resolve(setRateLimitHeaders({ setHeader: (n, v) => headers.set(n, v) }, ctx)),
    );
    expect(headers.size).toBe(0);
    expect(errorResponse(new Error('x')).headers).toEqual({});
  });
});

describe('RateLimit headers through the Express and Fastify helpers', () => {
  const c = ALGORITHM_CASES[1]!;

  it('Express: setRateLimitHeaders(res, ctx) and errorResponse', async () => {
    const s = system({ rateLimiting: { perUser: c.policy } });
    const app = express();
    app.get('/', (req, res) => {
      s.executeProtectedOperation('op', userOf(req), (ctx) => Promise.resolve(setRateLimitHeaders(res, ctx))).then(
        () => void res.send('ok'),
        (error: unknown) => {
          const answer = errorResponse(error);
          res.status(answer.status).set(answer.headers).send(answer.code);
        },
      );
    });
    const port = await freePort();
    const server = await new Promise<Server>((resolve) => {
      const listening = app.listen(port, '127.0.0.1', () => resolve(listening));
    });
    servers.push(server);
    expectRateLimitHeaders(await calls(`http://127.0.0.1:${port}`, 'erin', c.admitted + 1), c);
  });

  it('Fastify: setRateLimitHeaders(reply, ctx) and errorResponse', async () => {
    const s = system({ rateLimiting: { perUser: c.policy } });
    const app = Fastify();
    app.get('/', async (request, reply) => {
      try {
        return await s.executeProtectedOperation('op', userOf(request.raw), (ctx) => {
          setRateLimitHeaders(reply, ctx);
          return Promise.resolve('ok');
        });
      } catch (error) {
        const answer = errorResponse(error);
        return reply.code(answer.status).headers(answer.headers).send(answer.code);
      }
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    servers.push(app.server);
    const port = (app.server.address() as AddressInfo).port;
    expectRateLimitHeaders(await calls(`http://127.0.0.1:${port}`, 'frank', c.admitted + 1), c);
  });
});

describe('RateLimit headers on every response, Redis store (node:http)', () => {
  let redis: ChildHandle;
  let port: number;
  beforeAll(async () => {
    port = await freePort();
    redis = await startRedisServer(port);
  }, 30_000);
  afterAll(async () => {
    await redis?.stop();
  });

  it.each(ALGORITHM_CASES.map((c) => [c.name, c] as const))('%s: on admission and on refusal', async (_, c: AlgorithmCase) => {
    const store = { type: 'redis', url: `redis://127.0.0.1:${port}`, keyPrefix: `h-${c.name}:`, timeoutMs: 2000 } as const;
    const s = system({ rateLimiting: { perUser: c.policy, store } });
    await s.components.limits.connect();
    const base = await nodeServer(s);
    expectRateLimitHeaders(await calls(base, 'alice', c.admitted + 2), c);
  });
});
