import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const cliEntry = path.join(repoRoot, 'cli', 'bin', 'run.js');
const tsx = createRequire(import.meta.url).resolve('tsx');

/** Node flags that run the TypeScript sources directly (what `npm install` alone supports), as `npm start` does. */
export const sourceFlags = ['--conditions=mosaic-source', '--import', tsx];

/** The parent's environment without anything that would configure Mosaic behind a test's back. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(MOSAIC_|DATABASE_URL$|VALKEY_URL$|REDIS_URL$)/.test(key)) continue;
    env[key] = value;
  }
  // A Valkey key prefix of its own, so processes of different tests never share queues or buckets.
  return {
    ...env,
    MOSAIC_LOG_LEVEL: 'info',
    MOSAIC_VALKEY_PREFIX: `mosaic-test-${randomBytes(5).toString('hex')}`,
    ...extra,
  };
}

export async function tempDir(prefix = 'mosaic-test-'): Promise<{ path: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { path: dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export function randomInternalKey(): string {
  return randomBytes(32).toString('base64url');
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs one `mosaic` command (or, with `script`, another script from the sources) to completion;
 * `nodeFlags` replaces {@link sourceFlags}.
 */
export function runCli(
  args: string[],
  env: NodeJS.ProcessEnv,
  options: { cwd?: string; script?: string; nodeFlags?: string[] } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const nodeFlags = options.nodeFlags ?? sourceFlags;
    const child = spawn(process.execPath, [...nodeFlags, options.script ?? cliEntry, ...args], {
      env,
      cwd: options.cwd ?? repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A long-running `mosaic serve` (or any command) whose output is collected. */
export class MosaicProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  private readonly exited: Promise<number | null>;

  private readonly group: boolean;

  /**
   * `processGroup` starts the command in its own process group and signals the whole group, as a
   * terminal's Ctrl-C does (npm, for one, does not pass SIGINT on to its script). `nodeFlags`
   * replaces {@link sourceFlags} in front of the CLI; `command` replaces the whole command line.
   */
  constructor(
    args: string[],
    env: NodeJS.ProcessEnv,
    options: { command?: string[]; nodeFlags?: string[]; cwd?: string; processGroup?: boolean } = {},
  ) {
    const command = options.command ?? [
      process.execPath,
      ...(options.nodeFlags ?? sourceFlags),
      cliEntry,
      ...args,
    ];
    this.group = options.processGroup ?? false;
    this.child = spawn(command[0]!, command.slice(1), {
      env,
      cwd: options.cwd ?? repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: this.group,
    });
    this.child.stdout!.on('data', (chunk) => {
      this.stdout += chunk;
    });
    this.child.stderr!.on('data', (chunk) => {
      this.stderr += chunk;
    });
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  get output(): string {
    return `${this.stdout}\n${this.stderr}`;
  }

  /** Waits until the output matches, the process exits, or the deadline passes. */
  async waitFor(pattern: RegExp, timeoutMs = 60_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const match = this.output.match(pattern);
      if (match) return match;
      if (this.child.exitCode !== null) {
        throw new Error(`process exited (${this.child.exitCode}) before ${pattern}:\n${this.output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`timed out waiting for ${pattern}:\n${this.output}`);
  }

  private signal(signal: NodeJS.Signals): void {
    if (this.group && this.child.pid) process.kill(-this.child.pid, signal);
    else this.child.kill(signal);
  }

  exitCode(): Promise<number | null> {
    return this.exited;
  }

  /** Sends the signal and waits for the exit; a process still alive after the grace period is killed and reported. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 30_000): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.exited;
    this.signal(signal);
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      this.exited,
      new Promise<'hung'>((resolve) => {
        timer = setTimeout(() => resolve('hung'), graceMs);
      }),
    ]);
    clearTimeout(timer);
    if (outcome === 'hung') {
      this.signal('SIGKILL');
      throw new Error(`process did not exit within ${graceMs} ms of ${signal}:\n${this.output}`);
    }
    return outcome;
  }
}

export interface RunFile {
  pid: number;
  target: string;
  tier: string;
  internalUrl: string;
  adminUrl: string | null;
}

export function readRunFile(dataDir: string, target: string): RunFile | null {
  const file = path.join(dataDir, 'run', `${target}.json`);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as RunFile) : null;
}

/**
 * The environment of a federated-tier test process: the given database, the machine's Valkey,
 * keyword memory (the machine's Postgres has no pgvector), fresh secrets, listeners on free ports
 * of `host`. `extra` overrides or adds anything.
 */
export function federatedEnv(options: {
  databaseUrl: string;
  dataDir: string;
  host?: string;
  extra?: Record<string, string>;
}): NodeJS.ProcessEnv {
  const host = options.host ?? '127.0.0.1';
  return cleanEnv({
    MOSAIC_STORAGE_TIER: 'federated',
    DATABASE_URL: options.databaseUrl,
    VALKEY_URL: process.env.MOSAIC_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    MOSAIC_MEMORY_TYPE: 'keyword',
    MOSAIC_INTERNAL_KEY: randomInternalKey(),
    MOSAIC_MASTER_KEY: randomInternalKey(),
    MOSAIC_DATA_DIR: options.dataDir,
    MOSAIC_LISTEN: `${host}:0`,
    MOSAIC_ADMIN_LISTEN: `${host}:0`,
    ...options.extra,
  });
}
