import { X509Certificate } from 'node:crypto';
import { Code } from '@connectrpc/connect';
import { AuditVerb } from '@mosaic/contracts/v1/audit_pb';
import { GrantStatus } from '@mosaic/contracts/v1/common_pb';
import { expect } from 'chai';
import { connectError } from '../../../test/support/connect-error.js';
import { createGrantFor, enrollmentOrigin, startStack, type TestStack } from '../../../test/support/stack.js';
import { buildCsr, OpensslWorkspace, rsaKeyPair, tamperCsrSignature } from '../../ca/test/support/pki.js';
import { createKeyAndCsr } from '../src/pki/key-and-csr.js';
import { fetchRoot, postEnroll } from './enroll-client.js';

const grantIdOid = '1.3.6.1.4.1.99999.1';
const subjectOid = '1.3.6.1.4.1.99999.2';

describe('M2 onboarding on one serving gateway (integration)', function () {
  this.timeout(60_000);
  let stack: TestStack;
  let workspace: OpensslWorkspace;

  before(async () => {
    stack = await startStack('127.0.0.3');
    workspace = await OpensslWorkspace.create();
  });
  after(async () => {
    await stack?.close();
    await workspace?.remove();
  });

  it('M2-1: grant create writes a pending grant with its validated scope and prints a single-use enrollment URL', async () => {
    const { user } = await stack.admin.createUser({ username: 'm2-1-alice' });
    const created = await stack.admin.createGrant({
      subjectUserId: user!.id,
      requestingServer: '127.0.0.2',
      scopeJson: JSON.stringify({
        resources: ['tasks', 'notes'],
        filters: { tasks: { include_personal: false } },
      }),
    });
    const grant = created.grant!;
    expect(grant.status).to.equal(GrantStatus.PENDING);
    const rows = await stack.db.query<{ status: string; scope: Record<string, unknown> }>(
      'SELECT status, scope FROM grants.grants WHERE id = $1',
      [grant.id],
    );
    expect(rows[0]!.status).to.equal('pending');
    // The stored scope is the normalised one: defaults filled in.
    expect(rows[0]!.scope).to.deep.include({
      resources: ['tasks', 'notes'],
      excluded_resources: ['credentials', 'api_keys'],
      max_rows_per_query: 500,
    });
    const url = new URL(created.enrollmentUrl);
    expect(url.protocol).to.equal('mosaic-enroll:');
    expect(url.pathname).to.equal(`/${grant.id}`);
    expect(url.searchParams.get('token')).to.match(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get('ca')).to.equal(`sha256:${created.caFingerprint}`);

    // Single use: the first enrollment succeeds, the second is refused.
    const { host, port, token } = enrollmentOrigin(created.enrollmentUrl);
    const caPem = await fetchRoot(host, port);
    const first = await createKeyAndCsr({ commonName: '127.0.0.2' });
    const body = { grantId: grant.id, token, requestingHostname: '127.0.0.2' };
    expect(
      (await postEnroll({ host, port, caPem, body: { ...body, csrPem: first.csrPem } })).status,
    ).to.equal(201);
    expect(
      (await postEnroll({ host, port, caPem, body: { ...body, csrPem: first.csrPem } })).status,
    ).to.equal(410);
  });

  it('M2-2: enrollment signs a CSR into a certificate carrying both OIDs with the exact DER encoding; openssl verifies it', async () => {
    const { userId, grantId, enrollmentUrl } = await createGrantFor(stack, { peerHost: '127.0.0.2' });
    const { host, port, token } = enrollmentOrigin(enrollmentUrl);
    const caPem = await fetchRoot(host, port);
    const { csrPem } = await createKeyAndCsr({ commonName: 'ignored-by-the-ca' });
    const answer = await postEnroll({
      host,
      port,
      caPem,
      body: { grantId, token, csrPem, requestingHostname: '127.0.0.2' },
    });
    expect(answer.status, JSON.stringify(answer.body)).to.equal(201);
    const certificatePem = answer.body.certificatePem as string;
    expect(answer.body.subjectUserId).to.equal(userId);

    await workspace.write('root.pem', caPem);
    await workspace.write('client.pem', certificatePem);
    const verify = await workspace.run([
      'verify',
      '-CAfile',
      'root.pem',
      '-purpose',
      'sslclient',
      'client.pem',
    ]);
    expect(verify.output).to.include('client.pem: OK');

    const certificate = new X509Certificate(certificatePem);
    expect(certificate.subject).to.include(`CN=grant-${grantId}`);
    expect(certificate.subject).to.include('O=127.0.0.2');
    const dump = await workspace.run(['asn1parse', '-in', 'client.pem', '-dump']);
    expect(dump.code).to.equal(0);
    for (const [oid, uuid] of [
      [grantIdOid, grantId],
      [subjectOid, userId],
    ] as const) {
      // openssl prints the OID line, then the OCTET STRING holding the extension value.
      const at = dump.stdout.indexOf(`:${oid}`);
      expect(at, `extension ${oid}`).to.be.greaterThan(0);
      const octets = dump.stdout.slice(at).split('\n').slice(1, 5).join('\n');
      const hex = [...octets.matchAll(/ - ((?:[0-9a-f]{2}[ -]){1,16})/g)]
        .map((m) => m[1]!.replace(/[ -]/g, ''))
        .join('');
      expect(hex.slice(0, 4 + 72)).to.equal(`0c24${Buffer.from(uuid).toString('hex')}`);
    }
  });

  it('M2-3: a token works once (second use 410), an expired token answers 410, and tokens are stored hashed', async () => {
    const { grantId, enrollmentUrl } = await createGrantFor(stack, { peerHost: '127.0.0.2' });
    const { host, port, token } = enrollmentOrigin(enrollmentUrl);
    const caPem = await fetchRoot(host, port);
    const stored = await stack.db.query<{ hash: string; length: number }>(
      "SELECT encode(token_hash, 'hex') AS hash, octet_length(token_hash) AS length FROM grants.enrollment_tokens WHERE grant_id = $1",
      [grantId],
    );
    expect(stored).to.have.length(1);
    expect(stored[0]!.length).to.equal(32);
    const everything = JSON.stringify(await stack.db.query('SELECT * FROM grants.enrollment_tokens'));
    expect(everything).not.to.include(token);
    expect(everything).not.to.include(Buffer.from(token, 'base64url').toString('hex'));

    const { csrPem } = await createKeyAndCsr({ commonName: 'a' });
    const body = { grantId, token, csrPem, requestingHostname: '127.0.0.2' };
    expect((await postEnroll({ host, port, caPem, body })).status).to.equal(201);
    const second = await postEnroll({ host, port, caPem, body });
    expect(second.status).to.equal(410);
    expect(second.body.error!.reason).to.equal('enrollment_token_invalid');

    const other = await createGrantFor(stack, { peerHost: '127.0.0.2' });
    await stack.db.query(
      "UPDATE grants.enrollment_tokens SET expires_at = now() - interval '1 second' WHERE grant_id = $1",
      [other.grantId],
    );
    const expired = await postEnroll({
      host,
      port,
      caPem,
      body: { ...body, grantId: other.grantId, token: enrollmentOrigin(other.enrollmentUrl).token },
    });
    expect(expired.status).to.equal(410);
    expect(expired.body.error!.message).to.include('expired');
  });

  describe('rejected CSRs leave the token usable', () => {
    const weak = rsaKeyPair(1024);
    const strong = rsaKeyPair(2048);
    const cases = [
      {
        name: 'a CSR asking for CA:true',
        csr: () => buildCsr(strong, { extensions: [{ name: 'basicConstraints', cA: true, critical: true }] }),
        message: /CA/,
      },
      {
        name: 'a CSR carrying its own Mosaic grant OID',
        csr: () =>
          buildCsr(strong, {
            extensions: [
              {
                id: grantIdOid,
                value: Buffer.concat([
                  Buffer.from([0x0c, 0x24]),
                  Buffer.from('00000000-0000-4000-8000-000000000000'),
                ]),
              },
            ],
          }),
        message: /1\.3\.6\.1\.4\.1\.99999\.1/,
      },
      { name: 'a CSR with a 1024-bit key', csr: () => buildCsr(weak), message: /1024/ },
      {
        name: 'a CSR with a bad signature',
        csr: () => tamperCsrSignature(buildCsr(strong)),
        message: /signature/,
      },
    ];
    for (const testCase of cases) {
      it(`${testCase.name} is answered 400 with the reason, audited, and the token still enrolls`, async () => {
        const { grantId, enrollmentUrl } = await createGrantFor(stack, { peerHost: '127.0.0.2' });
        const { host, port, token } = enrollmentOrigin(enrollmentUrl);
        const caPem = await fetchRoot(host, port);
        const base = { grantId, token, requestingHostname: '127.0.0.2' };
        const refused = await postEnroll({ host, port, caPem, body: { ...base, csrPem: testCase.csr() } });
        expect(refused.status, JSON.stringify(refused.body)).to.equal(400);
        expect(refused.body.error!.message).to.match(testCase.message);
        const good = await createKeyAndCsr({ commonName: 'b' });
        expect(
          (await postEnroll({ host, port, caPem, body: { ...base, csrPem: good.csrPem } })).status,
        ).to.equal(201);
        // Lifecycle events travel through the audit queue: poll for the row.
        let events: unknown[] = [];
        for (let attempt = 0; attempt < 200 && events.length === 0; attempt += 1) {
          if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 50));
          events = (
            await stack.admin.queryAuditEvents({ filter: { grantId, verbs: [AuditVerb.CSR_REJECT] } })
          ).events;
        }
        expect(events).to.have.length(1);
      });
    }
  });

  it('a re-issued enrollment URL invalidates the earlier one (a leaked URL can be replaced)', async () => {
    const { grantId, enrollmentUrl: first } = await createGrantFor(stack, { peerHost: '127.0.0.2' });
    const { enrollmentUrl: second } = await stack.admin.createEnrollmentUrl({ grantId });
    const { host, port } = enrollmentOrigin(first);
    const caPem = await fetchRoot(host, port);
    const body = (url: string, csrPem: string) => ({
      grantId,
      token: enrollmentOrigin(url).token,
      csrPem,
      requestingHostname: '127.0.0.2',
    });
    const { csrPem } = await createKeyAndCsr({ commonName: 'f' });
    expect((await postEnroll({ host, port, caPem, body: body(first, csrPem) })).status).to.equal(410);
    expect((await postEnroll({ host, port, caPem, body: body(second, csrPem) })).status).to.equal(201);
  });

  it('two concurrent enrollments with one token yield exactly one certificate', async () => {
    const { grantId, enrollmentUrl } = await createGrantFor(stack, { peerHost: '127.0.0.2' });
    const { host, port, token } = enrollmentOrigin(enrollmentUrl);
    const caPem = await fetchRoot(host, port);
    const csrs = await Promise.all([0, 1, 2, 3].map(() => createKeyAndCsr({ commonName: 'c' })));
    const answers = await Promise.all(
      csrs.map(({ csrPem }) =>
        postEnroll({ host, port, caPem, body: { grantId, token, csrPem, requestingHostname: '127.0.0.2' } }),
      ),
    );
    expect(answers.map((answer) => answer.status).sort()).to.deep.equal([201, 410, 410, 410]);
    const issued = await stack.db.query('SELECT serial FROM ca.certificates WHERE grant_id = $1', [grantId]);
    expect(issued).to.have.length(1);
  });

  it('a grant cannot go from revoked to active', async () => {
    const { grantId } = await createGrantFor(stack, { peerHost: '127.0.0.2' });
    await stack.admin.revokeGrant({ grantId, reason: 'test' });
    const error = await connectError(stack.admin.resumeGrant({ grantId }));
    expect(error.code).to.equal(Code.FailedPrecondition);
    expect(error.rawMessage).to.match(/revoked/);
    const rows = await stack.db.query<{ status: string }>('SELECT status FROM grants.grants WHERE id = $1', [
      grantId,
    ]);
    expect(rows[0]!.status).to.equal('revoked');
  });

  it('M6-3: the CRL endpoint serves a valid signed CRL (openssl crl -verify) listing the revoked certificate', async () => {
    const { grantId, enrollmentUrl } = await createGrantFor(stack, { peerHost: '127.0.0.2' });
    const { host, port, token } = enrollmentOrigin(enrollmentUrl);
    const caPem = await fetchRoot(host, port);
    const { csrPem } = await createKeyAndCsr({ commonName: 'd' });
    const enrolled = await postEnroll({
      host,
      port,
      caPem,
      body: { grantId, token, csrPem, requestingHostname: '127.0.0.2' },
    });
    const serial = enrolled.body.serialNumber as string;
    const revoked = await stack.admin.revokeGrant({ grantId, reason: 'M6-3' });
    expect(revoked.revokedSerialNumbers).to.deep.equal([serial]);

    const crl = Buffer.from(
      await (await fetch(`http://${host}:${port}/.well-known/mosaic/crl`)).arrayBuffer(),
    );
    await workspace.write('crl.der', crl);
    await workspace.write('ca.pem', caPem);
    await workspace.write('revoked.pem', enrolled.body.certificatePem as string);
    const verify = await workspace.run([
      'crl',
      '-inform',
      'DER',
      '-in',
      'crl.der',
      '-CAfile',
      'ca.pem',
      '-noout',
      '-verify',
    ]);
    expect(verify.output).to.include('verify OK');
    const text = await workspace.run(['crl', '-inform', 'DER', '-in', 'crl.der', '-noout', '-text']);
    expect(text.stdout.toLowerCase()).to.include(`serial number: ${serial}`);
    expect(text.stdout).to.include('Next Update');
    await workspace.run(['crl', '-inform', 'DER', '-in', 'crl.der', '-out', 'crl.pem']);
    const check = await workspace.run([
      'verify',
      '-crl_check',
      '-CRLfile',
      'crl.pem',
      '-CAfile',
      'ca.pem',
      'revoked.pem',
    ]);
    expect(check.output).to.include('certificate revoked');
  });

  /** A new user on the stack, the subject of two grants (for two requesting gateways). */
  async function subjectOfTwoGrants(username: string): Promise<{ userId: string; grantIds: string[] }> {
    const { user } = await stack.admin.createUser({ username });
    const grantIds: string[] = [];
    for (const peer of ['127.0.0.2', '127.0.0.4']) {
      const created = await stack.admin.createGrant({
        subjectUserId: user!.id,
        requestingServer: peer,
        scopeJson: '{"resources":["notes"]}',
      });
      grantIds.push(created.grant!.id);
    }
    return { userId: user!.id, grantIds };
  }

  it("M6-2: deleting the subject user revokes all of that user's grants", async () => {
    const { userId, grantIds } = await subjectOfTwoGrants('m6-2-bob');
    const deleted = await stack.admin.deleteUser({ userId });
    expect([...deleted.revokedGrantIds].sort()).to.deep.equal([...grantIds].sort());
    const rows = await stack.db.query<{ status: string }>(
      'SELECT status FROM grants.grants WHERE id = ANY($1)',
      [grantIds],
    );
    expect(rows.map((row) => row.status)).to.deep.equal(['revoked', 'revoked']);
  });

  it('deleting the subject user reports only the grants it revoked, not one revoked before', async () => {
    const { userId, grantIds } = await subjectOfTwoGrants('m6-2-carl');
    await stack.admin.revokeGrant({ grantId: grantIds[0]!, reason: 'earlier' });
    const deleted = await stack.admin.deleteUser({ userId });
    expect([...deleted.revokedGrantIds]).to.deep.equal([grantIds[1]]);
    const rows = await stack.db.query<{ status: string; revoke_reason: string }>(
      'SELECT status, revoke_reason FROM grants.grants WHERE id = ANY($1) ORDER BY revoke_reason',
      [grantIds],
    );
    expect(rows).to.deep.equal([
      { status: 'revoked', revoke_reason: 'earlier' },
      { status: 'revoked', revoke_reason: 'subject user deleted' },
    ]);
  });

  it('grant lifecycle and enrollment are in the audit log', async () => {
    const { grantId, enrollmentUrl } = await createGrantFor(stack, { peerHost: '127.0.0.2' });
    const { host, port, token } = enrollmentOrigin(enrollmentUrl);
    const caPem = await fetchRoot(host, port);
    const { csrPem } = await createKeyAndCsr({ commonName: 'e' });
    await postEnroll({
      host,
      port,
      caPem,
      body: { grantId, token, csrPem, requestingHostname: '127.0.0.2' },
    });
    await stack.admin.updateGrant({ grantId, rateLimitRpm: 120 });
    await stack.admin.revokeGrant({ grantId, reason: 'done' });
    // Lifecycle events travel through the audit queue: wait for all six.
    let events = (await stack.admin.queryAuditEvents({ filter: { grantId } })).events;
    for (let attempt = 0; attempt < 100 && events.length < 6; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      events = (await stack.admin.queryAuditEvents({ filter: { grantId } })).events;
    }
    const verbs = events.map((event) => AuditVerb[event.verb]).reverse();
    expect(verbs).to.deep.equal([
      'GRANT_CREATE',
      'ENROLLMENT_TOKEN_CREATE',
      'ENROLL',
      'GRANT_UPDATE',
      'GRANT_REVOKE',
      'CERTIFICATE_REVOKE',
    ]);
    expect(
      JSON.stringify(events, (_, value) => (typeof value === 'bigint' ? value.toString() : value)),
    ).not.to.include(token);
  });
});
