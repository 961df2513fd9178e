import type { AuthConfig } from '../../src/config/auth.config';

/** The auth settings as the defaults make them, for specs that build the key services by hand. */
export function authSettings(overrides: Partial<AuthConfig> = {}): AuthConfig {
  return {
    // ES256 unless a test needs another: an RSA key takes up to a second to make.
    jwtAlg: 'ES256',
    jwtSecret: undefined,
    accessTokenTtl: 900,
    keyRotationInterval: 0,
    keyReloadInterval: 10,
    keyEncryptionKeys: [],
    refreshTokenTtl: 30 * 86400,
    refreshIdleTtl: 7 * 86400,
    refreshReuseGrace: 0,
    clientSecretOverlapMs: 24 * 3600 * 1000,
    registrationEnabled: true,
    bootstrapAdmin: undefined,
    ...overrides,
  };
}
