import { ApiProperty } from '@nestjs/swagger';
import { User } from '../entities/user.entity';
import { LIST_WINDOW } from './list-users.query';

export class UserResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'ada.lovelace' })
  username: string;

  @ApiProperty({ type: String, nullable: true, example: 'ada@example.com' })
  email: string | null;

  @ApiProperty({ description: 'Whether the owner proved the email address theirs' })
  emailVerified: boolean;

  @ApiProperty({ type: String, nullable: true, example: 'Ada Lovelace' })
  fullName: string | null;

  @ApiProperty({ type: [String], example: ['user'] })
  roles: string[];

  @ApiProperty()
  disabled: boolean;

  @ApiProperty({ description: 'Whether logging in needs a second factor (TOTP)' })
  mfaEnabled: boolean;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;
}

export class UserListResponse {
  @ApiProperty({ type: [UserResponse] })
  items: UserResponse[];

  @ApiProperty({
    type: 'integer',
    description: `Users matching the query, ignoring paging; counted up to ${LIST_WINDOW} unless total=exact`,
  })
  total: number;

  @ApiProperty({
    description: `False when more than ${LIST_WINDOW} match and total says ${LIST_WINDOW}`,
  })
  totalExact: boolean;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Cursor of the next page (pass as `after`); null on the last page',
  })
  next: string | null;
}

/** The only way a user leaves the service: an explicit allow-list, never the entity itself. */
export function toUserResponse(user: User): UserResponse {
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    emailVerified: user.emailVerified,
    fullName: user.fullName,
    roles: user.roles,
    disabled: user.disabled,
    mfaEnabled: user.mfaEnabled,
    createdAt: user.createdAt.toISOString(),
    updatedAt: user.updatedAt.toISOString(),
  };
}
