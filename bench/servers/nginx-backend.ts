/**
 * The backend behind nginx in the off-the-shelf alternative: a bare `node:http` HTTP/1.1 server
 * (nginx terminates mTLS and HTTP/2 in front of it) that does what L2 does per request: runs the
 * List statement through `pg` against stack B's database, then answers the precomputed bytes of
 * scenario 4's response with the same content type.
 *
 *   node --conditions=mosaic-source --import tsx bench/servers/nginx-backend.ts '<options JSON>'
 *
 * Fails at startup unless the statement returns the 100 tasks. Prints `{"port": n}` on stdout
 * once listening; exits when its standard input closes or on SIGTERM.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { type ListQueryTarget, openListQuery } from '../lib/list-query.js';
import { replayContentType } from '../lib/mtls-replay-server.js';
import { listenUntilOrphaned } from '../lib/server-lifecycle.js';
import { backendKeepAliveMs } from './nginx-conf.js';

export interface NginxBackendOptions extends ListQueryTarget {
  host: string;
  responseFile: string;
}

const options = JSON.parse(process.argv[2] ?? '{}') as NginxBackendOptions;
const response = readFileSync(options.responseFile);
const query = await openListQuery(options);

const server = http.createServer((request, reply) => {
  request.on('data', () => {});
  request.on('end', () => {
    query.run().then(
      () => {
        reply.writeHead(200, { 'content-type': replayContentType, 'content-length': response.byteLength });
        reply.end(response);
      },
      (error: unknown) => {
        // nginx passes the 500 through; the load generator counts it as an error and reports it.
        reply.writeHead(500, { 'content-type': 'text/plain' });
        reply.end(`List query failed: ${error instanceof Error ? error.message : String(error)}`);
      },
    );
  });
});
server.keepAliveTimeout = backendKeepAliveMs;
listenUntilOrphaned(server, options.host, () => query.close());
