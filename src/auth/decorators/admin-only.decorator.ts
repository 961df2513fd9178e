import { applyDecorators } from '@nestjs/common';
import { ApiBearerAccess } from '../../common/api-bearer-access.decorator';
import { ADMIN_SCOPE } from '../../oauth/scopes';
import { ADMIN_ROLE } from '../roles';
import { Roles } from './roles.decorator';
import { TokenScope } from './token-scope.decorator';

/** Every route of the controller needs an administrator, and a personal access token `admin`. */
export const AdminOnly = () =>
  applyDecorators(ApiBearerAccess({ admin: true }), Roles(ADMIN_ROLE), TokenScope(ADMIN_SCOPE));
