import { Injectable } from '@nestjs/common';
import { Option, SubCommand } from 'nest-commander';
import { MfaEnrolment } from '../../mfa/mfa-enrolment.service';
import { PasswordResetService } from '../../recovery/password-reset.service';
import { CredentialsService } from '../../users/credentials.service';
import { toUserResponse } from '../../users/dto/user.response';
import { UpdateUserDto } from '../../users/dto/update-user.dto';
import { UsersService } from '../../users/users.service';
import { cliInitiator } from '../cli-initiator';
import { printLine, report } from '../output';
import { PortcullisApp } from '../portcullis-app';
import { readSecret } from '../secret-input';
import { findUser } from '../user-argument';
import { validated } from '../validated';
import { JsonOption, PortcullisCommand } from './portcullis-command';

/** A PATCH /users/{id} from the command line: the same rules, events and transaction. */
@Injectable()
abstract class UserUpdateCommand extends PortcullisCommand {
  constructor(protected readonly app: PortcullisApp) {
    super();
  }

  protected async update(name: string, changes: object, json?: boolean): Promise<void> {
    const body = await validated(UpdateUserDto, changes);
    const users = await this.app.get(UsersService);
    const { id } = await findUser(users, name);
    const user = toUserResponse(await users.update(id, body, cliInitiator()));
    report(json, user, () =>
      printLine(
        `${user.username}: ${user.disabled ? 'disabled' : 'enabled'}, roles ${user.roles.join(',')}`,
      ),
    );
  }
}

@SubCommand({
  name: 'disable',
  arguments: '<user>',
  description: 'disable a user: their sessions and tokens end for good',
})
export class UsersDisableCommand extends UserUpdateCommand {
  run([name]: string[], { json }: JsonOption): Promise<void> {
    return this.update(name, { disabled: true }, json);
  }
}

@SubCommand({ name: 'enable', arguments: '<user>', description: 'enable a disabled user' })
export class UsersEnableCommand extends UserUpdateCommand {
  run([name]: string[], { json }: JsonOption): Promise<void> {
    return this.update(name, { disabled: false }, json);
  }
}

@SubCommand({
  name: 'set-roles',
  arguments: '<user> <roles...>',
  description: "replace a user's roles",
})
export class UsersSetRolesCommand extends UserUpdateCommand {
  run([name, ...roles]: string[], { json }: JsonOption): Promise<void> {
    return this.update(name, { roles: roles.flatMap((role) => role.split(',')) }, json);
  }
}

interface ResetPasswordOptions extends JsonOption {
  mail?: boolean;
}

@SubCommand({
  name: 'reset-password',
  arguments: '<user>',
  description:
    'set a new password (read from stdin or a prompt) and end every session; --mail sends a reset link instead',
})
export class UsersResetPasswordCommand extends PortcullisCommand<ResetPasswordOptions> {
  constructor(private readonly app: PortcullisApp) {
    super();
  }

  async run([name]: string[], { mail, json }: ResetPasswordOptions): Promise<void> {
    // Read before anything boots: a prompt should not wait behind the database.
    const password = mail ? undefined : await readSecret('new password');
    const user = await findUser(await this.app.get(UsersService), name);
    if (password === undefined) {
      await (await this.app.get(PasswordResetService)).requestFor(user.id, cliInitiator());
    } else {
      await (
        await this.app.get(CredentialsService)
      ).setByAdministrator(user, password, cliInitiator());
    }
    const outcome = password === undefined ? 'mailed a reset link' : 'password set';
    report(json, { id: user.id, username: user.username, outcome }, () =>
      printLine(
        `${user.username}: ${outcome}${password === undefined ? '' : '; every session ended'}`,
      ),
    );
  }

  @Option({ flags: '--mail', description: 'mail the user a reset link (needs MAIL_URL)' })
  parseMail(): boolean {
    return true;
  }
}

@SubCommand({
  name: 'reset-mfa',
  arguments: '<user>',
  description: "remove a user's second factor (a lost device); their sessions end",
})
export class UsersResetMfaCommand extends PortcullisCommand {
  constructor(private readonly app: PortcullisApp) {
    super();
  }

  async run([name]: string[], { json }: JsonOption): Promise<void> {
    const user = await findUser(await this.app.get(UsersService), name);
    await (await this.app.get(MfaEnrolment)).resetByAdmin(user.id, cliInitiator());
    report(json, { id: user.id, username: user.username, mfaEnabled: false }, () =>
      printLine(`${user.username}: second factor removed; every session ended`),
    );
  }
}
