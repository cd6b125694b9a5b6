import type { Client } from '@connectrpc/connect';
import { AdminService } from '@mosaic/contracts/v1/admin_pb';
import {
  createBullmqAdapters,
  createLogger,
  deriveEd25519,
  grantGenerationKey,
  loadConfig,
  type MosaicConfig,
  mintAdminToken,
} from '@mosaic/platform';
import { type RunningTarget, runTarget } from '@mosaic/server';
import { bearerClient } from './bearer-client.js';
import { randomInternalKey, tempDir } from './mosaic-process.js';
import { createTestDatabase, type TestDatabase } from './postgres.js';
import { deletePrefix, randomPrefix, redisUrl } from './redis.js';

/**
 * One complete gateway stack in this process (federated tier: its own Postgres database, its own
 * Valkey prefix, its own secrets), with every listener on `host` (127.0.0.x) and a free port.
 */
export interface TestStack {
  host: string;
  config: MosaicConfig;
  running: RunningTarget;
  db: TestDatabase;
  /** The secrets this stack runs with (MOSAIC_INTERNAL_KEY, MOSAIC_MASTER_KEY). */
  env: Record<string, string>;
  admin: Client<typeof AdminService>;
  /** The admin bearer token `admin` sends (1 h). */
  adminToken: string;
  /**
   * What the grants service does after a committed change, for tests that change a grant's row
   * behind its back: bumps the grant's generation marker so the gateways' grant caches re-read it.
   */
  announceGrantChange(grantId: string): Promise<void>;
  close(): Promise<void>;
}

export interface StackOptions {
  tier?: 'federated' | 'standalone';
  /** Settings over the loaded config, e.g. a client certificate lifetime of seconds. */
  config?: Partial<MosaicConfig>;
}

export async function startStack(host: string, options: StackOptions = {}): Promise<TestStack> {
  const db = await createTestDatabase();
  const dataDir = await tempDir();
  const prefix = randomPrefix();
  const env = { MOSAIC_INTERNAL_KEY: randomInternalKey(), MOSAIC_MASTER_KEY: randomInternalKey() };
  const loaded = loadConfig({
    env: {
      MOSAIC_STORAGE_TIER: options.tier ?? 'federated',
      DATABASE_URL: db.url,
      VALKEY_URL: redisUrl,
      // In the config, not beside it: a target started again from this config (a restart) shares it.
      MOSAIC_VALKEY_PREFIX: prefix,
      MOSAIC_MEMORY_TYPE: 'keyword',
      MOSAIC_DATA_DIR: dataDir.path,
      MOSAIC_LISTEN: `${host}:0`,
      MOSAIC_ADMIN_LISTEN: `${host}:0`,
      MOSAIC_ENROLLMENT_LISTEN: `${host}:0`,
      MOSAIC_FEDERATION_LISTEN: `${host}:0`,
      MOSAIC_PUBLIC_HOSTNAME: host,
    },
  });
  const config: MosaicConfig = { ...loaded, ...options.config };
  let running: RunningTarget;
  try {
    running = await runTarget({
      target: 'all',
      config,
      env,
      logger: createLogger({
        service: `stack-${host}`,
        level: process.env.MOSAIC_TEST_LOG_LEVEL ?? 'silent',
      }),
    });
  } catch (error) {
    await db.drop();
    await dataDir.remove();
    throw error;
  }
  const { token } = await mintAdminToken(
    deriveEd25519(Buffer.from(env.MOSAIC_MASTER_KEY, 'base64url'), 'admin-token v1'),
    { subject: 'test-admin', ttlSeconds: 3600 },
  );
  const admin = bearerClient(AdminService, running.adminUrl!, token);
  return {
    host,
    config,
    running,
    db,
    env,
    admin,
    adminToken: token,
    async announceGrantChange(grantId) {
      const adapters = createBullmqAdapters({ url: redisUrl, prefix, connectionName: 'test-announce' });
      try {
        await adapters.generations.bump(grantGenerationKey(grantId));
      } finally {
        await adapters.close();
      }
    },
    async close() {
      await running.close();
      await db.drop();
      await dataDir.remove();
      await deletePrefix(prefix);
    },
  };
}

/**
 * The requesting stack A (127.0.0.2) and the serving stack B (127.0.0.3) of the enclosing describe:
 * started in its `before` hook, closed in its `after` hook. Read them inside the tests.
 */
export function twoStacks(options: { b?: StackOptions } = {}): { a: TestStack; b: TestStack } {
  const stacks = {} as { a: TestStack; b: TestStack };
  before(async () => {
    [stacks.a, stacks.b] = await Promise.all([startStack('127.0.0.2'), startStack('127.0.0.3', options.b)]);
  });
  after(async () => {
    await Promise.all([stacks.a?.close(), stacks.b?.close()]);
  });
  return stacks;
}

/** Creates a user on the stack and a grant for `peerHost` with the given scope; returns the URL. */
export async function createGrantFor(
  stack: TestStack,
  options: { peerHost: string; scope?: unknown; username?: string },
): Promise<{ userId: string; grantId: string; enrollmentUrl: string; caFingerprint: string }> {
  const { user } = await stack.admin.createUser({
    username: options.username ?? `user-${Math.random().toString(36).slice(2, 8)}`,
  });
  const created = await stack.admin.createGrant({
    subjectUserId: user!.id,
    requestingServer: options.peerHost,
    scopeJson: JSON.stringify(options.scope ?? { resources: ['tasks', 'notes'] }),
  });
  return {
    userId: user!.id,
    grantId: created.grant!.id,
    enrollmentUrl: created.enrollmentUrl,
    caFingerprint: created.caFingerprint,
  };
}

/** A grant on B for A (a new user of B; scope tasks unless given) and A's peer, enrolled with it. */
export async function enrolledPeer(
  stacks: { a: TestStack; b: TestStack },
  scope: unknown = { resources: ['tasks'] },
): Promise<{ userId: string; grantId: string; peerId: string }> {
  const { userId, grantId, enrollmentUrl } = await createGrantFor(stacks.b, {
    peerHost: stacks.a.host,
    scope,
  });
  const { peer } = await stacks.a.admin.addPeer({ enrollmentUrl });
  return { userId, grantId, peerId: peer!.id };
}

/** host:port of the enrollment listener, read from an enrollment URL. */
export function enrollmentOrigin(enrollmentUrl: string): { host: string; port: number; token: string } {
  const url = new URL(enrollmentUrl);
  return { host: url.hostname, port: Number(url.port), token: url.searchParams.get('token')! };
}
