import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { BuiltApp, startBuiltApp, stopBuiltApp } from './utils/built-app';
import { createTestDatabase, TestDatabase } from './utils/test-database';

/**
 * Keeps the README's curl tour true: its ```sh blocks between `<!-- tour -->` and `<!-- /tour -->`
 * run in order, in one bash with `set -euo pipefail`, against the built service started as the
 * README starts it, and every answer the tour shows (a `# {…}`, `# […]` or `# 204` comment line,
 * `…` standing for anything) must be printed by the block it sits in, in that order.
 */

const README = resolve(__dirname, '../README.md');
const START_COMMAND =
  /^BOOTSTRAP_ADMIN_USERNAME=(\S+) BOOTSTRAP_ADMIN_PASSWORD='([^']+)' npm start$/m;
const TOUR = /^<!-- tour -->\n([\s\S]*?)^<!-- \/tour -->$/m;
const SH_BLOCK = /^```sh\n([\s\S]*?)^```$/gm;
/** The one line a reader (or this test) changes to point the tour at another service. */
const BASE_URL_LINE = /^PORTCULLIS=\S+$/gm;
const SHOWN_ANSWER = /^# (\d{3}|[{[].*)$/gm;
const BLOCK_MARK = '@@readme-tour-block@@';

interface TourBlock {
  script: string;
  /** The answers the README shows for this block, as whole-line patterns. */
  answers: RegExp[];
}

interface Tour {
  admin: { username: string; password: string };
  blocks: TourBlock[];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `{"id":"…","username":"ada",…}` -> a pattern for one whole line, `…` matching anything. */
function answerPattern(shown: string): RegExp {
  return new RegExp(`^${escapeRegExp(shown).split('…').join('[^\\n]*')}$`, 'm');
}

function readTour(markdown: string): Tour {
  const start = START_COMMAND.exec(markdown);
  const tour = TOUR.exec(markdown);
  if (!start || !tour) {
    throw new Error(
      'README.md: no start command with BOOTSTRAP_ADMIN_*, or no <!-- tour --> section',
    );
  }
  const blocks = [...tour[1].matchAll(SH_BLOCK)].map(([, script]) => ({
    script,
    answers: [...script.matchAll(SHOWN_ANSWER)].map(([, shown]) => answerPattern(shown)),
  }));
  return { admin: { username: start[1], password: start[2] }, blocks };
}

/** Each block's own output, split at the marks the script prints before each block. */
function outputsByBlock(stdout: string): string[] {
  return stdout.split(`${BLOCK_MARK}\n`).slice(1);
}

/** The index of the first shown answer that does not appear, in order, in `output`. */
function firstMissingAnswer(output: string, answers: RegExp[]): number {
  let rest = output;
  for (const [index, answer] of answers.entries()) {
    const match = answer.exec(rest);
    if (!match) {
      return index;
    }
    rest = rest.slice(match.index + match[0].length);
  }
  return -1;
}

function runBash(
  script: string,
  cwd: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      'bash',
      ['-c', script],
      {
        cwd,
        // A user's shell: node (for the tour's `field` helper) and curl on the PATH, nothing else.
        env: {
          PATH: `${dirname(process.execPath)}:${process.env.PATH ?? '/usr/bin:/bin'}`,
          HOME: process.env.HOME ?? tmpdir(),
        },
        timeout: 60_000,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

describe('the README tour', () => {
  const tour = readTour(readFileSync(README, 'utf8'));
  // The reader's folder, where `npm start` writes mail to ./data/outbox.
  const folder = mkdtempSync(join(tmpdir(), 'portcullis-tour-'));
  // Its checkout's packages too: the tour computes a TOTP code with the otpauth package.
  symlinkSync(resolve(__dirname, '../node_modules'), join(folder, 'node_modules'));
  let database: TestDatabase | undefined;
  let app: BuiltApp | undefined;

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await startBuiltApp({
      DATABASE_URL: database.url,
      MAIL_URL: `file:${join(folder, 'data/outbox')}`,
      BOOTSTRAP_ADMIN_USERNAME: tour.admin.username,
      BOOTSTRAP_ADMIN_PASSWORD: tour.admin.password,
    });
  }, 60_000);

  afterAll(async () => {
    if (app) {
      await stopBuiltApp(app);
    }
    await database?.drop();
    rmSync(folder, { recursive: true, force: true });
  });

  it('has one base URL to point it elsewhere, and shows answers to check', () => {
    const script = tour.blocks.map((block) => block.script).join('\n');
    expect(script.match(BASE_URL_LINE)).toHaveLength(1);
    expect(tour.blocks.length).toBeGreaterThanOrEqual(5);
    expect(tour.blocks.slice(1).every((block) => block.answers.length > 0)).toBe(true);
  });

  it('runs as pasted, in order, and prints the answers it shows', async () => {
    const url = (app as BuiltApp).url;
    const script = [
      'set -euo pipefail',
      ...tour.blocks.map(
        (block) =>
          `printf '\\n%s\\n' '${BLOCK_MARK}'\n${block.script.replace(BASE_URL_LINE, `PORTCULLIS=${url}`)}`,
      ),
    ].join('\n');

    const { code, stdout, stderr } = await runBash(script, folder);

    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const outputs = outputsByBlock(stdout);
    expect(outputs).toHaveLength(tour.blocks.length);
    const missing = tour.blocks
      .map((block, index) => {
        const answer = firstMissingAnswer(outputs[index], block.answers);
        return answer === -1
          ? undefined
          : { block: index, shown: block.answers[answer].source, printed: outputs[index] };
      })
      .filter((entry) => entry !== undefined);
    expect(missing).toEqual([]);
  }, 90_000);

  it('leaves the service as the tour says: the new password logs in, the old one does not', async () => {
    const script = tour.blocks.map((block) => block.script).join('\n');
    const [, username] = /"username":"([^"]+)"/.exec(script) ?? [];
    const [, current, next] =
      /"currentPassword":"([^"]+)","newPassword":"([^"]+)"/.exec(script) ?? [];
    const login = (password: string) =>
      fetch(`${(app as BuiltApp).url}/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ username, password }),
      });
    expect([username, current, next].every(Boolean)).toBe(true);
    expect((await login(next)).status).toBe(200);
    expect((await login(current)).status).toBe(401);
  });
});
