import { registerAs } from '@nestjs/config';
import { validateEnvironment } from './environment';

const SECOND = 1000;

/** Outside production, mail lands in files a newcomer can open (docs/configuration.md, Mail). */
export const DEFAULT_MAIL_URL = 'file:./data/outbox';

export const mailConfig = registerAs('mail', () => {
  const env = validateEnvironment(process.env);
  const issuer = env.ISSUER ?? `http://${env.HOST}:${env.PORT}`;
  const host = new URL(issuer).hostname;
  return {
    /** Unset only in production without MAIL_URL: the routes that send mail answer 503. */
    url: env.MAIL_URL ?? (env.NODE_ENV === 'production' ? undefined : DEFAULT_MAIL_URL),
    from: env.MAIL_FROM ?? `${env.MAIL_PRODUCT_NAME} <no-reply@${host}>`,
    productName: env.MAIL_PRODUCT_NAME,
    templatesDir: env.MAIL_TEMPLATES_DIR,
    maxAttempts: env.MAIL_MAX_ATTEMPTS,
    retryDelayMs: env.MAIL_RETRY_DELAY * SECOND,
    sendIntervalMs: env.MAIL_SEND_INTERVAL * SECOND,
    requestsPerHourPerIp: env.MAIL_REQUESTS_PER_HOUR_PER_IP,
    requestsPerHourPerAccount: env.MAIL_REQUESTS_PER_HOUR_PER_ACCOUNT,
    passwordResetUrl: env.PASSWORD_RESET_URL ?? `${issuer}/auth/password-reset#token={token}`,
    emailVerifyUrl: env.EMAIL_VERIFY_URL ?? `${issuer}/auth/verify-email#token={token}`,
    passwordResetTtlMs: env.PASSWORD_RESET_TTL * SECOND,
    emailVerifyTtlMs: env.EMAIL_VERIFY_TTL * SECOND,
    requireVerifiedEmail: env.REQUIRE_VERIFIED_EMAIL,
    keyEncryptionKeys: env.KEY_ENCRYPTION_KEY?.split(',') ?? [],
  };
});
export type MailConfig = ReturnType<typeof mailConfig>;
