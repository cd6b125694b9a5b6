/** Child processes of the bench: every one is tracked so the orchestrator can end them on any exit. */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ProcessUsage } from '../servers/process-usage.js';
import type { StackBMessage, StackBReady } from '../servers/stack-b-protocol.js';

export const tsNodeArgs = ['--conditions=mosaic-source', '--import', 'tsx'];
const live = new Set<ChildProcess>();

export function benchFile(relative: string): string {
  return fileURLToPath(new URL(`../${relative}`, import.meta.url));
}

function track(child: ChildProcess): ChildProcess {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** SIGTERM to every child still running (each by its own pid). */
export function killAll(): void {
  for (const child of live) child.kill('SIGTERM');
}

/** Runs a TypeScript script to completion and parses the JSON it prints on stdout. */
export function runJson<T>(script: string, options: unknown, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = track(
      spawn(process.execPath, [...tsNodeArgs, benchFile(script), JSON.stringify(options)], {
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk) => (stdout += chunk));
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(JSON.parse(stdout.trim().split('\n').at(-1)!) as T);
      else reject(new Error(`${script} exited with ${code ?? signal}: ${stderr.trim()}`));
    });
  });
}

/** Starts a long-running TypeScript server; resolves with the JSON line it prints once listening. */
export function startServer<T>(
  script: string,
  options: unknown,
): Promise<{ ready: T; pid: number; stop(): void }> {
  return new Promise((resolve, reject) => {
    const child = track(
      spawn(process.execPath, [...tsNodeArgs, benchFile(script), JSON.stringify(options)], {
        stdio: ['pipe', 'pipe', 'pipe'],
      }),
    );
    let stderr = '';
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    child.stdout!.once('data', (chunk: Buffer) => {
      resolve({
        ready: JSON.parse(chunk.toString().trim().split('\n')[0]!) as T,
        pid: child.pid!,
        stop: () => {
          child.stdin!.end();
          child.kill('SIGTERM');
        },
      });
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}: ${stderr.trim()}`)));
  });
}

export interface StackBUsage {
  /** Gateway process, user + system, cumulative. */
  cpuMicros: number;
  maxRssKb: number;
  /** Gateway RSS peak sampled since the last reset. */
  windowPeakRssKb: number;
  /** ca + grants + audit processes, user + system, cumulative. */
  servicesCpuMicros: number;
  gateway: ProcessUsage;
  services: Record<string, ProcessUsage>;
}

export interface StackBHandle extends StackBReady {
  pid: number;
  /**
   * CPU time and memory of B's gateway process (and, summed, of its ca, grants and audit
   * processes); `resetPeak` starts a new window for the sampled peak RSS.
   */
  cpu(options?: { resetPeak?: boolean }): Promise<StackBUsage>;
  shutdown(): Promise<void>;
}

/** Forks the serving stack B (bench/servers/stack-b-process.ts) and waits until it is onboardable. */
export function startStackB(options: { from: 'dist' | 'source' }): Promise<StackBHandle> {
  // The coordinator itself always runs through tsx; the service processes it starts run `from`.
  const child = track(
    fork(benchFile('servers/stack-b-process.ts'), [JSON.stringify({ from: options.from })], {
      execArgv: tsNodeArgs,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
  const next = (type: StackBMessage['type']) =>
    new Promise<StackBMessage>((resolve, reject) => {
      const onMessage = (message: StackBMessage) => {
        if (message.type !== type && message.type !== 'failed') return;
        child.off('message', onMessage);
        child.off('exit', onExit);
        if (message.type === 'failed') reject(new Error(`stack B failed: ${message.message}`));
        else resolve(message);
      };
      const onExit = (code: number | null) => {
        child.off('message', onMessage);
        reject(new Error(`stack B exited with ${code} while waiting for ${type}`));
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  return next('ready').then((ready) => ({
    ...(ready as Extract<StackBMessage, { type: 'ready' }>).ready,
    pid: child.pid!,
    async cpu(options: { resetPeak?: boolean } = {}) {
      const reply = next('cpu');
      child.send({ type: 'cpu', resetPeak: options.resetPeak ?? false });
      const usage = (await reply) as Extract<StackBMessage, { type: 'cpu' }>;
      const cpuOf = (u: { userMicros: number; systemMicros: number }) => u.userMicros + u.systemMicros;
      return {
        cpuMicros: cpuOf(usage.gateway),
        maxRssKb: usage.gateway.maxRssKb,
        windowPeakRssKb: usage.gateway.windowPeakRssKb,
        servicesCpuMicros: Object.values(usage.services).reduce((sum, u) => sum + cpuOf(u), 0),
        gateway: usage.gateway,
        services: usage.services,
      };
    },
    async shutdown() {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.send({ type: 'shutdown' });
      await exited;
      clearTimeout(timer);
    },
  }));
}
