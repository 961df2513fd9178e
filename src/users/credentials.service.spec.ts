import { BadRequestException, UnauthorizedException } from '@nestjs/common';
import { SecurityEvent } from '../events/security-event';
import { SecurityEvents } from '../events/security-events.service';
import { PasswordHasher } from '../passwords/password-hasher.service';
import { PasswordPolicy } from '../passwords/password-policy.service';
import { RequestContext } from '../common/request-context';
import { LoginThrottle } from '../throttling/login-throttle.service';
import { CredentialsService } from './credentials.service';
import { User } from './entities/user.entity';
import { UsersService } from './users.service';

const USER_ID = '0b9f6f0e-4a34-4d4b-9a0e-6f8f3b1f2c11';
const STORED_HASH = '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaA';
const NEW_HASH = '$argon2id$v=19$m=65536,t=3,p=1$bmV3c2FsdA$bmV3aGFzaA';
const context = { ip: '203.0.113.7', userAgent: 'curl/8' };

function storedUser(overrides: Partial<User> = {}): User {
  return Object.assign(new User(), {
    id: USER_ID,
    username: 'Ada',
    normalizedUsername: 'ada',
    passwordHash: STORED_HASH,
    roles: ['user'],
    disabled: false,
    tokenVersion: 3,
    ...overrides,
  });
}

function setup() {
  const users = {
    findForLogin: jest.fn<Promise<User | null>, [string]>(),
    findWithPasswordHash: jest.fn<Promise<User | null>, [string]>(),
    replacePassword: jest
      .fn<Promise<boolean>, [User, string, SecurityEvent]>()
      .mockResolvedValue(true),
    replacePasswordHash: jest
      .fn<Promise<void>, [string, string, string]>()
      .mockResolvedValue(undefined),
  } satisfies Pick<
    UsersService,
    'findForLogin' | 'findWithPasswordHash' | 'replacePassword' | 'replacePasswordHash'
  >;
  const hasher = {
    hash: jest.fn<Promise<string>, [string]>().mockResolvedValue(NEW_HASH),
    verify: jest.fn<Promise<boolean>, [string, string]>(),
    verifyAgainstDummy: jest.fn<Promise<false>, [string]>().mockResolvedValue(false),
    needsRehash: jest.fn<boolean, [string]>().mockReturnValue(false),
  } satisfies Pick<PasswordHasher, 'hash' | 'verify' | 'verifyAgainstDummy' | 'needsRehash'>;
  const policy = { assertAcceptable: jest.fn() } satisfies Pick<PasswordPolicy, 'assertAcceptable'>;
  // Runs the check as LoginThrottle does, and notes how each attempt ended.
  const attempts: Array<{ username: string; outcome: 'success' | 'failure' }> = [];
  const throttle = {
    async attempt<T>(username: string, _: RequestContext, check: () => Promise<T>): Promise<T> {
      try {
        const result = await check();
        attempts.push({ username, outcome: 'success' });
        return result;
      } catch (error) {
        attempts.push({ username, outcome: 'failure' });
        throw error;
      }
    },
  } satisfies Pick<LoginThrottle, 'attempt'>;
  const events = {
    publish: jest.fn<Promise<void>, [SecurityEvent]>().mockResolvedValue(undefined),
  } satisfies Pick<SecurityEvents, 'publish'>;
  // The constructor wants the classes (they have private members); the fakes have every member used.
  const credentials = new CredentialsService(
    users as unknown as UsersService,
    hasher as unknown as PasswordHasher,
    policy as unknown as PasswordPolicy,
    throttle as unknown as LoginThrottle,
    events as unknown as SecurityEvents,
  );
  return { credentials, users, hasher, policy, events, attempts };
}

describe('CredentialsService', () => {
  describe('authenticatePassword', () => {
    it('spends a dummy verification on an unknown username and answers invalid_grant', async () => {
      const { credentials, users, hasher, events } = setup();
      users.findForLogin.mockResolvedValue(null);

      await expect(
        credentials.authenticatePassword('Nobody', 'secret passphrase', context),
      ).rejects.toMatchObject({
        error: 'invalid_grant',
        description: 'Incorrect username or password',
      });
      expect(hasher.verifyAgainstDummy).toHaveBeenCalledWith('secret passphrase');
      expect(hasher.verify).not.toHaveBeenCalled();
      expect(events.publish).toHaveBeenCalledWith({
        type: 'login_failed',
        userId: null,
        context,
        // What was typed for no account is not kept: it may be a password.
        detail: { outcome: 'failure', reason: 'credentials', unknownUsername: true },
      });
      expect(JSON.stringify(events.publish.mock.calls)).not.toContain('secret passphrase');
    });

    it('answers a wrong password exactly as an unknown username, and leaves the hash alone', async () => {
      const { credentials, users, hasher, events } = setup();
      users.findForLogin.mockResolvedValue(storedUser());
      hasher.verify.mockResolvedValue(false);
      hasher.needsRehash.mockReturnValue(true);

      await expect(
        credentials.authenticatePassword('Ada', 'not the password', context),
      ).rejects.toMatchObject({
        error: 'invalid_grant',
        description: 'Incorrect username or password',
      });
      expect(hasher.verify).toHaveBeenCalledWith(STORED_HASH, 'not the password');
      expect(users.replacePasswordHash).not.toHaveBeenCalled();
      expect(events.publish).toHaveBeenCalledWith(
        expect.objectContaining({
          userId: USER_ID,
          detail: expect.objectContaining({ reason: 'credentials' }),
        }),
      );
    });

    it('returns the user for the right password without re-hashing a current hash', async () => {
      const { credentials, users, hasher, events } = setup();
      const user = storedUser();
      users.findForLogin.mockResolvedValue(user);
      hasher.verify.mockResolvedValue(true);

      await expect(credentials.authenticatePassword('Ada', 'right', context)).resolves.toBe(user);
      expect(users.replacePasswordHash).not.toHaveBeenCalled();
      expect(events.publish).not.toHaveBeenCalled();
    });

    it('re-hashes over the verified hash when it is weaker than configured', async () => {
      const { credentials, users, hasher } = setup();
      users.findForLogin.mockResolvedValue(storedUser());
      hasher.verify.mockResolvedValue(true);
      hasher.needsRehash.mockReturnValue(true);

      await credentials.authenticatePassword('Ada', 'the right password', context);
      expect(hasher.hash).toHaveBeenCalledWith('the right password');
      expect(users.replacePasswordHash).toHaveBeenCalledWith(USER_ID, STORED_HASH, NEW_HASH);
    });

    it('answers access_denied only for a disabled account with the right password', async () => {
      const { credentials, users, hasher, events } = setup();
      users.findForLogin.mockResolvedValue(storedUser({ disabled: true }));
      hasher.verify.mockResolvedValue(true);

      await expect(credentials.authenticatePassword('Ada', 'right', context)).rejects.toMatchObject(
        { error: 'access_denied' },
      );
      expect(events.publish).toHaveBeenCalledWith(
        expect.objectContaining({ detail: expect.objectContaining({ reason: 'disabled' }) }),
      );
      hasher.verify.mockResolvedValue(false);
      await expect(credentials.authenticatePassword('Ada', 'wrong', context)).rejects.toMatchObject(
        {
          error: 'invalid_grant',
        },
      );
    });
  });

  describe('changePassword', () => {
    it('checks the policy before counting an attempt, then the current password', async () => {
      const { credentials, users, hasher, policy, attempts } = setup();
      users.findWithPasswordHash.mockResolvedValue(storedUser());
      hasher.verify.mockResolvedValue(true);

      await credentials.changePassword(storedUser(), 'current', 'a new long passphrase', context);
      expect(policy.assertAcceptable).toHaveBeenCalledWith(
        'a new long passphrase',
        'Ada',
        'newPassword',
      );
      expect(hasher.verify).toHaveBeenCalledWith(STORED_HASH, 'current');
      // The success is recorded by the write itself, in its transaction.
      expect(users.replacePassword).toHaveBeenCalledWith(
        storedUser(),
        NEW_HASH,
        expect.objectContaining({ type: 'password_changed', detail: { outcome: 'success' } }),
      );
      expect(attempts).toEqual([{ username: 'Ada', outcome: 'success' }]);
    });

    it('answers 401 for a wrong current password, changes nothing and keeps the count', async () => {
      const { credentials, users, hasher, events, attempts } = setup();
      users.findWithPasswordHash.mockResolvedValue(storedUser());
      hasher.verify.mockResolvedValue(false);

      await expect(
        credentials.changePassword(storedUser(), 'wrong', 'a new long passphrase', context),
      ).rejects.toBeInstanceOf(UnauthorizedException);
      expect(users.replacePassword).not.toHaveBeenCalled();
      expect(attempts).toEqual([{ username: 'Ada', outcome: 'failure' }]);
      expect(events.publish).toHaveBeenCalledWith(
        expect.objectContaining({ detail: { outcome: 'failure', reason: 'credentials' } }),
      );
    });

    it('counts no attempt and checks nothing when the new password is refused', async () => {
      const { credentials, hasher, policy, attempts } = setup();
      policy.assertAcceptable.mockImplementation(() => {
        throw new BadRequestException('too weak');
      });

      await expect(
        credentials.changePassword(storedUser(), 'current', 'password', context),
      ).rejects.toBeInstanceOf(BadRequestException);
      expect(attempts).toEqual([]);
      expect(hasher.verify).not.toHaveBeenCalled();
    });

    it('answers 401 when another change replaced the checked credentials first', async () => {
      const { credentials, users, hasher } = setup();
      users.findWithPasswordHash.mockResolvedValue(storedUser());
      hasher.verify.mockResolvedValue(true);
      users.replacePassword.mockResolvedValue(false);

      await expect(
        credentials.changePassword(storedUser(), 'current', 'a new long passphrase', context),
      ).rejects.toBeInstanceOf(UnauthorizedException);
    });
  });
});
