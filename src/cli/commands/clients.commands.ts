import { Command, Option, SubCommand } from 'nest-commander';
import { ClientsService } from '../../clients/clients.service';
import { ClientResponse, toClientResponse } from '../../clients/dto/client.response';
import { CreateClientDto } from '../../clients/dto/create-client.dto';
import { cliInitiator } from '../cli-initiator';
import { printLine, printRecord, printTable, report } from '../output';
import { PortcullisApp } from '../portcullis-app';
import { validated } from '../validated';
import { collect, CommandGroup, JsonOption, PortcullisCommand } from './portcullis-command';

const clientRow = (client: ClientResponse) => ({
  ...client,
  scopes: client.scopes.join(' '),
  grants: client.grants.join(' '),
});

interface CreateOptions extends JsonOption {
  scope?: string[];
  grant?: string[];
  public?: boolean;
}

@SubCommand({
  name: 'create',
  arguments: '<name>',
  description: 'register a client; its secret is printed once',
})
export class ClientsCreateCommand extends PortcullisCommand<CreateOptions> {
  constructor(private readonly app: PortcullisApp) {
    super();
  }

  async run([name]: string[], options: CreateOptions): Promise<void> {
    const body = await validated(CreateClientDto, {
      name,
      scopes: options.scope ?? [],
      grants: options.grant,
      public: options.public,
    });
    const clients = await this.app.get(ClientsService);
    const { client, clientSecret } = await clients.create(body, cliInitiator());
    const created = { ...toClientResponse(client), clientSecret };
    report(options.json, created, () => {
      printRecord(clientRow(created));
      if (clientSecret) {
        process.stderr.write('The secret is shown this once: store it now.\n');
      }
    });
  }

  @Option({ flags: '--scope <scope>', description: 'a scope it may ask for (repeat, or commas)' })
  parseScope(value: string, previous?: string[]): string[] {
    return collect(value, previous);
  }

  @Option({ flags: '--grant <grant>', description: 'an allowed grant (repeat, or commas)' })
  parseGrant(value: string, previous?: string[]): string[] {
    return collect(value, previous);
  }

  @Option({ flags: '--public', description: 'a public client: no secret' })
  parsePublic(): boolean {
    return true;
  }
}

const PAGE = 200;

@SubCommand({ name: 'list', description: 'list clients (no secrets)' })
export class ClientsListCommand extends PortcullisCommand {
  constructor(private readonly app: PortcullisApp) {
    super();
  }

  async run(_parameters: string[], { json }: JsonOption): Promise<void> {
    const service = await this.app.get(ClientsService);
    const clients: ClientResponse[] = [];
    for (let after: string | undefined; ;) {
      const page = await service.list({ limit: PAGE, after });
      clients.push(...page.map(toClientResponse));
      if (page.length < PAGE) {
        break;
      }
      after = page[page.length - 1].clientId;
    }
    report(json, clients, () =>
      printTable(clients.map(clientRow), ['clientId', 'name', 'scopes', 'grants']),
    );
  }
}

@SubCommand({
  name: 'delete',
  arguments: '<clientId>',
  description: 'delete a client; its tokens and the sessions started through it end',
})
export class ClientsDeleteCommand extends PortcullisCommand {
  constructor(private readonly app: PortcullisApp) {
    super();
  }

  async run([clientId]: string[], { json }: JsonOption): Promise<void> {
    await (await this.app.get(ClientsService)).remove(clientId, cliInitiator());
    report(json, { clientId, deleted: true }, () => printLine(`Deleted client ${clientId}`));
  }
}

@Command({
  name: 'clients',
  description: 'OAuth clients',
  subCommands: [ClientsCreateCommand, ClientsListCommand, ClientsDeleteCommand],
})
export class ClientsCommand extends CommandGroup {}
