export const ADMIN_ROLE = 'admin';

/** What a new account holds unless an administrator says otherwise. */
export const DEFAULT_ROLES = ['user'];
