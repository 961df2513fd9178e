import { registerAs } from '@nestjs/config';
import { validateEnvironment } from './environment';
import { parseTrustProxy, TrustProxy } from './trust-proxy';

const SECOND = 1000;

export const throttlingConfig = registerAs('throttling', () => {
  const env = validateEnvironment(process.env);
  return {
    failuresBeforeDelay: env.LOGIN_FAILURES_BEFORE_DELAY,
    firstDelayMs: env.LOGIN_FIRST_DELAY * SECOND,
    maxDelayMs: env.LOGIN_MAX_DELAY * SECOND,
    accountFailureCeiling: env.ACCOUNT_FAILURE_CEILING,
    accountMaxDelayMs: env.ACCOUNT_MAX_DELAY * SECOND,
    mfaFailuresBeforeDelay: env.MFA_FAILURES_BEFORE_DELAY,
    mfaFirstDelayMs: env.MFA_FIRST_DELAY * SECOND,
    mfaMaxDelayMs: env.MFA_MAX_DELAY * SECOND,
    tokenRequestsPerMinute: env.TOKEN_REQUESTS_PER_MINUTE,
    registrationsPerHour: env.REGISTRATIONS_PER_HOUR,
    profileChangesPerHour: env.PROFILE_CHANGES_PER_HOUR,
    redisUrl: env.REDIS_URL,
    redisKeyPrefix: env.REDIS_KEY_PREFIX,
  };
});
export type ThrottlingConfig = ReturnType<typeof throttlingConfig>;

/** For the Fastify adapter, which exists before Nest's configuration does. */
export function trustProxySetting(): TrustProxy {
  return parseTrustProxy(validateEnvironment(process.env).TRUST_PROXY);
}
