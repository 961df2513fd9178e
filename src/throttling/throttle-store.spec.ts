import { StoreUnderTest, storesUnderTest } from '../../test/utils/throttle-stores';
import { delayAfterFailures, DelayPolicy } from './throttle-policy';
import { Reservation, ThrottleStore } from './throttle-store';

const policy: DelayPolicy = {
  failuresBeforeDelay: 3,
  firstDelayMs: 1000,
  maxDelayMs: 5000,
  memoryMs: 60_000,
  leaseMs: 10_000,
};
const T0 = 1_732_233_900_000;

describe.each(storesUnderTest())('ThrottleStore on %s', (_name, open) => {
  let subject: StoreUnderTest;
  let store: ThrottleStore;
  let counter = 0;
  const freshKey = (): string => `test:${(counter += 1)}`;

  beforeAll(async () => {
    subject = await open();
    store = subject.store;
  });

  afterAll(async () => {
    await subject.close();
  });

  async function reserved(key: string, now: number): Promise<number> {
    const reservation = await store.reserve(key, policy, now);
    expect(reservation).toEqual({ outcome: 'reserved', generation: expect.any(Number) });
    return (reservation as Extract<Reservation, { outcome: 'reserved' }>).generation;
  }

  /** One attempt whose password turned out wrong. */
  async function fail(key: string, now: number): Promise<void> {
    await store.recordFailure(key, policy, await reserved(key, now), now);
  }

  it('allows the free failures, then refuses for the first delay', async () => {
    const key = freshKey();
    for (let attempt = 0; attempt < 3; attempt++) {
      await fail(key, T0);
    }
    await expect(store.reserve(key, policy, T0 + 10)).resolves.toEqual({
      outcome: 'delayed',
      retryAfterMs: 990,
    });
    await expect(store.blockedFor(key, T0 + 10)).resolves.toBe(990);
  });

  it('doubles the delay with each failure after it, up to the maximum, as delayAfterFailures says', async () => {
    const key = freshKey();
    let now = T0;
    for (let failures = 1; failures <= 8; failures++) {
      await fail(key, now);
      const delay = delayAfterFailures(failures, policy);
      await expect(store.blockedFor(key, now)).resolves.toBe(delay);
      if (delay > 0) {
        await expect(store.reserve(key, policy, now + delay - 1)).resolves.toEqual({
          outcome: 'delayed',
          retryAfterMs: 1,
        });
      }
      now += delay;
    }
    expect(delayAfterFailures(8, policy)).toBe(5000);
  });

  it('does not count refused attempts, so hammering a delayed key does not lengthen it', async () => {
    const key = freshKey();
    for (let attempt = 0; attempt < 3; attempt++) {
      await fail(key, T0);
    }
    for (let attempt = 0; attempt < 10; attempt++) {
      await store.reserve(key, policy, T0 + 500);
    }
    await fail(key, T0 + 1000);
    await expect(store.blockedFor(key, T0 + 1000)).resolves.toBe(2000);
  });

  it('starts from zero after a success', async () => {
    const key = freshKey();
    await fail(key, T0);
    await fail(key, T0);
    await store.recordSuccess(key, await reserved(key, T0));
    for (let attempt = 0; attempt < 3; attempt++) {
      await fail(key, T0);
    }
    await expect(store.blockedFor(key, T0)).resolves.toBe(1000);
  });

  it('counts nothing for an attempt that gives its place back', async () => {
    const key = freshKey();
    for (let attempt = 0; attempt < 5; attempt++) {
      await store.release(key, await reserved(key, T0));
    }
    await fail(key, T0);
    await fail(key, T0);
    await expect(store.blockedFor(key, T0)).resolves.toBe(0);
  });

  it('forgets failures once the memory has passed after the last delay', async () => {
    const key = freshKey();
    for (let attempt = 0; attempt < 3; attempt++) {
      await fail(key, T0);
    }
    const later = T0 + 1000 + policy.memoryMs;
    await fail(key, later);
    await expect(store.blockedFor(key, later)).resolves.toBe(0);
  });

  it('does not refuse a free attempt whose clock read is a little older than the last one', async () => {
    const key = freshKey();
    await fail(key, T0 + 5);
    await reserved(key, T0);
  });

  it('counts requests in a window and blocks the one over the limit for the block duration', async () => {
    const key = freshKey();
    await expect(store.hit(key, 60_000, 2, 30_000, T0)).resolves.toEqual({
      allowed: true,
      hits: 1,
      windowEndsAt: T0 + 60_000,
      blockedUntil: 0,
    });
    await expect(store.hit(key, 60_000, 2, 30_000, T0 + 1)).resolves.toMatchObject({
      allowed: true,
      hits: 2,
    });
    await expect(store.hit(key, 60_000, 2, 30_000, T0 + 2)).resolves.toEqual({
      allowed: false,
      hits: 3,
      windowEndsAt: T0 + 60_000,
      blockedUntil: T0 + 30_002,
    });
    await expect(store.hit(key, 60_000, 2, 30_000, T0 + 3)).resolves.toMatchObject({
      allowed: false,
      hits: 3,
      blockedUntil: T0 + 30_002,
    });
  });

  it('opens a new window once the old one has ended', async () => {
    const key = freshKey();
    await store.hit(key, 60_000, 1, 1000, T0);
    await store.hit(key, 60_000, 1, 1000, T0 + 1);
    await expect(store.hit(key, 60_000, 1, 1000, T0 + 60_000)).resolves.toEqual({
      allowed: true,
      hits: 1,
      windowEndsAt: T0 + 120_000,
      blockedUntil: T0 + 1001,
    });
  });

  it('never lets more than the limit through a window when requests arrive all at once', async () => {
    const key = freshKey();
    const states = await Promise.all(
      Array.from({ length: 12 }, () => store.hit(key, 60_000, 5, 60_000, T0)),
    );
    expect(states.filter((state) => state.allowed)).toHaveLength(5);
  });
});
