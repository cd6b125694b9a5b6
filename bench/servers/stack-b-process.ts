/**
 * Scenario 4's serving stack B in microservices mode, as production runs it: ca, grants, audit and
 * the gateway each in a process of its own (service-process.mjs; the gateway with the Node flags of
 * its image), on one random Postgres database and one random Valkey prefix. This process only
 * coordinates: it starts them, seeds one user with 100 personal tasks and a grant for the
 * requesting stack A with the highest rate limit (100 000/min), and reports their usage.
 *
 * Run with `child_process.fork` (IPC), argv[2] = JSON {from: 'dist' | 'source'}. Parent → child:
 * `{type: 'cpu', resetPeak?}` (answered with the gateway's usage and each service's),
 * `{type: 'shutdown'}`. Child → parent: `ready`, `failed`, `cpu`, `closed`. Everything is closed
 * (processes ended, database dropped, keys deleted) on shutdown, on SIGTERM/SIGINT and when the
 * parent goes away (IPC disconnect).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { AdminService } from '@mosaic/contracts/v1/admin_pb';
import { deriveEd25519, mintAdminToken } from '@mosaic/platform';
import { bearerClient } from '../../test/support/bearer-client.js';
import { randomInternalKey, tempDir } from '../../test/support/mosaic-process.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.js';
import { deletePrefix, randomPrefix, redisUrl } from '../../test/support/redis.js';
import { gatewayImageFlags } from '../lib/gateway-image-flags.js';
import type { ProcessUsage } from './process-usage.js';
import {
  maxRateLimitRpm,
  requestingHost,
  type StackBMessage,
  servingHost,
  taskCount,
} from './stack-b-protocol.js';

type ServiceName = 'ca' | 'grants' | 'audit' | 'gateway';

/** dist: bare node on the compiled packages (as the images run); source: the TypeScript through tsx. */
const { from } = JSON.parse(process.argv[2] ?? '{"from":"dist"}') as { from: 'dist' | 'source' };
const sourceFlags = ['--conditions=mosaic-source', '--import', 'tsx'];

function send(message: StackBMessage): void {
  if (process.connected) process.send?.(message);
}

const prefix = randomPrefix();
const secrets = { MOSAIC_INTERNAL_KEY: randomInternalKey(), MOSAIC_MASTER_KEY: randomInternalKey() };
let db: TestDatabase | undefined;
let dataDir: Awaited<ReturnType<typeof tempDir>> | undefined;
const services = new Map<ServiceName, ChildProcess>();
let closing: Promise<void> | undefined;

/** Node flags of one service's process: the gateway's image flags, and the bench's trial knobs. */
function nodeFlags(target: ServiceName): string[] {
  const profile = process.env.MOSAIC_BENCH_CPU_PROF;
  return [
    ...(from === 'source' ? sourceFlags : []),
    ...(target === 'gateway' ? gatewayImageFlags() : []),
    ...(target === 'gateway' ? (process.env.MOSAIC_BENCH_B_NODE_FLAGS ?? '').split(' ').filter(Boolean) : []),
    ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : []),
  ];
}

/** Starts one service process and waits for its URLs. */
function startService(
  target: ServiceName,
  configEnv: Record<string, string>,
): Promise<{ internalUrl: string; adminUrl: string }> {
  const child = fork(new URL('./service-process.mjs', import.meta.url), [], { execArgv: nodeFlags(target) });
  services.set(target, child);
  // Over IPC, not argv: the secrets must not show in the process list.
  child.send({
    type: 'start',
    options: { target, configEnv: { ...configEnv, MOSAIC_VALKEY_PREFIX: prefix }, secrets },
  });
  return new Promise((resolve, reject) => {
    child.on(
      'message',
      (message: { type: string; internalUrl?: string; adminUrl?: string; message?: string }) => {
        if (message.type === 'ready')
          resolve({ internalUrl: message.internalUrl!, adminUrl: message.adminUrl! });
        else if (message.type === 'failed') reject(new Error(`${target} service failed: ${message.message}`));
      },
    );
    child.once('exit', (code) =>
      reject(new Error(`${target} service exited with ${code} before it was ready`)),
    );
  });
}

function serviceUsage(target: ServiceName, resetPeak: boolean): Promise<ProcessUsage> {
  const child = services.get(target)!;
  return new Promise((resolve) => {
    const onMessage = (message: { type: string } & ProcessUsage) => {
      if (message.type !== 'usage') return;
      child.off('message', onMessage);
      resolve(message);
    };
    child.on('message', onMessage);
    child.send({ type: 'usage', resetPeak });
  });
}

function close(): Promise<void> {
  closing ??= (async () => {
    const deadline = setTimeout(() => process.exit(1), 30_000);
    try {
      // The gateway first (it drains its requests and audit buffer), then the services it calls.
      const stop = (child: ChildProcess) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || !child.connected) return resolve();
          child.once('exit', () => resolve());
          child.send({ type: 'shutdown' });
        });
      const gateway = services.get('gateway');
      if (gateway) await stop(gateway);
      await Promise.all(
        [...services.entries()].filter(([name]) => name !== 'gateway').map(([, child]) => stop(child)),
      );
      await db?.drop();
      await dataDir?.remove();
      await deletePrefix(prefix);
    } finally {
      clearTimeout(deadline);
    }
  })();
  return closing;
}

async function shutdown(exitCode: number): Promise<never> {
  try {
    await close();
    send({ type: 'closed' });
  } catch (error) {
    process.stderr.write(
      `stack B: close failed: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    exitCode = 1;
  }
  if (process.connected) process.disconnect();
  process.exit(exitCode);
}

process.on('message', (message: { type: string; resetPeak?: boolean }) => {
  if (message.type === 'cpu') {
    void (async () => {
      const resetPeak = message.resetPeak ?? false;
      const names: ServiceName[] = ['ca', 'grants', 'audit'];
      const [gateway, ...others] = await Promise.all(
        (['gateway', ...names] as const).map((name) => serviceUsage(name, resetPeak)),
      );
      send({
        type: 'cpu',
        gateway: gateway!,
        services: Object.fromEntries(names.map((name, i) => [name, others[i]!])),
      });
    })();
  } else if (message.type === 'shutdown') {
    void shutdown(0);
  }
});
process.on('disconnect', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));
process.on('SIGINT', () => void shutdown(0));

try {
  db = await createTestDatabase();
  dataDir = await tempDir();
  const common = {
    MOSAIC_STORAGE_TIER: 'federated',
    DATABASE_URL: db.url,
    VALKEY_URL: redisUrl,
    MOSAIC_MEMORY_TYPE: 'keyword',
    MOSAIC_DATA_DIR: dataDir.path,
    MOSAIC_LISTEN: `${servingHost}:0`,
    MOSAIC_ADMIN_LISTEN: `${servingHost}:0`,
    MOSAIC_ENROLLMENT_LISTEN: `${servingHost}:0`,
    MOSAIC_FEDERATION_LISTEN: `${servingHost}:0`,
    MOSAIC_PUBLIC_HOSTNAME: servingHost,
  };
  const [ca, audit] = await Promise.all([startService('ca', common), startService('audit', common)]);
  const urls = { MOSAIC_CA_URL: ca.internalUrl, MOSAIC_AUDIT_URL: audit.internalUrl };
  const grants = await startService('grants', { ...common, ...urls });
  const gateway = await startService('gateway', {
    ...common,
    ...urls,
    MOSAIC_GRANTS_URL: grants.internalUrl,
  });
  const { token: adminToken } = await mintAdminToken(
    deriveEd25519(Buffer.from(secrets.MOSAIC_MASTER_KEY, 'base64url'), 'admin-token v1'),
    { subject: 'bench-admin', ttlSeconds: 3600 },
  );
  const admin = bearerClient(AdminService, gateway.adminUrl, adminToken);
  const { user } = await admin.createUser({ username: 'bench-owner' });
  const userId = user!.id;
  for (let first = 0; first < taskCount; first += 10) {
    await Promise.all(
      Array.from({ length: Math.min(10, taskCount - first) }, (_, offset) =>
        admin.createItem({
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
  const created = await admin.createGrant({
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
      databaseUrl: db.url,
      adminUrl: gateway.adminUrl,
      adminToken,
      pids: {
        gateway: services.get('gateway')!.pid!,
        services: (['ca', 'grants', 'audit'] as const).map((name) => services.get(name)!.pid!),
      },
    },
  });
} catch (error) {
  send({ type: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  await shutdown(1);
}
