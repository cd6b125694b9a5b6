/**
 * L1 transport ceiling: a bare `node:http2` mTLS server in its own process that answers every
 * request with a precomputed body (the bytes of scenario 4's response), nothing else.
 *
 *   node --conditions=mosaic-source --import tsx bench/servers/l1-transport-server.ts '<options JSON>'
 *
 * Prints `{"port": n}` on stdout once listening; exits when its standard input closes (so it
 * never outlives the orchestrator) or on SIGTERM.
 */
import { readFileSync } from 'node:fs';
import http2 from 'node:http2';

interface L1Options {
  host: string;
  /** PEM files: server certificate and key, and the CA bundle that verifies client certificates. */
  certFile: string;
  keyFile: string;
  clientCaFile: string;
  responseFile: string;
}

const options = JSON.parse(process.argv[2] ?? '{}') as L1Options;
const response = readFileSync(options.responseFile);
const headers = {
  ':status': 200,
  'content-type': 'application/proto',
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
  // Drain the request body, then answer the precomputed response.
  stream.on('data', () => {});
  stream.on('end', () => {
    stream.respond(headers);
    stream.end(response);
  });
  stream.on('error', () => {});
});

function stop(): void {
  server.close();
  process.exit(0);
}
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();
process.on('SIGTERM', stop);

server.listen(0, options.host, () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.stdout.write(`${JSON.stringify({ port })}\n`);
});
