import { randomUUID } from 'node:crypto';
import { isForeignKeyViolation } from '../database/constraint-violations';
import { RefreshToken } from './entities/refresh-token.entity';
import { Session } from './entities/session.entity';
import { hashRefreshToken, newRefreshToken } from './refresh-token.crypto';

/** Fixed beside the refresh token, so that a grace replay can repeat it. */
export interface PlannedAccessToken {
  jti: string;
  iat: number;
}

export interface IssuedRefresh {
  session: Session;
  refreshToken: string;
  access: PlannedAccessToken;
}

export const plannedAccess = (now: Date): PlannedAccessToken => ({
  jti: randomUUID(),
  iat: Math.floor(now.getTime() / 1000),
});

/** A refresh token of `session`, idle-bounded, never past the session's absolute end. */
export function refreshTokenRow(
  session: Session,
  now: Date,
  idleTtlSeconds: number,
  token = newRefreshToken(),
): { row: RefreshToken; token: string } {
  const idleEnd = now.getTime() + idleTtlSeconds * 1000;
  return {
    token,
    row: {
      tokenHash: hashRefreshToken(token),
      sessionId: session.id,
      createdAt: now,
      expiresAt: new Date(Math.min(idleEnd, session.expiresAt.getTime())),
      usedAt: null,
      successorSealed: null,
    },
  };
}

/** Null when `write` referred to a row deleted meanwhile (an account). */
export async function unlessDeletedMeanwhile<T>(write: () => Promise<T | null>): Promise<T | null> {
  try {
    return await write();
  } catch (error) {
    if (isForeignKeyViolation(error)) {
      return null;
    }
    throw error;
  }
}
