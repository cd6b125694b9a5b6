/**
 * L2 data ceiling: L1 (bare `node:http2` mTLS, precomputed response bytes) plus, per request, the
 * SQL statement the federation List runs, through `pg` against stack B's own database. The
 * difference between L1 and L2 is the cost of the data; between L2 and ours, the cost of our code.
 *
 *   node --conditions=mosaic-source --import tsx bench/servers/l2-data-server.ts '<options JSON>'
 *
 * Fails at startup unless the statement returns the 100 tasks. Prints `{"port": n}` on stdout
 * once listening; exits when its standard input closes or on SIGTERM.
 */
import type { ListQueryTarget } from '../lib/list-query.js';
import { openListQuery } from '../lib/list-query.js';
import { createMtlsReplayServer, type MtlsReplayOptions } from '../lib/mtls-replay-server.js';
import { listenUntilOrphaned } from '../lib/server-lifecycle.js';

export type L2Options = MtlsReplayOptions & ListQueryTarget;

const options = JSON.parse(process.argv[2] ?? '{}') as L2Options;
const query = await openListQuery(options);
const server = createMtlsReplayServer(options, () => query.run());
listenUntilOrphaned(server, options.host, () => query.close());
