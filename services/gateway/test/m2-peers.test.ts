import { createPublicKey, X509Certificate } from 'node:crypto';
import { Code } from '@connectrpc/connect';
import { PeerStatus } from '@mosaic/contracts/v1/admin_pb';
import { GrantStatus } from '@mosaic/contracts/v1/common_pb';
import { isUnsealError, Sealer } from '@mosaic/platform';
import { expect } from 'chai';
import { connectError } from '../../../test/support/connect-error.js';
import { randomInternalKey } from '../../../test/support/mosaic-process.js';
import { createGrantFor, enrollmentOrigin, startStack, type TestStack } from '../../../test/support/stack.js';
import { createKeyAndCsr } from '../src/pki/key-and-csr.js';
import { fetchRoot, postEnroll } from './enroll-client.js';

describe('M2 peers: a requesting gateway enrolls with a serving one (two stacks)', function () {
  this.timeout(60_000);
  let a: TestStack;
  let b: TestStack;

  before(async () => {
    [a, b] = await Promise.all([startStack('127.0.0.2'), startStack('127.0.0.3')]);
  });
  after(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  it('M2-5: a client key at rest is ciphertext; unsealing with a wrong master secret fails', async () => {
    const { enrollmentUrl } = await createGrantFor(b, { peerHost: '127.0.0.2' });
    const { peer } = await a.admin.addPeer({ enrollmentUrl });
    expect(peer!.status).to.equal(PeerStatus.ACTIVE);

    const rows = await a.db.query<{ id: string; client_key_sealed: Buffer; client_cert_pem: string }>(
      'SELECT id, client_key_sealed, client_cert_pem FROM gateway.peers WHERE id = $1',
      [peer!.id],
    );
    const sealed = rows[0]!.client_key_sealed;
    // The key column, read raw as text and as bytes: no PEM anywhere (the certificate beside it is public).
    const raw = await a.db.query<{ text: string }>(
      "SELECT encode(client_key_sealed, 'escape') AS text FROM gateway.peers WHERE id = $1",
      [peer!.id],
    );
    expect(raw[0]!.text).not.to.include('BEGIN');
    expect(raw[0]!.text).not.to.include('PRIVATE KEY');
    expect(sealed.toString('base64')).not.to.include(
      Buffer.from('-----BEGIN').toString('base64').slice(0, 12),
    );
    expect(sealed.toString('latin1')).not.to.include('BEGIN');

    const context = { purpose: 'peer-client-key', aad: peer!.id };
    const wrong = new Sealer(Buffer.from(randomInternalKey(), 'base64url'));
    expect(() => wrong.unseal(sealed, context))
      .to.throw()
      .that.satisfies(isUnsealError);
    // With the right secret it is the key the certificate certifies.
    const right = new Sealer(Buffer.from(a.env.MOSAIC_MASTER_KEY!, 'base64url'));
    const key = right.unseal(sealed, context).toString();
    expect(key).to.include('BEGIN PRIVATE KEY');
    const certificate = new X509Certificate(rows[0]!.client_cert_pem);
    const spki = (pem: string) => createPublicKey(pem).export({ type: 'spki', format: 'der' });
    expect(spki(key).equals(certificate.publicKey.export({ type: 'spki', format: 'der' }))).to.equal(true);
    // No API returns the sealed key.
    const listed = await a.admin.listPeers({});
    expect(JSON.stringify(listed.peers.map((p) => Object.keys(p)))).not.to.match(/key/i);
  });

  it('peer add with a wrong CA fingerprint is refused before anything is sent; the token stays usable', async () => {
    const { grantId, enrollmentUrl } = await createGrantFor(b, { peerHost: '127.0.0.2' });
    const forged = enrollmentUrl.replace(/ca=sha256:[0-9a-f]{64}/, `ca=sha256:${'ab'.repeat(32)}`);
    const error = await connectError(a.admin.addPeer({ enrollmentUrl: forged }));
    expect(error.code).to.equal(Code.PermissionDenied);
    expect(error.rawMessage).to.include('does not present the CA');
    expect(error.rawMessage).not.to.include(enrollmentOrigin(enrollmentUrl).token);
    // B saw no redemption attempt: the token is untouched and the genuine URL still enrolls.
    const tokens = await b.db.query<{ claimed_until: Date | null; consumed_at: Date | null }>(
      'SELECT claimed_until, consumed_at FROM grants.enrollment_tokens WHERE grant_id = $1',
      [grantId],
    );
    expect(tokens[0]).to.deep.equal({ claimed_until: null, consumed_at: null });
    const { peer } = await a.admin.addPeer({ enrollmentUrl });
    expect(peer!.grantId).to.equal(grantId);
    const { grant } = await b.admin.getGrant({ grantId });
    expect(grant!.status).to.equal(GrantStatus.ACTIVE);
  });

  it('peer add of a used URL says it was used, with a remedy', async () => {
    const { enrollmentUrl } = await createGrantFor(b, { peerHost: '127.0.0.2' });
    await a.admin.addPeer({ enrollmentUrl });
    const error = await connectError(a.admin.addPeer({ enrollmentUrl }));
    expect(error.code).to.equal(Code.AlreadyExists);
    // From another gateway (a third party holding the URL), the token is simply gone.
    const { host, port, token } = enrollmentOrigin(enrollmentUrl);
    const { csrPem } = await createKeyAndCsr({ commonName: 'x' });
    const answer = await postEnroll({
      host,
      port,
      caPem: await fetchRoot(host, port),
      body: {
        grantId: new URL(enrollmentUrl).pathname.slice(1),
        token,
        csrPem,
        requestingHostname: '127.0.0.2',
      },
    });
    expect(answer.status).to.equal(410);
  });

  it('enrollment attempts from one source are limited: 429 with Retry-After', async () => {
    const { grantId, enrollmentUrl } = await createGrantFor(b, { peerHost: '127.0.0.2' });
    const { host, port } = enrollmentOrigin(enrollmentUrl);
    const caPem = await fetchRoot(host, port);
    const statuses: number[] = [];
    let retryAfter: string | string[] | undefined;
    for (let i = 0; i < 12; i += 1) {
      const answer = await postEnroll({
        host,
        port,
        caPem,
        sourceAddress: '127.0.9.9',
        body: { grantId, token: 'A'.repeat(43), csrPem: 'x', requestingHostname: '127.0.0.2' },
      });
      statuses.push(answer.status);
      retryAfter ??= answer.headers['retry-after'];
    }
    expect(statuses.slice(0, 10)).to.deep.equal(Array(10).fill(410));
    expect(statuses.slice(10)).to.deep.equal([429, 429]);
    expect(Number(retryAfter)).to.be.within(1, 60);
  });
});

describe('tiers that do not serve federation', function () {
  this.timeout(60_000);
  it('a standalone gateway refuses to create grants (no peer could enroll) and opens no federation port', async () => {
    const stack = await startStack('127.0.0.5', { tier: 'standalone' });
    try {
      const { user } = await stack.admin.createUser({ username: 'dana' });
      const error = await connectError(
        stack.admin.createGrant({
          subjectUserId: user!.id,
          requestingServer: '127.0.0.2',
          scopeJson: '{"resources":["tasks"]}',
        }),
      );
      expect(error.code).to.equal(Code.FailedPrecondition);
      expect(error.rawMessage).to.include('does not serve federation');
      const grants = await stack.db.query('SELECT id FROM grants.grants');
      expect(grants).to.deep.equal([]);
      const readyz = (await (await fetch(`${stack.running.internalUrl}/readyz`)).json()) as {
        ready: boolean;
      };
      expect(readyz.ready).to.equal(true);
    } finally {
      await stack.close();
    }
  });
});
