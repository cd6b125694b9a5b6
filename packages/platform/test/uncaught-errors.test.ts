import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { runCli } from '../../../test/support/mosaic-process.js';
import { uncaughtErrorExitCode } from '../src/lifecycle/uncaught-errors.js';

const fixture = fileURLToPath(new URL('./fixtures/uncaught-error-process.ts', import.meta.url));
const secret = 's3cret-bound-value';

/** Runs the fixture to its end: exit code, its log lines (stdout) and whatever it printed on stderr. */
async function runFixture(fault: string, mode: 'handled' | 'bare') {
  const { code, stdout, stderr } = await runCli([fault, mode], process.env, { script: fixture });
  return {
    code,
    lines: stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>),
    output: stdout + stderr,
  };
}

describe('exitOnUncaughtErrors: a server process that meets an error nothing caught', function () {
  this.timeout(30_000);

  for (const fault of ['rejection', 'exception'] as const) {
    it(`an uncaught ${fault}: one fatal line in the service's log, without the error's secrets, then close, then exit ${uncaughtErrorExitCode}`, async () => {
      const { code, lines, output } = await runFixture(fault, 'handled');
      expect(code).to.equal(uncaughtErrorExitCode);
      expect(lines.map((line) => line.msg)).to.deep.equal(['uncaught error: stopping the process', 'closed']);
      expect(lines[0]).to.include({
        level: 'fatal',
        service: 'fixture',
        origin: fault === 'rejection' ? 'unhandledRejection' : 'uncaughtException',
      });
      expect(lines[0]!.err).to.include({ type: 'Error', message: 'insert into secrets failed' });
      expect(output).not.to.include(secret);
    });
  }

  it('a second fault while closing is logged too, and the process still closes once and exits', async () => {
    const { code, lines, output } = await runFixture('both', 'handled');
    expect(code).to.equal(uncaughtErrorExitCode);
    expect(lines.map((line) => [line.msg, line.origin])).to.deep.equal([
      ['uncaught error: stopping the process', 'uncaughtException'],
      ['uncaught error: stopping the process', 'unhandledRejection'],
      ['closed', undefined],
    ]);
    expect(output).not.to.include(secret);
  });

  it('a thrown value that cannot be described (no prototype) is still logged, closed and exited on', async () => {
    const { code, lines } = await runFixture('opaque', 'handled');
    expect(code).to.equal(uncaughtErrorExitCode);
    expect(lines.map((line) => line.msg)).to.deep.equal(['uncaught error: stopping the process', 'closed']);
    expect(lines[0]).to.include({ level: 'fatal', origin: 'uncaughtException' });
  });

  it('without it, Node prints the error with every property, the bound values included (what the handler prevents)', async () => {
    const { code, output } = await runFixture('rejection', 'bare');
    expect(code).to.equal(1);
    expect(output).to.include(secret);
  });
});
