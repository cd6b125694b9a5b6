import {
  createCipheriv,
  createDecipheriv,
  createSecretKey,
  hkdfSync,
  type KeyObject,
  randomBytes,
} from 'node:crypto';
import { ConfigError, MosaicError } from '../errors/index.js';

/**
 * Sealed format, version 1 (what `Sealer#seal` returns and a database column stores):
 *
 *   offset  size  field
 *        0     2  magic 0x4d 0x53 ("MS", Mosaic Sealed)
 *        2     1  format version 0x01
 *        3     8  key id: HKDF-SHA-256(master secret, salt, info "mosaic key-id v1"), 8 bytes;
 *                 names the master secret without revealing anything about the sealing keys
 *       11    12  IV (random per seal)
 *       23    16  AES-GCM authentication tag
 *       39     n  ciphertext (same length as the plaintext)
 *
 * Cipher: AES-256-GCM under the purpose key HKDF-SHA-256(master secret, salt,
 * info "mosaic seal v1 <purpose>", 32 bytes). Additional authenticated data: bytes 0..10 (magic,
 * version, key id) followed by the UTF-8 `aad` (the id of the row the value belongs to), so a
 * sealed value copied to another row, or sealed for another purpose, does not open.
 * A new format gets a new version byte; `unseal` refuses versions it does not know.
 */
const MAGIC = Buffer.from([0x4d, 0x53]);
const VERSION_1 = 0x01;
const KEY_ID_BYTES = 8;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = MAGIC.length + 1 + KEY_ID_BYTES;
const OVERHEAD_BYTES = HEADER_BYTES + IV_BYTES + TAG_BYTES;
const MASTER_SECRET_BYTES = 32;
const SALT = Buffer.from('mosaic-federation sealing salt v1', 'utf8');
const KEY_ID_INFO = 'mosaic key-id v1';

export interface SealContext {
  /** What the value is (e.g. `ca-key`, `peer-client-key`); selects the derived key. */
  purpose: string;
  /** The id of the row the value belongs to; authenticated, not secret. */
  aad: string;
}

export type UnsealFailure = 'key_mismatch' | 'malformed' | 'unsupported_version' | 'authentication_failed';

const UNSEAL_REMEDY =
  'Check that MOSAIC_MASTER_KEY is the master secret this instance sealed its keys with (the same value for every service and replica); after rotating it, run `mosaic admin reseal` with the old and the new secret.';

/** A sealed value cannot be opened. Never carries key material or plaintext. */
export class UnsealError extends MosaicError {
  override readonly name = 'UnsealError';
  readonly failure: UnsealFailure;
  /** Key id written in the sealed value, when it could be read. */
  readonly sealedKeyId: string | null;
  /** Key id of the master secret that tried to open it. */
  readonly currentKeyId: string | null;

  constructor(options: {
    failure: UnsealFailure;
    message: string;
    sealedKeyId?: string | null;
    currentKeyId?: string | null;
    cause?: unknown;
  }) {
    super({
      kind: 'failed_precondition',
      message: options.message,
      remedy: UNSEAL_REMEDY,
      cause: options.cause,
    });
    this.failure = options.failure;
    this.sealedKeyId = options.sealedKeyId ?? null;
    this.currentKeyId = options.currentKeyId ?? null;
  }
}

export function isUnsealError(value: unknown): value is UnsealError {
  return value instanceof UnsealError;
}

function derive(master: KeyObject, info: string, length: number): Buffer {
  return Buffer.from(hkdfSync('sha256', master, SALT, Buffer.from(info, 'utf8'), length));
}

function checkContext(context: SealContext): void {
  const ok = (value: unknown) => typeof value === 'string' && value.length > 0 && value.length <= 1024;
  if (!ok(context?.purpose) || !ok(context?.aad)) {
    throw new MosaicError({
      kind: 'internal',
      message: 'A sealing context needs a non-empty purpose and aad (at most 1024 characters each).',
      remedy: 'Pass the purpose of the value and the id of the row it is stored in.',
    });
  }
}

/** The header of a sealed value, checked for shape but not for authenticity. */
function readHeader(sealed: Buffer): { keyId: string; header: Buffer } {
  if (!Buffer.isBuffer(sealed) || sealed.length < OVERHEAD_BYTES || !sealed.subarray(0, 2).equals(MAGIC)) {
    throw new UnsealError({
      failure: 'malformed',
      message:
        'The value is not a Mosaic sealed value (wrong length or magic bytes): it is corrupted or is not sealed data.',
    });
  }
  if (sealed[2] !== VERSION_1) {
    throw new UnsealError({
      failure: 'unsupported_version',
      message: `The sealed value has format version ${sealed[2]}, which this release cannot read.`,
    });
  }
  return {
    keyId: sealed.subarray(3, HEADER_BYTES).toString('hex'),
    header: sealed.subarray(0, HEADER_BYTES),
  };
}

/**
 * Seals and unseals secrets at rest (CA keys, peer client keys) under keys derived from the
 * instance master secret. Holds the secret only inside a KeyObject, so it never shows in
 * `console.log`, `util.inspect` or JSON.
 */
export class Sealer {
  /** 16 hex characters naming the master secret; written into every sealed value. */
  readonly keyId: string;
  readonly #master: KeyObject;
  readonly #keys = new Map<string, KeyObject>();

  constructor(masterSecret: Buffer) {
    if (!Buffer.isBuffer(masterSecret) || masterSecret.length !== MASTER_SECRET_BYTES) {
      throw new ConfigError(
        `The master secret must be ${MASTER_SECRET_BYTES} bytes (got ${Buffer.isBuffer(masterSecret) ? masterSecret.length : 'no buffer'}).`,
        "Set MOSAIC_MASTER_KEY to 32 random bytes in base64url: `openssl rand -base64 32 | tr '+/' '-_' | tr -d '='`.",
      );
    }
    this.#master = createSecretKey(Buffer.from(masterSecret));
    this.keyId = derive(this.#master, KEY_ID_INFO, KEY_ID_BYTES).toString('hex');
  }

  #keyFor(purpose: string): KeyObject {
    let key = this.#keys.get(purpose);
    if (!key) {
      const bytes = derive(this.#master, `mosaic seal v1 ${purpose}`, 32);
      key = createSecretKey(bytes);
      bytes.fill(0);
      this.#keys.set(purpose, key);
    }
    return key;
  }

  seal(plaintext: Buffer, context: SealContext): Buffer {
    checkContext(context);
    const header = Buffer.concat([MAGIC, Buffer.from([VERSION_1]), Buffer.from(this.keyId, 'hex')]);
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#keyFor(context.purpose), iv, {
      authTagLength: TAG_BYTES,
    });
    cipher.setAAD(Buffer.concat([header, Buffer.from(context.aad, 'utf8')]));
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([header, iv, cipher.getAuthTag(), ciphertext]);
  }

  unseal(sealed: Buffer, context: SealContext): Buffer {
    checkContext(context);
    const { keyId, header } = readHeader(sealed);
    if (keyId !== this.keyId) {
      throw new UnsealError({
        failure: 'key_mismatch',
        message: `The ${context.purpose} was sealed under master key id ${keyId}, but the configured master secret has key id ${this.keyId} (key id mismatch): this is not the secret it was sealed with.`,
        sealedKeyId: keyId,
        currentKeyId: this.keyId,
      });
    }
    const iv = sealed.subarray(HEADER_BYTES, HEADER_BYTES + IV_BYTES);
    const tag = sealed.subarray(HEADER_BYTES + IV_BYTES, OVERHEAD_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', this.#keyFor(context.purpose), iv, {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(Buffer.concat([header, Buffer.from(context.aad, 'utf8')]));
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(sealed.subarray(OVERHEAD_BYTES)), decipher.final()]);
    } catch (error) {
      throw new UnsealError({
        failure: 'authentication_failed',
        message: `The sealed ${context.purpose} failed authentication: the data is corrupted, or it was sealed for another row or purpose.`,
        sealedKeyId: keyId,
        currentKeyId: this.keyId,
        cause: error,
      });
    }
  }

  /** The key id a sealed value was sealed under, read without unsealing (e.g. to find rows to re-seal). */
  static keyIdOf(sealed: Buffer): string {
    return readHeader(sealed).keyId;
  }
}

/** Opens a value with the old master secret and seals it again with the new one (fresh IV). */
export function reseal(sealed: Buffer, from: Sealer, to: Sealer, context: SealContext): Buffer {
  const plaintext = from.unseal(sealed, context);
  try {
    return to.seal(plaintext, context);
  } finally {
    plaintext.fill(0);
  }
}
