import { createPrivateKey, createPublicKey, hkdfSync, type KeyObject } from 'node:crypto';

// PKCS#8 header of an Ed25519 private key; the 32-byte seed follows it.
const pkcs8Ed25519Prefix = Buffer.from('302e020100300506032b657004220420', 'hex');

export interface Ed25519KeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/**
 * An Ed25519 key pair derived from an instance secret for one purpose (HKDF-SHA-256, the purpose as
 * `info`), so one secret can back several keys that never sign for each other.
 */
export function deriveEd25519(secret: Buffer, purpose: string): Ed25519KeyPair {
  const seed = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), `mosaic ${purpose}`, 32));
  const privateKey = createPrivateKey({
    key: Buffer.concat([pkcs8Ed25519Prefix, seed]),
    format: 'der',
    type: 'pkcs8',
  });
  return { privateKey, publicKey: createPublicKey(privateKey) };
}
