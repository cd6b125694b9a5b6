import { createHash, X509Certificate } from 'node:crypto';
import { expect } from 'chai';
import {
  createRootAuthority,
  isAuthorityError,
  isIssuanceRequestError,
  issueServerCertificate,
  loadAuthority,
} from '../src/domain/index.js';
import { newAuthority, OpensslWorkspace, rsaKeyPair, type TestAuthority } from './support/pki.js';

describe('ca domain: root authority', () => {
  let ca: TestAuthority;
  let workspace: OpensslWorkspace;

  before(async () => {
    ca = newAuthority('Mosaic Root Test');
    workspace = await OpensslWorkspace.create();
    await workspace.write('root.pem', ca.certificatePem);
  });
  after(async () => {
    await workspace?.remove();
  });

  it('is a self-signed RSA 3072 CA that openssl accepts as its own trust anchor', async () => {
    const result = await workspace.run(['verify', '-CAfile', 'root.pem', '-purpose', 'crlsign', 'root.pem']);
    expect(result.code, result.output).to.equal(0);
    const x509 = new X509Certificate(ca.certificatePem);
    expect(x509.ca).to.equal(true);
    expect(x509.subject).to.equal('O=Mosaic Federation\nCN=Mosaic Root Test');
    expect(x509.issuer).to.equal(x509.subject);
    expect(x509.publicKey.asymmetricKeyDetails?.modulusLength).to.equal(3072);
    expect(x509.verify(x509.publicKey)).to.equal(true);
  });

  it('has critical basicConstraints CA:TRUE pathlen:0 and critical keyUsage keyCertSign+cRLSign, and a key id', async () => {
    const result = await workspace.run([
      'x509',
      '-in',
      'root.pem',
      '-noout',
      '-ext',
      'basicConstraints,keyUsage,subjectKeyIdentifier',
    ]);
    expect(result.stdout).to.match(/X509v3 Basic Constraints: critical\n\s+CA:TRUE, pathlen:0/);
    expect(result.stdout).to.match(/X509v3 Key Usage: critical\n\s+Certificate Sign, CRL Sign\n/);
    expect(result.stdout).to.match(/X509v3 Subject Key Identifier: \n\s+([0-9A-F]{2}:){19}[0-9A-F]{2}/);
  });

  it('reports the SHA-256 fingerprint of the DER as 64 lowercase hex characters', () => {
    const x509 = new X509Certificate(ca.certificatePem);
    expect(ca.authority.fingerprint).to.match(/^[0-9a-f]{64}$/);
    expect(ca.authority.fingerprint).to.equal(createHash('sha256').update(x509.raw).digest('hex'));
    expect(ca.authority.fingerprint).to.equal(x509.fingerprint256.replaceAll(':', '').toLowerCase());
  });

  it('validity starts 60 s before now, ends lifetimeDays later, and the private key is PKCS#8 PEM', () => {
    const now = new Date('2030-05-05T10:00:00.400Z');
    const root = createRootAuthority({ commonName: 'Dated', lifetimeDays: 10, now });
    expect(root.notBefore.toISOString()).to.equal('2030-05-05T09:59:00.000Z');
    expect(root.notAfter.toISOString()).to.equal('2030-05-15T10:00:00.000Z');
    expect(root.privateKeyPem).to.match(/^-----BEGIN PRIVATE KEY-----\n/);
    const x509 = new X509Certificate(root.certificatePem);
    expect(new Date(x509.validFrom).getTime()).to.equal(root.notBefore.getTime());
    expect(new Date(x509.validTo).getTime()).to.equal(root.notAfter.getTime());
  });

  it('refuses a bad common name or lifetime', () => {
    expect(() => createRootAuthority({ commonName: '', lifetimeDays: 10 }))
      .to.throw(/common name/)
      .that.satisfies(isIssuanceRequestError);
    expect(() => createRootAuthority({ commonName: 'x', lifetimeDays: 0 }))
      .to.throw(/lifetime/)
      .that.satisfies(isIssuanceRequestError);
  });

  describe('loadAuthority', () => {
    it('loads a matching pair and exposes the subject DER and key identifier', () => {
      const loaded = loadAuthority({
        id: 'a',
        certificatePem: ca.certificatePem,
        privateKeyPem: ca.privateKeyPem,
      });
      expect(loaded.id).to.equal('a');
      expect(loaded.subjectKeyIdentifier.length).to.equal(20);
      expect(loaded.notAfter.getTime()).to.equal(
        new Date(new X509Certificate(ca.certificatePem).validTo).getTime(),
      );
      expect(loaded.certificatePem).to.equal(ca.certificatePem);
    });

    const cases: {
      name: string;
      input: () => { certificatePem: string; privateKeyPem: string };
      message: RegExp;
    }[] = [
      {
        name: 'a key of another CA',
        input: () => ({
          certificatePem: ca.certificatePem,
          privateKeyPem: newAuthority('Other').privateKeyPem,
        }),
        message: /the private key does not belong to the certificate/,
      },
      {
        name: 'a certificate that is not PEM',
        input: () => ({ certificatePem: 'nope', privateKeyPem: ca.privateKeyPem }),
        message: /the certificate is not a PEM X\.509 certificate/,
      },
      {
        name: 'a key that is not PEM',
        input: () => ({ certificatePem: ca.certificatePem, privateKeyPem: 'nope' }),
        message: /the private key is not an unencrypted PEM private key/,
      },
      {
        name: 'an end-entity certificate with its key',
        input: () => {
          const keys = rsaKeyPair(2048);
          const leaf = issueServerCertificate(ca.authority, {
            publicKey: keys.publicKey,
            commonName: 'leaf',
            dnsNames: ['leaf.example'],
            ipAddresses: [],
            lifetimeMs: 86_400_000,
          });
          return { certificatePem: leaf.certificatePem, privateKeyPem: keys.privateKeyPem };
        },
        message: /not a CA certificate/,
      },
    ];
    for (const tc of cases) {
      it(`refuses ${tc.name}`, () => {
        let thrown: unknown;
        try {
          loadAuthority({ id: 'broken', ...tc.input() });
        } catch (error) {
          thrown = error;
        }
        expect(isAuthorityError(thrown), String(thrown)).to.equal(true);
        const error = thrown as Error & { remedy: string; authorityId: string };
        expect(error.message).to.match(tc.message);
        expect(error.authorityId).to.equal('broken');
        expect(error.message).not.to.contain('PRIVATE KEY');
      });
    }
  });
});
