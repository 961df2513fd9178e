import { applyDecorators } from '@nestjs/common';
import { ApiBearerAccess } from '../../common/api-bearer-access.decorator';
import { ADMIN_ROLE } from '../roles';
import { Roles } from './roles.decorator';

/** Every route of the controller needs an administrator's bearer token. */
export const AdminOnly = () => applyDecorators(ApiBearerAccess({ admin: true }), Roles(ADMIN_ROLE));
