import { Command, SubCommand } from 'nest-commander';
import { KeyRotationService } from '../../keys/key-rotation.service';
import { SigningKeysService } from '../../keys/signing-keys.service';
import { AccountRevocation } from '../../users/account-revocation.service';
import { UsersService } from '../../users/users.service';
import { cliInitiator } from '../cli-initiator';
import { printLine, printTable, report } from '../output';
import { PortcullisApp } from '../portcullis-app';
import { findUser } from '../user-argument';
import { CommandGroup, JsonOption, PortcullisCommand } from './portcullis-command';

@SubCommand({ name: 'list', description: 'the published signing keys: signing, next, retired' })
export class KeysListCommand extends PortcullisCommand {
  constructor(private readonly app: PortcullisApp) {
    super();
  }

  async run(_parameters: string[], { json }: JsonOption): Promise<void> {
    const keys = await this.app.get(SigningKeysService);
    const summaries = await keys.summaries();
    report(json, { alg: keys.algorithm, keys: summaries }, () => {
      if (keys.algorithm === 'HS256') {
        printLine('JWT_ALG=HS256: the key is JWT_SECRET, from the environment; none is stored');
        return;
      }
      printTable(summaries, ['kid', 'state', 'publishedAt', 'signsFrom', 'retiresAt']);
    });
  }
}

@SubCommand({
  name: 'rotate',
  description:
    'sign new tokens with the next key; the previous stays published until its tokens expire',
})
export class KeysRotateCommand extends PortcullisCommand {
  constructor(private readonly app: PortcullisApp) {
    super();
  }

  async run(_parameters: string[], { json }: JsonOption): Promise<void> {
    const rotated = await (await this.app.get(KeyRotationService)).rotate(cliInitiator());
    report(json, rotated, () => printLine(`${rotated.kid} signs now`));
  }
}

@Command({
  name: 'keys',
  description: 'token signing keys',
  subCommands: [KeysListCommand, KeysRotateCommand],
})
export class KeysCommand extends CommandGroup {}

@SubCommand({
  name: 'revoke-user',
  arguments: '<user>',
  description: "end all of a user's sessions, access, refresh and personal access tokens",
})
export class TokensRevokeUserCommand extends PortcullisCommand {
  constructor(private readonly app: PortcullisApp) {
    super();
  }

  async run([name]: string[], { json }: JsonOption): Promise<void> {
    const { id, username } = await findUser(await this.app.get(UsersService), name);
    await (await this.app.get(AccountRevocation)).revokeAll(id, cliInitiator());
    report(json, { id, username, revoked: true }, () =>
      printLine(`${username}: every session and token ended`),
    );
  }
}

@Command({
  name: 'tokens',
  description: 'tokens and sessions',
  subCommands: [TokensRevokeUserCommand],
})
export class TokensCommand extends CommandGroup {}
