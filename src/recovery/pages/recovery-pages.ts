import { createHash } from 'node:crypto';
import { escapeHtml } from '../../mail/mail-templates';
import { PAGE_SCRIPT, PAGE_STYLE } from './page-script';

const sha256 = (text: string): string =>
  `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/**
 * Nothing but this page's own script and style runs, it talks to this origin only, and a form
 * can post nowhere else. No Referer leaves it, so the page's URL goes to no one.
 */
export const PAGE_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  `script-src ${sha256(PAGE_SCRIPT)}`,
  `style-src ${sha256(PAGE_STYLE)}`,
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': PAGE_CONTENT_SECURITY_POLICY,
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

interface PageParts {
  product: string;
  title: string;
  action: string;
  done: string;
  fields: string;
  button: string;
}

function page({ product, title, action, done, fields, button }: PageParts): string {
  const text = escapeHtml;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${text(title)} - ${text(product)}</title>
<style>${PAGE_STYLE}</style>
</head>
<body>
<h1>${text(title)}</h1>
<noscript><p>This page needs JavaScript to send the form.</p></noscript>
<form id="form" hidden data-action="${text(action)}" data-done="${text(done)}">
<div id="code-row">
<label for="code">Code from the mail</label>
<input id="code" name="code" autocomplete="off" required>
</div>
${fields}
<button type="submit">${text(button)}</button>
</form>
<p id="status" role="status"></p>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
}

export function passwordResetPage(product: string): string {
  return page({
    product,
    title: 'Choose a new password',
    action: '/auth/password-reset/confirm',
    done: 'Your password was changed. Log in with the new one.',
    fields: `<label for="password">New password</label>
<input id="password" name="password" type="password" autocomplete="new-password" required>
<label for="repeat">New password again</label>
<input id="repeat" name="repeat" type="password" autocomplete="new-password" required>`,
    button: 'Change my password',
  });
}

export function verifyEmailPage(product: string): string {
  return page({
    product,
    title: 'Confirm your email address',
    action: '/auth/verify-email',
    done: 'Your email address is confirmed.',
    fields: '',
    button: 'Confirm my email address',
  });
}
