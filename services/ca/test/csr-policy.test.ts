import { isConfigError } from '@mosaic/platform';
import { expect } from 'chai';
import forge from 'node-forge';
import {
  type CsrRejectedError,
  type CsrRejectionReason,
  defaultMosaicOids,
  encodeUuidExtensionValue,
  isCsrRejectedError,
  validateCsr,
} from '../src/domain/index.js';
import { buildCsr, newAuthority, OpensslWorkspace, rsaKeyPair, tamperCsrSignature } from './support/pki.js';

const policy = { minRsaBits: 2048, oids: defaultMosaicOids };
const uuid = '0b6c1f1e-4a6e-4c36-9d0e-5f6b1c2d3e4f';

/** Runs validateCsr and returns its CsrRejectedError; acceptance or any other error fails the test. */
function rejection(csrPem: string, options = policy): CsrRejectedError {
  let thrown: unknown;
  try {
    validateCsr(csrPem, options);
  } catch (error) {
    thrown = error;
  }
  if (thrown === undefined) expect.fail('the CSR was accepted');
  if (!isCsrRejectedError(thrown)) throw thrown;
  return thrown;
}

describe('ca domain: CSR policy', () => {
  let workspace: OpensslWorkspace;
  let ecCsrPem: string;
  const rsa2048 = rsaKeyPair(2048);

  before(async () => {
    workspace = await OpensslWorkspace.create();
    const made = await workspace.run([
      'req',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      'ec.key',
      '-subj',
      '/CN=ec-peer',
      '-out',
      'ec.csr',
    ]);
    expect(made.code, made.output).to.equal(0);
    ecCsrPem = await workspace.read('ec.csr');
  });
  after(async () => {
    await workspace?.remove();
  });

  describe('M2-4: a CSR that carries its own Mosaic OIDs, CA:true, or a weak key is rejected', () => {
    const cases: { name: string; csr: () => string; reason: CsrRejectionReason; message: RegExp }[] = [
      {
        name: 'extensionRequest with the grantId OID',
        csr: () =>
          buildCsr(rsa2048, {
            extensions: [{ id: defaultMosaicOids.grantId, value: encodeUuidExtensionValue(uuid) }],
          }),
        reason: 'forbidden_extension',
        message: /requests the Mosaic extension 1\.3\.6\.1\.4\.1\.99999\.1 \(grantId\)/,
      },
      {
        name: 'extensionRequest with the subjectUserId OID',
        csr: () =>
          buildCsr(rsa2048, {
            extensions: [{ id: defaultMosaicOids.subjectUserId, value: encodeUuidExtensionValue(uuid) }],
          }),
        reason: 'forbidden_extension',
        message: /requests the Mosaic extension 1\.3\.6\.1\.4\.1\.99999\.2 \(subjectUserId\)/,
      },
      {
        name: 'extensionRequest with basicConstraints cA:true',
        csr: () =>
          buildCsr(rsa2048, { extensions: [{ name: 'basicConstraints', cA: true, critical: true }] }),
        reason: 'ca_requested',
        message: /requests a CA certificate \(basicConstraints cA=true\)/,
      },
      {
        name: 'an RSA 1024 key',
        csr: () => buildCsr(rsaKeyPair(1024)),
        reason: 'weak_key',
        message: /RSA key has 1024 bits; this CA requires at least 2048/,
      },
      {
        name: 'a signature with one byte flipped',
        csr: () => tamperCsrSignature(buildCsr(rsa2048)),
        reason: 'bad_signature',
        message: /signature does not verify against the public key it carries/,
      },
      {
        name: 'a certificate instead of a CSR',
        csr: () => newAuthority('Not a CSR CA').certificatePem,
        reason: 'unparseable',
        message: /not a PKCS#10 certificate request: no PEM block labelled CERTIFICATE REQUEST/,
      },
      {
        name: 'plain text',
        csr: () => 'hello, I am a CSR',
        reason: 'unparseable',
        message: /not a PKCS#10 certificate request/,
      },
      {
        name: 'a CSR block whose body is not DER',
        csr: () => '-----BEGIN CERTIFICATE REQUEST-----\naGVsbG8=\n-----END CERTIFICATE REQUEST-----\n',
        reason: 'unparseable',
        message: /not a PKCS#10 certificate request/,
      },
      {
        name: 'two CSR blocks',
        csr: () => `${buildCsr(rsa2048)}${buildCsr(rsa2048)}`,
        reason: 'unparseable',
        message: /2 PEM blocks labelled CERTIFICATE REQUEST were found/,
      },
      {
        name: 'an EC P-256 key (openssl req -newkey ec)',
        csr: () => ecCsrPem,
        reason: 'unsupported_key',
        message: /carries EC \(prime256v1\) key; this CA accepts RSA keys only/,
      },
    ];

    for (const tc of cases) {
      it(`${tc.name} → ${tc.reason}`, () => {
        const error = rejection(tc.csr());
        expect(error.csrReason).to.equal(tc.reason);
        expect(error.message).to.match(tc.message);
        expect(error.kind).to.equal('invalid_argument');
        expect(error.reason).to.equal('csr_rejected');
        expect(error.remedy).to.match(/CSR|key/);
        // The error echoes nothing of the input: no key, no base64 body.
        expect(error.describe()).not.to.match(/PRIVATE KEY|[A-Za-z0-9+/]{40}/);
      });
    }
  });

  it('a CSR signed with SHA-1 is refused as bad_signature, naming the algorithm', () => {
    const csr = forge.pki.createCertificationRequest();
    csr.publicKey = forge.pki.publicKeyFromPem(rsa2048.publicKeyPem);
    csr.setSubject([{ name: 'commonName', value: 'sha1' }]);
    csr.sign(
      forge.pki.privateKeyFromPem(rsa2048.privateKeyPem) as forge.pki.rsa.PrivateKey,
      forge.md.sha1.create(),
    );
    const error = rejection(forge.pki.certificationRequestToPem(csr));
    expect(error.csrReason).to.equal('bad_signature');
    expect(error.message).to.match(/1\.2\.840\.113549\.1\.1\.5/);
  });

  it('a stricter minimum applies: a 2048-bit key is weak under minRsaBits 3072', () => {
    const error = rejection(buildCsr(rsa2048), { ...policy, minRsaBits: 3072 });
    expect(error.csrReason).to.equal('weak_key');
    expect(error.message).to.match(/2048 bits; this CA requires at least 3072/);
  });

  it('a configured minimum below 2048 bits is refused as configuration', () => {
    expect(() => validateCsr(buildCsr(rsa2048), { ...policy, minRsaBits: 1024 }))
      .to.throw()
      .that.satisfies(isConfigError);
  });

  it('configured OIDs are the ones refused', () => {
    const oids = { grantId: '1.3.6.1.4.1.55555.7', subjectUserId: '1.3.6.1.4.1.55555.8' };
    const csrPem = buildCsr(rsa2048, {
      extensions: [{ id: oids.subjectUserId, value: encodeUuidExtensionValue(uuid) }],
    });
    expect(rejection(csrPem, { ...policy, oids }).csrReason).to.equal('forbidden_extension');
    expect(() => validateCsr(csrPem, policy)).not.to.throw();
  });

  it('accepts an RSA CSR whatever else it asks for, and returns only the key (and the CN for the log)', () => {
    const csrPem = buildCsr(rsa2048, {
      subject: [
        { name: 'commonName', value: 'admin' },
        { name: 'organizationName', value: 'Evil Corp' },
      ],
      extensions: [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', keyCertSign: true, digitalSignature: true },
        { name: 'extKeyUsage', serverAuth: true },
        { name: 'subjectAltName', altNames: [{ type: 2, value: 'admin.example.com' }] },
      ],
    });
    const validated = validateCsr(csrPem, policy);
    expect(validated.keyBits).to.equal(2048);
    expect(validated.subjectCommonName).to.equal('admin');
    expect(validated.publicKey.equals(rsa2048.publicKey)).to.equal(true);
    expect(validated.publicKeyPem).to.equal(rsa2048.publicKeyPem);
    expect(Object.keys(validated).sort()).to.deep.equal(
      ['keyBits', 'publicKey', 'publicKeyPem', 'subjectCommonName', 'subjectPublicKeyInfo'].sort(),
    );
  });

  it('accepts a CSR made by openssl req (RSA 3072) and the legacy NEW CERTIFICATE REQUEST label', async () => {
    const made = await workspace.run([
      'req',
      '-new',
      '-newkey',
      'rsa:3072',
      '-nodes',
      '-keyout',
      'rsa.key',
      '-subj',
      '/CN=openssl-peer',
      '-out',
      'rsa.csr',
    ]);
    expect(made.code, made.output).to.equal(0);
    const csrPem = await workspace.read('rsa.csr');
    expect(validateCsr(csrPem, policy).keyBits).to.equal(3072);
    const legacy = csrPem.replaceAll('CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST');
    expect(validateCsr(legacy, policy).subjectCommonName).to.equal('openssl-peer');
  });
});
