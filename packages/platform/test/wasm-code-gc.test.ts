import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { runCli, sourceFlags } from '../../../test/support/mosaic-process.js';

const fixture = fileURLToPath(new URL('./fixtures/wasm-code-gc-process.ts', import.meta.url));
// The fixture starts without --no-wasm-code-gc (as every Mosaic process does) and with V8's
// Wasm code GC traced and stressed, so every piece of code it frees prints a `[wasm-gc] Freeing` line.
const nodeFlags = [...sourceFlags, '--trace-wasm-code-gc', '--stress-wasm-code-gc'];

async function wasmCodeFrees(mode: 'embedded' | 'bare'): Promise<number> {
  const { code, stdout, stderr } = await runCli([mode], process.env, { script: fixture, nodeFlags });
  expect(code, stderr).to.equal(0);
  expect(stdout).to.include('done');
  return stdout.split('\n').filter((line) => line.startsWith('[wasm-gc] Freeing')).length;
}

describe('keepWasmCode: PGlite processes never run the Wasm code GC (nodejs/node#66366)', function () {
  this.timeout(60_000);

  it('startEmbeddedPostgres turns it off in a process started without --no-wasm-code-gc', async () => {
    expect(await wasmCodeFrees('embedded')).to.equal(0);
  });

  it('PGlite as it comes runs it and frees code (the trace the first test reads does show it)', async () => {
    expect(await wasmCodeFrees('bare')).to.be.greaterThan(0);
  });
});
