import type { User } from '../users/entities/user.entity';

export interface AuthenticatedUser {
  id: string;
  username: string;
  roles: string[];
  /** The access token's jti, or the personal access token's id. */
  tokenId: string;
  sessionId?: string;
  clientId?: string;
  /** Set when the bearer was a personal access token: what it may do is narrowed to `scopes`. */
  personalAccessToken?: { scopes: readonly string[] };
  /** The account as this request's checks read it, so GET /users/me need not read it again. */
  account: User;
}
