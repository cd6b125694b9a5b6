import tls from 'node:tls';
import type { ClientCredentials } from './federation-client.js';

/**
 * Opens a fresh TLS 1.2 connection to the credentials' federation endpoint (TLS 1.2: the outcome of
 * client-certificate checks is known when the handshake ends) and resolves with how it ended:
 * 'completed', or the error's code.
 */
export function handshake(credentials: ClientCredentials): Promise<string> {
  const url = new URL(credentials.baseUrl);
  return new Promise((resolve) => {
    const socket = tls.connect({
      host: url.hostname,
      port: Number(url.port),
      ca: credentials.caPem,
      cert: credentials.certPem,
      key: credentials.keyPem,
      ALPNProtocols: ['h2'],
      maxVersion: 'TLSv1.2',
    });
    socket.on('secureConnect', () => {
      socket.end();
      resolve('completed');
    });
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}
