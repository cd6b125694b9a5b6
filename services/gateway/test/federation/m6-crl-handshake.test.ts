import { Code, ConnectError } from '@connectrpc/connect';
import { Resource } from '@mosaic/contracts/v1/common_pb';
import { expect } from 'chai';
import { federationClient, peerCredentials } from '../../../../test/support/federation-client.js';
import { twoStacks } from '../../../../test/support/stack.js';
import { handshake } from '../../../../test/support/tls-handshake.js';

describe('M6 revocation at the TLS layer (two stacks)', function () {
  this.timeout(60_000);
  const stacks = twoStacks();

  it('M6-4: a certificate in the CRL is rejected in the handshake even while time-valid; open connections get 403', async () => {
    const { a, b } = stacks;
    const { user } = await b.admin.createUser({ username: 'carol' });
    const created = await b.admin.createGrant({
      subjectUserId: user!.id,
      requestingServer: '127.0.0.2',
      scopeJson: '{"resources":["tasks"]}',
    });
    const { peer } = await a.admin.addPeer({ enrollmentUrl: created.enrollmentUrl });
    const credentials = await peerCredentials(a, peer!.id);
    const open = federationClient(credentials);
    expect((await open.list({ resource: Resource.TASKS })).items).to.deep.equal([]);
    expect(await handshake(credentials)).to.equal('completed');

    await b.admin.revokeGrant({ grantId: created.grant!.id, reason: 'M6-4' });

    // The connection opened before answers 403 at its next request (grant state re-checked).
    const refused = await open.list({ resource: Resource.TASKS }).then(
      () => null,
      (reason: unknown) => ConnectError.from(reason),
    );
    expect(refused?.code).to.equal(Code.PermissionDenied);
    expect(refused?.rawMessage).to.include('revoked');

    // New handshakes fail once the listener has the new CRL (pushed at once over pub/sub).
    let outcome = await handshake(credentials);
    for (let attempt = 0; attempt < 50 && outcome === 'completed'; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      outcome = await handshake(credentials);
    }
    expect(outcome).to.not.equal('completed');
    expect(outcome).to.match(/ECONNRESET|ALERT|CERTIFICATE/);
    // The certificate itself is still within its validity period.
    const [row] = await b.db.query<{ not_after: Date; revoked_at: Date }>(
      'SELECT not_after, revoked_at FROM ca.certificates WHERE grant_id = $1',
      [created.grant!.id],
    );
    expect(row!.not_after.getTime()).to.be.greaterThan(Date.now());
    expect(row!.revoked_at).to.be.instanceOf(Date);
  });
});
