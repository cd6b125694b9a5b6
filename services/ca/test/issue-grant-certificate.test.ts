import { randomUUID, X509Certificate } from 'node:crypto';
import { expect } from 'chai';
import forge from 'node-forge';
import {
  buildClientTemplate,
  type CaAuthority,
  type CertificateTemplate,
  decodeUuidExtensionValue,
  defaultMosaicOids,
  encodeUuidExtensionValue,
  fingerprintOf,
  type GrantCertificateRequest,
  type IssuanceValidationError,
  isCsrRejectedError,
  isIssuanceRequestError,
  isIssuanceValidationError,
  issueGrantCertificate,
  keyIdentifierOf,
  parseCertificatePem,
  privateExtension,
  signCertificate,
  validateGrantIdentity,
  validateIssuedCertificate,
  validityWindow,
} from '../src/domain/index.js';
import { buildCsr, newAuthority, OpensslWorkspace, rsaKeyPair, type TestAuthority } from './support/pki.js';

const options = { oids: defaultMosaicOids, minRsaBits: 2048 };
const DAY = 86_400_000;
const host = 'home.example.net';

/** The value inside extension `oid`, read with forge's own certificate parser (independent of ours). */
function forgeExtensionValue(certificatePem: string, oid: string): Buffer | null {
  const extensions = forge.pki.certificateFromPem(certificatePem).extensions as {
    id: string;
    value: string;
  }[];
  const extension = extensions.find((candidate) => candidate.id === oid);
  return extension ? Buffer.from(extension.value, 'latin1') : null;
}

describe('ca domain: grant certificate issuance', () => {
  let ca: TestAuthority;
  let otherCa: TestAuthority;
  let workspace: OpensslWorkspace;
  const keys = rsaKeyPair(2048);
  const csrPem = buildCsr(keys);

  function request(overrides: Partial<GrantCertificateRequest> = {}): GrantCertificateRequest {
    return {
      grantId: randomUUID(),
      subjectUserId: randomUUID(),
      requestingServer: host,
      csrPem,
      lifetimeMs: 30 * DAY,
      crlDistributionUrl: 'http://work.example.com:8444/crl',
      ...overrides,
    };
  }

  /** A client template for `authority` that tests can alter before signing. */
  function template(authority: CaAuthority, grant = { grantId: randomUUID(), subjectUserId: randomUUID() }) {
    const now = new Date();
    const built = buildClientTemplate({
      authority,
      grant: { ...grant, requestingServer: host },
      subjectPublicKeyInfo: keys.publicKey.export({ type: 'spki', format: 'der' }),
      lifetimeMs: 30 * DAY,
      crlDistributionUrl: 'http://work.example.com/crl',
      now,
      oids: defaultMosaicOids,
    });
    return { ...grant, template: built };
  }

  before(async () => {
    ca = newAuthority('Mosaic Grants CA');
    otherCa = newAuthority('Some Other CA');
    workspace = await OpensslWorkspace.create();
    await workspace.write('root.pem', ca.certificatePem);
  });
  after(async () => {
    await workspace?.remove();
  });

  it("M2-4: the certificate's subjectUserId OID equals the grant's subject user", () => {
    const req = request();
    const issued = issueGrantCertificate(ca.authority, req, options);
    const subjectUserValue = forgeExtensionValue(issued.certificatePem, defaultMosaicOids.subjectUserId);
    const grantValue = forgeExtensionValue(issued.certificatePem, defaultMosaicOids.grantId);
    expect(subjectUserValue, 'subjectUserId extension').not.to.equal(null);
    expect(decodeUuidExtensionValue(subjectUserValue!)).to.equal(req.subjectUserId);
    expect(subjectUserValue!.equals(encodeUuidExtensionValue(req.subjectUserId))).to.equal(true);
    expect(decodeUuidExtensionValue(grantValue!)).to.equal(req.grantId);
    const x509 = new X509Certificate(issued.certificatePem);
    expect(x509.subject).to.equal(`O=${host}\nCN=grant-${req.grantId}`);
  });

  it("ignores the CSR's subject, SANs and extensions: a CSR asking for CN=admin gets CN=grant-<id>", () => {
    const greedy = buildCsr(keys, {
      subject: [
        { name: 'commonName', value: 'admin' },
        { name: 'organizationName', value: 'work.example.com' },
      ],
      extensions: [
        {
          name: 'subjectAltName',
          altNames: [
            { type: 2, value: 'admin.example.com' },
            { type: 7, ip: '10.0.0.1' },
          ],
        },
        { name: 'extKeyUsage', serverAuth: true, clientAuth: true, codeSigning: true },
        { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true },
        { name: 'basicConstraints', cA: false, pathLenConstraint: 3 },
      ],
    });
    const second = Math.floor(Date.now() / 1000) * 1000 + DAY; // tomorrow, on a whole second
    const now = new Date(second + 750);
    const req = request({ csrPem: greedy, now, lifetimeMs: 7 * DAY });
    const issued = issueGrantCertificate(ca.authority, req, options);
    const x509 = new X509Certificate(issued.certificatePem);
    expect(x509.subject).to.equal(`O=${host}\nCN=grant-${req.grantId}`);
    expect(x509.subjectAltName).to.equal(undefined);
    expect(x509.keyUsage).to.deep.equal(['1.3.6.1.5.5.7.3.2']);
    expect(x509.ca).to.equal(false);
    expect(new Date(x509.validTo).getTime()).to.equal(second + 7 * DAY);
    expect(new Date(x509.validFrom).getTime()).to.equal(second - 60_000);
    expect(issued.notAfter.getTime()).to.equal(second + 7 * DAY);
    expect(issued.notBefore.getTime()).to.equal(second - 60_000);
    expect(issued.subject).to.equal(`CN=grant-${req.grantId},O=${host}`);
  });

  it('returns registry data that matches the certificate (serial, fingerprint, issuer bytes, chain)', () => {
    const issued = issueGrantCertificate(ca.authority, request(), options);
    const x509 = new X509Certificate(issued.certificatePem);
    expect(issued.serialHex).to.match(/^[0-7][0-9a-f]{31}$/);
    expect(issued.serialHex).to.equal(x509.serialNumber.toLowerCase());
    expect(issued.fingerprint).to.equal(x509.fingerprint256.replaceAll(':', '').toLowerCase());
    expect(issued.fingerprint).to.equal(fingerprintOf(x509.raw));
    expect(issued.caChainPem).to.deep.equal([ca.authority.certificatePem]);
    const parsed = parseCertificatePem(issued.certificatePem);
    expect(parsed.issuerDer.equals(ca.authority.subjectDer), 'issuer is the exact CA subject DER').to.equal(
      true,
    );
    expect(x509.publicKey.equals(keys.publicKey)).to.equal(true);
    expect(x509.checkIssued(new X509Certificate(ca.certificatePem))).to.equal(true);
  });

  describe('outside validation with openssl', () => {
    let req: GrantCertificateRequest;

    before(async () => {
      req = request();
      const issued = issueGrantCertificate(ca.authority, req, options);
      await workspace.write('client.pem', issued.certificatePem);
    });

    it('openssl verify -CAfile root.pem accepts the issued client certificate (purpose sslclient)', async () => {
      const result = await workspace.run([
        'verify',
        '-CAfile',
        'root.pem',
        '-purpose',
        'sslclient',
        'client.pem',
      ]);
      expect(result.code, result.output).to.equal(0);
      expect(result.stdout).to.contain('client.pem: OK');
    });

    it('openssl refuses it as a TLS server certificate (clientAuth only)', async () => {
      const result = await workspace.run([
        'verify',
        '-CAfile',
        'root.pem',
        '-purpose',
        'sslserver',
        'client.pem',
      ]);
      expect(result.code).not.to.equal(0);
      expect(result.output).to.match(/unsuitable certificate purpose/);
    });

    it('openssl x509 -ext shows clientAuth only and CA:FALSE (critical)', async () => {
      const result = await workspace.run([
        'x509',
        '-in',
        'client.pem',
        '-noout',
        '-ext',
        'extendedKeyUsage,basicConstraints,keyUsage',
      ]);
      expect(result.code, result.output).to.equal(0);
      const eku = /X509v3 Extended Key Usage:[^\n]*\n\s+([^\n]+)/.exec(result.stdout);
      expect(eku?.[1]?.trim()).to.equal('TLS Web Client Authentication');
      expect(result.stdout).to.match(/X509v3 Basic Constraints: critical\n\s+CA:FALSE/);
      expect(result.stdout).to.match(/X509v3 Key Usage: critical\n\s+Digital Signature, Key Encipherment/);
    });

    it('openssl asn1parse shows, for each Mosaic OID, an OCTET STRING of exactly 0C24 + the UUID in ASCII', async () => {
      const result = await workspace.run(['asn1parse', '-in', 'client.pem']);
      expect(result.code, result.output).to.equal(0);
      const lines = result.stdout.split('\n');
      for (const [oid, uuid] of [
        [defaultMosaicOids.grantId, req.grantId],
        [defaultMosaicOids.subjectUserId, req.subjectUserId],
      ] as const) {
        const at = lines.findIndex((line) => line.endsWith(`:${oid}`));
        expect(at, `${oid} in asn1parse output`).to.be.greaterThan(-1);
        const value = /prim: OCTET STRING\s+\[HEX DUMP\]:([0-9A-F]+)$/.exec(lines[at + 1] ?? '');
        expect(value, lines[at + 1]).not.to.equal(null);
        expect(value![1]!.toLowerCase()).to.equal(`0c24${Buffer.from(uuid, 'ascii').toString('hex')}`);
        // And parsed as ASN.1, the extension value is a UTF8STRING holding the UUID.
        const offset = /^\s*(\d+):/.exec(lines[at + 1]!)![1]!;
        const inner = await workspace.run(['asn1parse', '-in', 'client.pem', '-strparse', offset]);
        expect(inner.stdout.trim()).to.match(new RegExp(`hl=2 l= *36 prim: UTF8STRING +:${uuid}$`));
      }
    });

    it('openssl x509 -text shows the CRL distribution point and key identifiers', async () => {
      const result = await workspace.run(['x509', '-in', 'client.pem', '-noout', '-text']);
      expect(result.stdout).to.contain('URI:http://work.example.com:8444/crl');
      expect(result.stdout).to.contain('X509v3 Subject Key Identifier');
      expect(result.stdout).to.contain('X509v3 Authority Key Identifier');
      expect(result.stdout).to.contain('Signature Algorithm: sha256WithRSAEncryption');
    });
  });

  describe('pipeline steps', () => {
    const grantCases: { name: string; change: Record<string, string>; field: string }[] = [
      { name: 'a grant id that is not a UUID', change: { grantId: 'grant-1' }, field: 'grantId' },
      {
        name: 'a subject user id that is not a UUID',
        change: { subjectUserId: '42' },
        field: 'subjectUserId',
      },
      {
        name: 'a requesting server with a scheme',
        change: { requestingServer: 'https://a.example' },
        field: 'requestingServer',
      },
      {
        name: 'a requesting server with a port',
        change: { requestingServer: 'a.example:8443' },
        field: 'requestingServer',
      },
      {
        name: 'a requesting server with spaces',
        change: { requestingServer: 'a example' },
        field: 'requestingServer',
      },
      { name: 'an empty requesting server', change: { requestingServer: '' }, field: 'requestingServer' },
    ];
    for (const tc of grantCases) {
      it(`validateGrantIdentity refuses ${tc.name} (field ${tc.field})`, () => {
        const grant = {
          grantId: randomUUID(),
          subjectUserId: randomUUID(),
          requestingServer: host,
          ...tc.change,
        };
        let thrown: unknown;
        try {
          validateGrantIdentity(grant);
        } catch (error) {
          thrown = error;
        }
        expect(isIssuanceRequestError(thrown), String(thrown)).to.equal(true);
        expect((thrown as { field: string }).field).to.equal(tc.field);
        expect(() => issueGrantCertificate(ca.authority, request(tc.change), options)).to.throw(/is not a/);
      });
    }

    it('validateGrantIdentity lowercases UUIDs and keeps the host name', () => {
      const grantId = randomUUID();
      expect(
        validateGrantIdentity({
          grantId: grantId.toUpperCase(),
          subjectUserId: grantId,
          requestingServer: 'A.example',
        }),
      ).to.deep.equal({ grantId, subjectUserId: grantId, requestingServer: 'A.example' });
    });

    it('a bad CSR stops the pipeline with the CSR error before anything is signed', () => {
      let thrown: unknown;
      try {
        issueGrantCertificate(ca.authority, request({ csrPem: buildCsr(rsaKeyPair(1024)) }), options);
      } catch (error) {
        thrown = error;
      }
      expect(isCsrRejectedError(thrown)).to.equal(true);
    });

    it('buildClientTemplate takes everything from the grant and marks only basicConstraints and keyUsage critical', () => {
      const { grantId, subjectUserId, template: built } = template(ca.authority);
      expect(built.subject).to.deep.equal([
        { oid: '2.5.4.10', value: host },
        { oid: '2.5.4.3', value: `grant-${grantId}` },
      ]);
      expect(built.extensions.map((extension) => [extension.oid, extension.critical])).to.deep.equal([
        ['2.5.29.19', true],
        ['2.5.29.15', true],
        ['2.5.29.37', false],
        ['2.5.29.14', false],
        ['2.5.29.35', false],
        ['2.5.29.31', false],
        [defaultMosaicOids.grantId, false],
        [defaultMosaicOids.subjectUserId, false],
      ]);
      expect(built.extensions[6]!.value.equals(encodeUuidExtensionValue(grantId))).to.equal(true);
      expect(built.extensions[7]!.value.equals(encodeUuidExtensionValue(subjectUserId))).to.equal(true);
      expect(
        built.extensions[3]!.value.subarray(2).equals(keyIdentifierOf(built.subjectPublicKeyInfo)),
      ).to.equal(true);
    });

    it('validityWindow starts 60 s early and refuses a certificate that would outlive the CA', () => {
      const now = new Date();
      const window = validityWindow(ca.authority, { lifetimeMs: DAY, now });
      expect(now.getTime() - window.notBefore.getTime()).to.be.within(60_000, 61_000);
      expect(window.notAfter.getTime() - now.getTime()).to.be.within(DAY - 1000, DAY);
      for (const lifetimeMs of [0, -5, Number.NaN, 20 * 365 * DAY]) {
        expect(() => validityWindow(ca.authority, { lifetimeMs, now }))
          .to.throw()
          .that.satisfies(isIssuanceRequestError);
      }
    });

    it('refuses a CRL distribution URL that is not absolute http(s)', () => {
      for (const crlDistributionUrl of ['/crl', 'ftp://a.example/crl', 'http://user:pw@a.example/crl']) {
        expect(() => issueGrantCertificate(ca.authority, request({ crlDistributionUrl }), options))
          .to.throw(/CRL distribution URL/)
          .that.satisfies(isIssuanceRequestError);
      }
    });

    it('refuses OID configuration with one OID twice', () => {
      const oids = { grantId: defaultMosaicOids.grantId, subjectUserId: defaultMosaicOids.grantId };
      expect(() => issueGrantCertificate(ca.authority, request(), { ...options, oids })).to.throw(/both/);
    });
  });

  describe('validateIssuedCertificate', () => {
    /** Signs `template` with `authority` and returns the IssuanceValidationError validation raises. */
    function failure(
      signedBy: CaAuthority,
      built: CertificateTemplate,
      expected: { grantId: string; subjectUserId: string },
    ): IssuanceValidationError {
      const { pem } = signCertificate(signedBy, built);
      let thrown: unknown;
      try {
        validateIssuedCertificate(pem, {
          authority: ca.authority,
          ...expected,
          requestingServer: host,
          oids: defaultMosaicOids,
          notAfter: built.notAfter,
        });
      } catch (error) {
        thrown = error;
      }
      if (thrown === undefined) expect.fail('the certificate passed validation');
      if (!isIssuanceValidationError(thrown)) throw thrown;
      return thrown;
    }

    it('accepts a certificate built by the pipeline', () => {
      const { grantId, subjectUserId, template: built } = template(ca.authority);
      const { pem } = signCertificate(ca.authority, built);
      validateIssuedCertificate(pem, {
        authority: ca.authority,
        grantId,
        subjectUserId,
        requestingServer: host,
        oids: defaultMosaicOids,
        notAfter: built.notAfter,
        publicKey: keys.publicKey,
      });
    });

    const cases: {
      name: string;
      make: () => {
        signer: () => CaAuthority;
        built: CertificateTemplate;
        grant: { grantId: string; subjectUserId: string };
      };
      problem: RegExp;
    }[] = [
      {
        name: 'a certificate signed by another CA',
        make: () => {
          const made = template(ca.authority);
          return { signer: () => otherCa.authority, built: made.template, grant: made };
        },
        problem: /signature does not verify with CA/,
      },
      {
        name: 'a certificate with a wrong subjectUserId',
        make: () => {
          const made = template(ca.authority);
          return {
            signer: () => ca.authority,
            built: made.template,
            grant: { ...made, subjectUserId: randomUUID() },
          };
        },
        problem: /the subjectUserId extension 1\.3\.6\.1\.4\.1\.99999\.2 is not the UTF8String/,
      },
      {
        name: 'a certificate without the Mosaic OIDs',
        make: () => {
          const made = template(ca.authority);
          const extensions = made.template.extensions.filter(
            (extension) => !extension.oid.startsWith('1.3.6.1.4.1.99999.'),
          );
          return { signer: () => ca.authority, built: { ...made.template, extensions }, grant: made };
        },
        problem:
          /the grantId extension 1\.3\.6\.1\.4\.1\.99999\.1 is missing; the subjectUserId extension .* is missing/,
      },
      {
        name: 'a certificate whose grantId is a PrintableString instead of a UTF8String',
        make: () => {
          const made = template(ca.authority);
          const printable = encodeUuidExtensionValue(made.grantId);
          printable[0] = 0x13;
          const extensions = made.template.extensions.map((extension) =>
            extension.oid === defaultMosaicOids.grantId
              ? privateExtension(extension.oid, printable)
              : extension,
          );
          return { signer: () => ca.authority, built: { ...made.template, extensions }, grant: made };
        },
        problem: /the grantId extension .* is not the UTF8String/,
      },
      {
        name: 'a certificate whose EKU also allows serverAuth',
        make: () => {
          const made = template(ca.authority);
          const extensions = made.template.extensions.map((extension) =>
            extension.oid === '2.5.29.37'
              ? { ...extension, value: Buffer.from('301406082b0601050507030206082b06010505070301', 'hex') }
              : extension,
          );
          return { signer: () => ca.authority, built: { ...made.template, extensions }, grant: made };
        },
        problem:
          /extended key usage is \[1\.3\.6\.1\.5\.5\.7\.3\.2, 1\.3\.6\.1\.5\.5\.7\.3\.1\], not clientAuth only/,
      },
      {
        name: 'a certificate with CA:true',
        make: () => {
          const made = template(ca.authority);
          const extensions = made.template.extensions.map((extension) =>
            extension.oid === '2.5.29.19'
              ? { ...extension, value: Buffer.from('30030101ff', 'hex') }
              : extension,
          );
          return { signer: () => ca.authority, built: { ...made.template, extensions }, grant: made };
        },
        problem: /lacks basicConstraints CA:false/,
      },
      {
        name: 'a certificate for another grant (CN and OID)',
        make: () => {
          const made = template(ca.authority);
          return {
            signer: () => ca.authority,
            built: made.template,
            grant: { ...made, grantId: randomUUID() },
          };
        },
        problem: /subject CN is not grant-/,
      },
    ];
    for (const tc of cases) {
      it(`throws for ${tc.name}`, () => {
        const { signer, built, grant } = tc.make();
        const error = failure(signer(), built, grant);
        expect(error.problems.join('; ')).to.match(tc.problem);
        expect(error.kind).to.equal('internal');
        expect(error.message).to.match(/failed validation and was discarded/);
      });
    }

    it('throws when notAfter differs from the expected one by more than a second', () => {
      const { grantId, subjectUserId, template: built } = template(ca.authority);
      const { pem } = signCertificate(ca.authority, built);
      expect(() =>
        validateIssuedCertificate(pem, {
          authority: ca.authority,
          grantId,
          subjectUserId,
          requestingServer: host,
          oids: defaultMosaicOids,
          notAfter: new Date(built.notAfter.getTime() + 2000),
        }),
      ).to.throw(/expires at/);
    });

    it('throws when the certificate certifies another key than the CSR', () => {
      const { grantId, subjectUserId, template: built } = template(ca.authority);
      const { pem } = signCertificate(ca.authority, built);
      expect(() =>
        validateIssuedCertificate(pem, {
          authority: ca.authority,
          grantId,
          subjectUserId,
          requestingServer: host,
          oids: defaultMosaicOids,
          notAfter: built.notAfter,
          publicKey: rsaKeyPair(2048).publicKey,
        }),
      ).to.throw(/different public key/);
    });

    it('throws for something that is not a certificate', () => {
      expect(() =>
        validateIssuedCertificate('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', {
          authority: ca.authority,
          grantId: randomUUID(),
          subjectUserId: randomUUID(),
          requestingServer: host,
          oids: defaultMosaicOids,
          notAfter: new Date(),
        }),
      )
        .to.throw(/not a parseable PEM X\.509 certificate/)
        .that.satisfies(isIssuanceValidationError);
    });
  });

  it('measures one grant-certificate issuance (printed, not asserted)', () => {
    issueGrantCertificate(ca.authority, request(), options); // warm up
    const runs = 20;
    const started = performance.now();
    for (let i = 0; i < runs; i += 1) issueGrantCertificate(ca.authority, request(), options);
    const perIssuance = (performance.now() - started) / runs;
    console.log(
      `      grant certificate issuance (CSR check + sign + validate): ${perIssuance.toFixed(2)} ms each`,
    );
  });
});
