import { CommandRunner, Option } from 'nest-commander';
import { UsageError } from '../exit-codes';

export interface JsonOption {
  json?: boolean;
}

/** Every command answers for people, or with --json for scripts. */
export abstract class PortcullisCommand<
  Options extends JsonOption = JsonOption,
> extends CommandRunner {
  abstract override run(parameters: string[], options: Options): Promise<void>;

  @Option({ flags: '--json', description: 'print one JSON document on stdout' })
  parseJson(): boolean {
    return true;
  }
}

/** A group (`users`, `clients`…): run alone, it shows its subcommands. */
export abstract class CommandGroup extends CommandRunner {
  run(): Promise<void> {
    this.command.outputHelp({ error: true });
    return Promise.reject(new UsageError(`${this.command.name()}: name a subcommand`));
  }
}

/** Repeatable `--role a --role b`, commas allowed too. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(',').filter(Boolean)];
}

export function positiveNumber(name: string, value: string): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) {
    throw new UsageError(`${name} must be a positive number`);
  }
  return number;
}
