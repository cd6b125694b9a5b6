import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { DevError } from './dev-error.js';
import { childEnv, type MosaicInvocation } from './mosaic-invocation.js';

/** One gateway of the demo: its name, loopback address, data dir and log file. */
export interface GatewaySpec {
  /** "A" (requesting) or "B" (serving). */
  name: 'A' | 'B';
  /** Loopback address every listener binds, and the gateway's public hostname. */
  host: string;
  dataDir: string;
  /** The federation listener's port, kept across runs of one dir (federation-port.ts). */
  federationPort: number;
  /** Where the child's output (its JSON log) is appended. */
  logFile: string;
}

/** What `mosaic serve --json` announces once every listener is up. */
export interface GatewayUp {
  adminUrl: string;
  internalUrl: string;
}

const tailLines = 20;
const tailLineChars = 400;

/**
 * `mosaic serve --target=all --dev` of one demo gateway as a child process, in the embedded local
 * tier (which serves federation only in development mode), every listener on `<host>:0`. Keeps
 * the last lines of its output for error messages and appends all of it to a log file.
 */
export class GatewayProcess {
  readonly spec: GatewaySpec;
  private readonly child: ChildProcess;
  private readonly log: WriteStream;
  private readonly tail: string[] = [];
  private partial = '';
  private announced: GatewayUp | undefined;
  private announce: (up: GatewayUp) => void = () => {};
  private readonly ready = new Promise<GatewayUp>((resolve) => {
    this.announce = resolve;
  });
  private stopping = false;
  private stopped: Promise<{ forced: boolean }> | undefined;
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Rejects once the child exits without having been asked to stop; never resolves. */
  readonly unexpectedExit: Promise<never>;

  constructor(spec: GatewaySpec, invocation: MosaicInvocation) {
    this.spec = spec;
    this.log = createWriteStream(spec.logFile, { flags: 'a' });
    const listen = `${spec.host}:0`;
    this.child = spawn(invocation.command, [...invocation.args, 'serve', '--target=all', '--dev', '--json'], {
      // The data dir as working directory: no ./mosaic.config.json of the caller applies.
      cwd: spec.dataDir,
      env: childEnv({
        MOSAIC_STORAGE_TIER: 'local',
        MOSAIC_DATA_DIR: spec.dataDir,
        MOSAIC_LISTEN: listen,
        MOSAIC_ADMIN_LISTEN: listen,
        MOSAIC_ENROLLMENT_LISTEN: listen,
        MOSAIC_FEDERATION_LISTEN: `${spec.host}:${spec.federationPort}`,
        MOSAIC_PUBLIC_HOSTNAME: spec.host,
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => this.take(chunk, true));
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => this.take(chunk, false));
    this.exited = new Promise((resolve) => {
      this.child.once('error', (error) => {
        this.remember(`cannot start the process: ${error.message}`);
        resolve({ code: null, signal: null });
      });
      this.child.once('close', (code, signal) => {
        this.log.end();
        resolve({ code, signal });
      });
    });
    this.unexpectedExit = this.exited.then(({ code, signal }) => {
      if (this.stopping) return new Promise<never>(() => {});
      throw new DevError({
        message: `gateway ${spec.name} (${spec.host}) ${this.announced ? 'stopped unexpectedly' : 'exited before it was up'} (${signal ?? `exit code ${code}`}). Last output:\n${this.tailText()}`,
        remedy: `read the output above (the whole log is in ${spec.logFile}), fix the cause, then run \`mosaic dev\` again.`,
      });
    });
    // Observed by whoever waits on it; a failure nobody waits for must not crash the process.
    this.unexpectedExit.catch(() => {});
  }

  /** From now on an exit is not a failure (the terminal's Ctrl-C reaches the child as well). */
  expectExit(): void {
    this.stopping = true;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get adminUrl(): string | undefined {
    return this.announced?.adminUrl;
  }

  /** Waits for the readiness line of `serve --json`; fails with the output's tail on exit or timeout. */
  async up(timeoutMs: number): Promise<GatewayUp> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new DevError({
              message: `gateway ${this.spec.name} (${this.spec.host}) did not come up within ${Math.round(timeoutMs / 1000)} s. Last output:\n${this.tailText()}`,
              remedy: `read the output above (the whole log is in ${this.spec.logFile}); a slow machine may need another try.`,
            }),
          ),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.ready, this.unexpectedExit, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * SIGTERM, then waits for the exit; SIGKILL after `graceMs`. Idempotent: every caller gets the
   * same outcome. `forced` says the child had to be killed.
   */
  stop(graceMs = 15_000): Promise<{ forced: boolean }> {
    this.stopping = true;
    this.stopped ??= (async () => {
      if (this.child.exitCode !== null || this.child.signalCode !== null || this.child.pid === undefined) {
        await this.exited;
        return { forced: false };
      }
      this.child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        this.exited.then(() => 'exited' as const),
        new Promise<'hung'>((resolve) => {
          timer = setTimeout(() => resolve('hung'), graceMs);
        }),
      ]);
      clearTimeout(timer);
      if (outcome === 'exited') return { forced: false };
      this.child.kill('SIGKILL');
      await this.exited;
      return { forced: true };
    })();
    return this.stopped;
  }

  private take(chunk: string, stdout: boolean): void {
    this.log.write(chunk);
    const text = this.partial + chunk;
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) {
      if (stdout && !this.announced) {
        this.announced = readUpLine(line);
        if (this.announced) this.announce(this.announced);
      }
      this.remember(line);
    }
  }

  private remember(line: string): void {
    if (line.trim() === '') return;
    this.tail.push(readableLogLine(line));
    if (this.tail.length > tailLines) this.tail.shift();
  }

  private tailText(): string {
    const lines = this.partial.trim() === '' ? this.tail : [...this.tail, readableLogLine(this.partial)];
    return lines.length === 0 ? '  (no output)' : lines.map((line) => `  ${line}`).join('\n');
  }
}

/** The `{"event":"up", …}` line of `serve --json`, or undefined for any other line (a log line). */
function readUpLine(line: string): GatewayUp | undefined {
  if (!line.includes('"event":"up"')) return undefined;
  try {
    const parsed = JSON.parse(line) as { event?: string; adminUrl?: string | null; internalUrl?: string };
    if (parsed.event !== 'up' || !parsed.adminUrl || !parsed.internalUrl) return undefined;
    return { adminUrl: parsed.adminUrl, internalUrl: parsed.internalUrl };
  } catch {
    return undefined;
  }
}

/** A JSON log line as "level: message (error)", anything else as it is; cut to a readable length. */
function readableLogLine(line: string): string {
  let text = line.trim();
  if (text.startsWith('{')) {
    try {
      const entry = JSON.parse(text) as { level?: unknown; msg?: unknown; err?: { message?: unknown } };
      if (typeof entry.msg === 'string') {
        const cause = typeof entry.err?.message === 'string' ? ` (${entry.err.message})` : '';
        text = `${typeof entry.level === 'string' ? entry.level : 'log'}: ${entry.msg}${cause}`;
      }
    } catch {
      // Not JSON after all: shown as it is.
    }
  }
  return text.length > tailLineChars ? `${text.slice(0, tailLineChars)}…` : text;
}
