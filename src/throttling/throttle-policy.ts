export interface DelayPolicy {
  failuresBeforeDelay: number;
  firstDelayMs: number;
  maxDelayMs: number;
  /** A counter is forgotten this long after its last delay ended without a new failure. */
  memoryMs: number;
  /** How long an admitted attempt may stay unanswered before its place is presumed lost. */
  leaseMs: number;
}

export function delayAfterFailures(failures: number, policy: DelayPolicy): number {
  if (failures < policy.failuresBeforeDelay) {
    return 0;
  }
  const doublings = failures - policy.failuresBeforeDelay;
  // Past ~50 doublings the float is huge but finite; the cap applies long before that matters.
  return Math.min(policy.firstDelayMs * 2 ** Math.min(doublings, 64), policy.maxDelayMs);
}

/** Retry-After is whole seconds (RFC 9110 section 10.2.3); never 0, or a client would retry at once. */
export function retryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}
