import { ArgumentMetadata } from '@nestjs/common';
import {
  IsString,
  MaxLength,
  Validate,
  ValidationArguments,
  ValidatorConstraint,
  ValidatorConstraintInterface,
} from 'class-validator';
import { RequestValidationException } from './request-validation.exception';
import { createValidationPipe, IgnoresUnknownFields } from './validation.pipe';

let checks = 0;

@ValidatorConstraint({ name: 'counted' })
class Counted implements ValidatorConstraintInterface {
  validate(_value: unknown, _args: ValidationArguments): boolean {
    checks += 1;
    return true;
  }
}

class LoginBody {
  @IsString()
  @MaxLength(8)
  @Validate(Counted)
  username!: string;
}

class OtherBody {
  @IsString()
  @MaxLength(3)
  username!: string;
}

@IgnoresUnknownFields()
class OAuthBody {
  @IsString()
  @MaxLength(8)
  username!: string;
}

const asBody = (metatype: ArgumentMetadata['metatype']): ArgumentMetadata => ({
  type: 'body',
  metatype,
});

describe('createValidationPipe', () => {
  beforeEach(() => {
    checks = 0;
  });

  it('validates a request body into an instance of its DTO', async () => {
    const body = await createValidationPipe().transform({ username: 'ada' }, asBody(LoginBody));

    expect(body).toBeInstanceOf(LoginBody);
    expect(body).toEqual({ username: 'ada' });
    expect(checks).toBe(1);
  });

  it('refuses unknown fields (mass assignment) and wrong types', async () => {
    const pipe = createValidationPipe();

    await expect(
      pipe.transform({ username: 'ada', roles: ['admin'] }, asBody(LoginBody)),
    ).rejects.toThrow(RequestValidationException);
    await expect(pipe.transform({ username: ['ada'] }, asBody(LoginBody))).rejects.toThrow(
      RequestValidationException,
    );
  });

  it('validates an instance of the DTO, not only plain objects', async () => {
    const forged = Object.assign(new LoginBody(), { username: 'far too long a name' });

    await expect(createValidationPipe().transform(forged, asBody(LoginBody))).rejects.toThrow(
      RequestValidationException,
    );
  });

  it('validates again when the same object is declared as another DTO', async () => {
    const pipe = createValidationPipe();
    const validated = await pipe.transform({ username: 'grace' }, asBody(LoginBody));

    await expect(pipe.transform(validated, asBody(OtherBody))).rejects.toThrow(
      RequestValidationException,
    );
  });

  it('drops the unknown fields of a body marked IgnoresUnknownFields, prototype names included', async () => {
    const body = await createValidationPipe().transform(
      { username: 'ada', resource: 'https://api', roles: ['admin'], constructor: 'x' },
      asBody(OAuthBody),
    );

    expect(body).toBeInstanceOf(OAuthBody);
    expect({ ...(body as object) }).toEqual({ username: 'ada' });
  });

  it('still checks the declared fields of such a body', async () => {
    await expect(
      createValidationPipe().transform({ username: ['ada'], extra: 1 }, asBody(OAuthBody)),
    ).rejects.toThrow(RequestValidationException);
  });
});
