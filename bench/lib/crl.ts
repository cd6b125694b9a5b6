/**
 * B's current CRL, as nginx's `ssl_crl` wants it (PEM), fetched from B's enrollment listener
 * public path over TLS pinned to B's trust bundle (the listener's certificate is from B's CA).
 */
import https from 'node:https';

/** Where B publishes its CRL (services/gateway/src/enrollment/public-paths.ts). */
export const crlPath = '/.well-known/mosaic/crl';

export class CrlFetchError extends Error {
  override readonly name = 'CrlFetchError';
}

/** DER → PEM (`X509 CRL`, 64 columns); a body that already is PEM is returned as is. */
export function crlToPem(body: Buffer): string {
  const text = body.toString('latin1');
  if (text.startsWith('-----BEGIN X509 CRL-----')) return text;
  const lines = body.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN X509 CRL-----\n${lines.join('\n')}\n-----END X509 CRL-----\n`;
}

/** `enrollmentUrl`: B's enrollment URL (only its host:port is used); `caPem`: B's trust bundle. */
export function fetchCrlPem(enrollmentUrl: string, caPem: string): Promise<string> {
  const { hostname, port } = new URL(enrollmentUrl);
  const url = `https://${hostname}:${port}${crlPath}`;
  return new Promise((resolve, reject) => {
    const request = https.get(url, { ca: caPem, timeout: 10_000 }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const body = Buffer.concat(chunks);
        if (response.statusCode !== 200 || body.byteLength === 0) {
          reject(
            new CrlFetchError(
              `GET ${url} answered HTTP ${response.statusCode} (${body.byteLength} bytes): ` +
                'B’s enrollment listener should serve its CRL there',
            ),
          );
        } else {
          resolve(crlToPem(body));
        }
      });
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new CrlFetchError(`GET ${url} timed out after 10 s`)));
    request.on('error', (error) =>
      reject(
        error instanceof CrlFetchError ? error : new CrlFetchError(`GET ${url} failed: ${error.message}`),
      ),
    );
  });
}
