import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ADMIN, Credentials } from './test-app';

export const MAIN = resolve(__dirname, '../../dist/src/main.js');

let outbox: string | undefined;

/** Where spawned processes' mail goes unless a test names MAIL_URL: not the checkout's ./data. */
export function temporaryMailUrl(): string {
  outbox ??= mkdtempSync(join(tmpdir(), 'portcullis-outbox-'));
  return `file:${outbox}`;
}

export interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Spawns the built app as it is, for tests of how it starts or fails to. */
export function runBuiltApp(
  env: Record<string, string>,
  startedUnderNice = 0,
): { child: ChildProcess; exited: Promise<Exit> } {
  // nice(1) execs node in its own process, so child.pid stays the app's.
  const [command, args] =
    startedUnderNice === 0
      ? [process.execPath, [MAIN]]
      : ['nice', ['-n', String(startedUnderNice), process.execPath, MAIN]];
  const child = spawn(command, args, {
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', MAIL_URL: temporaryMailUrl(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<Exit>((done) =>
    child.on('exit', (code) => done({ code, stdout, stderr })),
  );
  return { child, exited };
}

export interface BuiltApp {
  child: ChildProcess;
  url: string;
  /** Everything written to stdout so far (the JSON log stream). */
  stdout(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts `dist/src/main.js` (npm test builds it first) on a random port with the bootstrap admin
 * of the in-process tests, and resolves once it answers HTTP.
 */
export async function startBuiltApp(env: Record<string, string>): Promise<BuiltApp> {
  if (!existsSync(MAIN)) {
    throw new Error(`${MAIN} is missing: run "npm run build" first (npm test does)`);
  }
  const port = 20000 + Math.floor(Math.random() * 20000);
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'test',
      MAIL_URL: temporaryMailUrl(),
      PORT: String(port),
      BOOTSTRAP_ADMIN_USERNAME: ADMIN.username,
      BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.on('exit', (code, signal) => done({ code, signal })),
  );
  const deadline = Date.now() + 20000;
  for (;;) {
    if (child.exitCode !== null) {
      // A failed start is logged as the last JSON line on stdout, or on stderr before logging is up.
      const lastLogLine = stdout.trimEnd().split('\n').pop();
      throw new Error(`the app exited with ${child.exitCode}: ${stderr}${lastLogLine}`);
    }
    try {
      await fetch(`${url}/health`);
      return { child, url, stdout: () => stdout, exited };
    } catch (error) {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw error;
      }
      await new Promise((wait) => setTimeout(wait, 100));
    }
  }
}

/** SIGTERM, then the exit; SIGKILL if it hangs so a failing test does not leak a process. */
export async function stopBuiltApp(app: BuiltApp): Promise<{ code: number | null }> {
  if (app.child.exitCode === null && app.child.signalCode === null) {
    app.child.kill('SIGTERM');
  }
  const timer = setTimeout(() => app.child.kill('SIGKILL'), 10000);
  try {
    return await app.exited;
  } finally {
    clearTimeout(timer);
  }
}

/** The password grant against a started app over plain HTTP, on a connection that closes after. */
export function passwordLogin(url: string, { username, password }: Credentials): Promise<Response> {
  return fetch(`${url}/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', connection: 'close' },
    body: new URLSearchParams({ grant_type: 'password', username, password }),
  });
}
