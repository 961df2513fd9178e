import { Command, SubCommand } from 'nest-commander';
import { databaseConfig } from '../../config/database.config';
import {
  dataSourceOptions,
  migrate,
  migrationStatus,
  prepareSqliteFile,
} from '../../database/data-source-options';
import { printLine, printTable, report } from '../output';
import { CommandGroup, JsonOption, PortcullisCommand } from './portcullis-command';

// The data source alone, not the modules: they expect the schema these commands bring.
function databaseOptions() {
  const database = databaseConfig();
  prepareSqliteFile(database);
  return dataSourceOptions(database);
}

@SubCommand({ name: 'migrate', description: 'run the pending migrations' })
export class DbMigrateCommand extends PortcullisCommand {
  async run(_parameters: string[], { json }: JsonOption): Promise<void> {
    const applied = await migrate(databaseOptions());
    report(json, { applied }, () =>
      printLine(applied.length ? `Applied ${applied.join(', ')}` : 'No migration was pending'),
    );
  }
}

@SubCommand({ name: 'status', description: 'every migration, applied or pending' })
export class DbStatusCommand extends PortcullisCommand {
  async run(_parameters: string[], { json }: JsonOption): Promise<void> {
    const migrations = await migrationStatus(databaseOptions());
    const pending = migrations.filter(({ applied }) => !applied).length;
    report(json, { migrations, pending }, () => {
      printTable(
        migrations.map(({ name, applied }) => ({ name, state: applied ? 'applied' : 'pending' })),
        ['name', 'state'],
      );
      printLine(`${pending} pending`);
    });
  }
}

@Command({
  name: 'db',
  description: 'the database schema',
  subCommands: [DbMigrateCommand, DbStatusCommand],
})
export class DbCommand extends CommandGroup {}
