import { createHash, randomBytes } from 'node:crypto';
import { MosaicError } from '@mosaic/platform';

/** How long an enrollment URL can be used (SPEC §8: TTL 15 min). */
export const enrollmentTokenTtlMs = 15 * 60 * 1000;

const tokenBytes = 32;
/** 32 bytes in unpadded base64url. */
const tokenPattern = /^[A-Za-z0-9_-]{43}$/;

/**
 * A new single-use enrollment token: 32 random bytes as unpadded base64url (43 characters) and the
 * SHA-256 of those 32 bytes, which is all the database keeps.
 */
export function generateEnrollmentToken(): { token: string; hash: Buffer } {
  const bytes = randomBytes(tokenBytes);
  return { token: bytes.toString('base64url'), hash: createHash('sha256').update(bytes).digest() };
}

/** The stored hash of a presented token. Refuses anything that is not a token this module issued, without echoing it. */
export function hashEnrollmentToken(token: string): Buffer {
  const bytes = tokenPattern.test(token) ? Buffer.from(token, 'base64url') : undefined;
  // The last character carries 2 spare bits: only the canonical spelling is a token, so one
  // token never has two spellings.
  if (!bytes || bytes.length !== tokenBytes || bytes.toString('base64url') !== token) {
    throw new EnrollmentTokenMalformedError(typeof token === 'string' ? token.length : 0);
  }
  return createHash('sha256').update(bytes).digest();
}

/** The presented enrollment token is not 43 base64url characters; it was never issued. */
export class EnrollmentTokenMalformedError extends MosaicError {
  override readonly name = 'EnrollmentTokenMalformedError';

  constructor(length: number) {
    super({
      kind: 'invalid_argument',
      reason: 'enrollment_token_invalid',
      message: `The enrollment token is malformed (expected 43 base64url characters, got ${length} characters).`,
      remedy:
        'Copy the whole enrollment URL printed by `mosaic federation grant create` on the serving gateway, or ask its admin for a new one.',
    });
  }
}

export function isEnrollmentTokenMalformedError(value: unknown): value is EnrollmentTokenMalformedError {
  return value instanceof EnrollmentTokenMalformedError;
}
