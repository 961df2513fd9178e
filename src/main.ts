import './runtime-tuning';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import { configureApp, createFastifyAdapter } from './app.setup';
import { lowerWorkerThreadPriority } from './common/worker-thread-priority';
import { appConfig } from './config/app.config';
import { OperationsConfig, operationsConfig } from './config/operations.config';
import { InvalidConfigurationError, validateEnvironment } from './config/environment';

function exitOnBadConfiguration(error: unknown): never {
  if (error instanceof InvalidConfigurationError) {
    process.stderr.write(`portcullis: ${error.message}\n`);
    process.exit(1);
  }
  throw error;
}

async function bootstrap(): Promise<void> {
  // Checked before Nest starts so that a bad variable is one line, not a logged stack trace.
  try {
    validateEnvironment(process.env);
  } catch (error) {
    exitOnBadConfiguration(error);
  }
  const app = await NestFactory.create<NestFastifyApplication>(AppModule, createFastifyAdapter(), {
    abortOnError: false,
    // Held until configureApp installs pino, so Nest's start-up lines are JSON like the rest.
    bufferLogs: true,
  });
  configureApp(app);
  const { port, host } = app.get<ReturnType<typeof appConfig>>(appConfig.KEY);
  await app.listen(port, host);
  const { workerThreadNice } = app.get<OperationsConfig>(operationsConfig.KEY);
  const { lowered, nice } = await lowerWorkerThreadPriority(workerThreadNice);
  if (lowered > 0) {
    new Logger('Bootstrap').log(`${lowered} worker threads lowered to nice ${nice}`);
  }

  // Nest's own shutdown hooks re-raise the signal, which exits non-zero; orchestrators expect 0.
  // close() stops accepting, lets requests in flight finish, then closes the database.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      void app.close().then(() => process.exit(0));
    });
  }
}

bootstrap().catch(exitOnBadConfiguration);
