import { NotFoundException } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { User } from '../users/entities/user.entity';
import { UsersService } from '../users/users.service';

/** USER on the command line: an id, or a username compared as logins compare it. */
export async function findUser(users: UsersService, idOrUsername: string): Promise<User> {
  if (isUUID(idOrUsername)) {
    return users.getById(idOrUsername);
  }
  const user = await users.findForLogin(idOrUsername);
  if (!user) {
    throw new NotFoundException(`No user is named ${JSON.stringify(idOrUsername)}`);
  }
  return user;
}
