import { randomBytes } from 'node:crypto';

/**
 * A fresh certificate serial: 16 random bytes with the top bit cleared (a positive INTEGER) and a
 * non-zero first byte (so the DER INTEGER is exactly these 16 bytes, no padding either way).
 * Rendered as 32 lowercase hex characters: the same text the registry stores, the CRL lists and
 * `crypto.X509Certificate#serialNumber` shows (in lowercase).
 */
export function newSerialHex(): string {
  for (;;) {
    const bytes = randomBytes(16);
    bytes[0] = bytes[0]! & 0x7f;
    if (bytes[0] !== 0) return bytes.toString('hex');
  }
}

/** Canonical form of a serial given as hex: lowercase, no leading zero octets, even length. */
export function normalizeSerialHex(serialHex: string): string | null {
  if (!/^[0-9a-fA-F]{1,40}$/.test(serialHex)) return null;
  let hex = serialHex.toLowerCase();
  if (hex.length % 2 === 1) hex = `0${hex}`;
  while (hex.length > 2 && hex.startsWith('00')) hex = hex.slice(2);
  return hex;
}
