import { fileURLToPath } from 'node:url';
import { uncaughtErrorExitCode } from '@mosaic/platform';
import { expect } from 'chai';
import {
  cleanEnv,
  MosaicProcess,
  readRunFile,
  sourceFlags,
  tempDir,
} from '../../../test/support/mosaic-process.js';

const throwOnSignal = fileURLToPath(new URL('./fixtures/throw-on-sigusr2.ts', import.meta.url));

describe('mosaic serve: an error nothing caught', function () {
  this.timeout(90_000);

  it('is logged as one fatal line without its secrets; the running stack closes, then the process exits 70', async () => {
    const dataDir = await tempDir();
    const server = new MosaicProcess(
      ['serve', '--target=all'],
      cleanEnv({
        MOSAIC_DATA_DIR: dataDir.path,
        MOSAIC_LISTEN: '127.0.0.1:0',
        MOSAIC_ADMIN_LISTEN: '127.0.0.1:0',
      }),
      { nodeFlags: [...sourceFlags, '--import', throwOnSignal] },
    );
    try {
      await server.waitFor(/is up — tier local/);
      expect(readRunFile(dataDir.path, 'all'), 'run file while up').to.not.equal(null);

      server.child.kill('SIGUSR2');
      expect(await server.exitCode()).to.equal(uncaughtErrorExitCode);

      const lines = server.stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      const fatal = lines.filter((line) => line.level === 'fatal');
      expect(fatal).to.have.length(1);
      expect(fatal[0]).to.include({
        service: 'mosaic-all',
        origin: 'uncaughtException',
        msg: 'uncaught error: stopping the process',
      });
      expect(fatal[0]!.err).to.include({ type: 'Error', message: 'insert into secrets failed' });
      expect(server.output).to.not.include('s3cret-bound-value');
      // The stack's closer ran: the run file it removes last is gone.
      expect(readRunFile(dataDir.path, 'all'), 'run file after the exit').to.equal(null);
    } finally {
      await server.stop();
      await dataDir.remove();
    }
  });
});
