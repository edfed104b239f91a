import { createHash } from 'node:crypto';

/**
 * A key safe to keep: returned as it is when short, else replaced by a digest, so a megabyte-long user id
 * costs 44 characters of state. Keys starting with `#` are digested too, so no kept key can equal a digest.
 */
export function boundedKey(key: string, maxLength: number): string {
  if (key.length <= maxLength && key.charCodeAt(0) !== 35) return key;
  return `#${createHash('sha256').update(key).digest('base64url')}`;
}

// Braces would move a Redis Cluster hash tag, control characters and spaces make keys hard to inspect.
const UNSAFE_REDIS = /[{}\s\p{Cc}]/u;

/**
 * A key fragment safe inside a Redis hash tag `{...}`: printable, brace-free and bounded, else a digest
 * (prefixed so it cannot equal a kept name).
 */
export function redisKeyPart(key: string, maxLength: number): string {
  if (key.length <= maxLength && key.charCodeAt(0) !== 35 && !UNSAFE_REDIS.test(key)) return key;
  return `#${createHash('sha256').update(key).digest('base64url')}`;
}
