import { ModuleMetadata } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Test } from '@nestjs/testing';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { AppModule } from '../../src/app.module';
import { configureApp, createFastifyAdapter } from '../../src/app.setup';
import { OperationsConfig, operationsConfig } from '../../src/config/operations.config';
import { ROOT_LOGGER } from '../../src/logging/logging.module';
import { createRootLogger } from '../../src/logging/root-logger';
import { testLogDestination } from './captured-logs';
import { createTestDatabase, TestDatabase } from './test-database';

export const ADMIN = { username: 'root.admin', password: 'admin passphrase for the tests' };
export const STRONG_PASSWORD = 'correct horse battery staple';

export interface TestApp {
  app: NestFastifyApplication;
  http: TestAgent;
  database: TestDatabase;
  /** `http://127.0.0.1:PORT` when started with `listen`. */
  url?: string;
  close(): Promise<void>;
}

/** Enough of an app for the request helpers: an in-process TestApp, or a built one's URL. */
export type HttpOf = Pick<TestApp, 'http'>;

export interface TestAppOptions {
  /** Extra modules, e.g. DiscoveryModule for tests that inspect the app. */
  imports?: ModuleMetadata['imports'];
  /** Run a second instance on this app's database (the owner drops it). */
  shareDatabaseOf?: TestApp;
  /**
   * Listen on a real loopback port, with ISSUER and AUDIENCE set to its URL, for clients that
   * follow the discovery document or fetch the JWKS over HTTP.
   */
  listen?: boolean;
}

const BASE_ENV: Record<string, string> = {
  NODE_ENV: 'test',
  ISSUER: 'http://portcullis.test',
  AUDIENCE: 'http://api.portcullis.test',
  BOOTSTRAP_ADMIN_USERNAME: ADMIN.username,
  BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
  // Test files fire many requests from 127.0.0.1; the budgets are tested (at their real size and
  // lowered) in throttling.e2e-spec.ts and request-budgets.e2e-spec.ts, which set their own.
  TOKEN_REQUESTS_PER_MINUTE: '100000',
  REGISTRATIONS_PER_HOUR: '100000',
  PROFILE_CHANGES_PER_HOUR: '100000',
  MAIL_REQUESTS_PER_HOUR_PER_IP: '100000',
  MAIL_REQUESTS_PER_HOUR_PER_ACCOUNT: '1000',
};

/**
 * Boots the real AppModule in-process against a fresh database, configured through the
 * environment exactly as in production. `env` adds or overrides variables for this app only.
 */
export async function startTestApp(
  env: Record<string, string | undefined> = {},
  options: TestAppOptions = {},
): Promise<TestApp> {
  const database = options.shareDatabaseOf?.database ?? (await createTestDatabase());
  const port = options.listen ? await freePort() : undefined;
  const url = port === undefined ? undefined : `http://127.0.0.1:${port}`;
  const saved = { ...process.env };
  // Mail goes to a folder of this app's own unless the test points it elsewhere.
  const outbox = join(tmpdir(), `portcullis-outbox-${randomUUID()}`);
  Object.assign(process.env, BASE_ENV, { DATABASE_URL: database.url, MAIL_URL: `file:${outbox}` });
  if (url) {
    Object.assign(process.env, { ISSUER: url, AUDIENCE: url });
  }
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) {
      delete process.env[name];
    } else {
      process.env[name] = value;
    }
  }
  try {
    const moduleRef = await Test.createTestingModule({
      imports: [AppModule, ...(options.imports ?? [])],
    })
      .overrideProvider(ROOT_LOGGER)
      .useFactory({
        inject: [operationsConfig.KEY],
        factory: ({ logLevel }: OperationsConfig) => createRootLogger(logLevel, testLogDestination),
      })
      .compile();
    const app = configureApp(
      moduleRef.createNestApplication<NestFastifyApplication>(createFastifyAdapter()),
    );
    if (port === undefined) {
      await app.init();
      await app.getHttpAdapter().getInstance().ready();
    } else {
      await app.listen(port, '127.0.0.1');
    }
    return {
      app,
      http: request(app.getHttpServer()),
      database,
      url,
      close: async () => {
        await app.close();
        await rm(outbox, { recursive: true, force: true });
        if (!options.shareDatabaseOf) {
          await database.drop();
        }
      },
    };
  } finally {
    process.env = saved;
  }
}

/** A port the kernel just handed out; the tiny race before the app binds it is acceptable in tests. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface Credentials {
  username: string;
  password: string;
}

let counter = 0;
/** A username no other test of this file uses. */
export function uniqueUsername(prefix = 'user'): string {
  counter += 1;
  return `${prefix}.${process.pid}.${counter}`;
}

export async function registerUser(
  t: HttpOf,
  extra: Record<string, unknown> = {},
): Promise<Credentials & { id: string }> {
  const credentials = { username: uniqueUsername(), password: STRONG_PASSWORD, ...extra };
  const response = await t.http.post('/auth/register').send(credentials).expect(201);
  return { ...credentials, id: (response.body as { id: string }).id };
}

export async function login(t: HttpOf, credentials: Credentials): Promise<string> {
  const response = await t.http
    .post('/auth/token')
    .type('form')
    .send({
      grant_type: 'password',
      username: credentials.username,
      password: credentials.password,
    })
    .expect(200);
  return (response.body as { access_token: string }).access_token;
}

export const credentialsOf = ({ username, password }: Credentials): Credentials => ({
  username,
  password,
});

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** A registered user with an address of its own (the service mails it a verification link). */
export async function registerWithEmail(
  t: HttpOf,
  prefix = 'mail',
): Promise<Credentials & { id: string; email: string }> {
  const email = `${uniqueUsername(prefix)}@example.com`;
  return { ...(await registerUser(t, { email })), email };
}
