import {
  BadRequestException,
  ConflictException,
  NotFoundException,
  ServiceUnavailableException,
} from '@nestjs/common';
import { EXIT, exitCodeOf, messageOf, UsageError } from './exit-codes';
import { refuseSecretsInArguments } from './secret-input';

describe('CLI exit codes', () => {
  it('follow the HTTP twin: 400 usage, 404 not found, 409 conflict, anything else a failure', () => {
    expect(exitCodeOf(new BadRequestException('weak'))).toBe(EXIT.usage);
    expect(exitCodeOf(new NotFoundException())).toBe(EXIT.notFound);
    expect(exitCodeOf(new ConflictException())).toBe(EXIT.conflict);
    expect(exitCodeOf(new ServiceUnavailableException())).toBe(EXIT.failure);
    expect(exitCodeOf(new Error('boom'))).toBe(EXIT.failure);
    expect(exitCodeOf(new UsageError('bad'))).toBe(EXIT.usage);
  });

  it("say the exception's own message, joined when it lists several", () => {
    expect(messageOf(new BadRequestException(['one', 'two']))).toBe('one; two');
    expect(messageOf(new NotFoundException('No user has that id'))).toBe('No user has that id');
  });
});

describe('secrets on the command line', () => {
  it.each([['--password', 'x'], ['--password=x'], ['--new-password=x'], ['--client-secret', 'y']])(
    'are refused: %s',
    (...argv) => {
      expect(() => refuseSecretsInArguments(['users', 'create', 'bob', ...argv])).toThrow(
        UsageError,
      );
    },
  );

  it('other arguments pass, a username that merely contains the word too', () => {
    expect(() => refuseSecretsInArguments(['users', 'show', 'password-admin'])).not.toThrow();
  });
});
