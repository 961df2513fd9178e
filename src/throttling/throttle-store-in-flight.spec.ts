import { setImmediate as nextTurn } from 'node:timers/promises';
import { StoreUnderTest, storesUnderTest } from '../../test/utils/throttle-stores';
import { DelayPolicy } from './throttle-policy';
import { Reservation, ThrottleStore } from './throttle-store';

const policy: DelayPolicy = {
  failuresBeforeDelay: 3,
  firstDelayMs: 1000,
  maxDelayMs: 5000,
  memoryMs: 60_000,
  leaseMs: 10_000,
};
const T0 = 1_732_233_900_000;
const BUSY: Reservation = { outcome: 'busy' };

describe.each(storesUnderTest())('ThrottleStore attempts in flight on %s', (_name, open) => {
  let subject: StoreUnderTest;
  let store: ThrottleStore;
  let counter = 0;
  const freshKey = (): string => `in-flight:${(counter += 1)}`;

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

  /** Asks again while busy, as LoginThrottle does; resolves to the place or the refusal. */
  async function waitForPlace(key: string, now: number): Promise<Reservation> {
    for (;;) {
      const reservation = await store.reserve(key, policy, now);
      if (reservation.outcome !== 'busy') {
        return reservation;
      }
      await nextTurn();
    }
  }

  it('admits as many attempts as failures remain before the delay, and holds the rest', async () => {
    const key = freshKey();
    const generations = [await reserved(key, T0), await reserved(key, T0), await reserved(key, T0)];
    await expect(store.reserve(key, policy, T0)).resolves.toEqual(BUSY);
    for (const generation of generations.slice(0, 2)) {
      await store.recordFailure(key, policy, generation, T0);
      await expect(store.reserve(key, policy, T0)).resolves.toEqual(BUSY);
    }
    await store.recordFailure(key, policy, generations[2], T0);
    await expect(store.reserve(key, policy, T0)).resolves.toEqual({
      outcome: 'delayed',
      retryAfterMs: 1000,
    });
  });

  it('counts confirmed failures against the places', async () => {
    const key = freshKey();
    await store.recordFailure(key, policy, await reserved(key, T0), T0);
    await reserved(key, T0);
    await reserved(key, T0);
    await expect(store.reserve(key, policy, T0)).resolves.toEqual(BUSY);
  });

  it('lets a held attempt in once an attempt in flight succeeds', async () => {
    const key = freshKey();
    const first = await reserved(key, T0);
    await store.recordFailure(key, policy, first, T0);
    const second = await reserved(key, T0);
    await reserved(key, T0);
    await expect(store.reserve(key, policy, T0)).resolves.toEqual(BUSY);
    await store.recordSuccess(key, second);
    // The count is cleared; one attempt is still in flight.
    await reserved(key, T0);
    await reserved(key, T0);
    await expect(store.reserve(key, policy, T0)).resolves.toEqual(BUSY);
  });

  it('admits one attempt at a time once delays have begun', async () => {
    const key = freshKey();
    for (let attempt = 0; attempt < 3; attempt++) {
      await store.recordFailure(key, policy, await reserved(key, T0), T0);
    }
    const afterDelay = T0 + 1000;
    const generation = await reserved(key, afterDelay);
    await expect(store.reserve(key, policy, afterDelay)).resolves.toEqual(BUSY);
    await store.recordFailure(key, policy, generation, afterDelay);
    await expect(store.reserve(key, policy, afterDelay)).resolves.toEqual({
      outcome: 'delayed',
      retryAfterMs: 2000,
    });
  });

  it('presumes the attempts lost once the latest lease is over, and ignores their late answers', async () => {
    const key = freshKey();
    const lost = await reserved(key, T0);
    await reserved(key, T0 + 5);
    await reserved(key, T0 + 5);
    await expect(store.reserve(key, policy, T0 + 5 + policy.leaseMs - 1)).resolves.toEqual(BUSY);

    const later = T0 + 5 + policy.leaseMs;
    const generation = await reserved(key, later);
    expect(generation).not.toBe(lost);
    await reserved(key, later);
    await reserved(key, later);
    // A lost attempt's answer frees no place of the attempts now in flight; its failure counts.
    await store.release(key, lost);
    await store.recordSuccess(key, lost);
    await expect(store.reserve(key, policy, later)).resolves.toEqual(BUSY);
    await store.recordFailure(key, policy, lost, later);
    for (let attempt = 0; attempt < 2; attempt++) {
      await store.recordFailure(key, policy, generation, later);
    }
    await expect(store.reserve(key, policy, later)).resolves.toEqual({
      outcome: 'delayed',
      retryAfterMs: 1000,
    });
  });

  it('admits exactly the places when attempts arrive all at once', async () => {
    const key = freshKey();
    const reservations = await Promise.all(
      Array.from({ length: 20 }, () => store.reserve(key, policy, T0)),
    );
    expect(reservations.filter((r) => r.outcome === 'reserved')).toHaveLength(3);
    expect(reservations.filter((r) => r.outcome === 'busy')).toHaveLength(17);
  });

  it('checks no more than the threshold of 30 wrong passwords racing for one key', async () => {
    const key = freshKey();
    let checked = 0;
    const wrongPassword = async (): Promise<Reservation['outcome']> => {
      const reservation = await waitForPlace(key, T0);
      if (reservation.outcome === 'reserved') {
        checked += 1;
        await nextTurn();
        await store.recordFailure(key, policy, reservation.generation, T0);
      }
      return reservation.outcome;
    };
    const outcomes = await Promise.all(Array.from({ length: 30 }, wrongPassword));
    expect(checked).toBe(3);
    expect(outcomes.filter((outcome) => outcome === 'delayed')).toHaveLength(27);
  });

  it('survives many logins of one user at once: places and successes on the same two keys', async () => {
    // Each login holds its pair while it waits for the account, and gives both back on success.
    const pair = freshKey();
    const account = freshKey();
    const login = async (): Promise<void> => {
      const pairPlace = await waitForPlace(pair, T0);
      const accountPlace = await waitForPlace(account, T0);
      if (pairPlace.outcome !== 'reserved' || accountPlace.outcome !== 'reserved') {
        throw new Error(`refused: ${pairPlace.outcome}, ${accountPlace.outcome}`);
      }
      await Promise.all([
        store.recordSuccess(pair, pairPlace.generation),
        store.recordSuccess(account, accountPlace.generation),
      ]);
    };
    for (let round = 0; round < 20; round += 1) {
      await Promise.all(Array.from({ length: 8 }, login));
    }
    // Every place was given back.
    for (const key of [pair, account]) {
      await reserved(key, T0);
      await reserved(key, T0);
      await reserved(key, T0);
    }
  });
});
