import type { User } from '../users/entities/user.entity';

/** What a verified access token leaves on the request for handlers and guards. */
export interface AuthenticatedUser {
  id: string;
  username: string;
  roles: string[];
  tokenId: string;
  /** The session (refresh-token family) of the token, when it came from a login. */
  sessionId?: string;
  /** The client the user logged in through, when one authenticated. */
  clientId?: string;
  /** The account as this request's checks read it, so GET /users/me need not read it again. */
  account: User;
}
