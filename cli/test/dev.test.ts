import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { cleanEnv, MosaicProcess, runCli, tempDir } from '../../test/support/mosaic-process.js';
import type { DevJson } from '../src/dev/dev-summary.js';
import type { UserListJson } from '../src/render/directory-view.js';
import type { GrantListJson } from '../src/render/grant-view.js';
import type { PeerListJson } from '../src/render/peer-view.js';

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Starts one gateway of the demo again on its data dir, as `mosaic dev` does, runs `check` with an
 * environment that names only the data dir (the CLI finds the admin URL and the local admin token
 * by itself), and stops it.
 */
async function withGateway<T>(
  gateway: { host: string; dataDir: string },
  check: (env: NodeJS.ProcessEnv) => Promise<T>,
): Promise<T> {
  const listen = `${gateway.host}:0`;
  const server = new MosaicProcess(
    ['serve', '--target=all', '--dev'],
    cleanEnv({
      MOSAIC_STORAGE_TIER: 'local',
      MOSAIC_DATA_DIR: gateway.dataDir,
      MOSAIC_LISTEN: listen,
      MOSAIC_ADMIN_LISTEN: listen,
      MOSAIC_ENROLLMENT_LISTEN: listen,
      MOSAIC_FEDERATION_LISTEN: listen,
      MOSAIC_PUBLIC_HOSTNAME: gateway.host,
    }),
    { cwd: gateway.dataDir },
  );
  try {
    await server.waitFor(/is up — tier local/, 120_000);
    return await check(cleanEnv({ MOSAIC_DATA_DIR: gateway.dataDir }));
  } finally {
    await server.stop();
  }
}

async function mosaicJson<T>(args: string[], env: NodeJS.ProcessEnv): Promise<T> {
  const result = await runCli([...args, '--json'], env);
  expect(result.code, `mosaic ${args.join(' ')}: ${result.stderr}${result.stdout}`).to.equal(0);
  return JSON.parse(result.stdout) as T;
}

describe('mosaic dev: the two-gateway harness (real processes)', function () {
  this.timeout(180_000);
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let first: DevJson | undefined;

  before(async () => {
    dir = await tempDir('mosaic-dev-test-');
  });
  after(async () => {
    await dir?.remove();
  });

  it('mosaic dev: --setup-only --json --keep starts B and A, seeds B, onboards the grant, stops and exits 0', async () => {
    const result = await runCli(['dev', '--setup-only', '--json', '--keep', '--dir', dir.path], cleanEnv());
    expect(result.code, `${result.stderr}\n${result.stdout}`).to.equal(0);
    const view = JSON.parse(result.stdout) as DevJson;
    expect(view).to.have.all.keys('version', 'dir', 'a', 'b', 'users', 'teams', 'grantId', 'peerId');
    expect(view.version).to.equal(1);
    expect(view.dir).to.equal(dir.path);
    expect(view.a).to.include({ host: '127.0.0.2' });
    expect(view.b).to.include({ host: '127.0.0.3' });
    expect(view.a.adminUrl).to.match(/^http:\/\/127\.0\.0\.2:\d+$/);
    expect(view.b.adminUrl).to.match(/^http:\/\/127\.0\.0\.3:\d+$/);
    expect(view.a.dataDir).to.not.equal(view.b.dataDir);
    expect(view.a.dataDir.startsWith(dir.path)).to.equal(true);
    expect(view.b.dataDir.startsWith(dir.path)).to.equal(true);
    expect(view.users).to.have.all.keys('alice', 'bob');
    expect(view.teams).to.have.all.keys('platform', 'finance');
    for (const id of [
      ...Object.values(view.users),
      ...Object.values(view.teams),
      view.grantId,
      view.peerId,
    ]) {
      expect(id).to.match(uuid);
    }
    // No enrollment token (nor any other secret) in what the harness prints.
    expect(result.stdout + result.stderr).not.to.match(/token=/);
    first = view;
  });

  it('mosaic dev: B shows alice and bob and the grant active; A shows the peer active for 127.0.0.3', async function () {
    if (!first) this.skip();
    const view = first!;
    await withGateway(view.b, async (env) => {
      const { users } = await mosaicJson<UserListJson>(['user', 'list'], env);
      expect(users.map((user) => user.username)).to.include.members(['alice', 'bob']);
      const alice = users.find((user) => user.username === 'alice')!;
      expect(alice.id).to.equal(view.users.alice);
      expect(alice.teamIds).to.deep.equal([view.teams.platform]);

      const { grants } = await mosaicJson<GrantListJson>(['federation', 'grant', 'list'], env);
      expect(grants).to.have.length(1);
      expect(grants[0]).to.include({
        id: view.grantId,
        status: 'active',
        subjectUserId: view.users.alice,
        requestingServer: '127.0.0.2',
      });
      expect(grants[0]!.scope?.resources).to.have.members(['tasks', 'notes', 'memory']);
    });
    await withGateway(view.a, async (env) => {
      const { peers } = await mosaicJson<PeerListJson>(['federation', 'peer', 'list'], env);
      expect(peers).to.have.length(1);
      expect(peers[0]).to.include({
        id: view.peerId,
        status: 'active',
        peerHostname: '127.0.0.3',
        grantId: view.grantId,
        remoteUserId: view.users.alice,
      });
    });
  });

  it('mosaic dev: a second run on the same --dir reuses the data: same ids, no second grant or peer', async function () {
    if (!first) this.skip();
    const view = first!;
    const result = await runCli(['dev', '--setup-only', '--json', '--dir', dir.path], cleanEnv());
    expect(result.code, `${result.stderr}\n${result.stdout}`).to.equal(0);
    const again = JSON.parse(result.stdout) as DevJson;
    expect(again).to.deep.include({
      dir: view.dir,
      users: view.users,
      teams: view.teams,
      grantId: view.grantId,
      peerId: view.peerId,
    });
    await withGateway(view.b, async (env) => {
      const { grants } = await mosaicJson<GrantListJson>(['federation', 'grant', 'list'], env);
      expect(grants.map((grant) => [grant.id, grant.status])).to.deep.equal([[view.grantId, 'active']]);
      const { users } = await mosaicJson<UserListJson>(['user', 'list'], env);
      expect(users.filter((user) => ['alice', 'bob'].includes(user.username))).to.have.length(2);
    });
    await withGateway(view.a, async (env) => {
      const { peers } = await mosaicJson<PeerListJson>(['federation', 'peer', 'list'], env);
      expect(peers.map((peer) => peer.id)).to.deep.equal([view.peerId]);
      // B listened for federation where A's peer calls it, on both runs (a port picked afresh on
      // the second run left the enrolled peer calling a closed port).
      const log = await readFile(path.join(view.dir, 'logs', 'b.log'), 'utf8');
      const federationUrls = [...log.matchAll(/"listener":"federation","url":"([^"]+)"/g)].map((m) => m[1]);
      expect(federationUrls).to.have.length(2);
      expect(new Set(federationUrls)).to.deep.equal(new Set([peers[0]!.federationEndpoint]));
    });
  });
});
