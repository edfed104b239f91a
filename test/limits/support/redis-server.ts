import { Redis } from 'ioredis';
import { requireBinary, spawnService, type ChildHandle } from '../../support/helpers.js';

/** A redis-server on 127.0.0.1:`port` without persistence (a restart starts empty), killed by `stop()`. */
export function startRedisServer(port: number): Promise<ChildHandle> {
  const redis = requireBinary('/usr/bin/redis-server', 'redis-server');
  return spawnService(redis, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { ports: [port] });
}

/** A connected client for inspecting that server (errors while it is down are ignored). */
export async function connectAdmin(port: number): Promise<Redis> {
  const admin = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1 });
  admin.on('error', () => undefined);
  await admin.connect();
  return admin;
}
