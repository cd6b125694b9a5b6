import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { cleanEnv, runCli, tempDir } from '../../test/support/mosaic-process.js';

/** The --json error object every command prints on stdout. */
interface JsonError {
  error: { name: string; message: string; oclif: { exit: number } };
}

describe('--json errors of the commands outside the admin API (CLI process)', function () {
  this.timeout(60_000);

  it('doctor, admin reseal and admin token create print their failures as JSON on stdout, with the exit code they name', async () => {
    const dir = await tempDir();
    try {
      const badConfig = path.join(dir.path, 'mosaic.config.json');
      await writeFile(badConfig, '{ "tier": ');
      const env = cleanEnv({ MOSAIC_DATA_DIR: dir.path });
      const missingKey = path.join(dir.path, 'missing.key');
      const runs = await Promise.all([
        runCli(['gateway', 'doctor', '--config', badConfig, '--json'], env),
        runCli(['admin', 'reseal', '--new-key-file', missingKey, '--json'], env),
        runCli(['admin', 'reseal', '--new-key-file', missingKey, '--yes', '--json'], {
          ...env,
          MOSAIC_MASTER_KEY: randomBytes(32).toString('base64url'),
        }),
        runCli(['admin', 'token', 'create', '--config', badConfig, '--json'], env),
        runCli(['admin', 'token', 'create', '--subject', ' ', '--json'], env),
      ]);
      for (const run of runs) {
        const parsed = JSON.parse(run.stdout) as JsonError;
        expect(parsed.error.message, run.stderr).to.be.a('string').and.not.equal('');
        expect(run.code, run.stdout).to.equal(parsed.error.oclif.exit);
        expect(run.code).to.equal(2);
      }
      const [doctor, unconfirmed, missing, token, blankSubject] = runs.map(
        (run) => (JSON.parse(run.stdout) as JsonError).error,
      );
      expect(blankSubject!.message).to.include('--subject must name who the token is for');
      expect(doctor!.message).to.include('mosaic.config.json');
      expect(unconfirmed!.message).to.include('--yes');
      expect(missing!.message).to.include(`${missingKey} does not exist`);
      expect(token!.message).to.include('mosaic.config.json');
    } finally {
      await dir.remove();
    }
  });
});
