export const ADMIN_ROLE = 'admin';

export const DEFAULT_ROLES = ['user'];
