/**
 * L1 transport ceiling: a bare `node:http2` mTLS server in its own process that answers every
 * request with a precomputed body (the bytes of scenario 4's response), nothing else.
 *
 *   node --conditions=mosaic-source --import tsx bench/servers/l1-transport-server.ts '<options JSON>'
 *
 * Prints `{"port": n}` on stdout once listening; exits when its standard input closes (so it
 * never outlives the orchestrator) or on SIGTERM.
 */
import { createMtlsReplayServer, type MtlsReplayOptions } from '../lib/mtls-replay-server.js';
import { listenUntilOrphaned } from '../lib/server-lifecycle.js';

const options = JSON.parse(process.argv[2] ?? '{}') as MtlsReplayOptions;
listenUntilOrphaned(createMtlsReplayServer(options), options.host, async () => {});
