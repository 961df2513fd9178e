import { spawn } from 'node:child_process';
import { temporaryMailUrl } from './utils/built-app';
import { CLI } from './utils/cli';
import {
  ADMIN,
  bearer,
  login,
  startTestApp,
  STRONG_PASSWORD,
  TestApp,
  uniqueUsername,
} from './utils/test-app';

jest.setTimeout(120_000);

interface Terminal {
  /** Resolves once the output so far contains `text`. */
  waitFor(text: string): Promise<void>;
  type(keys: string): void;
  exited: Promise<{ code: number | null; output: string }>;
}

/** The CLI on a pseudo-terminal of its own: script(1) from util-linux, as a person runs it. */
function onTerminal(args: string[], env: Record<string, string>): Terminal {
  const command = [process.execPath, CLI, ...args].map((part) => `'${part}'`).join(' ');
  const child = spawn('script', ['--quiet', '--return', '--command', command, '/dev/null'], {
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', MAIL_URL: temporaryMailUrl(), ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  const waiting: Array<{ text: string; done: () => void }> = [];
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    for (const entry of waiting.filter(({ text }) => output.includes(text))) {
      waiting.splice(waiting.indexOf(entry), 1);
      entry.done();
    }
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  return {
    waitFor: (text) =>
      output.includes(text)
        ? Promise.resolve()
        : new Promise((done) => waiting.push({ text, done })),
    type: (keys) => child.stdin.write(keys),
    exited: new Promise((done) => child.on('close', (code) => done({ code, output }))),
  };
}

describe('the portcullis CLI at a terminal', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterAll(() => t.close());

  const createUser = (username: string) =>
    onTerminal(['users', 'create', username], { DATABASE_URL: t.database.url });

  it('asks for the password twice without echoing it, and the user can then log in', async () => {
    const username = uniqueUsername('tty');
    const terminal = createUser(username);
    await terminal.waitFor('password: ');
    terminal.type(`${STRONG_PASSWORD}\r`);
    await terminal.waitFor('password again: ');
    terminal.type(`${STRONG_PASSWORD}\r`);
    const { code, output } = await terminal.exited;
    expect(code).toBe(0);
    expect(output).toContain(username);
    expect(output).not.toContain(STRONG_PASSWORD);
    await login(t, { username, password: STRONG_PASSWORD });
  });

  it('refuses two different passwords, and Ctrl-C cancels, with exit 2 and no user made', async () => {
    const differing = createUser(uniqueUsername('tty'));
    await differing.waitFor('password: ');
    differing.type(`${STRONG_PASSWORD}\r`);
    await differing.waitFor('password again: ');
    differing.type(`${STRONG_PASSWORD}!\r`);
    const refused = await differing.exited;
    expect(refused.code).toBe(2);
    expect(refused.output).toContain('differ');

    const username = uniqueUsername('tty');
    const cancelled = createUser(username);
    await cancelled.waitFor('password: ');
    cancelled.type('half a pass\u0003');
    expect(await cancelled.exited).toMatchObject({ code: 2 });
    const admin = await login(t, ADMIN);
    const found = await t.http
      .get(`/users?q=${encodeURIComponent(username)}`)
      .set(bearer(admin))
      .expect(200);
    expect(found.body).toMatchObject({ total: 0 });
  });
});
