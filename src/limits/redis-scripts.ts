import { createHash } from 'node:crypto';

/** A Lua script and its SHA1, for EVALSHA. */
export interface LuaScript {
  readonly name: string;
  readonly source: string;
  readonly sha: string;
}

/** The brief verdict of a take refused for good (the cost exceeds the limit): 2^53 - 1. */
export const NEVER = Number.MAX_SAFE_INTEGER;

/** How long past the end of its state a limiter key lives, in ms. */
export const EXPIRY_MARGIN_MS = 1000;
/** How much further a bucket script moves a key's expiry when it must move it, in ms (see `keep` below). */
export const KEEP_SLACK_MS = 1000;

function script(name: string, body: string): LuaScript {
  const source = `${PRELUDE}\n${body}`;
  return { name, source, sha: createHash('sha1').update(source).digest('hex') };
}

// Every script: KEYS[1] is the limiter key (one key: every decision is single-slot on a Redis Cluster);
// ARGV[1] 't' (take), 'v' (take, the verdict alone) or 'r' (refund), ARGV[2] the cost.
// Time comes from Redis TIME, so replicas' clocks do not matter. A refused take writes nothing.
// Reply: { allowed 0/1, remaining, retryAfterMs (-1 = never), resetMs, waitMs, aux } as integers
// (Lua numbers become integers in replies, hence the explicit rounding); with 'v' one integer, the store's
// verdict: 0 admitted, -waitMs admitted after waiting, retryAfterMs >= 1 refused, NEVER refused for good.
// Each script reads only the part of TIME it needs, and an admitted brief take returns before the full reply's
// fields are computed: a Lua statement costs Redis CPU on every decision.
const PRELUDE = `
local key = KEYS[1]
local refund = ARGV[1] == 'r'
local brief = ARGV[1] == 'v'
local function reply(allowed, remaining, retry, reset, wait, aux)
  if not brief then return {allowed, remaining, retry, reset, wait, aux} end
  if allowed == 1 then return -wait end
  if retry < 0 then return ${NEVER} end
  return math.max(1, retry)
end
local cost = tonumber(ARGV[2])
local t = redis.call('TIME')
`;

// A key expires once its state is back to the start (a full bucket, an empty queue, a window that has ended),
// so Redis does not keep every user ever seen. But a SET that moves the expiry costs Redis about a third more
// than one that keeps it (SET ... PX against SET ... KEEPTTL, measured with redis-benchmark), so:
// - the fixed window sets the expiry on the first write of a window and keeps it on the later ones;
// - the buckets store, next to their state, `keep`: the time (their own time scale) until which the key's
//   expiry is known to hold it. A decision whose state must live no longer than that keeps the expiry; else
//   it moves it with KEEP_SLACK_MS to spare, so a busy key moves its expiry about once per KEEP_SLACK_MS
//   rather than on every decision. `keep` is counted from this script's TIME, which differs from the time
//   Redis counts the expiry from by microseconds and its millisecond rounding: far less than the
//   EXPIRY_MARGIN_MS a key lives past the end of its state. A value of the previous layout (without `keep`)
//   reads as keep = 0, and the previous scripts read this layout's leading doubles, so replicas of both
//   versions can share keys during a rolling upgrade.

/**
 * ARGV[3] capacity, ARGV[4] tokens per ms. The key holds tokens, last refill and `keep` packed as three
 * doubles (struct.pack): one GET and one SET per decision, no number parsing (the cheapest layout measured).
 */
export const TOKEN_BUCKET = script(
  'token_bucket',
  `
local cap = tonumber(ARGV[3])
local per = tonumber(ARGV[4])
-- Time since 2023-11 in ms: packed doubles keep its microseconds.
local rel = (t[1] - 1700000000) * 1000 + t[2] / 1000
local tokens = cap
local at = rel
local keep = 0
local s = redis.call('GET', key)
if s then
  if #s > 16 then tokens, at, keep = struct.unpack('ddd', s) else tokens, at = struct.unpack('dd', s) end
end
if rel > at then tokens = math.min(cap, tokens + (rel - at) * per); at = rel end
if refund then
  tokens = math.min(cap, tokens + cost)
elseif tokens + 1e-9 >= cost then
  tokens = math.max(0, tokens - cost)
else
  local retry = -1
  if cost <= cap then retry = math.ceil((cost - tokens) / per) end
  return reply(0, math.floor(tokens), retry, math.ceil((cap - tokens) / per), 0, 0)
end
local full = math.ceil((cap - tokens) / per)
if rel + full + ${EXPIRY_MARGIN_MS} <= keep then
  redis.call('SET', key, struct.pack('ddd', tokens, at, keep), 'KEEPTTL')
else
  local px = full + ${EXPIRY_MARGIN_MS + KEEP_SLACK_MS}
  redis.call('SET', key, struct.pack('ddd', tokens, at, rel + px), 'PX', px)
end
if brief then return 0 end
return reply(1, math.floor(tokens + 1e-9), 0, full, 0, 0)
`,
);

/**
 * ARGV[3] limit, ARGV[4] windowMs. The key packs window and count. A refund gives back to the stored window
 * when it is the current one (a window that has ended holds nothing to give back). The first write of a
 * window sets the key to expire after the window's end; the later writes of the same window keep it.
 */
export const FIXED_WINDOW = script(
  'fixed_window',
  `
local limit = tonumber(ARGV[3])
local size = tonumber(ARGV[4])
local now = t[1] * 1000 + t[2] / 1000
local w = math.floor(now / size)
local c = 0
local current = false
local s = redis.call('GET', key)
if s then
  local sw, sc = struct.unpack('dd', s)
  if sw == w then c = sc; current = true end
end
local reset = math.ceil((w + 1) * size - now)
if refund then
  if c > 0 then
    c = math.max(0, c - cost)
    redis.call('SET', key, struct.pack('dd', w, c), 'KEEPTTL')
  end
  return reply(1, math.floor(limit - c + 1e-9), 0, reset, 0, w)
end
if c + cost <= limit + 1e-9 then
  c = c + cost
  if current then
    redis.call('SET', key, struct.pack('dd', w, c), 'KEEPTTL')
  else
    redis.call('SET', key, struct.pack('dd', w, c), 'PX', reset + ${EXPIRY_MARGIN_MS})
  end
  if brief then return 0 end
  return reply(1, math.floor(limit - c + 1e-9), 0, reset, 0, w)
end
local retry = reset
if cost > limit then retry = -1 end
return reply(0, math.floor(math.max(0, limit - c) + 1e-9), retry, reset, 0, w)
`,
);

/**
 * ARGV[3] limit, ARGV[4] windowMs, ARGV[5] sub-windows. One hash per key, one field per sub-window index;
 * every sub-window overlapping the window counts whole. A refund gives back to the newest sub-window holding
 * a count (the take's own, unless another take landed in a later sub-window between the two).
 */
export const SLIDING_WINDOW = script(
  'sliding_window',
  `
local limit = tonumber(ARGV[3])
local size = tonumber(ARGV[4])
local n = tonumber(ARGV[5])
local now = t[1] * 1000 + t[2] / 1000
local slot = size / n
local cur = math.floor(now / slot)
local oldest = cur - n
if refund then
  for at = cur, oldest, -1 do
    local field = string.format('%d', at)
    local c = tonumber(redis.call('HGET', key, field) or '0')
    if c > 0 then
      if c > cost then redis.call('HSET', key, field, c - cost) else redis.call('HDEL', key, field) end
      break
    end
  end
  return reply(1, 0, 0, 0, 0, cur)
end
local all = redis.call('HGETALL', key)
local total = 0
local live = {}
local stale = {}
for i = 1, #all, 2 do
  local at = tonumber(all[i])
  if at < oldest then stale[#stale + 1] = all[i] else
    local c = tonumber(all[i + 1])
    total = total + c
    live[#live + 1] = {at, c}
  end
end
table.sort(live, function(a, b) return a[1] < b[1] end)
if total + cost <= limit + 1e-9 then
  if #stale > 0 then redis.call('HDEL', key, unpack(stale)) end
  redis.call('HINCRBYFLOAT', key, string.format('%d', cur), cost)
  redis.call('PEXPIRE', key, math.ceil(size + slot) + ${EXPIRY_MARGIN_MS})
  return reply(1, math.floor(limit - total - cost + 1e-9), 0, math.ceil((cur + n + 1) * slot - now), 0, cur)
end
local newest = 0
if #live > 0 then newest = math.ceil((live[#live][1] + n + 1) * slot - now) end
if cost > limit then return reply(0, math.floor(math.max(0, limit - total)), -1, newest, 0, cur) end
local need = total + cost - limit
local freed = 0
local retry = math.ceil(size)
for i = 1, #live do
  freed = freed + live[i][2]
  if freed + 1e-9 >= need then retry = math.ceil((live[i][1] + n + 1) * slot - now); break end
end
return reply(0, math.floor(math.max(0, limit - total) + 1e-9), retry, newest, 0, cur)
`,
);

/**
 * ARGV[3] capacity, ARGV[4] leaks per ms, ARGV[5] max wait ms. The key holds the next free departure time
 * and `keep`, packed as two doubles.
 */
export const LEAKY_BUCKET = script(
  'leaky_bucket',
  `
local cap = tonumber(ARGV[3])
local per = tonumber(ARGV[4])
local maxWait = tonumber(ARGV[5])
local now = t[1] * 1000 + t[2] / 1000
local nextFree = now
local keep = 0
local s = redis.call('GET', key)
if s then
  if #s > 8 then nextFree, keep = struct.unpack('dd', s) else nextFree = struct.unpack('d', s) end
end
local start = math.max(now, nextFree)
local wait = start - now
local queued = wait * per
if refund then
  local back = math.max(now, nextFree - cost / per)
  -- The queue only shrinks: the key's expiry already holds it.
  if back > now then redis.call('SET', key, struct.pack('dd', back, keep), 'KEEPTTL') else redis.call('DEL', key) end
  return reply(1, 0, 0, 0, 0, 0)
end
if cost > cap then return reply(0, math.floor(math.max(0, cap - queued)), -1, math.ceil(wait), 0, 0) end
if queued + cost > cap + 1e-9 then
  return reply(0, math.floor(math.max(0, cap - queued)), math.ceil((queued + cost - cap) / per), math.ceil(wait), 0, 0)
end
if wait > maxWait + 1e-9 then return reply(0, math.floor(math.max(0, cap - queued)), math.ceil(wait - maxWait), math.ceil(wait), 0, 0) end
local after = start + cost / per
if after + ${EXPIRY_MARGIN_MS} <= keep then
  redis.call('SET', key, struct.pack('dd', after, keep), 'KEEPTTL')
else
  local px = math.ceil(after - now) + ${EXPIRY_MARGIN_MS + KEEP_SLACK_MS}
  redis.call('SET', key, struct.pack('dd', after, now + px), 'PX', px)
end
if brief then return -math.ceil(wait) end
return reply(1, math.floor(cap - (after - now) * per + 1e-9), 0, math.ceil(after - now), math.ceil(wait), 0)
`,
);
