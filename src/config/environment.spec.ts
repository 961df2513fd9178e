import { InvalidConfigurationError, validateEnvironment } from './environment';

/** 43 distinct-enough characters: what `openssl rand -base64 32` gives, minus padding. */
const STRONG_SECRET = 'q7Vd2Lk9ZpR4xW1mT8cN3bY6hF0sJ5gA-uE_oKiXyQz';

function configurationError(raw: Record<string, unknown>): InvalidConfigurationError {
  try {
    validateEnvironment(raw);
  } catch (error) {
    if (error instanceof InvalidConfigurationError) {
      return error;
    }
    throw error;
  }
  throw new Error(`validateEnvironment accepted ${JSON.stringify(raw)}`);
}

describe('validateEnvironment', () => {
  describe('defaults', () => {
    it('fills every variable with its documented default when nothing is set', () => {
      expect(validateEnvironment({})).toMatchObject({
        NODE_ENV: 'development',
        PORT: 3000,
        HOST: '127.0.0.1',
        DATABASE_URL: 'sqlite:./data/portcullis.sqlite',
        JWT_ALG: 'RS256',
        ACCESS_TOKEN_TTL: 900,
        REFRESH_TOKEN_TTL: 30 * 24 * 60 * 60,
        REGISTRATION_ENABLED: true,
        PASSWORD_MIN_LENGTH: 15,
        ARGON2_MEMORY_KIB: 19456,
        ARGON2_TIME_COST: 2,
        ARGON2_PARALLELISM: 1,
        KEY_ROTATION_INTERVAL: 0,
        KEY_RELOAD_INTERVAL: 10,
        PASSWORD_RESET_TTL: 30 * 60,
        EMAIL_VERIFY_TTL: 24 * 3600,
        REQUIRE_VERIFIED_EMAIL: false,
        MAIL_PRODUCT_NAME: 'Portcullis',
      });
    });

    it('leaves the optional variables unset', () => {
      const env = validateEnvironment({});

      expect(env.ISSUER).toBeUndefined();
      expect(env.AUDIENCE).toBeUndefined();
      expect(env.REDIS_URL).toBeUndefined();
      expect(env.JWT_SECRET).toBeUndefined();
      expect(env.BOOTSTRAP_ADMIN_USERNAME).toBeUndefined();
      expect(env.BOOTSTRAP_ADMIN_PASSWORD).toBeUndefined();
    });

    it('treats an empty string as unset and falls back to the default', () => {
      const env = validateEnvironment({
        PORT: '',
        HOST: '',
        JWT_ALG: '',
        JWT_SECRET: '',
        ISSUER: '',
        REGISTRATION_ENABLED: '',
        PASSWORD_MIN_LENGTH: '',
      });

      expect(env).toMatchObject({
        PORT: 3000,
        HOST: '127.0.0.1',
        JWT_ALG: 'RS256',
        REGISTRATION_ENABLED: true,
        PASSWORD_MIN_LENGTH: 15,
      });
      expect(env.JWT_SECRET).toBeUndefined();
      expect(env.ISSUER).toBeUndefined();
    });
  });

  describe('parsing', () => {
    it('turns numeric strings into numbers', () => {
      expect(
        validateEnvironment({
          PORT: '8080',
          PASSWORD_MIN_LENGTH: '20',
          ARGON2_MEMORY_KIB: '65536',
        }),
      ).toMatchObject({ PORT: 8080, PASSWORD_MIN_LENGTH: 20, ARGON2_MEMORY_KIB: 65536 });
    });

    it.each([
      ['900', 900],
      ['900s', 900],
      ['15m', 900],
      ['1h', 3600],
    ])('reads ACCESS_TOKEN_TTL=%s as %i seconds', (value, seconds) => {
      expect(validateEnvironment({ ACCESS_TOKEN_TTL: value }).ACCESS_TOKEN_TTL).toBe(seconds);
    });

    it.each([
      ['30d', 30 * 86400],
      ['12h', 12 * 3600],
      ['3600', 3600],
    ])('reads REFRESH_TOKEN_TTL=%s as %i seconds', (value, seconds) => {
      expect(validateEnvironment({ REFRESH_TOKEN_TTL: value }).REFRESH_TOKEN_TTL).toBe(seconds);
    });

    it.each([
      ['true', true],
      ['TRUE', true],
      ['1', true],
      ['yes', true],
      ['on', true],
      ['false', false],
      ['0', false],
      ['no', false],
      ['off', false],
    ])('reads REGISTRATION_ENABLED=%s as %s', (value, enabled) => {
      expect(validateEnvironment({ REGISTRATION_ENABLED: value }).REGISTRATION_ENABLED).toBe(
        enabled,
      );
    });

    it.each(['RS256', 'ES256', 'EdDSA'])('accepts JWT_ALG=%s without a JWT_SECRET', (alg) => {
      expect(validateEnvironment({ JWT_ALG: alg }).JWT_ALG).toBe(alg);
    });

    it.each([
      ['0', 0],
      ['90', 90],
      ['12h', 43200],
      ['30d', 30 * 86400],
    ])('reads KEY_ROTATION_INTERVAL=%s as %i seconds', (value, seconds) => {
      expect(validateEnvironment({ KEY_ROTATION_INTERVAL: value }).KEY_ROTATION_INTERVAL).toBe(
        seconds,
      );
    });

    it.each([
      ['1', 1],
      ['2s', 2],
      ['5m', 300],
    ])('reads KEY_RELOAD_INTERVAL=%s as %i seconds', (value, seconds) => {
      expect(validateEnvironment({ KEY_RELOAD_INTERVAL: value }).KEY_RELOAD_INTERVAL).toBe(seconds);
    });

    it('accepts a postgres:// DATABASE_URL', () => {
      const url = 'postgres://portcullis@db.internal:5432/portcullis';

      expect(validateEnvironment({ DATABASE_URL: url }).DATABASE_URL).toBe(url);
    });

    it('accepts HS256 with a secret of exactly 32 bytes', () => {
      const secret = STRONG_SECRET.slice(0, 32);

      expect(validateEnvironment({ JWT_ALG: 'HS256', JWT_SECRET: secret }).JWT_SECRET).toBe(secret);
    });

    it('measures JWT_SECRET in UTF-8 bytes: 16 two-byte characters are 32 bytes', () => {
      const secret = 'éàüöñçßøåæœðþłğš';
      expect(Buffer.byteLength(secret)).toBe(32);

      expect(validateEnvironment({ JWT_ALG: 'HS256', JWT_SECRET: secret }).JWT_ALG).toBe('HS256');
    });
  });

  describe('invalid values', () => {
    it.each<[string, Record<string, string>]>([
      ['PORT', { PORT: 'abc' }],
      ['PORT', { PORT: '70000' }],
      ['PORT', { PORT: '-1' }],
      ['NODE_ENV', { NODE_ENV: 'staging' }],
      ['DATABASE_URL', { DATABASE_URL: 'mysql://x' }],
      ['REDIS_URL', { REDIS_URL: 'http://cache:6379' }],
      ['ISSUER', { ISSUER: 'auth.example.com' }],
      ['JWT_ALG', { JWT_ALG: 'none' }],
      ['JWT_ALG', { JWT_ALG: 'HS512' }],
      ['JWT_ALG', { JWT_ALG: 'eddsa' }],
      ['JWT_ALG', { JWT_ALG: 'rs256' }],
      ['JWT_SECRET', { JWT_ALG: 'HS256' }],
      ['JWT_SECRET', { JWT_ALG: 'HS256', JWT_SECRET: STRONG_SECRET.slice(0, 31) }],
      ['JWT_SECRET', { JWT_ALG: 'RS256', JWT_SECRET: STRONG_SECRET }],
      ['ACCESS_TOKEN_TTL', { ACCESS_TOKEN_TTL: '15 minutes' }],
      ['ACCESS_TOKEN_TTL', { ACCESS_TOKEN_TTL: '2d' }],
      ['ACCESS_TOKEN_TTL', { ACCESS_TOKEN_TTL: '10s' }],
      ['REFRESH_TOKEN_TTL', { REFRESH_TOKEN_TTL: 'forever' }],
      ['KEY_ROTATION_INTERVAL', { KEY_ROTATION_INTERVAL: '-5' }],
      ['KEY_ROTATION_INTERVAL', { KEY_ROTATION_INTERVAL: '366d' }],
      ['KEY_ROTATION_INTERVAL', { KEY_ROTATION_INTERVAL: 'monthly' }],
      [
        'KEY_ROTATION_INTERVAL',
        { JWT_ALG: 'HS256', JWT_SECRET: STRONG_SECRET, KEY_ROTATION_INTERVAL: '30d' },
      ],
      ['KEY_RELOAD_INTERVAL', { KEY_RELOAD_INTERVAL: '0' }],
      ['KEY_RELOAD_INTERVAL', { KEY_RELOAD_INTERVAL: '6m' }],
      ['PASSWORD_MIN_LENGTH', { PASSWORD_MIN_LENGTH: '7' }],
      ['PASSWORD_MIN_LENGTH', { PASSWORD_MIN_LENGTH: '129' }],
      ['ARGON2_MEMORY_KIB', { ARGON2_MEMORY_KIB: '1024' }],
      ['ARGON2_TIME_COST', { ARGON2_TIME_COST: '1' }],
      ['ARGON2_PARALLELISM', { ARGON2_PARALLELISM: '0' }],
      ['REGISTRATION_ENABLED', { REGISTRATION_ENABLED: 'maybe' }],
      ['BOOTSTRAP_ADMIN_PASSWORD', { BOOTSTRAP_ADMIN_USERNAME: 'root' }],
      ['BOOTSTRAP_ADMIN_USERNAME', { BOOTSTRAP_ADMIN_PASSWORD: 'a long bootstrap passphrase' }],
      ['MAIL_URL', { MAIL_URL: 'http://mail.example.com' }],
      ['MAIL_URL', { MAIL_URL: 'sendmail' }],
      ['PASSWORD_RESET_URL', { PASSWORD_RESET_URL: 'https://app.example.com/reset' }],
      ['EMAIL_VERIFY_URL', { EMAIL_VERIFY_URL: 'javascript:alert(1)//{token}' }],
      ['PASSWORD_RESET_TTL', { PASSWORD_RESET_TTL: '2d' }],
      ['EMAIL_VERIFY_TTL', { EMAIL_VERIFY_TTL: '30s' }],
      ['REQUIRE_VERIFIED_EMAIL', { REQUIRE_VERIFIED_EMAIL: 'sometimes' }],
      ['MAIL_MAX_ATTEMPTS', { MAIL_MAX_ATTEMPTS: '0' }],
      ['MAIL_PRODUCT_NAME', { MAIL_PRODUCT_NAME: 'two\nlines' }],
    ])('refuses with one line naming %s for %j', (variable, raw) => {
      const error = configurationError(raw);

      expect(error.name).toBe('InvalidConfigurationError');
      expect(error.message).toMatch(/^Invalid configuration: \S/);
      expect(error.message).toContain(variable);
      expect(error.message).not.toMatch(/[\r\n]/);
    });

    it.each([
      ['PORT', 'abc', 'must be an integer'],
      ['ACCESS_TOKEN_TTL', '15 minutes', 'must be a duration such as'],
      ['REFRESH_TOKEN_TTL', 'forever', 'must be a duration such as'],
    ])('explains a non-numeric %s=%s with "%s", not as out of range', (variable, value, hint) => {
      expect(configurationError({ [variable]: value }).message).toContain(hint);
    });

    it.each<[string, Record<string, string>]>([
      ['too short for HS256', { JWT_ALG: 'HS256', JWT_SECRET: 'hunter2-hunter2' }],
      ['set without HS256', { JWT_ALG: 'ES256', JWT_SECRET: STRONG_SECRET }],
      [
        'a production placeholder',
        { NODE_ENV: 'production', JWT_ALG: 'HS256', JWT_SECRET: 'changeme'.repeat(5) },
      ],
      [
        'valid while another variable is wrong',
        { JWT_ALG: 'HS256', JWT_SECRET: STRONG_SECRET, PORT: 'abc' },
      ],
    ])('never repeats the JWT_SECRET value when it is %s', (_case, raw) => {
      const error = configurationError(raw);

      expect(error.message).not.toContain(raw.JWT_SECRET);
    });
  });

  describe('NODE_ENV=production', () => {
    it('refuses an http:// ISSUER', () => {
      const error = configurationError({
        NODE_ENV: 'production',
        ISSUER: 'http://auth.example.com',
      });

      expect(error.message).toContain('ISSUER');
      expect(error.message).toContain('https://');
    });

    it('refuses to fall back to the http://HOST:PORT issuer', () => {
      expect(configurationError({ NODE_ENV: 'production' }).message).toContain('ISSUER');
    });

    it('accepts the same http:// ISSUER in development', () => {
      expect(validateEnvironment({ ISSUER: 'http://auth.example.com' }).ISSUER).toBe(
        'http://auth.example.com',
      );
    });

    it('refuses a long but low-entropy HS256 secret', () => {
      const raw = { NODE_ENV: 'production', JWT_ALG: 'HS256', JWT_SECRET: 'ab'.repeat(24) };

      expect(configurationError(raw).message).toContain('JWT_SECRET');
    });

    it('accepts the same low-entropy secret outside production', () => {
      const raw = { NODE_ENV: 'development', JWT_ALG: 'HS256', JWT_SECRET: 'ab'.repeat(24) };

      expect(validateEnvironment(raw).JWT_ALG).toBe('HS256');
    });

    it('accepts an https:// ISSUER with a strong HS256 secret', () => {
      const env = validateEnvironment({
        NODE_ENV: 'production',
        ISSUER: 'https://auth.example.com',
        JWT_ALG: 'HS256',
        JWT_SECRET: STRONG_SECRET,
      });

      expect(env).toMatchObject({ NODE_ENV: 'production', ISSUER: 'https://auth.example.com' });
    });
  });
});
