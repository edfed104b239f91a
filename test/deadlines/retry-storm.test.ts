import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childEnv } from '../instrumentation/helpers.js';
import { freePort, requireBuild, spawnProcess, spawnService, type ChildHandle } from '../support/helpers.js';

// A retry storm between two real processes: a client offering a steady 100 calls a second, and a downstream that
// answers 503 to every call (an outage, 4 s here; the bench runs the 10 s). With maxRetries 2 and no
// breaker, a naive client sends 3 attempts per request, exactly when the downstream can least take them; with a
// retry budget of ratio 0.2, at most 1.2. With 5 % transient failures instead, the budget still lets enough
// retries through for at least 99.5 % success.

const DOWNSTREAM = 'test/deadlines/fixtures/storm-downstream.mjs';
const CLIENT = 'test/deadlines/fixtures/storm-client.mjs';

interface StormResult {
  requests: number;
  attempts: number;
  successes: number;
  attemptsPerRequest: number;
  successRate: number;
}

let downstream: ChildHandle;
let base = '';

async function run(mode: 'budget' | 'naive', path: string): Promise<StormResult> {
  const client = spawnProcess(process.execPath, [CLIENT], {
    env: childEnv({ TARGET: `${base}${path}`, MODE: mode, RATE: '100', DURATION_MS: '4000' }),
  });
  const exit = await client.exited;
  expect(exit.code, client.output()).toBe(0);
  const result = JSON.parse(client.lines().find((line) => line.startsWith('{'))!) as StormResult;
  process.stdout.write(`retry storm ${mode} ${path}: ${JSON.stringify(result)}\n`);
  return result;
}

describe('a retry storm between two real processes', () => {
  beforeAll(async () => {
    requireBuild();
    const port = await freePort();
    downstream = await spawnService(process.execPath, [DOWNSTREAM], { env: childEnv({ PORT: String(port) }), readyLine: /^LISTENING$/ });
    base = `http://127.0.0.1:${port}`;
  }, 30_000);
  afterAll(async () => {
    await downstream.stop();
  });

  it('during an outage, a retry budget of ratio 0.2 keeps attempts per request at most 1.2; naive retries make it 3', async () => {
    const budget = await run('budget', '/outage');
    expect(budget.requests).toBeGreaterThan(300);
    expect(budget.successes).toBe(0);
    expect(budget.attemptsPerRequest).toBeLessThanOrEqual(1.2);
    // The downstream saw what the client counted.
    const received = Number(await (await fetch(`${base}/count/outage`)).text());
    expect(received).toBe(budget.attempts);

    const naive = await run('naive', '/outage');
    expect(naive.attemptsPerRequest).toBeGreaterThanOrEqual(2.9);
  }, 60_000);

  it('with 5 % transient failures, success stays at least 99.5 % with the budget on', async () => {
    const result = await run('budget', '/flaky');
    expect(result.requests).toBeGreaterThan(300);
    expect(result.successRate).toBeGreaterThanOrEqual(0.995);
    // Retries did happen (about 5 % of requests needed one), within the budget.
    expect(result.attemptsPerRequest).toBeGreaterThan(1.01);
    expect(result.attemptsPerRequest).toBeLessThanOrEqual(1.2);
  }, 60_000);
});
