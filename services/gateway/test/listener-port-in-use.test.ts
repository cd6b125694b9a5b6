import net from 'node:net';
import { expect } from 'chai';
import { startStack } from '../../../test/support/stack.js';

describe('a federation-side port already in use', function () {
  this.timeout(60_000);

  it('readiness names the listener, the address and what to do, not the CA; the rest of the gateway serves', async () => {
    const host = '127.0.0.6';
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(0, host, resolve));
    const port = (squatter.address() as net.AddressInfo).port;
    try {
      const stack = await startStack(host, {
        config: {
          listen: {
            internal: { host, port: 0 },
            admin: { host, port: 0 },
            federation: { host, port: 0 },
            enrollment: { host, port },
          },
        },
      });
      try {
        const readyz = (await (await fetch(`${stack.running.internalUrl}/readyz`)).json()) as {
          ready: boolean;
        };
        expect(readyz.ready).to.equal(false);
        const check = JSON.stringify(readyz);
        expect(check).to.include(
          `the enrollment listener cannot bind ${host}:${port}: the address is in use`,
        );
        expect(check).to.include('MOSAIC_ENROLLMENT_LISTEN');
        expect(check).to.not.include('waiting for the CA service');
        // The admin API is up all the same, so an operator can look around.
        expect((await stack.admin.listUsers({})).users).to.be.an('array');
      } finally {
        await stack.close();
      }
    } finally {
      squatter.close();
    }
  });
});
