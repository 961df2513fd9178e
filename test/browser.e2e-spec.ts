import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrowserContext, chromium, Page } from 'playwright-core';
import { linkIn, SmtpListener } from './utils/smtp-listener';
import { login, registerUser, startTestApp, TestApp, uniqueUsername } from './utils/test-app';

/** Debian's Chromium, headless, reaching nothing but what the page asks for. */
const CHROMIUM = '/usr/bin/chromium';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const NEW_PASSWORD = 'typed into a real browser form';

describe('in a real browser (headless Chromium)', () => {
  const smtp = new SmtpListener();
  let t: TestApp;
  let origin: string;
  let profile: string;
  let context: BrowserContext;
  let page: Page;
  const requested: string[] = [];

  beforeAll(async () => {
    await smtp.start();
    t = await startTestApp({ MAIL_URL: smtp.url }, { listen: true });
    origin = t.url ?? '';
    profile = await mkdtemp(join(tmpdir(), 'portcullis-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: FLAGS,
    });
    context.on('request', (request) => requested.push(request.url()));
    page = context.pages()[0] ?? (await context.newPage());
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    await rm(profile, { recursive: true, force: true });
    await t?.close();
    await smtp.stop();
  });

  afterEach(() => {
    const elsewhere = requested.filter(
      (url) => !url.startsWith(`${origin}/`) && !url.startsWith('data:'),
    );
    expect(elsewhere).toEqual([]);
    requested.length = 0;
  });

  it('opens the reset link from a real mail, sets a new password, and the user logs in with it', async () => {
    const email = `${uniqueUsername('browser')}@example.com`;
    const user = await registerUser(t, { email });
    await t.http.post('/auth/password-reset').send({ email }).expect(202);
    const mails = await smtp.waitFor(email, 2);
    const link = linkIn(mails.find((mail) => /reset your password/.test(mail.subject)) ?? mails[1]);
    expect(link.startsWith(`${origin}/auth/password-reset#token=`)).toBe(true);

    const response = await page.goto(link);
    const headers = response?.headers() ?? {};
    expect(headers['content-security-policy']).toMatch(/default-src 'none'/);
    expect(headers['content-security-policy']).toMatch(/form-action 'self'/);
    expect(headers['referrer-policy']).toBe('no-referrer');
    // The code left the address bar and the history as soon as the page read it.
    expect(page.url()).toBe(`${origin}/auth/password-reset`);
    await page.fill('#password', NEW_PASSWORD);
    await page.fill('#repeat', NEW_PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForSelector('text=Your password was changed');

    await login(t, { username: user.username, password: NEW_PASSWORD });
    // The fragment never travels: no URL the browser asked for carried the code.
    const code = link.split('#token=')[1];
    expect(requested.filter((url) => url.includes(code))).toEqual([]);
    expect(requested).toContain(`${origin}/auth/password-reset/confirm`);
  });

  it('logs in through Swagger UI with the password flow and tries GET /users/me', async () => {
    const user = await registerUser(t);
    await page.goto(`${origin}/docs`);
    await page.click('button.authorize');
    await page.fill('#oauth_username', user.username);
    await page.fill('#oauth_password', user.password);
    await page.click('.auth-container button.authorize');
    await page.waitForSelector('button:has-text("Logout")');
    await page.click('button.btn-done');

    const operation = page.locator('.opblock-get', {
      has: page.locator('.opblock-summary-path[data-path="/users/me"]'),
    });
    await operation.locator('.opblock-summary').click();
    await operation.locator('button.try-out__btn').click();
    await operation.locator('button.execute').click();
    const body = operation.locator('.responses-wrapper .live-responses-table .microlight').first();
    await body.waitFor();
    expect(await body.textContent()).toContain(`"username": "${user.username}"`);
  });
});
