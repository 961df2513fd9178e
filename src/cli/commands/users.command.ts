import { Command } from 'nest-commander';
import { CommandGroup } from './portcullis-command';
import {
  UsersCreateCommand,
  UsersDeleteCommand,
  UsersEndSessionsCommand,
  UsersListCommand,
  UsersSessionsCommand,
  UsersShowCommand,
} from './users-accounts.commands';
import {
  UsersDisableCommand,
  UsersEnableCommand,
  UsersResetMfaCommand,
  UsersResetPasswordCommand,
  UsersSetRolesCommand,
} from './users-changes.commands';

export const USERS_SUBCOMMANDS = [
  UsersCreateCommand,
  UsersListCommand,
  UsersShowCommand,
  UsersDisableCommand,
  UsersEnableCommand,
  UsersDeleteCommand,
  UsersSetRolesCommand,
  UsersResetPasswordCommand,
  UsersResetMfaCommand,
  UsersSessionsCommand,
  UsersEndSessionsCommand,
];

@Command({ name: 'users', description: 'user accounts', subCommands: USERS_SUBCOMMANDS })
export class UsersCommand extends CommandGroup {}
