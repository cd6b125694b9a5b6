/**
 * Scenario 4's serving stack B in its own process: a complete federated-tier stack (its own random
 * Postgres database and Valkey prefix, see test/support/stack.ts), one user with 100 personal
 * tasks and a grant for the requesting stack A with the highest rate limit (100 000/min).
 *
 * Run with `child_process.fork` (IPC). Messages, parent → child: `{type: 'cpu'}` (answered with the
 * process's cumulative CPU time), `{type: 'shutdown'}`. Child → parent: `ready`, `failed`, `cpu`,
 * `closed`. The stack is closed (database dropped, keys deleted) on shutdown, on SIGTERM/SIGINT and
 * when the parent goes away (IPC disconnect).
 */
import { startStack, type TestStack } from '../../test/support/stack.js';
import {
  maxRateLimitRpm,
  requestingHost,
  type StackBMessage,
  servingHost,
  taskCount,
} from './stack-b-protocol.js';

function send(message: StackBMessage): void {
  process.send?.(message);
}

let stack: TestStack | undefined;
let closing: Promise<void> | undefined;
function close(): Promise<void> {
  closing ??= (async () => {
    const deadline = setTimeout(() => process.exit(1), 20_000);
    try {
      await stack?.close();
    } finally {
      clearTimeout(deadline);
    }
  })();
  return closing;
}

async function shutdown(exitCode: number): Promise<never> {
  try {
    await close();
    if (process.connected) send({ type: 'closed' });
  } catch (error) {
    process.stderr.write(
      `stack B: close failed: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    exitCode = 1;
  }
  process.disconnect?.();
  process.exit(exitCode);
}

process.on('message', (message: { type: string }) => {
  if (message.type === 'cpu') {
    const usage = process.resourceUsage();
    send({
      type: 'cpu',
      userMicros: usage.userCPUTime,
      systemMicros: usage.systemCPUTime,
      maxRssKb: usage.maxRSS,
    });
  } else if (message.type === 'shutdown') {
    void shutdown(0);
  }
});
process.on('disconnect', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));
process.on('SIGINT', () => void shutdown(0));

try {
  stack = await startStack(servingHost);
  const { user } = await stack.admin.createUser({ username: 'bench-owner' });
  const userId = user!.id;
  for (let first = 0; first < taskCount; first += 10) {
    await Promise.all(
      Array.from({ length: Math.min(10, taskCount - first) }, (_, offset) =>
        stack!.admin.createItem({
          item: {
            item: {
              case: 'task',
              value: {
                title: `bench task ${first + offset + 1}`,
                owner: { owner: { case: 'userId', value: userId } },
              },
            },
          },
        }),
      ),
    );
  }
  const created = await stack.admin.createGrant({
    subjectUserId: userId,
    requestingServer: requestingHost,
    scopeJson: JSON.stringify({ resources: ['tasks'] }),
    rateLimitRpm: maxRateLimitRpm,
  });
  send({
    type: 'ready',
    ready: {
      enrollmentUrl: created.enrollmentUrl,
      grantId: created.grant!.id,
      userId,
      databaseUrl: stack.db.url,
      adminUrl: stack.running.adminUrl!,
      adminToken: stack.adminToken,
    },
  });
} catch (error) {
  send({ type: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  await shutdown(1);
}
