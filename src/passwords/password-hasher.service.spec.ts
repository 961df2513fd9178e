import * as argon2 from 'argon2';
import { PasswordHasher } from './password-hasher.service';

const OWASP_FLOOR = { memoryCost: 19456, timeCost: 2, parallelism: 1 };

function hasher(argon2MaxConcurrency = 3): PasswordHasher {
  return new PasswordHasher(
    { minLength: 15, maxLength: 128, argon2: OWASP_FLOOR },
    { argon2MaxConcurrency },
  );
}

const PASSWORD = 'correct horse battery staple';

interface PhcString {
  id: string;
  version: string;
  params: Record<string, string>;
  rest: string[];
}

/** `$id$v=19$m=..,t=..,p=..$salt$hash`; the parameter order is not significant to a reader. */
function parsePhc(hash: string): PhcString {
  const [empty, id, version, params, ...rest] = hash.split('$');
  expect(empty).toBe('');
  return {
    id,
    version,
    params: Object.fromEntries(
      params.split(',').map((pair): [string, string] => {
        const [name, value = ''] = pair.split('=');
        return [name, value];
      }),
    ),
    rest,
  };
}

/** The same hash with its parameters written `m,t,p`, the order of the reference implementation. */
function inCanonicalOrder(hash: string): string {
  const { id, version, params, rest } = parsePhc(hash);
  return ['', id, version, `m=${params.m},t=${params.t},p=${params.p}`, ...rest].join('$');
}

describe('PasswordHasher', () => {
  let passwords: PasswordHasher;
  let storedHash: string;

  beforeAll(async () => {
    passwords = hasher();
    storedHash = await passwords.hash(PASSWORD);
  });

  afterEach(() => {
    jest.restoreAllMocks();
  });

  describe('hash', () => {
    it('produces an argon2id PHC string with m=19456, t=2, p=1', () => {
      const phc = parsePhc(storedHash);

      expect(phc.id).toBe('argon2id');
      expect(phc.version).toBe('v=19');
      expect(phc.params).toEqual({ m: '19456', t: '2', p: '1' });
      expect(phc.rest).toEqual([
        expect.stringMatching(/^[A-Za-z0-9+/]{22}$/),
        expect.stringMatching(/^[A-Za-z0-9+/]{43}$/),
      ]);
    });

    it('salts every hash, so the same password hashes differently twice', async () => {
      await expect(passwords.hash(PASSWORD)).resolves.not.toBe(storedHash);
    });
  });

  describe('verify', () => {
    it('accepts the password the hash was made from', async () => {
      await expect(passwords.verify(storedHash, PASSWORD)).resolves.toBe(true);
    });

    it('refuses another password', async () => {
      await expect(passwords.verify(storedHash, 'correct horse battery stapler')).resolves.toBe(
        false,
      );
    });

    it('does not truncate: 200-byte passwords differing only in the last character do not match', async () => {
      // bcrypt silently ignores everything after byte 72; argon2 must compare the whole input.
      const first = `${'a'.repeat(199)}1`;
      const second = `${'a'.repeat(199)}2`;
      expect(Buffer.byteLength(first)).toBe(200);
      const hash = await passwords.hash(first);

      await expect(passwords.verify(hash, second)).resolves.toBe(false);
      await expect(passwords.verify(hash, first)).resolves.toBe(true);
    });

    it('normalises to NFKC: a hash of the "ﬁ" ligature form verifies with plain "fi"', async () => {
      const hash = await passwords.hash('\uFB01le cabinet of curiosities');

      await expect(passwords.verify(hash, 'file cabinet of curiosities')).resolves.toBe(true);
    });

    it('normalises to NFKC: a hash of plain "fi" verifies with the "ﬁ" ligature form', async () => {
      const hash = await passwords.hash('file cabinet of curiosities');

      await expect(passwords.verify(hash, '\uFB01le cabinet of curiosities')).resolves.toBe(true);
    });

    it('does not trim: a trailing space is part of the password', async () => {
      const hash = await passwords.hash(`${PASSWORD} `);

      await expect(passwords.verify(hash, PASSWORD)).resolves.toBe(false);
      await expect(passwords.verify(storedHash, `${PASSWORD} `)).resolves.toBe(false);
      await expect(passwords.verify(hash, `${PASSWORD} `)).resolves.toBe(true);
    });

    it.each(['not-a-hash', '$argon2id$garbage', ''])(
      'answers false, without throwing, for the malformed stored hash %j',
      async (malformed) => {
        await expect(passwords.verify(malformed, PASSWORD)).resolves.toBe(false);
      },
    );
  });

  describe('verifyAgainstDummy', () => {
    async function dummyHashOf(subject: PasswordHasher): Promise<string> {
      const verify = jest.spyOn(subject, 'verify');
      await expect(subject.verifyAgainstDummy(PASSWORD)).resolves.toBe(false);
      expect(verify).toHaveBeenCalledTimes(1);
      const [dummyHash, password] = verify.mock.calls[0];
      expect(password).toBe(PASSWORD);
      return dummyHash;
    }

    it('verifies against a hash shaped like a real one, which argon2 computes in full', async () => {
      const dummyHash = await dummyHashOf(passwords);

      const dummy = parsePhc(dummyHash);
      const real = parsePhc(storedHash);
      expect(dummy).toMatchObject({ id: 'argon2id', version: real.version });
      expect(dummy.params).toEqual(real.params);
      // Salt and digest as long as a real hash's, so the verification costs the same.
      expect(dummy.rest.map((part) => part.length)).toEqual(real.rest.map((part) => part.length));
      // PasswordHasher.verify would answer false for a malformed hash too, without any argon2
      // work; argon2 itself only resolves (rather than rejects) once it has computed the hash.
      await expect(argon2.verify(dummyHash, PASSWORD)).resolves.toBe(false);
    });

    it('follows the configured parameters, and differs between instances', async () => {
      const stronger = new PasswordHasher(
        {
          minLength: 15,
          maxLength: 128,
          argon2: { memoryCost: 47104, timeCost: 3, parallelism: 1 },
        },
        { argon2MaxConcurrency: 1 },
      );

      const dummyHash = await dummyHashOf(stronger);

      expect(parsePhc(dummyHash).params).toEqual({ m: '47104', t: '3', p: '1' });
      expect(dummyHash).not.toBe(await dummyHashOf(passwords));
    });
  });

  describe('concurrency cap', () => {
    it('runs at most the configured number of argon2 operations at once and queues the rest', async () => {
      const capped = hasher(2);

      const verifications = Array.from({ length: 6 }, () => capped.verify(storedHash, PASSWORD));

      expect(capped.maxConcurrency).toBe(2);
      expect(capped.queueDepth).toBe(4);
      await expect(Promise.all(verifications)).resolves.toEqual(Array(6).fill(true));
      expect(capped.queueDepth).toBe(0);
    });

    it('frees the slot of an operation that fails, so later ones still run', async () => {
      const capped = hasher(1);

      const malformed = capped.verify('$argon2id$garbage', PASSWORD);
      const valid = capped.verify(storedHash, PASSWORD);

      await expect(malformed).resolves.toBe(false);
      await expect(valid).resolves.toBe(true);
      expect(capped.queueDepth).toBe(0);
    });
  });

  describe('needsRehash', () => {
    it('is false for a hash this service just made with the current parameters', () => {
      expect(passwords.needsRehash(storedHash)).toBe(false);
    });

    it('is false for a current-parameter hash written in the canonical m,t,p order', async () => {
      const canonical = inCanonicalOrder(storedHash);
      await expect(passwords.verify(canonical, PASSWORD)).resolves.toBe(true);

      expect(passwords.needsRehash(canonical)).toBe(false);
    });

    it('is false for a hash made with stronger parameters', async () => {
      const hash = await argon2.hash(PASSWORD, {
        type: argon2.argon2id,
        ...OWASP_FLOOR,
        timeCost: 3,
      });

      expect(passwords.needsRehash(inCanonicalOrder(hash))).toBe(false);
    });

    it('is true for an argon2id hash with less memory (m=8192)', async () => {
      const hash = await argon2.hash(PASSWORD, {
        type: argon2.argon2id,
        ...OWASP_FLOOR,
        memoryCost: 8192,
      });

      expect(passwords.needsRehash(inCanonicalOrder(hash))).toBe(true);
      expect(passwords.needsRehash(hash)).toBe(true);
      // Still a valid login, so the hash can be upgraded then.
      await expect(passwords.verify(hash, PASSWORD)).resolves.toBe(true);
    });

    it('is true for an argon2id hash with fewer iterations (t=1)', async () => {
      const hash = await argon2.hash(PASSWORD, {
        type: argon2.argon2id,
        ...OWASP_FLOOR,
        timeCost: 1,
      });

      expect(passwords.needsRehash(inCanonicalOrder(hash))).toBe(true);
      expect(passwords.needsRehash(hash)).toBe(true);
    });

    it('is true for an argon2i hash even with the current parameters', async () => {
      const hash = await argon2.hash(PASSWORD, { type: argon2.argon2i, ...OWASP_FLOOR });

      expect(passwords.needsRehash(inCanonicalOrder(hash))).toBe(true);
    });

    it.each(['$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW', 'not-a-hash', ''])(
      'is true for the non-argon2 string %j',
      (hash) => {
        expect(passwords.needsRehash(hash)).toBe(true);
      },
    );
  });
});
