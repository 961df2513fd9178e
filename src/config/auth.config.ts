import { registerAs } from '@nestjs/config';
import { validateEnvironment } from './environment';

export const authConfig = registerAs('auth', () => {
  const env = validateEnvironment(process.env);
  return {
    jwtAlg: env.JWT_ALG,
    jwtSecret: env.JWT_SECRET,
    accessTokenTtl: env.ACCESS_TOKEN_TTL,
    keyRotationInterval: env.KEY_ROTATION_INTERVAL,
    keyReloadInterval: env.KEY_RELOAD_INTERVAL,
    keyEncryptionKeys: env.KEY_ENCRYPTION_KEY?.split(',') ?? [],
    refreshTokenTtl: env.REFRESH_TOKEN_TTL,
    refreshIdleTtl: env.REFRESH_IDLE_TTL,
    refreshReuseGrace: env.REFRESH_REUSE_GRACE,
    clientSecretOverlapMs: env.CLIENT_SECRET_OVERLAP * 1000,
    registrationEnabled: env.REGISTRATION_ENABLED,
    bootstrapAdmin:
      env.BOOTSTRAP_ADMIN_USERNAME !== undefined && env.BOOTSTRAP_ADMIN_PASSWORD !== undefined
        ? { username: env.BOOTSTRAP_ADMIN_USERNAME, password: env.BOOTSTRAP_ADMIN_PASSWORD }
        : undefined,
  };
});
export type AuthConfig = ReturnType<typeof authConfig>;
