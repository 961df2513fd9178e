import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidConfigurationError } from '../config/environment';
import { MailTemplates } from './mail-templates';

const VALUES = {
  product: 'Acme <ID>',
  username: 'ada',
  link: 'https://id.example.com/reset#token=abc&x="y"',
  token: 'abc',
  expiresIn: '30 minutes',
};

describe('MailTemplates', () => {
  let folder: string;

  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'portcullis-templates-'));
  });

  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  it('escapes values in the HTML and leaves the text as written', () => {
    const mail = new MailTemplates().render('password-reset', VALUES);

    expect(mail.html).toContain(
      'href="https://id.example.com/reset#token=abc&amp;x=&quot;y&quot;"',
    );
    expect(mail.html).not.toContain('<ID>');
    expect(mail.text).toContain(`\n${VALUES.link}\n`);
    // Alone on its line, so that quoted-printable never folds it.
    expect(mail.text).toContain('\nabc\n');
    expect(mail.subject).toBe('Acme <ID>: reset your password');
  });

  it('keeps a subject on one line whatever a value holds', () => {
    const mail = new MailTemplates().render('password-changed', {
      ...VALUES,
      product: 'Acme\r\nBcc: victim@example.com',
    });

    expect(mail.subject).not.toMatch(/[\r\n]/);
  });

  it('takes a deployment folder over the defaults, part by part', () => {
    writeFileSync(join(folder, 'password-changed.subject.txt'), 'Heads up from {{product}}\n');
    writeFileSync(join(folder, 'password-changed.html'), '<b>{{ username }}</b>');

    const mail = new MailTemplates(folder).render('password-changed', VALUES);

    expect(mail.subject).toBe('Heads up from Acme <ID>');
    expect(mail.html).toBe('<b>ada</b>');
    expect(mail.text).toContain('Hello ada,');
  });

  it('refuses a placeholder the template has no value for, and a missing folder', () => {
    writeFileSync(join(folder, 'password-changed.txt'), 'Your code: {{token}}');

    expect(() => new MailTemplates(folder)).toThrow(InvalidConfigurationError);
    expect(() => new MailTemplates(join(folder, 'missing'))).toThrow(/does not exist/);
  });
});
