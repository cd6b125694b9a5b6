/**
 * The lifecycle every long-running bench server shares (see `startServer` in processes.ts): print
 * one JSON line on stdout once ready, and end when the orchestrator's pipe to its standard input
 * closes (so it never outlives the orchestrator, even one killed with SIGKILL) or on SIGTERM/SIGINT.
 */
import type { AddressInfo, Server } from 'node:net';

/** Longest a server may take to release what it holds before it exits anyway. */
const closeDeadlineMs = 5_000;

/** Tells the orchestrator this server is ready: the first line on stdout, read by `startServer`. */
export function announceReady(ready: object): void {
  process.stdout.write(`${JSON.stringify(ready)}\n`);
}

/** Runs `close` once, then exits, when standard input closes or on SIGTERM/SIGINT. */
export function exitWhenOrphaned(close: () => Promise<void> | void): void {
  let closing = false;
  const stop = () => {
    if (closing) return;
    closing = true;
    setTimeout(() => process.exit(1), closeDeadlineMs).unref();
    Promise.resolve()
      .then(close)
      .then(
        () => process.exit(0),
        (error: unknown) => {
          process.stderr.write(`close failed: ${error instanceof Error ? error.message : String(error)}\n`);
          process.exit(1);
        },
      );
  };
  process.stdin.on('end', stop);
  process.stdin.on('close', stop);
  process.stdin.resume();
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

/** Listens on a free port of `host`, announces `{port}`, and exits (after `close`) when orphaned. */
export function listenUntilOrphaned(server: Server, host: string, close: () => Promise<void> | void): void {
  exitWhenOrphaned(async () => {
    // Open keep-alive connections would hold close() forever; the process exits right after.
    server.close();
    await close();
  });
  server.listen(0, host, () => announceReady({ port: (server.address() as AddressInfo).port }));
}
