import { RequestContext } from '../common/request-context';

export const SECURITY_EVENT_TYPES = [
  'login_succeeded',
  'login_failed',
  'token_issued',
  'token_refreshed',
  'refresh_reuse_detected',
  'token_revoked',
  'user_registered',
  'password_changed',
  'user_created',
  'user_updated',
  'user_disabled',
  'user_deleted',
  'client_created',
  'client_deleted',
  'client_updated',
  'client_secret_rotated',
  'key_rotated',
  'pat_created',
  'pat_revoked',
  'mfa_enabled',
  'mfa_disabled',
  'mfa_challenge_failed',
  'recovery_code_used',
  'recovery_codes_regenerated',
  'password_reset_requested',
  'password_reset',
  'email_verified',
  'mail_failed',
  'mfa_reset_by_admin',
] as const;
export type SecurityEventType = (typeof SECURITY_EVENT_TYPES)[number];

/** Plain values only: an event never carries a secret, a password or a token. */
export type SecurityEventDetail = Record<string, string | number | boolean | null>;

export interface SecurityEvent {
  type: SecurityEventType;
  /** The user the event is about (the subject, not necessarily the caller). */
  userId?: string | null;
  clientId?: string | null;
  context?: RequestContext;
  detail?: SecurityEventDetail;
}

export interface Initiator {
  context?: RequestContext;
  actorId?: string;
}

export const SECURITY_EVENT = 'security';
