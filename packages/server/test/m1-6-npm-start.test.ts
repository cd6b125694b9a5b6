import { expect } from 'chai';
import {
  cleanEnv,
  MosaicProcess,
  readRunFile,
  repoRoot,
  runCli,
  tempDir,
} from '../../../test/support/mosaic-process.js';

/** Every `npm start` of this file, so a failed assertion never leaves a server running. */
const started: MosaicProcess[] = [];

/** `npm start` exactly as the README says, with only the data dir and ports moved aside for the test. */
function npmStart(env: NodeJS.ProcessEnv): MosaicProcess {
  const npmCli = process.env.npm_execpath;
  const command = npmCli?.endsWith('.js') ? [process.execPath, npmCli, 'start'] : ['npm', 'start'];
  const server = new MosaicProcess([], env, { command, cwd: repoRoot, processGroup: true });
  started.push(server);
  return server;
}

/** Ends what is left of each started process group (after a passing test, nothing is). */
function killLeftovers(): void {
  for (const server of started.splice(0)) {
    try {
      process.kill(-server.child.pid!, 'SIGKILL');
    } catch {
      // The group is gone already.
    }
  }
}

/** Resolves once no process of the group is left (the server must not outlive npm). */
async function waitForGroupExit(groupId: number): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    try {
      process.kill(-groupId, 0);
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  process.kill(-groupId, 'SIGKILL');
  throw new Error(`processes of group ${groupId} still running 10 s after the signal`);
}

describe('npm start (embedded default)', function () {
  this.timeout(120_000);

  it('M1-6: brings up a working stack with no external service, stops cleanly, restarts with its data', async () => {
    const dataDir = await tempDir();
    // No DATABASE_URL, no VALKEY_URL: nothing outside the process. Ports 0 so parallel runs never clash.
    const env = cleanEnv({
      MOSAIC_DATA_DIR: dataDir.path,
      MOSAIC_LISTEN: '127.0.0.1:0',
      MOSAIC_ADMIN_LISTEN: '127.0.0.1:0',
      MOSAIC_ENROLLMENT_LISTEN: '127.0.0.1:0',
      MOSAIC_FEDERATION_LISTEN: '127.0.0.1:0',
    });
    try {
      const first = npmStart(env);
      await first.waitFor(/is up — tier local/);
      expect(first.stdout).to.include('admin API:');
      expect(first.stdout).to.match(/migrations applied/);
      const run = readRunFile(dataDir.path, 'all')!;
      const doctor = await runCli(['gateway', 'doctor', '--json', '--endpoint', run.adminUrl!], env);
      expect(doctor.code, doctor.stderr).to.equal(0);
      const report = JSON.parse(doctor.stdout) as { tier: string; overall: string };
      expect(report).to.include({ tier: 'local', overall: 'green' });

      // Ctrl-C: npm itself dies of the signal; what matters is that the server drained and cleaned up.
      await first.stop('SIGINT');
      await waitForGroupExit(first.child.pid!);
      expect(first.stdout).to.include('"listener":"admin","msg":"listener closed"');
      expect(first.stdout).to.include('"listener":"internal","msg":"listener closed"');
      expect(readRunFile(dataDir.path, 'all')).to.equal(null);

      const second = npmStart(env);
      await second.waitFor(/is up — tier local/);
      // Same embedded store: the schemas are there, so nothing is migrated again, and the local
      // admin token written on the first start still opens the admin API.
      expect(second.stdout).not.to.match(/migrations applied/);
      const again = await runCli(
        ['gateway', 'doctor', '--json', '--endpoint', readRunFile(dataDir.path, 'all')!.adminUrl!],
        env,
      );
      expect(again.code, again.stderr).to.equal(0);
      await second.stop('SIGTERM');
      await waitForGroupExit(second.child.pid!);
      expect(second.stdout).to.include('"listener":"internal","msg":"listener closed"');
    } finally {
      killLeftovers();
      await dataDir.remove();
    }
  });
});
