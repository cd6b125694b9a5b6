import { X509Certificate } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Code, ConnectError } from '@connectrpc/connect';
import { Resource } from '@mosaic/contracts/v1/common_pb';
import { expect } from 'chai';
import { federationClient, peerCredentials } from '../../../../test/support/federation-client.js';
import { enrolledPeer, twoStacks } from '../../../../test/support/stack.js';
import { handshake } from '../../../../test/support/tls-handshake.js';

describe('access rule: a client certificate that expires while its connection is open (two stacks)', function () {
  this.timeout(60_000);
  // B issues client certificates that live 4 seconds, so one expires during the test.
  const lifetimeSeconds = 4;
  const stacks = twoStacks({ b: { config: { clientCertLifetimeDays: lifetimeSeconds / 86_400 } } });

  it('the open connection is refused at its next request (403 certificate_expired); a new one fails the handshake', async () => {
    const { peerId } = await enrolledPeer(stacks);
    const credentials = await peerCredentials(stacks.a, peerId);
    const notAfter = new Date(new X509Certificate(credentials.certPem).validTo);
    expect(notAfter.getTime() - Date.now()).to.be.within(0, lifetimeSeconds * 1000);

    const open = federationClient(credentials);
    expect((await open.list({ resource: Resource.TASKS })).items).to.deep.equal([]);

    // Keep the connection busy until the certificate has expired, so it is the same one.
    while (Date.now() <= notAfter.getTime() + 200) {
      await open.list({ resource: Resource.TASKS }).catch(() => undefined);
      await sleep(250);
    }
    const refused = await open.list({ resource: Resource.TASKS }).then(
      () => null,
      (reason: unknown) => ConnectError.from(reason),
    );
    // A new connection could not get this far (the handshake below fails), so this answer came
    // over the connection opened while the certificate was valid.
    expect(refused?.code).to.equal(Code.PermissionDenied);
    expect(refused?.rawMessage).to.include('expired');
    expect(await handshake(credentials)).to.not.equal('completed');
  });
});
