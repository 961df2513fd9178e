import { delayAfterFailures, DelayPolicy, retryAfterSeconds } from './throttle-policy';

const policy: DelayPolicy = {
  failuresBeforeDelay: 5,
  firstDelayMs: 30_000,
  maxDelayMs: 15 * 60_000,
  memoryMs: 86_400_000,
  leaseMs: 60_000,
};

describe('delayAfterFailures', () => {
  it('imposes no delay before the fifth consecutive failure', () => {
    expect([0, 1, 2, 3, 4].map((failures) => delayAfterFailures(failures, policy))).toEqual([
      0, 0, 0, 0, 0,
    ]);
  });

  it('starts at the first delay on the fifth failure and doubles with each further one', () => {
    expect([5, 6, 7, 8, 9].map((failures) => delayAfterFailures(failures, policy))).toEqual([
      30_000, 60_000, 120_000, 240_000, 480_000,
    ]);
  });

  it('never exceeds the maximum delay, however many failures', () => {
    expect(delayAfterFailures(10, policy)).toBe(900_000);
    expect(delayAfterFailures(1_000_000, policy)).toBe(900_000);
  });

  it('caps a first delay larger than the maximum', () => {
    expect(delayAfterFailures(5, { ...policy, firstDelayMs: 3_600_000 })).toBe(900_000);
  });

  it('delays from the first failure when no failure is free', () => {
    expect(delayAfterFailures(1, { ...policy, failuresBeforeDelay: 1 })).toBe(30_000);
  });
});

describe('retryAfterSeconds', () => {
  it('rounds up to whole seconds', () => {
    expect(retryAfterSeconds(30_000)).toBe(30);
    expect(retryAfterSeconds(29_001)).toBe(30);
  });

  it('never answers 0, which would invite an immediate retry', () => {
    expect(retryAfterSeconds(0)).toBe(1);
    expect(retryAfterSeconds(-5)).toBe(1);
  });
});
