#!/usr/bin/env node
import '../platform/runtime-tuning';
import { CommandFactory } from 'nest-commander';
import { CliModule } from './cli.module';
import { EXIT, exitCodeOf, messageOf } from './exit-codes';
import { refuseSecretsInArguments } from './secret-input';

const HELP_CODES = new Set(['commander.helpDisplayed', 'commander.help', 'commander.version']);

function fail(error: unknown): void {
  process.stderr.write(`portcullis: ${messageOf(error)}\n`);
  process.exitCode = exitCodeOf(error);
}

async function main(): Promise<void> {
  refuseSecretsInArguments(process.argv.slice(2));
  const app = await CommandFactory.runWithoutClosing(CliModule, {
    cliName: 'portcullis',
    logger: ['error', 'warn'],
    // commander has printed what was wrong with the command line.
    errorHandler: (error: Error & { code?: string }) =>
      process.exit(HELP_CODES.has(error.code ?? '') ? EXIT.ok : EXIT.usage),
    serviceErrorHandler: fail,
  });
  await app.close();
}

main()
  .catch(fail)
  // Nothing the command opened may keep the process, or its exit code, waiting.
  .finally(() => process.exit(process.exitCode ?? EXIT.ok));
