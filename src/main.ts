import { NestFactory } from '@nestjs/core';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import { configureApp, createFastifyAdapter } from './app.setup';
import { appConfig } from './config/app.config';
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
  });
  configureApp(app);
  const { port, host } = app.get<ReturnType<typeof appConfig>>(appConfig.KEY);
  await app.listen(port, host);
}

bootstrap().catch(exitOnBadConfiguration);
