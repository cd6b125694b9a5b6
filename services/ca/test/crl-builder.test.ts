import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import forge from 'node-forge';
import {
  buildCrl,
  CrlReason,
  defaultMosaicOids,
  type IssuedCertificateData,
  isIssuanceRequestError,
  issueGrantCertificate,
  type RevokedEntry,
} from '../src/domain/index.js';
import { buildCsr, newAuthority, OpensslWorkspace, rsaKeyPair, type TestAuthority } from './support/pki.js';

const HOUR = 3_600_000;

describe('ca domain: CRL builder', () => {
  let ca: TestAuthority;
  let workspace: OpensslWorkspace;
  let revoked: IssuedCertificateData;
  let kept: IssuedCertificateData;

  function issue(): IssuedCertificateData {
    return issueGrantCertificate(
      ca.authority,
      {
        grantId: randomUUID(),
        subjectUserId: randomUUID(),
        requestingServer: 'home.example.net',
        csrPem: buildCsr(rsaKeyPair(2048)),
        lifetimeMs: 30 * 24 * HOUR,
        crlDistributionUrl: 'http://work.example.com:8444/crl',
      },
      { oids: defaultMosaicOids, minRsaBits: 2048 },
    );
  }

  function crl(entries: RevokedEntry[], crlNumber = 42n) {
    const thisUpdate = new Date();
    return buildCrl(ca.authority, {
      crlNumber,
      thisUpdate,
      nextUpdate: new Date(thisUpdate.getTime() + HOUR),
      revoked: entries,
    });
  }

  before(async () => {
    ca = newAuthority('Mosaic CRL CA');
    workspace = await OpensslWorkspace.create();
    await workspace.write('root.pem', ca.certificatePem);
    revoked = issue();
    kept = issue();
    await workspace.write('revoked.pem', revoked.certificatePem);
    await workspace.write('kept.pem', kept.certificatePem);
  });
  after(async () => {
    await workspace?.remove();
  });

  describe('M6-3: the CRL is a valid signed CRL listing the revoked certificate', () => {
    before(async () => {
      const { pem } = crl([
        { serialHex: revoked.serialHex, revokedAt: new Date(), reasonCode: CrlReason.privilegeWithdrawn },
      ]);
      await workspace.write('crl.pem', pem);
    });

    it('openssl crl -CAfile root.pem -verify prints verify OK', async () => {
      const result = await workspace.run([
        'crl',
        '-in',
        'crl.pem',
        '-CAfile',
        'root.pem',
        '-noout',
        '-verify',
      ]);
      expect(result.code, result.output).to.equal(0);
      expect(result.output).to.contain('verify OK');
    });

    it('openssl crl -text lists the serial, the reason, the CRL number and nextUpdate (v2, sha256WithRSA)', async () => {
      const result = await workspace.run(['crl', '-in', 'crl.pem', '-noout', '-text']);
      expect(result.code, result.output).to.equal(0);
      expect(result.stdout.toLowerCase()).to.contain(`serial number: ${revoked.serialHex}`);
      expect(result.stdout.toLowerCase()).not.to.contain(kept.serialHex);
      expect(result.stdout).to.match(/X509v3 CRL Number: \n\s+42\n/);
      expect(result.stdout).to.match(/X509v3 CRL Reason Code: \n\s+Privilege Withdrawn/);
      expect(result.stdout).to.contain('Version 2 (0x1)');
      expect(result.stdout).to.contain('Signature Algorithm: sha256WithRSAEncryption');
      expect(result.stdout).to.contain('Issuer: O = Mosaic Federation, CN = Mosaic CRL CA');
      expect(result.stdout).to.match(/Next Update: \w{3} +\d+ \d\d:\d\d:\d\d \d{4} GMT/);
      expect(result.stdout).to.contain('X509v3 Authority Key Identifier');
    });

    it('openssl verify -crl_check says "certificate revoked" for the revoked one and accepts another', async () => {
      const refused = await workspace.run([
        'verify',
        '-crl_check',
        '-CRLfile',
        'crl.pem',
        '-CAfile',
        'root.pem',
        'revoked.pem',
      ]);
      expect(refused.code).not.to.equal(0);
      expect(refused.output).to.contain('certificate revoked');
      const accepted = await workspace.run([
        'verify',
        '-crl_check',
        '-CRLfile',
        'crl.pem',
        '-CAfile',
        'root.pem',
        'kept.pem',
      ]);
      expect(accepted.code, accepted.output).to.equal(0);
      expect(accepted.stdout).to.contain('kept.pem: OK');
    });

    it('an empty CRL omits revokedCertificates and still verifies', async () => {
      const { pem, der } = crl([], 1n);
      await workspace.write('empty.pem', pem);
      const verified = await workspace.run([
        'crl',
        '-in',
        'empty.pem',
        '-CAfile',
        'root.pem',
        '-noout',
        '-verify',
        '-text',
      ]);
      expect(verified.code, verified.output).to.equal(0);
      expect(verified.output).to.contain('verify OK');
      expect(verified.stdout).to.contain('No Revoked Certificates.');
      // TBSCertList holds version, signature, issuer, thisUpdate, nextUpdate and [0] extensions only.
      const tbs = (forge.asn1.fromDer(der.toString('latin1')).value as forge.asn1.Asn1[])[0]!;
      expect((tbs.value as forge.asn1.Asn1[]).length).to.equal(6);
      const accepted = await workspace.run([
        'verify',
        '-crl_check',
        '-CRLfile',
        'empty.pem',
        '-CAfile',
        'root.pem',
        'revoked.pem',
      ]);
      expect(accepted.code, accepted.output).to.equal(0);
    });
  });

  it('writes no reasonCode entry extension for reason 0 (unspecified)', async () => {
    const { pem } = crl([
      { serialHex: revoked.serialHex, revokedAt: new Date(), reasonCode: CrlReason.unspecified },
    ]);
    await workspace.write('unspecified.pem', pem);
    const result = await workspace.run(['crl', '-in', 'unspecified.pem', '-noout', '-text']);
    expect(result.stdout.toLowerCase()).to.contain(`serial number: ${revoked.serialHex}`);
    expect(result.stdout).not.to.contain('CRL entry extensions');
  });

  it('lists many serials, each exactly as the registry stores it (leading-zero and high-bit serials too)', async () => {
    const serials = ['00ff', '7f', '80', '0123456789abcdef', revoked.serialHex];
    const { pem } = crl(serials.map((serialHex) => ({ serialHex, revokedAt: new Date(), reasonCode: 1 })));
    await workspace.write('many.pem', pem);
    const result = await workspace.run([
      'crl',
      '-in',
      'many.pem',
      '-CAfile',
      'root.pem',
      '-noout',
      '-verify',
      '-text',
    ]);
    expect(result.output).to.contain('verify OK');
    const listed = [...result.stdout.matchAll(/Serial Number: ([0-9A-F]+)/g)].map((match) =>
      match[1]!.toLowerCase(),
    );
    expect(listed).to.deep.equal(['ff', '7f', '80', '0123456789abcdef', revoked.serialHex]);
  });

  it('encodes dates from 2050 on as GeneralizedTime', async () => {
    const thisUpdate = new Date('2051-01-01T00:00:00Z');
    const { pem } = buildCrl(ca.authority, {
      crlNumber: 3n,
      thisUpdate,
      nextUpdate: new Date('2051-01-02T00:00:00Z'),
      revoked: [],
    });
    await workspace.write('future.pem', pem);
    const parsed = await workspace.run(['asn1parse', '-in', 'future.pem']);
    expect(parsed.stdout).to.contain('GENERALIZEDTIME   :20510101000000Z');
    const now = crl([]);
    await workspace.write('now.pem', now.pem);
    expect((await workspace.run(['asn1parse', '-in', 'now.pem'])).stdout).to.match(/UTCTIME +:\d{12}Z/);
  });

  const invalid: { name: string; options: Parameters<typeof buildCrl>[1]; field: string }[] = [
    {
      name: 'a negative CRL number',
      options: {
        crlNumber: -1n,
        thisUpdate: new Date(),
        nextUpdate: new Date(Date.now() + HOUR),
        revoked: [],
      },
      field: 'crlNumber',
    },
    {
      name: 'nextUpdate before thisUpdate',
      options: {
        crlNumber: 1n,
        thisUpdate: new Date(),
        nextUpdate: new Date(Date.now() - HOUR),
        revoked: [],
      },
      field: 'nextUpdate',
    },
    {
      name: 'a serial that is not hex',
      options: {
        crlNumber: 1n,
        thisUpdate: new Date(),
        nextUpdate: new Date(Date.now() + HOUR),
        revoked: [{ serialHex: 'zz', revokedAt: new Date(), reasonCode: 0 }],
      },
      field: 'serialHex',
    },
    {
      name: 'reason code 7 (unused in RFC 5280)',
      options: {
        crlNumber: 1n,
        thisUpdate: new Date(),
        nextUpdate: new Date(Date.now() + HOUR),
        revoked: [{ serialHex: '01', revokedAt: new Date(), reasonCode: 7 }],
      },
      field: 'reasonCode',
    },
  ];
  for (const tc of invalid) {
    it(`refuses ${tc.name}`, () => {
      let thrown: unknown;
      try {
        buildCrl(ca.authority, tc.options);
      } catch (error) {
        thrown = error;
      }
      expect(isIssuanceRequestError(thrown), String(thrown)).to.equal(true);
      expect((thrown as { field: string }).field).to.equal(tc.field);
    });
  }
});
