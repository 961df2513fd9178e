import type { ConfigType } from '@nestjs/config';
import { RequestValidationException } from '../common/request-validation.exception';
import { passwordConfig } from '../config/password.config';
import { PasswordPolicy } from './password-policy.service';

type PasswordConfig = ConfigType<typeof passwordConfig>;

const DEFAULTS: PasswordConfig = {
  minLength: 15,
  maxLength: 128,
  argon2: { memoryCost: 19456, timeCost: 2, parallelism: 1 },
};

function policy(overrides: Partial<PasswordConfig> = {}): PasswordPolicy {
  return new PasswordPolicy({ ...DEFAULTS, ...overrides });
}

const TOO_SHORT = 'must be at least 15 characters long';
const TOO_LONG = 'must be at most 128 characters long';
const TOO_COMMON = 'is too common: it appears in lists of breached passwords';
const IS_USERNAME = 'must not be the username';

/** Letter by letter, 'e' followed by U+0301 COMBINING ACUTE ACCENT: NFKC composes each pair into 'é'. */
function decomposedAcuteEs(count: number): string {
  return 'e\u0301'.repeat(count);
}

describe('PasswordPolicy', () => {
  describe('length', () => {
    it('accepts a password of exactly the default minimum of 15 characters', () => {
      expect(policy().problems('tqmzrvbkwhxjnpl')).toEqual([]);
    });

    it('refuses a password one character shorter than the default minimum', () => {
      expect(policy().problems('tqmzrvbkwhxjnp')).toEqual([TOO_SHORT]);
    });

    it('uses the configured minimum instead of the default', () => {
      const strict = policy({ minLength: 20 });

      expect(strict.problems('tqmzrvbkwhxjnplfgsd')).toEqual([
        'must be at least 20 characters long',
      ]);
      expect(strict.problems('tqmzrvbkwhxjnplfgsdc')).toEqual([]);
    });

    it('counts Unicode code points, so 15 emoji (30 UTF-16 units) are long enough', () => {
      const emoji = '\u{1F600}'.repeat(15);
      expect(emoji).toHaveLength(30);

      expect(policy().problems(emoji)).toEqual([]);
    });

    it('refuses 14 emoji even though their UTF-16 length is 28', () => {
      expect(policy().problems('\u{1F600}'.repeat(14))).toEqual([TOO_SHORT]);
    });

    it('accepts a password of exactly 128 characters', () => {
      expect(policy().problems('q'.repeat(128))).toEqual([]);
    });

    it('refuses a password longer than 128 characters', () => {
      expect(policy().problems('q'.repeat(129))).toEqual([TOO_LONG]);
    });
  });

  describe('NFKC normalisation', () => {
    it('measures the NFKC form when it is shorter: 20 code points composing to 10 are too short', () => {
      const password = decomposedAcuteEs(10);
      expect([...password]).toHaveLength(20);

      expect(policy().problems(password)).toEqual([TOO_SHORT]);
    });

    it('measures the NFKC form when it is shorter: 130 code points composing to 65 are not too long', () => {
      const password = decomposedAcuteEs(65);
      expect([...password]).toHaveLength(130);

      expect(policy().problems(password)).toEqual([]);
    });

    it('measures the NFKC form when it is longer: 5 "ﬃ" ligatures expand to 15 characters', () => {
      const password = '\uFB03'.repeat(5);
      expect(password.normalize('NFKC')).toBe('ffi'.repeat(5));

      expect(policy().problems(password)).toEqual([]);
    });

    it('measures the NFKC form when it is longer: 43 "ﬃ" ligatures expand to 129 characters', () => {
      expect(policy().problems('\uFB03'.repeat(43))).toEqual([TOO_LONG]);
    });

    it('checks the common-password list against the NFKC form (fullwidth letters)', () => {
      // U+FF50.. are fullwidth letters; NFKC maps them to ASCII 'passwordpassword'.
      const fullwidth = 'ｐａｓｓｗｏｒｄｐａｓｓｗｏｒｄ';
      expect(fullwidth.normalize('NFKC')).toBe('passwordpassword');

      expect(policy().problems(fullwidth)).toEqual([TOO_COMMON]);
    });
  });

  describe('common passwords', () => {
    it('refuses "password" as too short and too common', () => {
      expect(policy().problems('password')).toEqual([TOO_SHORT, TOO_COMMON]);
    });

    it('refuses a listed password that is long enough, for being common', () => {
      expect(policy().problems('passwordpassword')).toEqual([TOO_COMMON]);
    });

    it('compares with the list ignoring case', () => {
      expect(policy().problems('PassWordPASSWORD')).toEqual([TOO_COMMON]);
      expect(policy({ minLength: 8 }).problems('PASSWORD')).toEqual([TOO_COMMON]);
    });
  });

  describe('username', () => {
    it('refuses a password equal to the username', () => {
      expect(policy().problems('margaret.hamilton', 'margaret.hamilton')).toEqual([IS_USERNAME]);
    });

    it('refuses a password equal to the username ignoring case', () => {
      expect(policy().problems('MARGARET.Hamilton', 'margaret.hamilton')).toEqual([IS_USERNAME]);
    });

    it('accepts a password that merely contains the username', () => {
      expect(policy().problems('margaret.hamilton wrote apollo code', 'margaret.hamilton')).toEqual(
        [],
      );
    });
  });

  describe('composition', () => {
    it('accepts a long all-lowercase passphrase without digits or symbols', () => {
      expect(policy().problems('correct horse battery staple')).toEqual([]);
    });

    it('accepts a long digits-only password that is not a common one', () => {
      expect(policy().problems('804271963550218')).toEqual([]);
    });
  });

  describe('assertAcceptable', () => {
    it('returns quietly for an acceptable password', () => {
      expect(() =>
        policy().assertAcceptable('correct horse battery staple', 'margaret', 'password'),
      ).not.toThrow();
    });

    it('throws RequestValidationException with one field error per problem, naming the field', () => {
      let thrown: unknown;
      try {
        policy().assertAcceptable('password', 'PASSWORD', 'newPassword');
      } catch (error) {
        thrown = error;
      }

      expect(thrown).toBeInstanceOf(RequestValidationException);
      const exception = thrown as RequestValidationException;
      expect(exception.getStatus()).toBe(400);
      expect(exception.fieldErrors).toEqual([
        { field: 'newPassword', message: TOO_SHORT },
        { field: 'newPassword', message: TOO_COMMON },
        { field: 'newPassword', message: IS_USERNAME },
      ]);
    });
  });
});
