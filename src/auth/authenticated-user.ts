import type { User } from '../users/entities/user.entity';

export interface AuthenticatedUser {
  id: string;
  username: string;
  roles: string[];
  tokenId: string;
  sessionId?: string;
  clientId?: string;
  /** The account as this request's checks read it, so GET /users/me need not read it again. */
  account: User;
}
