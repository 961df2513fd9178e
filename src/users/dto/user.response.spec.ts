import { User } from '../entities/user.entity';
import { toUserResponse } from './user.response';

function account(overrides: Partial<User> = {}): User {
  return Object.assign(new User(), {
    id: '5d0f6d1e-8f0a-4f7e-9a53-2b9d1c0e7a11',
    username: 'ada',
    normalizedUsername: 'ada',
    email: 'ada@example.com',
    emailVerified: false,
    fullName: 'Ada Lovelace',
    passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA',
    roles: ['user'],
    disabled: false,
    mfaEnabled: true,
    passwordChangedAt: new Date('2026-01-01T00:00:00.000Z'),
    tokenVersion: 3,
    createdAt: new Date('2026-01-01T00:00:00.000Z'),
    updatedAt: new Date('2026-01-02T03:04:05.678Z'),
    ...overrides,
  });
}

const ANSWER = {
  id: '5d0f6d1e-8f0a-4f7e-9a53-2b9d1c0e7a11',
  username: 'ada',
  email: 'ada@example.com',
  emailVerified: false,
  fullName: 'Ada Lovelace',
  roles: ['user'],
  disabled: false,
  mfaEnabled: true,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-02T03:04:05.678Z',
};

describe('toUserResponse', () => {
  it('names the public fields only: no hash, no token version', () => {
    expect(toUserResponse(account())).toStrictEqual(ANSWER);
  });

  it('reflects the account as it is now', () => {
    const user = account();
    toUserResponse(user);

    user.email = 'lovelace@example.com';

    expect(toUserResponse(user).email).toBe('lovelace@example.com');
  });
});
