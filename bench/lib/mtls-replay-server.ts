/**
 * The L1 transport ceiling (bench/servers/l1-transport-server.ts) and the L2 data ceiling: a bare
 * `node:http2` mTLS server that verifies the client exactly as B would (`requestCert`,
 * `rejectUnauthorized`, client CA = B's trust bundle) and answers the precomputed bytes of
 * scenario 4's List response, after an optional per-request step (L2: the List query).
 */
import { readFileSync } from 'node:fs';
import http2 from 'node:http2';

export interface MtlsReplayOptions {
  host: string;
  /** PEM files: server certificate and key, and the CA bundle that verifies client certificates. */
  certFile: string;
  keyFile: string;
  clientCaFile: string;
  /** The exact bytes of scenario 4's List response, captured at setup. */
  responseFile: string;
}

/** Content type of the replayed response: what B's Connect handler answers for binary protobuf. */
export const replayContentType = 'application/proto';

export function createMtlsReplayServer(
  options: MtlsReplayOptions,
  beforeAnswer?: () => Promise<void>,
): http2.Http2SecureServer {
  const response = readFileSync(options.responseFile);
  const headers = {
    ':status': 200,
    'content-type': replayContentType,
    'content-length': response.byteLength,
  };
  const server = http2.createSecureServer({
    cert: readFileSync(options.certFile),
    key: readFileSync(options.keyFile),
    ca: readFileSync(options.clientCaFile),
    requestCert: true,
    rejectUnauthorized: true,
    allowHTTP1: false,
  });
  server.on('stream', (stream) => {
    stream.on('error', () => {});
    // Drain the request body, then (after the per-request step) answer the precomputed response.
    stream.on('data', () => {});
    stream.on('end', () => {
      if (!beforeAnswer) {
        stream.respond(headers);
        stream.end(response);
        return;
      }
      beforeAnswer().then(
        () => {
          if (stream.destroyed) return;
          stream.respond(headers);
          stream.end(response);
        },
        (error: unknown) => {
          // A non-200 the load generator counts as an error and reports (first error) in the row.
          if (stream.destroyed) return;
          stream.respond({ ':status': 500, 'content-type': 'text/plain' });
          stream.end(`per-request step failed: ${error instanceof Error ? error.message : String(error)}`);
        },
      );
    });
  });
  return server;
}
