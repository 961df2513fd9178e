import { dictionary } from '@zxcvbn-ts/language-common';

// zxcvbn-ts's `language-common` list (MIT), bundled so the check works air-gapped; all lower case.
export const COMMON_PASSWORDS: ReadonlySet<string> = new Set(
  dictionary['passwords-common'].map((entry) => entry.toLowerCase()),
);
