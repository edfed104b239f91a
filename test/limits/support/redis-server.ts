import { requireBinary, startProcess, type StartedProcess } from '../../support/processes.js';

/** A redis-server on 127.0.0.1:`port` without persistence (a restart starts empty), killed by `stop()`. */
export function startRedisServer(port: number): Promise<StartedProcess> {
  const redis = requireBinary('/usr/bin/redis-server', 'redis-server');
  return startProcess(redis, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], port);
}
