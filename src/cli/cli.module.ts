import { Injectable, Module } from '@nestjs/common';
import type { Command } from 'commander';
import { InjectCommander } from 'nest-commander';
import {
  ClientsCommand,
  ClientsCreateCommand,
  ClientsDeleteCommand,
  ClientsListCommand,
} from './commands/clients.commands';
import { DbCommand, DbMigrateCommand, DbStatusCommand } from './commands/db.commands';
import {
  KeysCommand,
  KeysListCommand,
  KeysRotateCommand,
  TokensCommand,
  TokensRevokeUserCommand,
} from './commands/keys-tokens.commands';
import {
  CalibrateCommand,
  MailCommand,
  MailTestCommand,
  PurgeCommand,
} from './commands/operations.commands';
import { USERS_SUBCOMMANDS, UsersCommand } from './commands/users.command';
import { PortcullisApp } from './portcullis-app';

/** commander would otherwise name the program after the script file. */
@Injectable()
class ProgramName {
  constructor(@InjectCommander() program: Command) {
    program.name('portcullis').description('Operate a Portcullis deployment');
  }
}

/** The commands only: the service's modules boot behind PortcullisApp when a command needs them. */
@Module({
  providers: [
    PortcullisApp,
    ProgramName,
    UsersCommand,
    ...USERS_SUBCOMMANDS,
    ClientsCommand,
    ClientsCreateCommand,
    ClientsListCommand,
    ClientsDeleteCommand,
    KeysCommand,
    KeysListCommand,
    KeysRotateCommand,
    TokensCommand,
    TokensRevokeUserCommand,
    DbCommand,
    DbMigrateCommand,
    DbStatusCommand,
    MailCommand,
    MailTestCommand,
    CalibrateCommand,
    PurgeCommand,
  ],
})
export class CliModule {}
