import type { Client } from '@connectrpc/connect';
import type { CaService } from '@mosaic/contracts/v1/ca_pb';
import type { PlainHandler } from '@mosaic/platform';

export const trustBundlePath = '/.well-known/mosaic/trust-bundle';
export const crlPath = '/.well-known/mosaic/crl';

/**
 * The public PKI documents of this gateway, served with or without TLS: a peer's first contact
 * fetches the bundle before it can verify TLS, and checks it against the fingerprint it pinned.
 */
export function publicPkiPaths(ca: Client<typeof CaService>): PlainHandler {
  return async (request, response) => {
    if (request.method !== 'GET') return false;
    const path = (request.url ?? '').split('?')[0];
    if (path === trustBundlePath) {
      const { bundle } = await ca.getBundle({});
      const body = {
        version: 1,
        sequence: Number(bundle?.sequence ?? 0),
        refreshHintSeconds: Number(bundle?.refreshHint?.seconds ?? 3600),
        roots: (bundle?.roots ?? []).map((root) => ({
          certificatePem: root.certificatePem,
          sha256Fingerprint: root.sha256Fingerprint,
          state: root.state === 1 ? 'next' : 'active',
        })),
      };
      response.statusCode = 200;
      response.setHeader('content-type', 'application/json');
      response.setHeader('cache-control', 'max-age=300');
      response.end(`${JSON.stringify(body)}\n`);
      return true;
    }
    if (path === crlPath) {
      const crl = await ca.getCrl({});
      const der = Buffer.from(crl.crlPem.replace(/-----[A-Z0-9 ]+-----|\s/g, ''), 'base64');
      response.statusCode = 200;
      response.setHeader('content-type', 'application/pkix-crl');
      response.setHeader('cache-control', 'max-age=60');
      response.end(der);
      return true;
    }
    return false;
  };
}
