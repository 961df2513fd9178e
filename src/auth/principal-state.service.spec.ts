import { ClientsService } from '../clients/clients.service';
import { PersonalAccessTokensService } from '../personal-access-tokens/personal-access-tokens.service';
import { PreparedStatements } from '../platform/prepared-statements';
import { SessionsService } from '../sessions/sessions.service';
import { AccessTokenDenylist } from '../tokens/access-token-denylist';
import { User } from '../users/entities/user.entity';
import { UsersService } from '../users/users.service';
import { PrincipalStateService } from './principal-state.service';

const USER_ID = '0b9f6f0e-4a34-4d4b-9a0e-6f8f3b1f2c11';

function setup() {
  let epoch: string | number = 0;
  const readEpoch = jest.fn(() => Promise.resolve([{ value: epoch }]));
  const statements = { prepare: () => ({ rows: readEpoch }) };
  const users = {
    findById: jest.fn((id: string) =>
      Promise.resolve(
        id === USER_ID ? Object.assign(new User(), { id, roles: ['user'], disabled: false }) : null,
      ),
    ),
  };
  const sessions = { findById: jest.fn(() => Promise.resolve(null)) };
  const clients = { findById: jest.fn(() => Promise.resolve(null)) };
  const denylist = { isRevoked: jest.fn(() => Promise.resolve(false)) };
  const personalAccessTokens = { findByHash: jest.fn(() => Promise.resolve(null)) };
  // The constructor wants the classes (they have private members); the fakes have every member used.
  const service = new PrincipalStateService(
    statements as unknown as PreparedStatements,
    users as unknown as UsersService,
    sessions as unknown as SessionsService,
    clients as unknown as ClientsService,
    denylist as unknown as AccessTokenDenylist,
    personalAccessTokens as unknown as PersonalAccessTokensService,
  );
  const setEpoch = (value: string | number) => {
    epoch = value;
  };
  return { service, readEpoch, users, denylist, setEpoch };
}

describe('PrincipalStateService', () => {
  it('reads the epoch for every request and the rows once while it stands still', async () => {
    const { service, readEpoch, users, denylist } = setup();

    for (let i = 0; i < 3; i += 1) {
      const state = await service.current();
      await state.user(USER_ID);
      await state.isRevoked('jti-1');
    }

    expect(readEpoch).toHaveBeenCalledTimes(3);
    expect(users.findById).toHaveBeenCalledTimes(1);
    expect(denylist.isRevoked).toHaveBeenCalledTimes(1);
  });

  it('reads the rows again once the epoch moves, up or down (a restored database)', async () => {
    const { service, users, setEpoch } = setup();
    await (await service.current()).user(USER_ID);

    setEpoch('1'); // PostgreSQL's bigint arrives as a string
    await (await service.current()).user(USER_ID);
    await (await service.current()).user(USER_ID);
    expect(users.findById).toHaveBeenCalledTimes(2);

    setEpoch(0);
    await (await service.current()).user(USER_ID);
    expect(users.findById).toHaveBeenCalledTimes(3);
  });

  it('looks an absent row up again on the next request rather than remembering it', async () => {
    const { service, users } = setup();
    const missing = 'ffffffff-ffff-4fff-8fff-ffffffffffff';

    await expect((await service.current()).user(missing)).resolves.toBeNull();
    await expect((await service.current()).user(missing)).resolves.toBeNull();
    expect(users.findById).toHaveBeenCalledTimes(2);
  });

  it('fails the request when the epoch cannot be read, rather than trusting what it holds', async () => {
    const { service, readEpoch } = setup();
    await service.current();
    readEpoch.mockRejectedValueOnce(new Error('connection refused'));

    await expect(service.current()).rejects.toThrow('connection refused');
  });

  it("hands out frozen entries, so one request cannot change another's view of the account", async () => {
    const { service } = setup();
    const user = await (await service.current()).user(USER_ID);
    if (!user) {
      throw new Error('the fake user is missing');
    }

    expect(() => {
      user.disabled = true;
    }).toThrow(TypeError);
    expect(() => user.roles.push('admin')).toThrow(TypeError);
    await expect((await service.current()).user(USER_ID)).resolves.toMatchObject({
      disabled: false,
      roles: ['user'],
    });
  });
});
