/** What a verified access token leaves on the request for handlers and guards. */
export interface AuthenticatedUser {
  id: string;
  username: string;
  roles: string[];
  tokenId: string;
}
