import { TOTP, URI } from 'otpauth';
import { acceptedStep, newTotpSecret, otpauthUri } from './totp';

const STEP_MS = 30_000;
// The middle of a step, so that no offset below lands on an edge.
const NOW = 1_767_225_600_000 + 15_000;
const step = Math.floor(NOW / STEP_MS);

function codeAt(secret: string, offsetSteps: number): string {
  return new TOTP({ secret }).generate({ timestamp: NOW + offsetSteps * STEP_MS });
}

describe('TOTP', () => {
  const secret = newTotpSecret();

  it('makes 160-bit base32 secrets, a new one each time', () => {
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(newTotpSecret()).not.toBe(secret);
  });

  it('accepts one step of drift either way and names the step the code belongs to', () => {
    expect(acceptedStep(secret, codeAt(secret, -1), NOW)).toBe(step - 1);
    expect(acceptedStep(secret, codeAt(secret, 0), NOW)).toBe(step);
    expect(acceptedStep(secret, codeAt(secret, 1), NOW)).toBe(step + 1);
  });

  it('refuses codes two steps away, and codes of another secret', () => {
    expect(acceptedStep(secret, codeAt(secret, -2), NOW)).toBeNull();
    expect(acceptedStep(secret, codeAt(secret, 2), NOW)).toBeNull();
    expect(acceptedStep(newTotpSecret(), codeAt(secret, 0), NOW)).toBeNull();
  });

  it.each(['', '12345', '1234567', '12345a', '１２３４５６', '12345é', ' 123456'])(
    'refuses %j without an error',
    (code) => {
      expect(acceptedStep(secret, code, NOW)).toBeNull();
    },
  );

  it('writes a URI that an authenticator app reads back to the same generator', () => {
    const uri = otpauthUri(secret, 'ada', 'auth.example.com');
    const parsed = URI.parse(uri);

    expect(uri).toMatch(/^otpauth:\/\/totp\/auth\.example\.com:ada\?/);
    expect(parsed).toBeInstanceOf(TOTP);
    expect(parsed.generate({ timestamp: NOW })).toBe(codeAt(secret, 0));
  });
});
