import { createHash } from 'node:crypto';

// Hashed so that the store never holds usernames (or passwords typed into the username field),
// account ids or addresses in clear.
export const digest = (text: string): string => createHash('sha256').update(text).digest('hex');
