import { registerAs } from '@nestjs/config';
import { validateEnvironment } from './environment';

export const passwordConfig = registerAs('password', () => {
  const env = validateEnvironment(process.env);
  return {
    minLength: env.PASSWORD_MIN_LENGTH,
    maxLength: 128,
    argon2: {
      memoryCost: env.ARGON2_MEMORY_KIB,
      timeCost: env.ARGON2_TIME_COST,
      parallelism: env.ARGON2_PARALLELISM,
    },
  };
});
export type PasswordConfig = ReturnType<typeof passwordConfig>;
