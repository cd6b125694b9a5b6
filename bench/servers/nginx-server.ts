/**
 * nginx for the off-the-shelf alternative, run in the foreground as the child of this small
 * process, so that it is tracked like every other bench server: `startServer` starts this file,
 * and nginx ends when this process's standard input closes (the orchestrator went away, even
 * killed) or on SIGTERM/SIGINT. Everything nginx writes stays in `dir`.
 *
 *   node --conditions=mosaic-source --import tsx bench/servers/nginx-server.ts '<options JSON>'
 *
 * Prints `{"port": n, "pid": n}` on stdout once nginx accepts connections.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { freePort } from '../lib/free-port.js';
import { announceReady, exitWhenOrphaned } from '../lib/server-lifecycle.js';
import { type NginxConfOptions, nginxConf } from './nginx-conf.js';

export interface NginxServerOptions extends Omit<NginxConfOptions, 'port'> {
  /** The nginx executable (bench/lib/nginx-binary.ts found it). */
  binary: string;
}

export class NginxStartError extends Error {
  override readonly name = 'NginxStartError';
}

const startTimeoutMs = 10_000;

const options = JSON.parse(process.argv[2] ?? '{}') as NginxServerOptions;
const confFile = path.join(options.dir, 'nginx.conf');
const errorLog = path.join(options.dir, 'error.log');
let stderr = '';

async function logs(): Promise<string> {
  const log = await readFile(errorLog, 'utf8').catch(() => '');
  return [stderr.trim(), log.trim().split('\n').slice(-20).join('\n')].filter(Boolean).join('\n');
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, options.host);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Resolves once nginx accepts TCP connections on `port`; rejects if it exits first or takes too long. */
async function waitUntilListening(nginx: ChildProcess, port: number): Promise<void> {
  const deadline = performance.now() + startTimeoutMs;
  while (performance.now() < deadline) {
    if (nginx.exitCode !== null || nginx.signalCode !== null) {
      throw new NginxStartError(
        `nginx exited with ${nginx.exitCode ?? nginx.signalCode} at startup (conf ${confFile}):\n${await logs()}`,
      );
    }
    if (await accepts(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new NginxStartError(
    `nginx did not listen on ${options.host}:${port} within ${startTimeoutMs} ms:\n${await logs()}`,
  );
}

function stopNginx(nginx: ChildProcess): Promise<void> {
  if (nginx.exitCode !== null || nginx.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => nginx.kill('SIGKILL'), 3_000);
    nginx.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    // TERM: nginx's fast shutdown (the master ends its workers, removes its pid file, exits).
    nginx.kill('SIGTERM');
  });
}

await mkdir(options.dir, { recursive: true });
const port = await freePort(options.host);
await writeFile(confFile, nginxConf({ ...options, port }));
let stopping = false;
// `-e`: the error log nginx opens before reading the configuration (else its compiled-in path).
const nginx = spawn(
  options.binary,
  ['-p', options.dir, '-c', confFile, '-e', errorLog, '-g', 'daemon off;'],
  {
    stdio: ['ignore', 'ignore', 'pipe'],
  },
);
nginx.stderr!.on('data', (chunk) => (stderr += chunk));
exitWhenOrphaned(() => {
  stopping = true;
  return stopNginx(nginx);
});
try {
  await waitUntilListening(nginx, port);
} catch (error) {
  await stopNginx(nginx);
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
nginx.once('exit', (code, signal) => {
  if (stopping) return;
  // nginx died under load: say so on stderr (the orchestrator shows it) and stop being "ready".
  void logs().then((text) => {
    process.stderr.write(`nginx exited with ${code ?? signal} while serving:\n${text}\n`);
    process.exit(1);
  });
});
announceReady({ port, pid: nginx.pid });
