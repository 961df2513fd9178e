/** The values a template may use, by template. `{{name}}` in a template stands for one. */
export const TEMPLATE_VALUES = {
  'password-reset': ['product', 'username', 'link', 'token', 'expiresIn'],
  'email-verification': ['product', 'username', 'link', 'token', 'expiresIn'],
  'password-changed': ['product', 'username', 'personalAccessTokens'],
  'email-changed': ['product', 'username'],
  'mfa-enabled': ['product', 'username'],
  'mfa-disabled': ['product', 'username'],
  'mfa-reset-by-admin': ['product', 'username'],
  'mail-test': ['product'],
} as const;

export type TemplateName = keyof typeof TEMPLATE_VALUES;
export type TemplateValues = Partial<Record<string, string>>;

export interface MailTemplate {
  subject: string;
  text: string;
  html: string;
}

const NOT_YOU_TEXT =
  'If this was not you, reset your password at once and tell your administrator.';
const NOT_YOU_HTML = `<p>${NOT_YOU_TEXT}</p>`;

function notice(subject: string, what: string): MailTemplate {
  return {
    subject: `{{product}}: ${subject}`,
    text: `Hello {{username}},\n\n${what}\n\n${NOT_YOU_TEXT}\n`,
    html: `<p>Hello {{username}},</p>\n<p>${what}</p>\n${NOT_YOU_HTML}\n`,
  };
}

// The code stands alone on its line: quoted-printable folds long lines such as the link.
export const DEFAULT_TEMPLATES: Record<TemplateName, MailTemplate> = {
  'password-reset': {
    subject: '{{product}}: reset your password',
    text:
      'Hello {{username}},\n\nSomeone asked to reset the password of your {{product}} account.\n' +
      'To choose a new password, open this link within {{expiresIn}}:\n\n{{link}}\n\n' +
      'Or enter this code on the page:\n{{token}}\n\n' +
      'If you did not ask for this, ignore this mail: your password stays as it is.\n',
    html:
      '<p>Hello {{username}},</p>\n<p>Someone asked to reset the password of your {{product}} account.</p>\n' +
      '<p><a href="{{link}}">Choose a new password</a> within {{expiresIn}}.</p>\n' +
      '<p>If you did not ask for this, ignore this mail: your password stays as it is.</p>\n',
  },
  'email-verification': {
    subject: '{{product}}: confirm your email address',
    text:
      'Hello {{username}},\n\nConfirm that this address belongs to your {{product}} account by\n' +
      'opening this link within {{expiresIn}}:\n\n{{link}}\n\n' +
      'Or enter this code on the page:\n{{token}}\n\n' +
      'If you have no such account, ignore this mail.\n',
    html:
      '<p>Hello {{username}},</p>\n' +
      '<p><a href="{{link}}">Confirm that this address belongs to your {{product}} account</a> within {{expiresIn}}.</p>\n' +
      '<p>If you have no such account, ignore this mail.</p>\n',
  },
  'password-changed': notice(
    'your password was changed',
    'The password of your account was just changed, and every session was ended. ' +
      '{{personalAccessTokens}}',
  ),
  'email-changed': notice(
    'your email address was changed',
    'The email address of your account was just changed: this address no longer receives its mail.',
  ),
  'mfa-enabled': notice(
    'second factor enabled',
    'A second factor (an authenticator app) was just enabled on your account.',
  ),
  'mfa-disabled': notice(
    'second factor disabled',
    'The second factor of your account was just disabled: a password alone now logs in.',
  ),
  'mfa-reset-by-admin': notice(
    'second factor removed by an administrator',
    'An administrator just removed the second factor of your account.',
  ),
  'mail-test': {
    subject: '{{product}}: test message',
    text: 'This message tests the mail delivery of {{product}}. Nothing needs doing.\n',
    html: '<p>This message tests the mail delivery of {{product}}. Nothing needs doing.</p>\n',
  },
};
