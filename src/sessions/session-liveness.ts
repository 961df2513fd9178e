import type { User } from '../users/entities/user.entity';
import type { Session } from './entities/session.entity';

export function isSessionLive(session: Session, nowMs = Date.now()): boolean {
  // new Date(): TypeORM's SQLite driver leaves the stored string when `Date` is not the global
  // it captured (a test's fake clock), and the comparison must hold either way.
  return session.revokedAt === null && new Date(session.expiresAt).getTime() > nowMs;
}

export const LIVE_SESSION_SQL = '"revokedAt" IS NULL AND "expiresAt" > :now';

/** False once a password change or a disable came after the login (Session.tokenVersion). */
export function isAccountCurrent(session: Session, user: User | null): user is User {
  return user !== null && !user.disabled && user.tokenVersion === session.tokenVersion;
}

/** The session's RFC 8176 methods, as its access tokens carry them. */
export function amrOf(session: Session): string[] {
  return session.amr.split(' ');
}
