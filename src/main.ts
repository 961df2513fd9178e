import './platform/runtime-tuning';
import { Logger, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import { configureApp, createFastifyAdapter } from './app.setup';
import { lowerWorkerThreadPriority } from './platform/worker-thread-priority';
import { appConfig } from './config/app.config';
import { OperationsConfig, operationsConfig } from './config/operations.config';
import { InvalidConfigurationError, validateEnvironment } from './config/environment';
import { nestLoggerOver } from './logging/nest-logger';
import { createRootLogger } from './logging/root-logger';

function exitOnBadConfiguration(error: unknown): never {
  if (error instanceof InvalidConfigurationError) {
    process.stderr.write(`portcullis: ${error.message}\n`);
    process.exit(1);
  }
  throw error;
}

// JSON from Nest's first line, so that a start-up retrying a silent database says so at once.
function startupLogger(): LoggerService {
  return nestLoggerOver(createRootLogger(operationsConfig().logLevel));
}

async function bootstrap(logger: LoggerService): Promise<void> {
  const app = await NestFactory.create<NestFastifyApplication>(AppModule, createFastifyAdapter(), {
    abortOnError: false,
    logger,
  });
  configureApp(app);
  const { port, host } = app.get<ReturnType<typeof appConfig>>(appConfig.KEY);
  await app.listen(port, host);
  const { workerThreadNice, shutdownTimeoutMs } = app.get<OperationsConfig>(operationsConfig.KEY);
  const { lowered, nice } = await lowerWorkerThreadPriority(workerThreadNice);
  if (lowered > 0) {
    new Logger('Bootstrap').log(`${lowered} worker threads lowered to nice ${nice}`);
  }

  // Nest's own shutdown hooks re-raise the signal, which exits non-zero; orchestrators expect 0.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      // Requests stuck on a database that stopped answering must not keep the process alive.
      setTimeout(() => {
        new Logger('Shutdown').error('Not closed within SHUTDOWN_TIMEOUT; exiting anyway');
        process.exit(1);
      }, shutdownTimeoutMs).unref();
      void app.close().then(() => process.exit(0));
    });
  }
}

// Checked before Nest starts so that a bad variable is one line, not a logged stack trace.
try {
  validateEnvironment(process.env);
} catch (error) {
  exitOnBadConfiguration(error);
}
bootstrap(startupLogger()).catch((error: unknown) => {
  // A setting that only the modules can judge (the bootstrap admin's password) is still one line.
  if (error instanceof InvalidConfigurationError) {
    exitOnBadConfiguration(error);
  }
  new Logger('Bootstrap').fatal(error);
  process.exit(1);
});
