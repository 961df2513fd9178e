import { dictionary } from '@zxcvbn-ts/language-common';

/**
 * About 49,000 common and breached passwords from zxcvbn-ts's `language-common` package (MIT,
 * maintained by the zxcvbn-ts project), bundled in node_modules so the check works air-gapped.
 * The entries are lower case; candidates are compared lower-cased.
 */
export const COMMON_PASSWORDS: ReadonlySet<string> = new Set(
  dictionary['passwords-common'].map((entry) => entry.toLowerCase()),
);
