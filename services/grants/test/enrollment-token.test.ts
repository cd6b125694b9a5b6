import { createHash } from 'node:crypto';
import { expect } from 'chai';
import {
  enrollmentTokenTtlMs,
  generateEnrollmentToken,
  hashEnrollmentToken,
  isEnrollmentTokenMalformedError,
} from '../src/domain/index.js';

describe('enrollment token', () => {
  it('is 43 base64url characters carrying 32 random bytes', () => {
    const { token } = generateEnrollmentToken();
    expect(token).to.match(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, 'base64url')).to.have.length(32);
  });

  it('is stored as the SHA-256 of its bytes: 32 bytes, the same for the same token', () => {
    const { token, hash } = generateEnrollmentToken();
    expect(hash).to.have.length(32);
    expect(hash.equals(createHash('sha256').update(Buffer.from(token, 'base64url')).digest())).to.equal(true);
    expect(hashEnrollmentToken(token).equals(hash)).to.equal(true);
    expect(hashEnrollmentToken(token).equals(hashEnrollmentToken(token))).to.equal(true);
  });

  it('differs from one token to the next', () => {
    const first = generateEnrollmentToken();
    const second = generateEnrollmentToken();
    expect(first.token).to.not.equal(second.token);
    expect(first.hash.equals(second.hash)).to.equal(false);
  });

  const token = generateEnrollmentToken().token;
  const malformed: { name: string; value: string }[] = [
    { name: 'empty', value: '' },
    { name: 'one character short', value: token.slice(0, 42) },
    { name: 'one character long', value: `${token}A` },
    { name: 'padded base64', value: `${token}=` },
    { name: 'standard base64 alphabet', value: `${token.slice(0, 41)}+/` },
    { name: 'surrounded by spaces', value: ` ${token.slice(0, 42)}` },
    // 43 characters hold 258 bits: the last character's 2 spare bits must be zero.
    { name: 'a non-canonical last character', value: `${'A'.repeat(42)}B` },
  ];
  for (const { name, value } of malformed) {
    it(`refuses a malformed token (${name}) with a typed error that does not echo it`, () => {
      let thrown: unknown;
      try {
        hashEnrollmentToken(value);
      } catch (error) {
        thrown = error;
      }
      if (!isEnrollmentTokenMalformedError(thrown)) throw thrown ?? new Error('the token was accepted');
      expect(thrown.kind).to.equal('invalid_argument');
      expect(thrown.message).to.include('43 base64url characters');
      if (value.trim().length > 3) expect(thrown.message).to.not.include(value.trim());
    });
  }

  it('lives 15 minutes', () => {
    expect(enrollmentTokenTtlMs).to.equal(900_000);
  });
});
