import { OnModuleDestroy } from '@nestjs/common';
import type Redis from 'ioredis';
import { closeRedis } from '../common/redis-client';
import { DelayPolicy } from './throttle-policy';
import { Reservation, ThrottleStore, WindowState } from './throttle-store';

// Each script runs atomically in Redis, so all instances sharing it see one sequence of counts.
// Hash fields: c = count, d = current delay, b = blocked until, e = expires (counters) or window
// end (budgets), p = attempts in flight, l = their lease, g = their generation. Times come from
// the caller, as with the database store; PEXPIRE only reclaims memory. The rules are the
// database store's statements (database-throttle.store.ts), step by step.
const RESERVE = `
local now, threshold, lease = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local h = redis.call('HMGET', KEYS[1], 'c', 'b', 'e', 'p', 'l', 'g')
local c, b, e = tonumber(h[1]) or 0, tonumber(h[2]) or 0, tonumber(h[3]) or 0
local p, l, g = tonumber(h[4]) or 0, tonumber(h[5]) or 0, tonumber(h[6]) or now
if b > now then
  return {0, b - now}
end
if e <= now then c = 0 end
if l <= now then
  if p > 0 then g = g + 1 end
  p = 0
end
local room = math.max(threshold - c, 1)
if p >= room then
  return {-1, 0}
end
e, l = math.max(e, now + lease), math.max(l, now + lease)
redis.call('HSET', KEYS[1], 'c', c, 'e', e, 'p', p + 1, 'l', l, 'g', g)
redis.call('PEXPIRE', KEYS[1], e - now)
return {1, g}
`;

const FAILURE = `
local now, threshold, first, max, memory, generation = tonumber(ARGV[1]), tonumber(ARGV[2]),
  tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local h = redis.call('HMGET', KEYS[1], 'c', 'd', 'e', 'p', 'l', 'g')
local c, d, e = tonumber(h[1]) or 0, tonumber(h[2]) or 0, tonumber(h[3]) or 0
local p, l = tonumber(h[4]) or 0, tonumber(h[5]) or 0
if e <= now then c = 0 end
c = c + 1
if c < threshold then
  d = 0
elseif c == threshold or d < first then
  d = first
else
  d = math.min(d * 2, max)
end
if p > 0 and tonumber(h[6]) == generation then p = p - 1 end
-- No delay, no block: 'now' itself would refuse a concurrent attempt with an earlier clock read.
local blocked = 0
if d > 0 then blocked = now + d end
redis.call('HSET', KEYS[1], 'c', c, 'd', d, 'b', blocked, 'e', now + d + memory, 'p', p)
redis.call('PEXPIRE', KEYS[1], math.max(d + memory, l - now))
`;

// ARGV[2] = 1 clears the count and the delay (a success); 0 only gives the place back.
const GIVE_BACK = `
local h = redis.call('HMGET', KEYS[1], 'p', 'g')
local p = tonumber(h[1]) or 0
if p > 0 and tonumber(h[2]) == tonumber(ARGV[1]) then
  redis.call('HSET', KEYS[1], 'p', p - 1)
end
if ARGV[2] == '1' and redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HSET', KEYS[1], 'c', 0, 'd', 0, 'b', 0)
end
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

type ReserveReply = [number, number];
type HitReply = [number, number, number, number];

export class RedisThrottleStore extends ThrottleStore implements OnModuleDestroy {
  constructor(private readonly redis: Redis) {
    super();
  }

  onModuleDestroy(): Promise<void> {
    return closeRedis(this.redis);
  }

  async reserve(key: string, policy: DelayPolicy, now: number): Promise<Reservation> {
    const [outcome, value] = (await this.redis.eval(
      RESERVE,
      1,
      key,
      now,
      policy.failuresBeforeDelay,
      policy.leaseMs,
    )) as ReserveReply;
    if (outcome === 1) {
      return { outcome: 'reserved', generation: value };
    }
    return outcome === 0 ? { outcome: 'delayed', retryAfterMs: value } : { outcome: 'busy' };
  }

  async recordFailure(
    key: string,
    policy: DelayPolicy,
    generation: number,
    now: number,
  ): Promise<void> {
    await this.redis.eval(
      FAILURE,
      1,
      key,
      now,
      policy.failuresBeforeDelay,
      Math.min(policy.firstDelayMs, policy.maxDelayMs),
      policy.maxDelayMs,
      policy.memoryMs,
      generation,
    );
  }

  async recordSuccess(key: string, generation: number): Promise<void> {
    await this.redis.eval(GIVE_BACK, 1, key, generation, 1);
  }

  async release(key: string, generation: number): Promise<void> {
    await this.redis.eval(GIVE_BACK, 1, key, generation, 0);
  }

  purgeExpired(): Promise<number> {
    return Promise.resolve(0);
  }

  async blockedFor(key: string, now: number): Promise<number> {
    const blockedUntil = Number((await this.redis.hget(key, 'b')) ?? 0);
    return Math.max(0, blockedUntil - now);
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
