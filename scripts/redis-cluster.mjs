// A local Redis Cluster of N masters on 127.0.0.1 with free ports, for the tests and the bench (and by hand:
// `node scripts/redis-cluster.mjs` starts one and prints its nodes until Ctrl-C). Each node runs
// `redis-server --cluster-enabled yes` in its own temp directory (its nodes.conf survives a kill, so a
// restarted node rejoins with its slots); `redis-cli --cluster create` assigns the slots; the cluster is
// ready once every node reports `cluster_state:ok`.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REDIS_SERVER = '/usr/bin/redis-server';
const REDIS_CLI = '/usr/bin/redis-cli';

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts TCP connections on 127.0.0.1:port. */
export async function waitForPort(port, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const socket = connect({ port, host: '127.0.0.1' });
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function cli(args, timeoutMs = 20_000) {
  return new Promise((resolve, reject) => {
    execFile(REDIS_CLI, args, { timeout: timeoutMs, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) reject(new Error(`redis-cli ${args.join(' ')} failed: ${error.message}\n${stdout}${stderr}`));
      else resolve(stdout);
    });
  });
}

function missing() {
  for (const [path, pkg] of [
    [REDIS_SERVER, 'redis-server'],
    [REDIS_CLI, 'redis-tools'],
  ]) {
    if (!existsSync(path)) return `${path} is missing: apt-get install -y ${pkg}`;
  }
  return undefined;
}

class ClusterNode {
  constructor(port, dir, nodeTimeoutMs) {
    this.port = port;
    this.dir = dir;
    this.args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      join(dir, 'nodes.conf'),
      '--cluster-node-timeout',
      String(nodeTimeoutMs),
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'no',
      '--protected-mode',
      'no',
    ];
    this.child = undefined;
    this.output = '';
  }

  /** Starts (or restarts) the node; resolves once it listens. */
  async start() {
    const child = spawn(REDIS_SERVER, this.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const keep = (d) => (this.output = (this.output + d.toString()).slice(-10_000));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    this.exited = new Promise((resolve) => child.once('exit', resolve));
    const early = this.exited.then(() => {
      throw new Error(`redis-server on ${this.port} exited early:\n${this.output}`);
    });
    try {
      await Promise.race([waitForPort(this.port), early]);
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
    early.catch(() => undefined);
  }

  /** Stops the node (SIGKILL simulates a crash); resolves once it exited. */
  async stop(signal = 'SIGTERM') {
    const child = this.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(timer);
  }

  /** `CLUSTER INFO`'s cluster_state (`ok`, `fail`), or undefined when the node does not answer. */
  async state() {
    const info = await cli(['-h', '127.0.0.1', '-p', String(this.port), 'cluster', 'info'], 5000).catch(() => '');
    return /cluster_state:(\w+)/.exec(info)?.[1];
  }
}

/**
 * Starts a cluster of `masters` masters (no replicas). Returns { nodes, ports, seeds, waitUntilOk, stop }:
 * `nodes[i].stop('SIGKILL')` crashes one master, `nodes[i].start()` brings it back with its slots.
 */
export async function startRedisCluster({ masters = 3, nodeTimeoutMs = 1000, readyTimeoutMs = 30_000 } = {}) {
  const why = missing();
  if (why) throw new Error(why);
  const nodes = [];
  const stop = async () => {
    await Promise.all(nodes.map((n) => n.stop('SIGKILL')));
    for (const n of nodes) rmSync(n.dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < masters; i++) {
      const node = new ClusterNode(await freePort(), mkdtempSync(join(tmpdir(), 'redis-cluster-')), nodeTimeoutMs);
      nodes.push(node);
      await node.start();
    }
    await cli(['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-yes'], 60_000);
    const cluster = {
      nodes,
      ports: nodes.map((n) => n.port),
      seeds: nodes.map((n) => `127.0.0.1:${n.port}`),
      /** Resolves once every node reports cluster_state:ok. */
      async waitUntilOk(timeoutMs = readyTimeoutMs) {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const states = await Promise.all(nodes.map((n) => n.state()));
          if (states.every((s) => s === 'ok')) return;
          if (Date.now() > deadline) throw new Error(`cluster not ok after ${timeoutMs} ms: ${states.join(', ')}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      },
      stop,
    };
    await cluster.waitUntilOk();
    return cluster;
  } catch (error) {
    await stop();
    throw error;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const cluster = await startRedisCluster();
  process.stdout.write(
    `Redis Cluster ready: ${cluster.seeds.join(',')}\n(PRODUCTION_REDIS_CLUSTER_NODES=${cluster.seeds.join(',')}); Ctrl-C stops it\n`,
  );
  const quit = () => cluster.stop().then(() => process.exit(0));
  process.once('SIGINT', quit);
  process.once('SIGTERM', quit);
}
