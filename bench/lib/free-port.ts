import net from 'node:net';

/**
 * A port of `host` that nothing listens on right now, for servers (nginx) that need the port in
 * their configuration instead of binding port 0. Another process could take it before the server
 * binds it; the server then fails to start with "Address already in use", which is reported.
 */
export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
