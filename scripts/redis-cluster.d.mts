/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number>;

/** Resolves once something accepts TCP connections on 127.0.0.1:port. */
export function waitForPort(port: number, timeoutMs?: number): Promise<void>;

/** One master of a local cluster. */
export interface ClusterNode {
  readonly port: number;
  /** Its temp directory (nodes.conf). */
  readonly dir: string;
  /** Starts (or restarts, with its slots) the node; resolves once it listens. */
  start(): Promise<void>;
  /** Stops the node (SIGKILL simulates a crash); resolves once it exited. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** `CLUSTER INFO`'s cluster_state (`ok`, `fail`), or undefined when the node does not answer. */
  state(): Promise<string | undefined>;
}

/** A running local Redis Cluster. */
export interface LocalRedisCluster {
  readonly nodes: ClusterNode[];
  readonly ports: number[];
  /** `127.0.0.1:<port>` of every master. */
  readonly seeds: string[];
  /** Resolves once every node reports cluster_state:ok. */
  waitUntilOk(timeoutMs?: number): Promise<void>;
  /** Kills every node and removes their directories. */
  stop(): Promise<void>;
}

/** Starts a cluster of `masters` masters (no replicas) on free loopback ports. */
export function startRedisCluster(options?: {
  masters?: number;
  nodeTimeoutMs?: number;
  readyTimeoutMs?: number;
}): Promise<LocalRedisCluster>;
