import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { exitCodes } from '../base-command.js';
import { DevError } from './dev-error.js';
import { listenOnce } from './loopback.js';

/**
 * The federation port of a demo gateway, the same on every run of one dir: the requesting gateway
 * stores the serving one's federation endpoint at enrollment, so a port picked afresh on a later
 * run would leave the enrolled peer calling a closed port. Picked free on the first run and kept
 * in the gateway's data dir.
 */
export async function federationPortOf(dataDir: string, host: string): Promise<number> {
  const file = path.join(dataDir, 'dev-federation-port.json');
  const kept = await readFile(file, 'utf8').then(
    (text) => (JSON.parse(text) as { port?: unknown }).port,
    () => undefined,
  );
  if (typeof kept === 'number' && Number.isInteger(kept) && kept > 0 && kept < 65_536) {
    await assertFree(host, kept, file);
    return kept;
  }
  const port = await listenOnce(host, 0);
  await writeFile(file, `${JSON.stringify({ port })}\n`);
  return port;
}

async function assertFree(host: string, port: number, file: string): Promise<void> {
  try {
    await listenOnce(host, port);
  } catch (error) {
    throw new DevError({
      message: `the demo's federation port ${host}:${port} (kept in ${file}) is taken (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); the gateway enrolled with this dir calls that port.`,
      remedy: `stop what listens on ${host}:${port} (another \`mosaic dev\`?), or start afresh with another --dir.`,
      exit: exitCodes.unavailable,
    });
  }
}
