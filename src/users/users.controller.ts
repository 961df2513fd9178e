import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
  Query,
} from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Roles } from '../auth/decorators/roles.decorator';
import { ApiBearerAccess } from '../common/api-bearer-access.decorator';
import { ApiProblemResponse } from '../common/api-problem-response.decorator';
import { ApiUuidParam } from '../common/api-uuid-param.decorator';
import { CreateUserDto } from './dto/create-user.dto';
import { ListUsersQuery } from './dto/list-users.query';
import { UpdateUserDto } from './dto/update-user.dto';
import { toUserResponse, UserListResponse, UserResponse } from './dto/user.response';
import { ADMIN_ROLE, UsersService } from './users.service';
import { RequestContext } from '../common/request-context';
import { RequestMeta } from '../common/request-meta.decorator';
import { SecurityEvents } from '../events/security-events.service';
import { AuthenticatedUser } from '../auth/authenticated-user';
import { CurrentUser } from '../auth/decorators/current-user.decorator';

const UserId = () => Param('id', new ParseUUIDPipe());

@ApiTags('users (admin)')
@ApiBearerAccess({ admin: true })
@Roles(ADMIN_ROLE)
@Controller('users')
export class UsersController {
  constructor(
    private readonly users: UsersService,
    private readonly events: SecurityEvents,
  ) {}

  @Get()
  @ApiOperation({ summary: 'List users, oldest first' })
  @ApiOkResponse({ type: UserListResponse })
  @ApiProblemResponse(400, 'A limit, offset or q out of bounds')
  async list(@Query() query: ListUsersQuery): Promise<UserListResponse> {
    const { items, total } = await this.users.list(query);
    return { items: items.map(toUserResponse), total };
  }

  @Post()
  @ApiOperation({ summary: 'Create a user, optionally with roles' })
  @ApiCreatedResponse({ type: UserResponse })
  @ApiProblemResponse(400, 'Invalid username, email, roles, weak or common password')
  @ApiProblemResponse(409, 'Username or email taken')
  async create(
    @Body() body: CreateUserDto,
    @CurrentUser() caller: AuthenticatedUser,
    @RequestMeta() context: RequestContext,
  ): Promise<UserResponse> {
    const user = await this.users.create(body);
    await this.events.publish({
      type: 'user_created',
      userId: user.id,
      context,
      detail: { actorId: caller.id, roles: user.roles.join(' ') },
    });
    return toUserResponse(user);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One user' })
  @ApiUuidParam('id')
  @ApiOkResponse({ type: UserResponse })
  @ApiProblemResponse(404, 'No such user')
  async get(@UserId() id: string): Promise<UserResponse> {
    return toUserResponse(await this.users.getById(id));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change a user; disabling stops their tokens from working' })
  @ApiUuidParam('id')
  @ApiOkResponse({ type: UserResponse })
  @ApiProblemResponse(400, 'Invalid email, full name, roles or disabled')
  @ApiProblemResponse(404, 'No such user')
  @ApiProblemResponse(
    409,
    'Email already registered, or the change would leave no enabled administrator',
  )
  async update(
    @UserId() id: string,
    @Body() body: UpdateUserDto,
    @CurrentUser() caller: AuthenticatedUser,
    @RequestMeta() context: RequestContext,
  ): Promise<UserResponse> {
    const { user, disabled } = await this.users.update(id, body);
    // Field names only: an audit record says what changed, not to what (an email is personal data).
    const detail = { actorId: caller.id, fields: Object.keys(body).sort().join(' ') };
    await this.events.publish({ type: 'user_updated', userId: id, context, detail });
    if (disabled) {
      await this.events.publish({
        type: 'user_disabled',
        userId: id,
        context,
        detail: { actorId: caller.id },
      });
    }
    return toUserResponse(user);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a user; their tokens stop working at once' })
  @ApiUuidParam('id')
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiProblemResponse(404, 'No such user')
  @ApiProblemResponse(409, 'The last enabled administrator')
  async remove(
    @UserId() id: string,
    @CurrentUser() caller: AuthenticatedUser,
    @RequestMeta() context: RequestContext,
  ): Promise<void> {
    await this.users.remove(id);
    await this.events.publish({
      type: 'user_deleted',
      userId: id,
      context,
      detail: { actorId: caller.id },
    });
  }
}
