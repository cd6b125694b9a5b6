import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createLogger, isUnsealError, Sealer } from '@mosaic/platform';
import { expect } from 'chai';
import {
  cleanEnv,
  MosaicProcess,
  randomInternalKey,
  runCli,
  tempDir,
} from '../../../test/support/mosaic-process.js';
import { createGrantFor, startStack, type TestStack } from '../../../test/support/stack.js';
import { resealInstance } from '../src/reseal-instance.js';
import { runTarget } from '../src/run-target.js';

const secret = (value: string) => Buffer.from(value, 'base64url');

describe('mosaic admin reseal: rotating the master secret', function () {
  this.timeout(120_000);

  describe('federated stacks (in process)', () => {
    let a: TestStack;
    let b: TestStack;
    before(async () => {
      [a, b] = await Promise.all([startStack('127.0.0.2'), startStack('127.0.0.3')]);
      const { enrollmentUrl } = await createGrantFor(b, { peerHost: '127.0.0.2' });
      await a.admin.addPeer({ enrollmentUrl });
    });
    after(async () => {
      await Promise.all([a?.close(), b?.close()]);
    });

    it('re-seals CA and peer keys under the new secret; the old one no longer opens them; a re-run changes nothing', async () => {
      await Promise.all([a.running.close(), b.running.close()]);
      const next = { a: randomInternalKey(), b: randomInternalKey() };

      // A wrong current secret aborts and leaves every row as it was.
      const wrong = await resealInstance({
        config: a.config,
        from: secret(randomInternalKey()),
        to: secret(next.a),
      }).then(
        () => null,
        (error: unknown) => error,
      );
      expect(isUnsealError(wrong)).to.equal(true);
      const [before] = await a.db.query<{ client_key_sealed: Buffer }>(
        'SELECT client_key_sealed FROM gateway.peers',
      );
      expect(Sealer.keyIdOf(before!.client_key_sealed)).to.equal(
        new Sealer(secret(a.env.MOSAIC_MASTER_KEY!)).keyId,
      );

      // One service at a time (compose gives the ca and the gateway secrets of their own) …
      const gatewayOnly = await resealInstance({
        config: a.config,
        from: secret(a.env.MOSAIC_MASTER_KEY!),
        to: secret(next.a),
        only: 'gateway',
      });
      expect(gatewayOnly).to.deep.equal([{ table: 'gateway.peers', resealed: 1, skipped: 0 }]);
      // … or all together; what is already re-sealed is skipped.
      const reportA = await resealInstance({
        config: a.config,
        from: secret(a.env.MOSAIC_MASTER_KEY!),
        to: secret(next.a),
      });
      expect(reportA).to.deep.equal([
        { table: 'ca.authorities', resealed: 1, skipped: 0 },
        { table: 'gateway.peers', resealed: 0, skipped: 1 },
      ]);
      const [row] = await a.db.query<{ id: string; client_key_sealed: Buffer }>(
        'SELECT id, client_key_sealed FROM gateway.peers',
      );
      const context = { purpose: 'peer-client-key', aad: row!.id };
      expect(new Sealer(secret(next.a)).unseal(row!.client_key_sealed, context).toString()).to.include(
        'PRIVATE KEY',
      );
      expect(() =>
        new Sealer(secret(a.env.MOSAIC_MASTER_KEY!)).unseal(row!.client_key_sealed, context),
      ).to.throw();

      const again = await resealInstance({
        config: a.config,
        from: secret(a.env.MOSAIC_MASTER_KEY!),
        to: secret(next.a),
      });
      expect(again.map((entry) => entry.resealed)).to.deep.equal([0, 0]);

      // B's CA starts again with the new secret and is the same CA.
      const [{ fingerprint_sha256: fingerprint }] = (await b.db.query<{ fingerprint_sha256: string }>(
        'SELECT fingerprint_sha256 FROM ca.authorities',
      )) as [{ fingerprint_sha256: string }];
      await resealInstance({ config: b.config, from: secret(b.env.MOSAIC_MASTER_KEY!), to: secret(next.b) });
      const restarted = await runTarget({
        target: 'all',
        config: b.config,
        env: { ...b.env, MOSAIC_MASTER_KEY: next.b },
        logger: createLogger({ service: 'restarted', level: 'silent' }),
      });
      try {
        const runFile = JSON.parse(await readFile(path.join(b.config.dataDir, 'run', 'all.json'), 'utf8'));
        expect(runFile.internalUrl).to.equal(restarted.internalUrl);
        const [{ fingerprint_sha256: after }] = (await b.db.query<{ fingerprint_sha256: string }>(
          'SELECT fingerprint_sha256 FROM ca.authorities',
        )) as [{ fingerprint_sha256: string }];
        expect(after).to.equal(fingerprint);
      } finally {
        await restarted.close();
      }
    });
  });

  it("the CLI refuses while the stack runs, then rotates the local tier's key file and the stack starts again with it", async () => {
    const dataDir = await tempDir();
    const env = cleanEnv({
      MOSAIC_DATA_DIR: dataDir.path,
      MOSAIC_LISTEN: '127.0.0.1:0',
      MOSAIC_ADMIN_LISTEN: '127.0.0.1:0',
      MOSAIC_ENROLLMENT_LISTEN: '127.0.0.1:0',
    });
    try {
      const first = new MosaicProcess(['serve'], env);
      await first.waitFor(/is up/);
      const keyFile = path.join(dataDir.path, 'secrets', 'master.key');
      const oldKey = await readFile(keyFile, 'utf8');
      const newFile = path.join(dataDir.path, 'new-master.key');
      // While the stack runs, nothing is re-sealed, generated or installed.
      const whileRunning = await runCli(
        ['admin', 'reseal', '--new-key-file', newFile, '--generate', '--yes'],
        env,
      );
      expect(whileRunning.code, whileRunning.stderr).to.equal(2);
      expect(whileRunning.stderr).to.include(`pid ${first.child.pid}`);
      expect(existsSync(newFile)).to.equal(false);
      expect(await readFile(keyFile, 'utf8')).to.equal(oldKey);
      // On failure the message names the signal (if one ended it) and the process's output.
      expect(await first.stop(), `${first.child.signalCode ?? ''}\n${first.output}`).to.equal(0);

      const refused = await runCli(['admin', 'reseal', '--new-key-file', newFile, '--generate'], env);
      expect(refused.code).to.equal(2);
      expect(refused.stderr).to.include('--yes');

      expect(refused.stdout + refused.stderr).not.to.match(/[A-Za-z0-9_-]{43}/);
      const result = await runCli(
        ['admin', 'reseal', '--new-key-file', newFile, '--generate', '--yes', '--json'],
        env,
      );
      expect(result.code, result.stderr).to.equal(0);
      const report = JSON.parse(result.stdout) as {
        tables: Array<{ table: string; resealed: number }>;
        installed: string;
      };
      expect(report.tables.find((t) => t.table === 'ca.authorities')!.resealed).to.equal(1);
      expect(report.installed).to.equal(keyFile);
      const installed = await readFile(keyFile, 'utf8');
      expect(installed).to.not.equal(oldKey);
      expect(installed.trim()).to.equal((await readFile(newFile, 'utf8')).trim());
      expect(result.stdout + result.stderr).not.to.include(installed.trim());

      const second = new MosaicProcess(['serve'], env);
      await second.waitFor(/is up/);
      expect(await second.stop(), `${second.child.signalCode ?? ''}\n${second.output}`).to.equal(0);
    } finally {
      await dataDir.remove();
    }
  });
});
