export const USERNAME_PATTERN = /^[A-Za-z0-9._-]{3,64}$/;

/** Usernames are unique ignoring case: this is the form that is compared and indexed. */
export function normalizeUsername(username: string): string {
  return username.toLowerCase();
}
