import { X509Certificate } from 'node:crypto';
import { expect } from 'chai';
import {
  ipAddressBytes,
  isCsrRejectedError,
  isIssuanceRequestError,
  issueServerCertificate,
  type ServerCertificateRequest,
} from '../src/domain/index.js';
import { buildCsr, newAuthority, OpensslWorkspace, rsaKeyPair, type TestAuthority } from './support/pki.js';

const DAY = 86_400_000;

describe('ca domain: server certificate issuance', () => {
  let ca: TestAuthority;
  let workspace: OpensslWorkspace;
  const keys = rsaKeyPair(2048);

  function request(overrides: Partial<ServerCertificateRequest> = {}): ServerCertificateRequest {
    return {
      publicKey: keys.publicKey,
      commonName: 'work.example.com',
      dnsNames: ['work.example.com', 'localhost'],
      ipAddresses: ['127.0.0.1', '::1'],
      lifetimeMs: 90 * DAY,
      ...overrides,
    };
  }

  before(async () => {
    ca = newAuthority('Mosaic Server CA');
    workspace = await OpensslWorkspace.create();
    await workspace.write('root.pem', ca.certificatePem);
  });
  after(async () => {
    await workspace?.remove();
  });

  it('openssl verify -purpose sslserver accepts it; the SANs, EKU serverAuth and CA:FALSE are present', async () => {
    const issued = issueServerCertificate(ca.authority, request());
    await workspace.write('server.pem', issued.certificatePem);
    const verified = await workspace.run([
      'verify',
      '-CAfile',
      'root.pem',
      '-purpose',
      'sslserver',
      'server.pem',
    ]);
    expect(verified.code, verified.output).to.equal(0);
    expect(verified.stdout).to.contain('server.pem: OK');

    const shown = await workspace.run([
      'x509',
      '-in',
      'server.pem',
      '-noout',
      '-ext',
      'subjectAltName,extendedKeyUsage,basicConstraints,keyUsage',
    ]);
    expect(shown.stdout).to.contain(
      'DNS:work.example.com, DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1',
    );
    expect(shown.stdout).to.match(/X509v3 Extended Key Usage: \n\s+TLS Web Server Authentication\n/);
    expect(shown.stdout).to.match(/X509v3 Basic Constraints: critical\n\s+CA:FALSE/);
    expect(shown.stdout).to.match(/X509v3 Key Usage: critical\n\s+Digital Signature, Key Encipherment/);

    const hostCheck = await workspace.run([
      'verify',
      '-CAfile',
      'root.pem',
      '-verify_hostname',
      'work.example.com',
      'server.pem',
    ]);
    expect(hostCheck.code, hostCheck.output).to.equal(0);
    const ipCheck = await workspace.run([
      'verify',
      '-CAfile',
      'root.pem',
      '-verify_ip',
      '127.0.0.1',
      'server.pem',
    ]);
    expect(ipCheck.code, ipCheck.output).to.equal(0);
    const clientUse = await workspace.run([
      'verify',
      '-CAfile',
      'root.pem',
      '-purpose',
      'sslclient',
      'server.pem',
    ]);
    expect(clientUse.code, 'a server certificate is not a client certificate').not.to.equal(0);
  });

  it('from a CSR: only the key is used, the subject comes from the request', () => {
    const csrPem = buildCsr(keys, { subject: [{ name: 'commonName', value: 'admin' }] });
    const { publicKey: _ignored, ...withoutKey } = request();
    const issued = issueServerCertificate(ca.authority, { ...withoutKey, csrPem });
    const x509 = new X509Certificate(issued.certificatePem);
    expect(x509.subject).to.equal('CN=work.example.com');
    expect(x509.publicKey.equals(keys.publicKey)).to.equal(true);
    expect(x509.keyUsage).to.deep.equal(['1.3.6.1.5.5.7.3.1']);
    expect(x509.checkIssued(new X509Certificate(ca.certificatePem))).to.equal(true);
    expect(issued.subject).to.equal('CN=work.example.com');
  });

  it('a CSR for a weak key is refused like any CSR', () => {
    const { publicKey: _ignored, ...withoutKey } = request();
    expect(() => issueServerCertificate(ca.authority, { ...withoutKey, csrPem: buildCsr(rsaKeyPair(1024)) }))
      .to.throw(/1024 bits/)
      .that.satisfies(isCsrRejectedError);
  });

  const invalid: { name: string; change: Partial<ServerCertificateRequest>; field: string }[] = [
    { name: 'no SAN at all', change: { dnsNames: [], ipAddresses: [] }, field: 'dnsNames' },
    { name: 'a DNS name with a port', change: { dnsNames: ['a.example:443'] }, field: 'dnsNames' },
    { name: 'an IP address that is not one', change: { ipAddresses: ['300.1.1.1'] }, field: 'ipAddresses' },
    { name: 'an empty common name', change: { commonName: '' }, field: 'commonName' },
    { name: 'both a key and a CSR', change: { csrPem: 'x' }, field: 'publicKey' },
  ];
  for (const tc of invalid) {
    it(`refuses ${tc.name}`, () => {
      let thrown: unknown;
      try {
        issueServerCertificate(ca.authority, request(tc.change));
      } catch (error) {
        thrown = error;
      }
      expect(isIssuanceRequestError(thrown), String(thrown)).to.equal(true);
      expect((thrown as { field: string }).field).to.equal(tc.field);
    });
  }

  it('encodes IP addresses as 4 or 16 octets', () => {
    expect(ipAddressBytes('192.0.2.1').toString('hex')).to.equal('c0000201');
    expect(ipAddressBytes('::1').toString('hex')).to.equal(`${'0'.repeat(30)}01`);
    expect(ipAddressBytes('2001:db8::8:800:200c:417a').toString('hex')).to.equal(
      '20010db80000000000080800200c417a',
    );
    expect(ipAddressBytes('::ffff:192.0.2.1').toString('hex')).to.equal('00000000000000000000ffffc0000201');
    expect(ipAddressBytes('fe80::1:2').toString('hex')).to.equal('fe800000000000000000000000010002');
  });
});
