import { createHash } from 'node:crypto';
import type { LuaScript } from '../limits/redis-scripts.js';

/**
 * One publish round of a shared breaker, atomically on the node that owns the breaker's keys (they share one
 * hash tag, `<prefix>{<name>}`, so on a Redis Cluster they live in one slot): record that this replica is
 * alive, add its batch of outcomes while the shared state is closed and open it when the counts over every
 * replica cross the threshold, settle a reported trial, move open to half-open once the recovery time has
 * passed, hand out or renew the trial lease (SET NX PX), and reply with the state.
 *
 * KEYS: 1 state hash (state, openedAt, gen, ok), 2 consecutive-failure counter, 3 trial lease, 4 replicas hash.
 * Failure-rate buckets are `<KEYS[1]>:b:<gen>:<bucket>` hashes (s, f) with an expiry: same hash tag, same slot.
 * ARGV: 1 now (the replica's wall clock, ms), 2 replica id, 3 holder id, 4 mode (c consecutive, r rate),
 * 5 successes, 6 failures, 7 failures after the batch's last success (-1: the batch had no success),
 * 8 failureThreshold, 9 failureRateThreshold, 10 minimum calls, 11 samplingDurationMs, 12 bucket ms,
 * 13 recoveryTimeoutMs, 14 wants the lease (1/0), 15 lease ms, 16 trial outcome ('s', 'f' or '-'),
 * 17 successThreshold, 18 replica ttl ms, 19 key ttl ms.
 * Reply: { state, retryAfterMs, lease holder ('' for none), live replicas, calls counted, failures counted,
 * trial successes so far }.
 */
const SOURCE = `
local base = KEYS[1]
local now = tonumber(ARGV[1])
local holderId = ARGV[3]
local keep = tonumber(ARGV[19])
local st = redis.call('HMGET', base, 'state', 'openedAt', 'gen', 'ok')
local state = st[1] or 'closed'
local openedAt = tonumber(st[2]) or 0
local gen = tonumber(st[3]) or 0
local ok = tonumber(st[4]) or 0
local ttl = tonumber(ARGV[18])
redis.call('HSET', KEYS[4], ARGV[2], now)
redis.call('PEXPIRE', KEYS[4], ttl)
local seen = redis.call('HGETALL', KEYS[4])
local replicas = 0
for i = 1, #seen, 2 do
  if tonumber(seen[i + 1]) + ttl < now then redis.call('HDEL', KEYS[4], seen[i]) else replicas = replicas + 1 end
end
local calls, failures = 0, 0
if state == 'closed' then
  local s = tonumber(ARGV[5])
  local f = tonumber(ARGV[6])
  local open = false
  if ARGV[4] == 'c' then
    local trailing = tonumber(ARGV[7])
    if trailing >= 0 then
      redis.call('SET', KEYS[2], trailing, 'PX', keep)
      failures = trailing
    elseif f > 0 then
      failures = redis.call('INCRBY', KEYS[2], f)
      redis.call('PEXPIRE', KEYS[2], keep)
    else
      failures = tonumber(redis.call('GET', KEYS[2]) or '0')
    end
    calls = failures
    open = failures >= tonumber(ARGV[8])
  else
    local sampling = tonumber(ARGV[11])
    local bucketMs = tonumber(ARGV[12])
    local b = math.floor(now / bucketMs)
    local prefix = base .. ':b:' .. gen .. ':'
    if s + f > 0 then
      local key = prefix .. b
      if s > 0 then redis.call('HINCRBY', key, 's', s) end
      if f > 0 then redis.call('HINCRBY', key, 'f', f) end
      redis.call('PEXPIRE', key, sampling + bucketMs)
    end
    for i = b - math.ceil(sampling / bucketMs) + 1, b do
      local v = redis.call('HMGET', prefix .. i, 's', 'f')
      local vf = tonumber(v[2]) or 0
      calls = calls + (tonumber(v[1]) or 0) + vf
      failures = failures + vf
    end
    open = calls > 0 and calls >= tonumber(ARGV[10]) and failures / calls >= tonumber(ARGV[9])
  end
  if open then
    state = 'open'
    openedAt = now
    gen = gen + 1
    ok = 0
    redis.call('HSET', base, 'state', 'open', 'openedAt', now, 'gen', gen, 'ok', 0)
    redis.call('DEL', KEYS[2])
  end
end
local holder = false
if state ~= 'closed' then
  holder = redis.call('GET', KEYS[3])
  if ARGV[16] ~= '-' and holder == holderId then
    if ARGV[16] == 'f' then
      state = 'open'
      openedAt = now
      ok = 0
      redis.call('HSET', base, 'state', 'open', 'openedAt', now, 'ok', 0)
      redis.call('DEL', KEYS[3])
      holder = false
    else
      ok = ok + 1
      if ok >= tonumber(ARGV[17]) then
        state = 'closed'
        gen = gen + 1
        ok = 0
        redis.call('HSET', base, 'state', 'closed', 'gen', gen, 'ok', 0)
        redis.call('DEL', KEYS[3], KEYS[2])
        holder = false
      else
        redis.call('HSET', base, 'ok', ok)
      end
    end
  end
  if state == 'open' and now >= openedAt + tonumber(ARGV[13]) then
    state = 'half_open'
    redis.call('HSET', base, 'state', 'half_open')
  end
  if state == 'half_open' then
    if holder == holderId then
      if ARGV[14] == '1' then redis.call('PEXPIRE', KEYS[3], tonumber(ARGV[15])) else
        redis.call('DEL', KEYS[3])
        holder = false
      end
    elseif not holder and ARGV[14] == '1' then
      redis.call('SET', KEYS[3], holderId, 'NX', 'PX', tonumber(ARGV[15]))
      holder = holderId
    end
  end
end
redis.call('PEXPIRE', base, keep)
local retry = 0
if state == 'open' then retry = math.max(0, openedAt + tonumber(ARGV[13]) - now) end
return {state, retry, holder or '', replicas, calls, failures, ok}
`;

/** The publish round's script. */
export const PUBLISH_SCRIPT: LuaScript = {
  name: 'shared_breaker_publish',
  source: SOURCE,
  sha: createHash('sha1').update(SOURCE).digest('hex'),
};
