import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { expect } from 'chai';
import { isConfigError } from '../src/errors/index.js';
import { isUnsealError, reseal, Sealer, type UnsealError } from '../src/sealing/index.js';

/** Runs `open` and returns the UnsealError it failed with; success or any other error fails the test. */
function unsealFailure(open: () => unknown): UnsealError {
  let thrown: unknown;
  try {
    open();
  } catch (error) {
    thrown = error;
  }
  if (thrown === undefined) expect.fail('the sealed value opened');
  if (!isUnsealError(thrown)) throw thrown;
  return thrown;
}

describe('sealing: Sealer', () => {
  const secret = randomBytes(32);
  const sealer = new Sealer(secret);
  const context = { purpose: 'ca-key', aad: '6f1c2a9e-0000-4000-8000-000000000001' };
  const keyPem = generateKeyPairSync('rsa', { modulusLength: 2048 })
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString();
  const plaintext = Buffer.from(keyPem, 'utf8');

  it('round-trips a private key', () => {
    const sealed = sealer.seal(plaintext, context);
    expect(sealer.unseal(sealed, context).toString('utf8')).to.equal(keyPem);
  });

  it('round-trips an empty value', () => {
    expect(sealer.unseal(sealer.seal(Buffer.alloc(0), context), context).length).to.equal(0);
  });

  it('the sealed bytes show no PEM: no BEGIN, no base64 of the key', () => {
    const sealed = sealer.seal(plaintext, context);
    const asText = sealed.toString('latin1');
    expect(asText).not.to.contain('BEGIN');
    expect(asText).not.to.contain('PRIVATE KEY');
    expect(asText).not.to.contain(keyPem.split('\n')[1]!.slice(0, 16));
    expect(sealed.toString('base64')).not.to.contain('LS0tLS1CRUdJTi'); // base64 of "-----BEGIN"
  });

  it('uses the versioned layout: magic, version, key id, IV, tag, ciphertext', () => {
    const sealed = sealer.seal(plaintext, context);
    expect(sealed.subarray(0, 3).toString('hex')).to.equal('4d5301');
    expect(sealed.subarray(3, 11).toString('hex')).to.equal(sealer.keyId);
    expect(sealed.length).to.equal(3 + 8 + 12 + 16 + plaintext.length);
  });

  it('seals the same value differently every time (random IV)', () => {
    expect(sealer.seal(plaintext, context).equals(sealer.seal(plaintext, context))).to.equal(false);
  });

  it('the key id is 16 hex characters, stable per secret, and not a plain hash of the secret', async () => {
    expect(sealer.keyId).to.match(/^[0-9a-f]{16}$/);
    expect(new Sealer(Buffer.from(secret)).keyId).to.equal(sealer.keyId);
    expect(new Sealer(randomBytes(32)).keyId).not.to.equal(sealer.keyId);
    const { createHash } = await import('node:crypto');
    for (const algorithm of ['sha256', 'sha1', 'sha512']) {
      expect(createHash(algorithm).update(secret).digest('hex')).not.to.contain(sealer.keyId);
    }
  });

  it('keyIdOf reads the key id without unsealing', () => {
    expect(Sealer.keyIdOf(sealer.seal(plaintext, context))).to.equal(sealer.keyId);
  });

  it('a wrong master secret fails with UnsealError naming a key id mismatch', () => {
    const sealed = sealer.seal(plaintext, context);
    const other = new Sealer(randomBytes(32));
    const error = unsealFailure(() => other.unseal(sealed, context));
    expect(error.failure).to.equal('key_mismatch');
    expect(error.message).to.contain('key id mismatch');
    expect(error.message).to.contain(sealer.keyId);
    expect(error.message).to.contain(other.keyId);
    expect(error.sealedKeyId).to.equal(sealer.keyId);
    expect(error.currentKeyId).to.equal(other.keyId);
    expect(error.kind).to.equal('failed_precondition');
    expect(error.remedy).to.contain('MOSAIC_MASTER_KEY');
    expect(error.remedy).to.contain('mosaic admin reseal');
    expect(error.describe()).not.to.contain(secret.toString('hex'));
    expect(error.describe()).not.to.contain(secret.toString('base64url'));
  });

  const tamperings: {
    name: string;
    change: (sealed: Buffer) => { sealed: Buffer; aad?: string; purpose?: string };
  }[] = [
    { name: 'a wrong aad (another row)', change: (sealed) => ({ sealed, aad: 'another-row' }) },
    { name: 'another purpose', change: (sealed) => ({ sealed, purpose: 'peer-client-key' }) },
    {
      name: 'a flipped ciphertext byte',
      change: (sealed) => {
        const copy = Buffer.from(sealed);
        copy[copy.length - 1]! ^= 0x01;
        return { sealed: copy };
      },
    },
    {
      name: 'a flipped tag byte',
      change: (sealed) => {
        const copy = Buffer.from(sealed);
        copy[30]! ^= 0x80;
        return { sealed: copy };
      },
    },
    {
      name: 'a flipped IV byte',
      change: (sealed) => {
        const copy = Buffer.from(sealed);
        copy[12]! ^= 0x01;
        return { sealed: copy };
      },
    },
  ];
  for (const tc of tamperings) {
    it(`${tc.name} fails with UnsealError (authentication failed), never garbage`, () => {
      const changed = tc.change(sealer.seal(plaintext, context));
      const error = unsealFailure(() =>
        sealer.unseal(changed.sealed, {
          purpose: changed.purpose ?? context.purpose,
          aad: changed.aad ?? context.aad,
        }),
      );
      expect(error.failure).to.equal('authentication_failed');
      expect(error.message).to.match(/corrupted, or it was sealed for another row or purpose/);
    });
  }

  const malformed: { name: string; sealed: () => Buffer; failure: string }[] = [
    {
      name: 'a truncated value',
      sealed: () => sealer.seal(plaintext, context).subarray(0, 20),
      failure: 'malformed',
    },
    { name: 'PEM text stored raw', sealed: () => plaintext, failure: 'malformed' },
    {
      name: 'an unknown format version',
      sealed: () => {
        const copy = Buffer.from(sealer.seal(plaintext, context));
        copy[2] = 0x09;
        return copy;
      },
      failure: 'unsupported_version',
    },
    {
      name: 'a changed key id byte',
      sealed: () => {
        const copy = Buffer.from(sealer.seal(plaintext, context));
        copy[5]! ^= 0x01;
        return copy;
      },
      failure: 'key_mismatch',
    },
  ];
  for (const tc of malformed) {
    it(`${tc.name} fails with UnsealError (${tc.failure})`, () => {
      expect(unsealFailure(() => sealer.unseal(tc.sealed(), context)).failure).to.equal(tc.failure);
    });
  }

  it('keyIdOf refuses what is not sealed data', () => {
    expect(unsealFailure(() => Sealer.keyIdOf(Buffer.from('-----BEGIN PRIVATE KEY-----'))).failure).to.equal(
      'malformed',
    );
  });

  it('reseal under a new secret: the new secret opens it, the old one no longer does', () => {
    const rotated = new Sealer(randomBytes(32));
    const sealed = sealer.seal(plaintext, context);
    const resealed = reseal(sealed, sealer, rotated, context);
    expect(Sealer.keyIdOf(resealed)).to.equal(rotated.keyId);
    expect(rotated.unseal(resealed, context).toString('utf8')).to.equal(keyPem);
    expect(unsealFailure(() => sealer.unseal(resealed, context)).failure).to.equal('key_mismatch');
    expect(unsealFailure(() => rotated.unseal(sealed, context)).failure).to.equal('key_mismatch');
  });

  it('refuses a master secret that is not 32 bytes', () => {
    for (const bad of [randomBytes(16), randomBytes(33), Buffer.alloc(0)]) {
      expect(() => new Sealer(bad))
        .to.throw(/32 bytes/)
        .that.satisfies(isConfigError);
    }
  });

  it('never shows the master secret when inspected or serialised', () => {
    const shown = `${inspect(sealer, { showHidden: true, depth: 5 })}${JSON.stringify(sealer)}`;
    expect(shown).not.to.contain(secret.toString('hex'));
    expect(shown).not.to.contain(secret.toString('base64'));
  });

  it('refuses an empty purpose or aad', () => {
    expect(() => sealer.seal(plaintext, { purpose: '', aad: 'row' })).to.throw(/non-empty purpose and aad/);
    expect(() => sealer.seal(plaintext, { purpose: 'ca-key', aad: '' })).to.throw(
      /non-empty purpose and aad/,
    );
  });
});
