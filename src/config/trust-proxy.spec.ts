import { isTrustProxy, parseTrustProxy } from './trust-proxy';
import { validateEnvironment } from './environment';

describe('TRUST_PROXY', () => {
  it('trusts no proxy when unset or false', () => {
    expect(parseTrustProxy(undefined)).toBe(false);
    expect(parseTrustProxy('false')).toBe(false);
  });

  it('passes true, a hop count, or a list of addresses and ranges to Fastify', () => {
    expect(parseTrustProxy('true')).toBe(true);
    expect(parseTrustProxy('2')).toBe(2);
    expect(parseTrustProxy('10.0.0.0/8, 127.0.0.1,::1,loopback')).toEqual([
      '10.0.0.0/8',
      '127.0.0.1',
      '::1',
      'loopback',
    ]);
  });

  it.each(['yes', '10.0.0.0/33', 'proxy.internal', '10.0.0.1,', '::1/129'])(
    'refuses %p',
    (value) => {
      expect(isTrustProxy(value)).toBe(false);
      expect(() => validateEnvironment({ TRUST_PROXY: value })).toThrow(
        'Invalid configuration: TRUST_PROXY must be true, a hop count, or a comma-separated list of addresses or CIDR ranges',
      );
    },
  );
});

describe('throttling settings', () => {
  it('defaults to the contract: 5 failures, 15 minutes at most, 100 per account, 60 a minute', () => {
    expect(validateEnvironment({})).toMatchObject({
      LOGIN_FAILURES_BEFORE_DELAY: 5,
      LOGIN_FIRST_DELAY: 30,
      LOGIN_MAX_DELAY: 900,
      ACCOUNT_FAILURE_CEILING: 100,
      ACCOUNT_MAX_DELAY: 60,
      TOKEN_REQUESTS_PER_MINUTE: 60,
      REDIS_KEY_PREFIX: 'portcullis:',
    });
  });

  it('reads durations such as 15m', () => {
    expect(validateEnvironment({ LOGIN_MAX_DELAY: '15m' }).LOGIN_MAX_DELAY).toBe(900);
  });

  it('refuses a budget of zero requests', () => {
    expect(() => validateEnvironment({ TOKEN_REQUESTS_PER_MINUTE: '0' })).toThrow(
      'TOKEN_REQUESTS_PER_MINUTE must not be less than 1',
    );
  });
});
