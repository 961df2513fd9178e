import './platform/runtime-tuning';
import { Logger, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import { configureApp, createFastifyAdapter } from './app.setup';
import { lowerWorkerThreadPriority } from './platform/worker-thread-priority';
import { appConfig } from './config/app.config';
import { OperationsConfig, operationsConfig } from './config/operations.config';
import { databaseConfigOf } from './config/database.config';
import { Environment, InvalidConfigurationError, validateEnvironment } from './config/environment';
import { OperatorLogger } from './logging/operator-logger';
import { nestLoggerOver } from './logging/nest-logger';
import { createRootLogger } from './logging/root-logger';
import { describeDatabase, startupFailureLine } from './startup/startup-failure';
import { unreachableRedisWarning, unusableIssuerWarning } from './startup/startup-notices';

function exitOnBadConfiguration(error: unknown): never {
  if (error instanceof InvalidConfigurationError) {
    process.stderr.write(`portcullis: ${error.message}\n`);
    process.exit(1);
  }
  throw error;
}

/** One plain line naming the cause; the stack only at debug level, for whoever asks for it. */
function exitOnFailedStart(error: unknown): never {
  new Logger('Bootstrap').debug(error);
  const where = {
    address: listenAddress(env.HOST, env.PORT),
    database: describeDatabase(databaseConfigOf(env.DATABASE_URL)),
  };
  process.stderr.write(`portcullis: ${startupFailureLine(error, where)}\n`);
  process.exit(1);
}

// JSON from Nest's first line, so that a start-up retrying a silent database says so at once.
function startupLogger(): LoggerService {
  return new OperatorLogger(nestLoggerOver(createRootLogger(operationsConfig().logLevel)));
}

async function bootstrap(logger: LoggerService, env: Environment): Promise<void> {
  const app = await NestFactory.create<NestFastifyApplication>(AppModule, createFastifyAdapter(), {
    abortOnError: false,
    logger,
  });
  configureApp(app);
  const { port, host } = app.get<ReturnType<typeof appConfig>>(appConfig.KEY);
  const notices = new Logger('Bootstrap');
  const issuerWarning = unusableIssuerWarning(env);
  if (issuerWarning) {
    notices.warn(issuerWarning);
  }
  await app.listen(port, host);
  const { workerThreadNice, shutdownTimeoutMs } = app.get<OperationsConfig>(operationsConfig.KEY);
  // Before the service is announced, so a signal right after it closes cleanly. Nest's own
  // shutdown hooks re-raise the signal, which exits non-zero; orchestrators expect 0.
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
  notices.log(
    `listening on http://${listenAddress(host, port)}; ` +
      `${describeDatabase(databaseConfigOf(env.DATABASE_URL))}; Swagger UI at /docs`,
  );
  const redisWarning = env.REDIS_URL ? await unreachableRedisWarning(env.REDIS_URL) : undefined;
  if (redisWarning) {
    notices.warn(redisWarning);
  }
  const { lowered, nice } = await lowerWorkerThreadPriority(workerThreadNice);
  if (lowered > 0) {
    notices.debug(`${lowered} worker threads lowered to nice ${nice}`);
  }
}

const listenAddress = (host: string, port: number): string =>
  host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;

function environment(): Environment {
  try {
    return validateEnvironment(process.env);
  } catch (error) {
    exitOnBadConfiguration(error);
  }
}

// Checked before Nest starts so that a bad variable is one line, not a logged stack trace.
const env = environment();
bootstrap(startupLogger(), env).catch((error: unknown) => {
  // A setting that only the modules can judge (the bootstrap admin's password) is still one line.
  if (error instanceof InvalidConfigurationError) {
    exitOnBadConfiguration(error);
  }
  exitOnFailedStart(error);
});
