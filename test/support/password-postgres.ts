import { execFile } from 'node:child_process';
import { chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const bin = process.env.MOSAIC_TEST_PG_BIN ?? '/usr/lib/postgresql/15/bin';

/**
 * A throwaway PostgreSQL cluster that checks passwords (scram-sha-256), for tests that need a real
 * authentication failure: the machine's main cluster trusts loopback and accepts any password.
 */
export interface PasswordPostgres {
  port: number;
  password: string;
  stop(): Promise<void>;
}

export async function startPasswordPostgres(password: string): Promise<PasswordPostgres> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mosaic-pg-'));
  const pwFile = path.join(dir, 'pw');
  await writeFile(pwFile, `${password}\n`, { mode: 0o600 });
  const asRoot = process.getuid?.() === 0;
  // initdb refuses to run as root; the cluster belongs to the postgres user then.
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    for (const target of [dir, pwFile]) await chown(target, Number(stdout.trim()), Number(gid.trim()));
  }
  const as = (command: string, args: string[]) =>
    asRoot
      ? run('runuser', ['-u', 'postgres', '--', path.join(bin, command), ...args])
      : run(path.join(bin, command), args);
  const port = await freePort();
  const data = path.join(dir, 'data');
  await as('initdb', ['-D', data, '--auth=scram-sha-256', `--pwfile=${pwFile}`, '-U', 'postgres']);
  // -l: the server must not inherit this process's pipes, or execFile would wait for it forever.
  await as('pg_ctl', [
    '-D',
    data,
    '-w',
    '-l',
    path.join(dir, 'server.log'),
    '-o',
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`,
    'start',
  ]);
  return {
    port,
    password,
    async stop() {
      await as('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']).catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
