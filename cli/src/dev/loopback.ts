import net from 'node:net';
import { exitCodes } from '../base-command.js';
import { DevError } from './dev-error.js';

/**
 * Checks before anything starts that this machine can listen on `host` (Linux routes all of
 * 127.0.0.0/8 to the loopback interface; macOS configures only 127.0.0.1 unless told otherwise).
 */
export async function assertCanListen(host: string, allHosts: readonly string[]): Promise<void> {
  try {
    await listenOnce(host, 0);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    const aliases = allHosts.map((address) => `sudo ifconfig lo0 alias ${address} up`).join(' && ');
    throw new DevError({
      message: `cannot listen on ${host} (${code}: ${(error as Error).message}); the demo runs its gateways on ${allHosts.join(' and ')}.`,
      remedy:
        code === 'EADDRNOTAVAIL'
          ? `add the loopback addresses to this machine (macOS: \`${aliases}\`; Linux has them on lo already), then run \`mosaic dev\` again.`
          : `check that nothing (a firewall, a sandbox) forbids listening on ${host}, then run \`mosaic dev\` again.`,
      exit: exitCodes.unavailable,
    });
  }
}

/** Binds host:port, closes again, and answers the port that was bound (0: one the OS picked). */
export function listenOnce(host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, () => {
      const bound = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(bound));
    });
  });
}
