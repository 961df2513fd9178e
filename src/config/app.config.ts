import { registerAs } from '@nestjs/config';
import { validateEnvironment } from './environment';

export const appConfig = registerAs('app', () => {
  const env = validateEnvironment(process.env);
  const issuer = env.ISSUER ?? `http://${env.HOST}:${env.PORT}`;
  return {
    nodeEnv: env.NODE_ENV,
    port: env.PORT,
    host: env.HOST,
    issuer,
    audience: env.AUDIENCE ?? issuer,
    redisUrl: env.REDIS_URL,
    redisKeyPrefix: env.REDIS_KEY_PREFIX,
  };
});
export type AppConfig = ReturnType<typeof appConfig>;
