import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { expect } from 'chai';
import { cleanEnv, repoRoot, sourceFlags } from '../../test/support/mosaic-process.js';

/** The CLI on a pseudo-terminal (util-linux `script`), as a person runs it: stdout and stderr together. */
function runOnTerminal(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; output: string }> {
  const quote = (word: string) => `'${word.replaceAll("'", "'\\''")}'`;
  const command = [process.execPath, ...sourceFlags, path.join(repoRoot, 'cli', 'bin', 'run.js'), ...args]
    .map(quote)
    .join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', command, '/dev/null'], { env, cwd: repoRoot });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('admin calls the gateway is slow to answer (CLI on a terminal)', function () {
  this.timeout(60_000);
  let server: Server;
  let endpoint: string;
  let delayMs = 0;

  before(async () => {
    // A stand-in admin API: every call answers an empty message (Connect, binary), after delayMs.
    server = createServer((request, response) => {
      request.resume();
      request.on('end', () =>
        setTimeout(() => response.writeHead(200, { 'content-type': 'application/proto' }).end(), delayMs),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.close();
  });

  it('show a spinner naming the gateway while they wait; none when the answer comes at once or under --json', async () => {
    const env = cleanEnv({ MOSAIC_ENDPOINT: endpoint, MOSAIC_TOKEN: 'test-admin-token', TERM: 'xterm' });
    delayMs = 2_000;
    const slow = await runOnTerminal(['user', 'list'], env);
    expect(slow.code, slow.output).to.equal(0);
    expect(slow.output).to.include(`Waiting for the gateway at ${endpoint}`);
    const slowJson = await runOnTerminal(['user', 'list', '--json'], env);
    expect(slowJson.code, slowJson.output).to.equal(0);
    expect(slowJson.output).not.to.include('Waiting for the gateway');
    delayMs = 0;
    const fast = await runOnTerminal(['user', 'list'], env);
    expect(fast.code, fast.output).to.equal(0);
    expect(fast.output).not.to.include('Waiting for the gateway');
  });
});
