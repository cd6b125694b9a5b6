import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import {
  federatedEnv,
  MosaicProcess,
  readRunFile,
  runCli,
  tempDir,
} from '../../../../test/support/mosaic-process.js';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/postgres.js';
import { deletePrefix } from '../../../../test/support/redis.js';
import { OpensslWorkspace } from '../../../ca/test/support/pki.js';

interface ProcessStack {
  host: string;
  env: NodeJS.ProcessEnv;
  db: TestDatabase;
  server: MosaicProcess;
  dataDir: Awaited<ReturnType<typeof tempDir>>;
}

/** One gateway stack as a separate process (federated tier, its own database), on `host`. */
async function startProcessStack(host: string): Promise<ProcessStack> {
  const db = await createTestDatabase();
  const dataDir = await tempDir();
  const env = federatedEnv({
    databaseUrl: db.url,
    dataDir: dataDir.path,
    host,
    extra: {
      MOSAIC_ENROLLMENT_LISTEN: `${host}:0`,
      MOSAIC_FEDERATION_LISTEN: `${host}:0`,
      MOSAIC_PUBLIC_HOSTNAME: host,
    },
  });
  const server = new MosaicProcess(['serve', '--target=all'], env);
  await server.waitFor(/is up — tier federated/);
  const minted = await runCli(['admin', 'token', 'create', '--json'], env);
  expect(minted.code, minted.stderr).to.equal(0);
  env.MOSAIC_TOKEN = (JSON.parse(minted.stdout) as { token: string }).token;
  env.MOSAIC_ENDPOINT = readRunFile(dataDir.path, 'all')!.adminUrl!;
  return { host, env, db, server, dataDir };
}

async function mosaic<T>(stack: ProcessStack, args: string[]): Promise<T> {
  const result = await runCli([...args, '--json'], stack.env);
  expect(result.code, `mosaic ${args.join(' ')}: ${result.stderr}${result.stdout}`).to.equal(0);
  return JSON.parse(result.stdout) as T;
}

interface Onboarded {
  user: { id: string };
  created: { grant: { id: string; status: string }; enrollmentUrl: string; caFingerprint: string };
  added: Awaited<ReturnType<typeof runCli>>;
}

/** B creates alice and a grant for A; A runs `peer add` with the enrollment URL. */
async function onboardAlice(a: ProcessStack, b: ProcessStack): Promise<Onboarded> {
  const { user } = await mosaic<{ user: { id: string } }>(b, ['user', 'create', 'alice']);
  const scopeFile = path.join(b.dataDir.path, 'scope.json');
  await writeFile(scopeFile, JSON.stringify({ resources: ['tasks', 'notes', 'memory'] }));
  const created = await mosaic<Onboarded['created']>(b, [
    'federation',
    'grant',
    'create',
    '--user',
    user.id,
    '--peer',
    '127.0.0.2',
    '--scope-file',
    scopeFile,
  ]);
  const added = await runCli(['federation', 'peer', 'add', created.enrollmentUrl, '--json'], a.env);
  return { user, created, added };
}

describe('M2-6 onboarding through the real CLI, two gateway processes (e2e)', function () {
  this.timeout(180_000);
  let a: ProcessStack;
  let b: ProcessStack;
  let workspace: OpensslWorkspace;

  before(async () => {
    [a, b] = await Promise.all([startProcessStack('127.0.0.2'), startProcessStack('127.0.0.3')]);
    workspace = await OpensslWorkspace.create();
  });
  after(async () => {
    for (const stack of [a, b]) {
      if (!stack) continue;
      await stack.server.stop();
      await stack.db.drop();
      await stack.dataDir.remove();
      await deletePrefix(stack.env.MOSAIC_VALKEY_PREFIX!);
    }
    await workspace?.remove();
  });

  /**
   * Onboarding runs once, on first use, so each test can ask for it and still run alone
   * under a --grep that picks only it.
   */
  let onboarding: Promise<Onboarded> | undefined;
  const onboard = (): Promise<Onboarded> => {
    onboarding ??= onboardAlice(a, b);
    return onboarding;
  };

  it('M2-6 / AC-1: peer add <url> on A yields an active peer with a valid certificate and sealed key; the grant on B turns active', async () => {
    const { user, created, added } = await onboard();
    expect(created.grant.status).to.equal('pending');
    expect(added.code, added.stderr).to.equal(0);
    expect(added.stdout + added.stderr).not.to.include(
      new URL(created.enrollmentUrl).searchParams.get('token')!,
    );
    const { peer } = JSON.parse(added.stdout) as {
      peer: { id: string; status: string; grantId: string; peerHostname: string; remoteUserId: string };
    };
    expect(peer).to.include({
      status: 'active',
      grantId: created.grant.id,
      peerHostname: '127.0.0.3',
      remoteUserId: user.id,
    });

    // The certificate A holds verifies against B's root (whose fingerprint the URL pinned).
    const rows = await a.db.query<{ client_cert_pem: string; client_key_sealed: Buffer }>(
      'SELECT client_cert_pem, client_key_sealed FROM gateway.peers WHERE id = $1',
      [peer.id],
    );
    const bundleUrl = `http://127.0.0.3:${new URL(created.enrollmentUrl).port}/.well-known/mosaic/trust-bundle`;
    const bundle = (await (await fetch(bundleUrl)).json()) as { roots: Array<{ certificatePem: string }> };
    await workspace.write('b-root.pem', bundle.roots[0]!.certificatePem);
    await workspace.write('a-client.pem', rows[0]!.client_cert_pem);
    const verify = await workspace.run([
      'verify',
      '-CAfile',
      'b-root.pem',
      '-purpose',
      'sslclient',
      'a-client.pem',
    ]);
    expect(verify.output).to.include('a-client.pem: OK');
    const fingerprint = await workspace.run([
      'x509',
      '-in',
      'b-root.pem',
      '-noout',
      '-fingerprint',
      '-sha256',
    ]);
    expect(fingerprint.stdout.replaceAll(':', '').toLowerCase()).to.include(created.caFingerprint);
    // The key is sealed: no PEM in the raw column.
    expect(rows[0]!.client_key_sealed.toString('latin1')).not.to.include('BEGIN');

    const shown = await mosaic<{ grant: { status: string; activeCertSerial: string } }>(b, [
      'federation',
      'grant',
      'show',
      created.grant.id,
    ]);
    expect(shown.grant.status).to.equal('active');
    const peers = await mosaic<{ peers: Array<{ id: string; status: string }> }>(a, [
      'federation',
      'peer',
      'list',
    ]);
    expect(peers.peers).to.deep.equal([{ ...peers.peers[0], id: peer.id, status: 'active' }]);
  });

  it("mosaic federation audit --json shows the grant's trail, and --outcome filters it", async () => {
    const grantId = (await onboard()).created.grant.id;
    let verbs: string[] = [];
    for (let attempt = 0; attempt < 100 && !verbs.includes('enroll'); attempt += 1) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 50));
      const { events } = await mosaic<{ events: Array<{ verb: string; outcome: string; grantId: string }> }>(
        b,
        ['federation', 'audit', '--grant', grantId],
      );
      verbs = events.map((event) => event.verb);
      expect(events.every((event) => event.grantId === grantId)).to.equal(true);
    }
    expect(verbs).to.include.members(['grant_create', 'enrollment_token_create', 'enroll']);
    const denied = await mosaic<{ events: unknown[] }>(b, [
      'federation',
      'audit',
      '--grant',
      grantId,
      '--outcome',
      'denied',
    ]);
    expect(denied.events).to.deep.equal([]);
    const bad = await runCli(['federation', 'audit', '--since', 'yesterday-ish'], b.env);
    expect(bad.code).to.equal(2);
  });
});
