import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { setupSwagger } from './swagger';

/** Larger bodies are refused with 413 before they are parsed (contract: "Abuse limits"). */
export const BODY_LIMIT_BYTES = 64 * 1024;

export function createFastifyAdapter(): FastifyAdapter {
  return new FastifyAdapter({ bodyLimit: BODY_LIMIT_BYTES });
}

/** Everything main.ts does to the app beyond the module graph, shared with the e2e tests. */
export function configureApp(app: NestFastifyApplication): NestFastifyApplication {
  setupSwagger(app);
  return app;
}
