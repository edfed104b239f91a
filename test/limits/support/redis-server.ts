import { requireBinary, spawnService, type ChildHandle } from '../../support/helpers.js';

/** A redis-server on 127.0.0.1:`port` without persistence (a restart starts empty), killed by `stop()`. */
export function startRedisServer(port: number): Promise<ChildHandle> {
  const redis = requireBinary('/usr/bin/redis-server', 'redis-server');
  return spawnService(redis, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { ports: [port] });
}
