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
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Roles } from '../auth/decorators/roles.decorator';
import { ApiBearerAccess } from '../common/api-bearer-access.decorator';
import { ProblemDetailsDto } from '../common/problem-details.dto';
import { CreateUserDto } from './dto/create-user.dto';
import { ListUsersQuery } from './dto/list-users.query';
import { UpdateUserDto } from './dto/update-user.dto';
import { toUserResponse, UserListResponse, UserResponse } from './dto/user.response';
import { ADMIN_ROLE, UsersService } from './users.service';

const UserId = () => Param('id', new ParseUUIDPipe());

@ApiTags('users (admin)')
@ApiBearerAccess({ admin: true })
@Roles(ADMIN_ROLE)
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @ApiOperation({ summary: 'List users, oldest first' })
  @ApiOkResponse({ type: UserListResponse })
  @ApiBadRequestResponse({ type: ProblemDetailsDto })
  async list(@Query() query: ListUsersQuery): Promise<UserListResponse> {
    const { items, total } = await this.users.list(query);
    return { items: items.map(toUserResponse), total };
  }

  @Post()
  @ApiOperation({ summary: 'Create a user, optionally with roles' })
  @ApiCreatedResponse({ type: UserResponse })
  @ApiBadRequestResponse({ type: ProblemDetailsDto })
  @ApiConflictResponse({ type: ProblemDetailsDto, description: 'Username or email taken' })
  async create(@Body() body: CreateUserDto): Promise<UserResponse> {
    return toUserResponse(await this.users.create(body));
  }

  @Get(':id')
  @ApiOperation({ summary: 'One user' })
  @ApiOkResponse({ type: UserResponse })
  @ApiNotFoundResponse({ type: ProblemDetailsDto })
  async get(@UserId() id: string): Promise<UserResponse> {
    return toUserResponse(await this.users.getById(id));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change a user; disabling stops their tokens from working' })
  @ApiOkResponse({ type: UserResponse })
  @ApiBadRequestResponse({ type: ProblemDetailsDto })
  @ApiNotFoundResponse({ type: ProblemDetailsDto })
  @ApiConflictResponse({ type: ProblemDetailsDto, description: 'Email already registered' })
  async update(@UserId() id: string, @Body() body: UpdateUserDto): Promise<UserResponse> {
    return toUserResponse(await this.users.update(id, body));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a user; their tokens stop working at once' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiNotFoundResponse({ type: ProblemDetailsDto })
  async remove(@UserId() id: string): Promise<void> {
    await this.users.remove(id);
  }
}
