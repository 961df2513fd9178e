import { User } from '../users/entities/user.entity';

/**
 * The earliest `iat` (whole seconds) a user's access token may carry. `iat` has one-second
 * resolution, so the instant of a password change is rounded up: a token issued earlier in the
 * same second is refused, and tokens issued after it are stamped no earlier than this value.
 */
export function earliestValidIssuedAt(user: Pick<User, 'passwordChangedAt'>): number {
  return Math.ceil(user.passwordChangedAt.getTime() / 1000);
}
