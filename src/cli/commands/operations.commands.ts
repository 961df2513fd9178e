import { Command, Option, SubCommand } from 'nest-commander';
import { MailTest } from '../../mail/mail-test';
import { PurgeService } from '../../maintenance/purge.service';
import { formatMeasurement, measureArgon2, suggest } from '../../passwords/calibrate';
import { printLine, printRecord, printTable, report } from '../output';
import { PortcullisApp } from '../portcullis-app';
import { progressOn } from '../progress';
import { CommandGroup, JsonOption, PortcullisCommand, positiveNumber } from './portcullis-command';

interface MailTestOptions extends JsonOption {
  wait?: number;
}

@SubCommand({
  name: 'test',
  arguments: '<address>',
  description: 'send a test message through the outbox and report whether it was delivered',
})
export class MailTestCommand extends PortcullisCommand<MailTestOptions> {
  constructor(private readonly app: PortcullisApp) {
    super();
  }

  async run([address]: string[], { wait = 30, json }: MailTestOptions): Promise<void> {
    const delivery = await (await this.app.get(MailTest)).send(address, wait * 1000);
    report(json, delivery, () => printRecord(delivery));
    if (delivery.status !== 'sent') {
      const why = delivery.lastError ? ` (${delivery.lastError})` : '';
      throw new Error(
        `The message was not delivered within ${wait} s${why}; it stays ${delivery.status}`,
      );
    }
  }

  @Option({ flags: '--wait <seconds>', description: 'how long to wait for delivery (default 30)' })
  parseWait(value: string): number {
    return positiveNumber('--wait', value);
  }
}

@Command({ name: 'mail', description: 'mail delivery', subCommands: [MailTestCommand] })
export class MailCommand extends CommandGroup {}

interface CalibrateOptions extends JsonOption {
  targetMs?: number;
  runs?: number;
}

@Command({
  name: 'calibrate',
  description: 'measure argon2id on this machine and suggest ARGON2_* settings',
})
export class CalibrateCommand extends PortcullisCommand<CalibrateOptions> {
  async run(_parameters: string[], options: CalibrateOptions): Promise<void> {
    const { targetMs = 250, runs = 5, json } = options;
    const progress = progressOn('calibrate', json);
    const measurements = await measureArgon2(targetMs, Math.round(runs), (step) =>
      progress(step.done, step.total, formatMeasurement(step.measured).trim()),
    );
    const suggested = suggest(measurements, targetMs) ?? null;
    report(json, { targetMs, runs, measurements, suggested }, () => {
      printTable(measurements, ['memoryCost', 'timeCost', 'parallelism', 'medianMs']);
      printLine(
        suggested
          ? `Suggested: ARGON2_MEMORY_KIB=${suggested.memoryCost} ARGON2_TIME_COST=${suggested.timeCost} ARGON2_PARALLELISM=${suggested.parallelism}`
          : 'Even the OWASP floor is slower than the target here: keep the defaults and add CPU',
      );
    });
  }

  @Option({ flags: '--target-ms <ms>', description: 'the hash time to aim for (default 250)' })
  parseTargetMs(value: string): number {
    return positiveNumber('--target-ms', value);
  }

  @Option({ flags: '--runs <n>', description: 'hashes measured per setting (default 5)' })
  parseRuns(value: string): number {
    return positiveNumber('--runs', value);
  }
}

@Command({ name: 'purge', description: 'delete expired rows now, as the scheduled purge does' })
export class PurgeCommand extends PortcullisCommand {
  constructor(private readonly app: PortcullisApp) {
    super();
  }

  async run(_parameters: string[], { json }: JsonOption): Promise<void> {
    const progress = progressOn('purge', json);
    const purge = await this.app.get(PurgeService);
    const deleted = await purge.purge(Date.now(), ({ name, deleted: rows, done, total }) =>
      progress(done, total, `${name}: ${rows}`),
    );
    report(json, { deleted }, () =>
      printTable(
        Object.entries(deleted).map(([table, rows]) => ({ table, deleted: rows })),
        ['table', 'deleted'],
      ),
    );
  }
}
