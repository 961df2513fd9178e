import { Injectable } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { ThrottleClock } from './throttle-clock';
import { DelayPolicy } from './throttle-policy';
import { ThrottleStore } from './throttle-store';
import { orUnavailable } from './too-many-requests';

/** A check unanswered this long (its instance stopped mid-check) no longer holds its place. */
export const IN_FLIGHT_LEASE_MS = 60_000;
/** How long an attempt waits for the checks in flight before it is refused (Retry-After: 1). */
export const IN_FLIGHT_WAIT_MS = 10_000;
const POLL_MS = 25;
/** Long enough that waiting out a delay does not wipe the slate, short enough to forget typos. */
const FAILURE_MEMORY_MS = 24 * 3600_000;

/** A doubling delay after `failuresBeforeDelay` failures, with the shared memory and lease. */
export function delayPolicy(
  delays: Pick<DelayPolicy, 'failuresBeforeDelay' | 'firstDelayMs' | 'maxDelayMs'>,
): DelayPolicy {
  return { ...delays, memoryMs: FAILURE_MEMORY_MS, leaseMs: IN_FLIGHT_LEASE_MS };
}

export interface FailureCounter {
  key: string;
  policy: DelayPolicy;
}

interface Place extends FailureCounter {
  generation: number;
}

export interface CountedAttempt {
  /** Each counts a failure of the check, and is cleared by its success. */
  counters: FailureCounter[];
  /** A key whose delay refuses the attempt before it takes or waits for any place. */
  screen: string;
  /** The error a delayed attempt is refused with, `retryAfterMs` from now (0: shortly). */
  refuse(retryAfterMs: number): Promise<Error>;
}

/**
 * Consecutive-failure counters with doubling delays, in the shared store: a check runs only while
 * none of its counters delays it, and never more at once than failures remain before the delay
 * (docs/security.md, Throttling).
 */
@Injectable()
export class FailureCounters {
  constructor(
    private readonly store: ThrottleStore,
    private readonly clock: ThrottleClock,
  ) {}

  /** Runs `check` as one attempt: a failure if it throws, a success that clears if it returns. */
  async attempt<T>(attempt: CountedAttempt, check: () => Promise<T>): Promise<T> {
    const started = this.clock.now();
    const screenWait = await orUnavailable(this.store.blockedFor(attempt.screen, started));
    if (screenWait > 0) {
      throw await attempt.refuse(screenWait);
    }
    const places: Place[] = [];
    try {
      for (const counter of attempt.counters) {
        places.push(await this.reserve(counter, started, attempt));
      }
    } catch (error) {
      await orUnavailable(
        Promise.all(places.map((place) => this.store.release(place.key, place.generation))),
      );
      throw error;
    }
    let result: T;
    try {
      result = await check();
    } catch (error) {
      const now = this.clock.now();
      await orUnavailable(
        Promise.all(
          places.map((place) =>
            this.store.recordFailure(place.key, place.policy, place.generation, now),
          ),
        ),
      );
      throw error;
    }
    await orUnavailable(
      Promise.all(places.map((place) => this.store.recordSuccess(place.key, place.generation))),
    );
    return result;
  }

  /** Counts and delays cleared; attempts in flight keep their places (-1 is no generation). */
  async clear(keys: readonly string[]): Promise<void> {
    await orUnavailable(Promise.all(keys.map((key) => this.store.recordSuccess(key, -1))));
  }

  // An attempt beyond the places waits for the checks in flight: a success lets it through, the
  // failures that use up the allowance get it refused (docs/security.md, Throttling).
  private async reserve(
    { key, policy }: FailureCounter,
    started: number,
    attempt: CountedAttempt,
  ): Promise<Place> {
    for (;;) {
      const now = this.clock.now();
      const reservation = await orUnavailable(this.store.reserve(key, policy, now));
      if (reservation.outcome === 'reserved') {
        return { key, policy, generation: reservation.generation };
      }
      if (reservation.outcome === 'delayed') {
        throw await attempt.refuse(reservation.retryAfterMs);
      }
      if (now - started >= IN_FLIGHT_WAIT_MS) {
        throw await attempt.refuse(0);
      }
      // Jittered, so that the attempts waiting on one key do not ask the store in lockstep.
      await sleep(POLL_MS + Math.random() * POLL_MS);
    }
  }
}
