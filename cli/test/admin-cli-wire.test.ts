import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { create, equals, type Message } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError, type ConnectRouter } from '@connectrpc/connect';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import {
  AddPeerRequestSchema,
  AdminService,
  CreateGrantRequestSchema,
  DeleteUserRequestSchema,
  ListGrantsRequestSchema,
  PeerStatus,
} from '@mosaic/contracts/v1/admin_pb';
import { GrantStatus, Resource } from '@mosaic/contracts/v1/common_pb';
import { expect } from 'chai';
import {
  type CliResult,
  cleanEnv,
  repoRoot,
  runCli,
  sourceFlags,
  tempDir,
} from '../../test/support/mosaic-process.js';

/*
 * The real CLI process against a stand-in admin API on port 0 (Connect over HTTP/1.1), to check
 * what goes over the wire and what comes out of the terminal until the gateway serves these RPCs.
 */

const at = (iso: string) => timestampFromDate(new Date(iso));
const userId = '0f8fad5b-d9cb-469f-a165-70867728950e';
const grantId = '6f1c2b9e-1c1d-4a51-9d8e-2f3a4b5c6d7e';
const fingerprint = '3b'.repeat(32);
const enrollToken = 'Qk9PTS1zZWNyZXQtdG9rZW4tdmFsdWUtNDMtY2hhcnM';
const enrollmentUrl = `mosaic-enroll://work.example.com:8444/${grantId}?token=${enrollToken}&ca=sha256:${fingerprint}`;
const adminToken = 'test-admin-token';

/** Runs the CLI with `input` on its stdin (runCli gives the child no stdin). */
function runCliWithStdin(args: string[], env: NodeJS.ProcessEnv, input: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [...sourceFlags, path.join(repoRoot, 'cli', 'bin', 'run.js'), ...args],
      {
        env,
        cwd: repoRoot,
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

const grant = {
  id: grantId,
  subjectUserId: userId,
  requestingServer: 'home.example.org',
  scope: {
    resources: [Resource.TASKS],
    excludedResources: [Resource.CREDENTIALS, Resource.API_KEYS],
    maxRowsPerQuery: 500,
  },
  rateLimitRpm: 60,
  status: GrantStatus.PENDING,
  createdAt: at('2030-03-01T09:00:00Z'),
};

describe('mosaic admin commands against a stand-in admin API (CLI process, wire)', function () {
  this.timeout(60_000);
  const received: Array<{ method: string; request: Message; authorization: string | null }> = [];
  let server: Server;
  let endpoint: string;

  before(async () => {
    const routes = (router: ConnectRouter) =>
      router.service(AdminService, {
        async createGrant(request, context) {
          received.push({
            method: 'createGrant',
            request,
            authorization: context.requestHeader.get('authorization'),
          });
          if (request.scopeJson.includes('"files"')) {
            throw new ConnectError(
              'The scope is invalid (2 problems):\n  - resources[1]: "files" is not a resource [rule resource]\n  - max_rows_per_query: must be an integer from 1 to 10000 [rule range] Remedy: Fix every problem listed and retry.',
              Code.InvalidArgument,
            );
          }
          return {
            grant,
            enrollmentUrl,
            enrollmentExpiresAt: timestampFromDate(new Date(Date.now() + 15 * 60_000)),
            caFingerprint: fingerprint,
          };
        },
        async listGrants(request, context) {
          received.push({
            method: 'listGrants',
            request,
            authorization: context.requestHeader.get('authorization'),
          });
          return request.pageToken === ''
            ? { grants: [grant], nextPageToken: 'page-2' }
            : {
                grants: [
                  { ...grant, id: '22222222-2222-4222-8222-222222222222', status: GrantStatus.ACTIVE },
                ],
              };
        },
        async addPeer(request, context) {
          received.push({
            method: 'addPeer',
            request,
            authorization: context.requestHeader.get('authorization'),
          });
          if (request.requestingHostname === 'wrong.example.org') {
            throw new ConnectError(
              `enrollment refused for ${request.enrollmentUrl}: the token is unknown, expired or already used.`,
              Code.PermissionDenied,
            );
          }
          return {
            peer: {
              id: 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa',
              peerHostname: 'work.example.com',
              peerCaFingerprint: fingerprint,
              grantId,
              localUserId: userId,
              clientCertPem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
              certSerial: '1f2e3d',
              certExpiresAt: at('2030-04-01T00:00:00Z'),
              status: PeerStatus.ACTIVE,
              federationEndpoint: 'https://work.example.com:8443',
            },
          };
        },
        async deleteUser(request, context) {
          received.push({
            method: 'deleteUser',
            request,
            authorization: context.requestHeader.get('authorization'),
          });
          return { userId: request.userId, revokedGrantIds: [grantId] };
        },
      });
    server = createServer(connectNodeAdapter({ routes }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  beforeEach(() => {
    received.length = 0;
  });

  const env = () => cleanEnv({ MOSAIC_ENDPOINT: endpoint, MOSAIC_TOKEN: adminToken });

  it('grant create sends the scope file verbatim with the token and prints the grant, then the URL once', async () => {
    const dir = await tempDir();
    try {
      const scopeText = '{\n  "resources": ["tasks"],\n  "max_rows_per_query": 500\n}\n';
      const scopeFile = path.join(dir.path, 'scope.json');
      await writeFile(scopeFile, scopeText);
      const args = [
        'federation',
        'grant',
        'create',
        '--user',
        userId,
        '--peer',
        'home.example.org',
        '--scope-file',
        scopeFile,
        '--rate-limit',
        '90',
      ];
      const human = await runCli(args, env());
      expect(human.code, human.stderr).to.equal(0);
      expect(human.stdout.split(enrollmentUrl)).to.have.length(2);
      expect(human.stdout).to.include(`sha256:${fingerprint}`);
      expect(human.stdout).to.match(/single-use and expires in 1[45] minutes/);
      expect(received).to.have.length(1);
      expect(received[0]!.authorization).to.equal(`Bearer ${adminToken}`);
      expect(
        equals(
          CreateGrantRequestSchema,
          received[0]!.request as never,
          create(CreateGrantRequestSchema, {
            subjectUserId: userId,
            requestingServer: 'home.example.org',
            scopeJson: scopeText,
            rateLimitRpm: 90,
          }),
        ),
      ).to.equal(true);

      const json = await runCli([...args, '--json'], env());
      expect(json.code, json.stderr).to.equal(0);
      const body = JSON.parse(json.stdout);
      expect(body).to.include({ version: 1, enrollmentUrl, caFingerprint: fingerprint });
      expect(body.grant).to.include({ id: grantId, status: 'pending' });
    } finally {
      await dir.remove();
    }
  });

  it('grant create prints every scope problem the gateway lists, one per line, and exits 2', async () => {
    const dir = await tempDir();
    try {
      const scopeFile = path.join(dir.path, 'bad-scope.json');
      await writeFile(scopeFile, '{"resources":["tasks","files"],"max_rows_per_query":0}');
      const result = await runCli(
        [
          'federation',
          'grant',
          'create',
          '--user',
          userId,
          '--peer',
          'home.example.org',
          '--scope-file',
          scopeFile,
        ],
        env(),
      );
      expect(result.code, result.stderr).to.equal(2);
      const lines = result.stderr.split('\n').map((line) => line.replace(/^ › {3}/, ''));
      expect(lines).to.include('    - resources[1]: "files" is not a resource [rule resource]');
      expect(lines.some((line) => line.startsWith('    - max_rows_per_query: must be an integer'))).to.equal(
        true,
      );
      expect(result.stderr).to.include('Remedy: Fix every problem listed and retry.');
    } finally {
      await dir.remove();
    }
  });

  it('grant list reads every page; --json is the versioned view', async () => {
    const result = await runCli(['federation', 'grant', 'list', '--status', 'pending', '--json'], env());
    expect(result.code, result.stderr).to.equal(0);
    const body = JSON.parse(result.stdout);
    expect(body.version).to.equal(1);
    expect(body.grants.map((g: { id: string; status: string }) => [g.id, g.status])).to.deep.equal([
      [grantId, 'pending'],
      ['22222222-2222-4222-8222-222222222222', 'active'],
    ]);
    expect(received.map((r) => (r.request as unknown as { pageToken: string }).pageToken)).to.deep.equal([
      '',
      'page-2',
    ]);
    expect(
      equals(
        ListGrantsRequestSchema,
        received[0]!.request as never,
        create(ListGrantsRequestSchema, { status: GrantStatus.PENDING }),
      ),
    ).to.equal(true);
    const table = await runCli(['federation', 'grant', 'list'], env());
    expect(table.stdout).to.match(/^ID\s+STATUS\s+SUBJECT\s+PEER\s+RATE\s+CREATED\s+LAST USED$/m);
    expect(table.stdout).to.match(
      new RegExp(
        `^${grantId}\\s+○ pending\\s+${userId}\\s+home\\.example\\.org\\s+60/min\\s+2030-03-01 09:00\\s+-$`,
        'm',
      ),
    );
  });

  it('peer add sends the URL and never prints it back, not even in a refusal', async () => {
    const ok = await runCli(
      ['federation', 'peer', 'add', enrollmentUrl, '--hostname', 'home.example.org'],
      env(),
    );
    expect(ok.code, ok.stderr).to.equal(0);
    expect(ok.stdout).to.include(`Enrolled with work.example.com (grant ${grantId}).`);
    expect(
      equals(
        AddPeerRequestSchema,
        received[0]!.request as never,
        create(AddPeerRequestSchema, { enrollmentUrl, requestingHostname: 'home.example.org' }),
      ),
    ).to.equal(true);
    const json = await runCli(['federation', 'peer', 'add', enrollmentUrl, '--json'], env());
    expect(json.code, json.stderr).to.equal(0);
    expect(JSON.parse(json.stdout).peer).to.include({ status: 'active', grantId });
    const refused = await runCli(
      ['federation', 'peer', 'add', enrollmentUrl, '--hostname', 'wrong.example.org'],
      env(),
    );
    expect(refused.code).to.equal(2);
    expect(refused.stderr).to.include('token=<redacted>');
    for (const output of [ok, json, refused]) {
      expect(output.stdout + output.stderr).not.to.include(enrollToken);
      expect(output.stdout + output.stderr).not.to.include('BEGIN CERTIFICATE');
    }
  });

  it('peer add - reads the URL from stdin, keeping it out of argv', async () => {
    const result = await runCliWithStdin(
      ['federation', 'peer', 'add', '-', '--json'],
      env(),
      `${enrollmentUrl}\n`,
    );
    expect(result.code, result.stderr).to.equal(0);
    expect((received[0]!.request as unknown as { enrollmentUrl: string }).enrollmentUrl).to.equal(
      enrollmentUrl,
    );
    expect(result.stdout + result.stderr).not.to.include(enrollToken);
  });

  it('user delete --yes deletes without asking and names the revoked grants', async () => {
    const result = await runCli(['user', 'delete', userId, '--yes'], env());
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stdout).to.include(`Revoked 1 grant whose subject was this user:\n  ${grantId}`);
    expect(
      equals(
        DeleteUserRequestSchema,
        received[0]!.request as never,
        create(DeleteUserRequestSchema, { userId }),
      ),
    ).to.equal(true);
  });
});
