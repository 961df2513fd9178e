import { SetMetadata } from '@nestjs/common';

export const ROLES_KEY = 'roles';

/** The caller needs at least one of these roles (checked after authentication by RolesGuard). */
export const Roles = (...roles: string[]) => SetMetadata(ROLES_KEY, roles);
