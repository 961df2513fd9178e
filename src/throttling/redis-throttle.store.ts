import { OnModuleDestroy } from '@nestjs/common';
import type Redis from 'ioredis';
import { closeRedis } from '../common/redis-client';
import { DelayPolicy } from './throttle-policy';
import { Claim, ThrottleStore, WindowState } from './throttle-store';

// Each script runs atomically in Redis, so all instances sharing it see one sequence of counts.
// Hash fields: c = count, d = current delay, b = blocked until, e = expires (counters) or window
// end (budgets). Times come from the caller, as with the database store; PEXPIRE only reclaims memory.
const CLAIM = `
local now, threshold, first, max, memory =
  tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local h = redis.call('HMGET', KEYS[1], 'c', 'd', 'b', 'e')
local c, d, b, e = tonumber(h[1]) or 0, tonumber(h[2]) or 0, tonumber(h[3]) or 0, tonumber(h[4]) or 0
if b > now then
  return {0, b - now}
end
if e <= now then c = 0 end
c = c + 1
if c < threshold then
  d = 0
elseif c == threshold or d < first then
  d = first
else
  d = math.min(d * 2, max)
end
-- No delay, no block: 'now' itself would refuse a concurrent attempt with an earlier clock read.
local blocked = 0
if d > 0 then blocked = now + d end
redis.call('HSET', KEYS[1], 'c', c, 'd', d, 'b', blocked, 'e', now + d + memory)
redis.call('PEXPIRE', KEYS[1], d + memory)
return {1, 0}
`;

const HIT = `
local now, window, limit, block = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local h = redis.call('HMGET', KEYS[1], 'c', 'e', 'b')
local c, e, b = tonumber(h[1]) or 0, tonumber(h[2]) or 0, tonumber(h[3]) or 0
local allowed = 0
if b <= now then
  if e <= now then
    c, e = 1, now + window
  else
    c = c + 1
  end
  if c > limit then b = now + block else allowed = 1 end
  redis.call('HSET', KEYS[1], 'c', c, 'e', e, 'b', b)
  redis.call('PEXPIRE', KEYS[1], math.max(e, b) - now)
end
return {allowed, c, e, b}
`;

type ClaimReply = [number, number];
type HitReply = [number, number, number, number];

export class RedisThrottleStore extends ThrottleStore implements OnModuleDestroy {
  constructor(private readonly redis: Redis) {
    super();
  }

  onModuleDestroy(): Promise<void> {
    return closeRedis(this.redis);
  }

  async claim(key: string, policy: DelayPolicy, now: number): Promise<Claim> {
    const first = Math.min(policy.firstDelayMs, policy.maxDelayMs);
    const [allowed, retryAfterMs] = (await this.redis.eval(
      CLAIM,
      1,
      key,
      now,
      policy.failuresBeforeDelay,
      first,
      policy.maxDelayMs,
      policy.memoryMs,
    )) as ClaimReply;
    return allowed === 1 ? { allowed: true } : { allowed: false, retryAfterMs };
  }

  async blockedFor(key: string, now: number): Promise<number> {
    const blockedUntil = Number((await this.redis.hget(key, 'b')) ?? 0);
    return Math.max(0, blockedUntil - now);
  }

  async reset(keys: string[]): Promise<void> {
    if (keys.length > 0) {
      await this.redis.del(...keys);
    }
  }

  async hit(
    key: string,
    windowMs: number,
    limit: number,
    blockMs: number,
    now: number,
  ): Promise<WindowState> {
    const [allowed, hits, windowEndsAt, blockedUntil] = (await this.redis.eval(
      HIT,
      1,
      key,
      now,
      windowMs,
      limit,
      blockMs,
    )) as HitReply;
    return { allowed: allowed === 1, hits, windowEndsAt, blockedUntil };
  }
}
