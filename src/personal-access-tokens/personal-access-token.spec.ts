import {
  hashPersonalAccessToken,
  isWellFormedPersonalAccessToken,
  newPersonalAccessToken,
  PERSONAL_ACCESS_TOKEN_SHAPE,
} from './personal-access-token';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** The same token with the character at `index` replaced by another base62 one. */
function mistyped(token: string, index: number): string {
  const other = BASE62[(BASE62.indexOf(token[index]) + 1) % BASE62.length];
  return `${token.slice(0, index)}${other}${token.slice(index + 1)}`;
}

describe('personal access tokens', () => {
  it('are pat_ and 49 base62 characters, different every time', () => {
    const tokens = Array.from({ length: 200 }, newPersonalAccessToken);

    for (const token of tokens) {
      expect(token).toMatch(/^pat_[0-9A-Za-z]{49}$/);
      expect(token).toMatch(PERSONAL_ACCESS_TOKEN_SHAPE);
      expect(isWellFormedPersonalAccessToken(token)).toBe(true);
    }
    expect(new Set(tokens).size).toBe(tokens.length);
  });

  it('use the whole alphabet in the secret part (no bias towards a few characters)', () => {
    const seen = new Set(
      Array.from({ length: 100 }, newPersonalAccessToken).flatMap((token) => [
        ...token.slice(5, 47),
      ]),
    );
    expect(seen.size).toBe(62);
  });

  it('refuse any single mistyped character, in the secret or in the checksum', () => {
    const token = newPersonalAccessToken();

    for (let index = 4; index < token.length; index += 1) {
      expect({
        index,
        wellFormed: isWellFormedPersonalAccessToken(mistyped(token, index)),
      }).toEqual({ index, wellFormed: false });
    }
  });

  it('refuse two swapped neighbours, a truncated or extended token, and other prefixes', () => {
    const token = newPersonalAccessToken();
    const swapped = `${token.slice(0, 10)}${token[11]}${token[10]}${token.slice(12)}`;

    expect(token[10] === token[11] || !isWellFormedPersonalAccessToken(swapped)).toBe(true);
    expect(isWellFormedPersonalAccessToken(token.slice(0, -1))).toBe(false);
    expect(isWellFormedPersonalAccessToken(`${token}0`)).toBe(false);
    expect(isWellFormedPersonalAccessToken(`ghp_${token.slice(4)}`)).toBe(false);
    expect(isWellFormedPersonalAccessToken(` ${token}`)).toBe(false);
  });

  it('are stored as a SHA-256 that does not contain the token', () => {
    const token = newPersonalAccessToken();
    const hash = hashPersonalAccessToken(token);

    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hash).toBe(hashPersonalAccessToken(token));
    expect(hash).not.toBe(hashPersonalAccessToken(newPersonalAccessToken()));
  });
});
