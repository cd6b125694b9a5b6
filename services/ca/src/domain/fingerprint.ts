import { createHash } from 'node:crypto';

/** SHA-256 of the DER encoding, lowercase hex without separators (64 characters). */
export function fingerprintOf(der: Buffer): string {
  return createHash('sha256').update(der).digest('hex');
}
