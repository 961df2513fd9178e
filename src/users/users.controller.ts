import { AdminOnly } from '../auth/decorators/admin-only.decorator';
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
import { Initiated } from '../auth/decorators/initiated.decorator';
import { ApiProblemResponse } from '../common/api-problem-response.decorator';
import { ApiUuidParam } from '../common/api-uuid-param.decorator';
import { CreateUserDto } from './dto/create-user.dto';
import { ListUsersQuery } from './dto/list-users.query';
import { UpdateUserDto } from './dto/update-user.dto';
import { toUserResponse, UserListResponse, UserResponse } from './dto/user.response';
import { UserSearch } from './user-search.service';
import { UsersService } from './users.service';
import { Initiator } from '../events/security-event';

const UserId = () => Param('id', new ParseUUIDPipe());

@ApiTags('users (admin)')
@AdminOnly()
@Controller('users')
export class UsersController {
  constructor(
    private readonly users: UsersService,
    private readonly search: UserSearch,
  ) {}

  @Get()
  @ApiOperation({ summary: 'List users, oldest first' })
  @ApiOkResponse({ type: UserListResponse })
  @ApiProblemResponse(400, 'A limit, offset or q out of bounds, or a cursor this list did not give')
  async list(@Query() query: ListUsersQuery): Promise<UserListResponse> {
    const page = await this.search.list(query);
    return { ...page, items: page.items.map(toUserResponse) };
  }

  @Post()
  @ApiOperation({ summary: 'Create a user, optionally with roles' })
  @ApiCreatedResponse({ type: UserResponse })
  @ApiProblemResponse(400, 'Invalid username, email, roles, weak or common password')
  @ApiProblemResponse(409, 'Username or email taken')
  async create(
    @Body() body: CreateUserDto,
    @Initiated() initiator: Initiator,
  ): Promise<UserResponse> {
    return toUserResponse(await this.users.create(body, initiator));
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
    @Initiated() initiator: Initiator,
  ): Promise<UserResponse> {
    return toUserResponse(await this.users.update(id, body, initiator));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a user; their tokens stop working at once' })
  @ApiUuidParam('id')
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiProblemResponse(404, 'No such user')
  @ApiProblemResponse(409, 'The last enabled administrator')
  remove(@UserId() id: string, @Initiated() initiator: Initiator): Promise<void> {
    return this.users.remove(id, initiator);
  }
}
