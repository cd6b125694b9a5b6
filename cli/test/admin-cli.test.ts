import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { type CliResult, cleanEnv, runCli, tempDir } from '../../test/support/mosaic-process.js';
import { COMMANDS } from '../src/index.js';

/** Every command this change adds; each must have --help with --json and its usage line. */
const adminCommands = [
  'federation:grant:create',
  'federation:grant:list',
  'federation:grant:show',
  'federation:grant:update',
  'federation:grant:revoke',
  'federation:grant:suspend',
  'federation:grant:resume',
  'federation:grant:enrollment-url',
  'federation:peer:add',
  'federation:peer:list',
  'federation:peer:remove',
  'user:create',
  'user:list',
  'user:delete',
  'team:create',
  'team:list',
  'team:add-member',
  'team:members',
];

/** Nothing listens on port 1: a request that got sent would fail with exit 3, not 2. */
const deadEndpoint = 'http://127.0.0.1:1';
const grantId = '6f1c2b9e-1c1d-4a51-9d8e-2f3a4b5c6d7e';
const userId = '0f8fad5b-d9cb-469f-a165-70867728950e';

/** stderr without oclif's error framing and line wrapping. */
const flat = (text: string) => text.replace(/\s*›\s*/g, ' ').replace(/\s+/g, ' ');

/** Runs up to `width` CLI processes at a time. */
async function runAll(runs: string[][], width = 6): Promise<CliResult[]> {
  const results: CliResult[] = new Array(runs.length);
  let next = 0;
  const worker = async () => {
    while (next < runs.length) {
      const index = next++;
      results[index] = await runCli(runs[index]!, cleanEnv());
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
  return results;
}

describe('mosaic federation grant|peer, user, team (CLI process)', function () {
  this.timeout(120_000);

  it('registers every admin command in the explicit registry', () => {
    for (const id of adminCommands) expect(COMMANDS, id).to.have.property(id);
  });

  describe('--help works for every new command and lists --json', () => {
    const helps = new Map<string, CliResult>();
    before(async () => {
      const results = await runAll(adminCommands.map((id) => [...id.split(':'), '--help']));
      for (const [index, id] of adminCommands.entries()) helps.set(id, results[index]!);
    });
    for (const id of adminCommands) {
      it(`mosaic ${id.replaceAll(':', ' ')} --help`, () => {
        const result = helps.get(id)!;
        expect(result.code, result.stderr).to.equal(0);
        expect(result.stdout).to.include('--json');
        expect(result.stdout).to.include(`USAGE\n  $ mosaic ${id.replaceAll(':', ' ')}`);
        expect(result.stdout).to.include('--endpoint');
        expect(result.stdout).to.include('EXAMPLES');
      });
    }
  });

  describe('argument validation, before anything is sent', () => {
    it('grant create with a missing scope file exits 2 naming the path, and sends nothing', async () => {
      const dir = await tempDir();
      try {
        const missing = path.join(dir.path, 'no-such-scope.json');
        const [human, json] = await runAll([
          [
            'federation',
            'grant',
            'create',
            '--user',
            userId,
            '--peer',
            'home.example.org',
            '--scope-file',
            missing,
            '--endpoint',
            deadEndpoint,
          ],
          [
            'federation',
            'grant',
            'create',
            '--user',
            userId,
            '--peer',
            'home.example.org',
            '--scope-file',
            missing,
            '--endpoint',
            deadEndpoint,
            '--json',
          ],
        ]);
        expect(human!.code, human!.stderr).to.equal(2);
        expect(flat(human!.stderr)).to.include(`${missing} does not exist`);
        expect(human!.stderr).not.to.include('cannot reach');
        expect(json!.code).to.equal(2);
        const body = JSON.parse(json!.stdout) as { error: { message: string; oclif: { exit: number } } };
        expect(body.error.message).to.include(missing);
        expect(body.error.oclif.exit).to.equal(2);
      } finally {
        await dir.remove();
      }
    });

    it('grant create with an empty scope file or a bad --user exits 2 and sends nothing', async () => {
      const dir = await tempDir();
      try {
        const empty = path.join(dir.path, 'empty.json');
        await writeFile(empty, '  \n');
        const scope = path.join(dir.path, 'scope.json');
        await writeFile(scope, '{"resources":["tasks"]}');
        const [emptyFile, badUser] = await runAll([
          [
            'federation',
            'grant',
            'create',
            '--user',
            userId,
            '--peer',
            'home.example.org',
            '--scope-file',
            empty,
            '--endpoint',
            deadEndpoint,
          ],
          [
            'federation',
            'grant',
            'create',
            '--user',
            'alice',
            '--peer',
            'home.example.org',
            '--scope-file',
            scope,
            '--endpoint',
            deadEndpoint,
          ],
        ]);
        expect(emptyFile!.code).to.equal(2);
        expect(flat(emptyFile!.stderr)).to.include(`${empty} is empty`);
        expect(badUser!.code).to.equal(2);
        expect(flat(badUser!.stderr)).to.include('--user "alice" is not a UUID');
      } finally {
        await dir.remove();
      }
    });

    it('grant update with no change exits 2 and says which flags change something', async () => {
      const [result] = await runAll([
        ['federation', 'grant', 'update', grantId, '--allow-sensitive', '--endpoint', deadEndpoint],
      ]);
      expect(result!.code, result!.stderr).to.equal(2);
      const text = flat(result!.stderr);
      expect(text).to.include('nothing to update');
      expect(text).to.include('--scope-file, --rate-limit, --notes');
    });

    it('user delete without --yes and without a TTY exits 2 with the remedy', async () => {
      const [human, json] = await runAll([
        ['user', 'delete', userId, '--endpoint', deadEndpoint],
        ['user', 'delete', userId, '--endpoint', deadEndpoint, '--json'],
      ]);
      expect(human!.code, human!.stderr).to.equal(2);
      const text = flat(human!.stderr);
      expect(text).to.include('stdin is not a terminal');
      expect(text).to.include('re-run with --yes');
      expect(text).to.include('revokes every grant whose subject is this user');
      expect(json!.code).to.equal(2);
      expect(JSON.parse(json!.stdout).error.message).to.include('--yes');
    });

    it('peer add with a URL that is not an enrollment URL exits 2 and echoes no token= value', async () => {
      const secret = 'S3cr3tT0k3nValue-DoNotEcho_0123456789abcdef';
      const runs = [
        [`https://work.example.com/enroll?token=${secret}`],
        [
          `mosaic-enroll://work.example.com:8444/${grantId}?token=${secret.slice(0, 20)}&ca=sha256:${'ab'.repeat(32)}`,
        ],
        [`mosaic-enroll://work.example.com:8444/${grantId}?token=${secret}`, `extra?token=${secret}`],
        [`mosaic-enroll://work.example.com/${grantId}?token=${secret}&ca=sha256:${'ab'.repeat(32)}`],
      ];
      const results = await runAll([
        ...runs.map((args) => ['federation', 'peer', 'add', ...args, '--endpoint', deadEndpoint]),
        ...runs.map((args) => ['federation', 'peer', 'add', ...args, '--endpoint', deadEndpoint, '--json']),
      ]);
      for (const result of results) {
        expect(result.code, result.stderr).to.equal(2);
        const output = result.stdout + result.stderr;
        expect(output).not.to.include(secret.slice(0, 12));
        expect(output).not.to.match(/token=(?!<redacted>)[A-Za-z0-9_-]/);
      }
      expect(flat(results[0]!.stderr)).to.include('must start with mosaic-enroll://');
      expect(flat(results[1]!.stderr)).to.include('43 base64url');
      expect(flat(results[2]!.stderr)).to.include('Unexpected argument');
      expect(flat(results[3]!.stderr)).to.include('no port');
    });

    it('ids that are not UUIDs exit 2 for show, revoke, suspend, resume, peer remove and team add-member', async () => {
      const results = await runAll([
        ['federation', 'grant', 'show', 'nope', '--endpoint', deadEndpoint],
        ['federation', 'grant', 'revoke', 'nope', '--endpoint', deadEndpoint],
        ['federation', 'grant', 'suspend', grantId, '--until', 'tomorrow', '--endpoint', deadEndpoint],
        ['federation', 'grant', 'resume', 'nope', '--endpoint', deadEndpoint],
        ['federation', 'peer', 'remove', 'nope', '--endpoint', deadEndpoint],
        ['team', 'add-member', 'nope', userId, '--endpoint', deadEndpoint],
      ]);
      for (const result of results) {
        expect(result.code, result.stderr).to.equal(2);
        expect(result.stderr).not.to.include('cannot reach');
      }
    });

    it('peer remove asks for confirmation: without a terminal and without --yes it exits 2 and sends nothing', async () => {
      const peerId = '3d2c1b0a-9f8e-4d7c-8b6a-5f4e3d2c1b0a';
      const [refused, confirmed] = await runAll([
        ['federation', 'peer', 'remove', peerId, '--endpoint', deadEndpoint],
        ['federation', 'peer', 'remove', peerId, '--yes', '--endpoint', deadEndpoint],
      ]);
      expect(refused!.code, refused!.stderr).to.equal(2);
      expect(flat(refused!.stderr)).to.include('without confirmation');
      expect(flat(refused!.stderr)).to.include('--yes');
      expect(refused!.stderr).not.to.include('cannot reach');
      // With --yes the request is sent (to nothing: exit 3).
      expect(confirmed!.code, confirmed!.stderr).to.equal(3);
    });

    it('--endpoint: host:port means http; credentials in the URL and other schemes are refused (exit 2) without echoing them', async () => {
      const [bare, withPassword, withPasswordJson, ftp] = await runAll([
        ['federation', 'grant', 'list', '--endpoint', '127.0.0.1:1'],
        ['federation', 'grant', 'list', '--endpoint', 'http://admin:hunter2@127.0.0.1:1'],
        ['federation', 'grant', 'list', '--endpoint', 'http://admin:hunter2@127.0.0.1:1', '--json'],
        ['federation', 'grant', 'list', '--endpoint', 'ftp://127.0.0.1:1'],
      ]);
      // Sent to http://127.0.0.1:1, where nothing listens: unreachable, not "Invalid URL".
      expect(bare!.code, bare!.stderr).to.equal(3);
      expect(flat(bare!.stderr)).to.include('cannot reach the gateway admin API at http://127.0.0.1:1');
      for (const result of [withPassword!, withPasswordJson!]) {
        expect(result.code, result.stderr).to.equal(2);
        expect(`${result.stdout}${result.stderr}`).not.to.include('hunter2');
        expect(`${result.stdout}${result.stderr}`).not.to.include('cannot reach');
      }
      expect(flat(withPassword!.stderr)).to.include('carries a user name or password');
      expect(JSON.parse(withPasswordJson!.stdout).error.message).to.include('MOSAIC_TOKEN');
      expect(ftp!.code, ftp!.stderr).to.equal(2);
      expect(flat(ftp!.stderr)).to.include('must be an http or https URL');
    });

    it('a valid request against a dead endpoint is sent, and fails with exit 3 (the contrast to the cases above)', async () => {
      const [result, json] = await runAll([
        ['federation', 'grant', 'list', '--endpoint', deadEndpoint],
        ['federation', 'grant', 'list', '--endpoint', deadEndpoint, '--json'],
      ]);
      expect(result!.code, result!.stderr).to.equal(3);
      expect(flat(result!.stderr)).to.include('cannot reach the gateway admin API');
      expect(json!.code).to.equal(3);
      expect(JSON.parse(json!.stdout).error).to.deep.include({ oclif: { exit: 3 } });
    });
  });
});
