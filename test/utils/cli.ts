import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { temporaryMailUrl } from './built-app';
import { ADMIN, bearer, HttpOf, login } from './test-app';

export const CLI = resolve(__dirname, '../../dist/src/cli/main.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export type Cli = (args: string[], input?: string) => Promise<CliResult>;

/**
 * The built CLI (`npx nest build` first) as an operator runs it, with `env` as its whole
 * environment but for a temporary outbox; `input` is piped to stdin, which is closed either way
 * (no prompt can wait).
 */
export function cliWith(env: Record<string, string>): Cli {
  if (!existsSync(CLI)) {
    throw new Error(`${CLI} is missing: run "npx nest build" first`);
  }
  return (args, input) =>
    new Promise((done, fail) => {
      const child = spawn(process.execPath, [CLI, ...args], {
        env: {
          PATH: process.env.PATH ?? '',
          NODE_ENV: 'test',
          MAIL_URL: temporaryMailUrl(),
          ...env,
        },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', fail);
      child.on('close', (code) => done({ code, stdout, stderr }));
      child.stdin.end(input);
    });
}

/** stdout as the one JSON document --json promises. */
export function jsonOf<T>(result: CliResult): T {
  if (result.code !== 0) {
    throw new Error(`exit ${result.code}: ${result.stderr}`);
  }
  return JSON.parse(result.stdout) as T;
}

export interface AuditRecord {
  type: string;
  userId: string | null;
  ip: string | null;
  userAgent: string | null;
  detail: Record<string, unknown>;
}

/** The newest audit records of `type` (for `userId`), read by the administrator over HTTP. */
export async function auditOf(t: HttpOf, type: string, userId?: string): Promise<AuditRecord[]> {
  const query = new URLSearchParams({ type, ...(userId ? { userId } : {}) });
  const token = await login(t, ADMIN);
  const response = await t.http.get(`/audit?${query.toString()}`).set(bearer(token)).expect(200);
  return response.body as AuditRecord[];
}
