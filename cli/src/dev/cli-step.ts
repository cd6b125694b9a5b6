import { spawn } from 'node:child_process';
import { redactEnrollmentTokens } from '../enrollment-url.js';
import { DevError } from './dev-error.js';
import type { MosaicInvocation } from './mosaic-invocation.js';

/** One `mosaic …` command run against one demo gateway, exactly as an operator would type it. */
export interface CliStep {
  /** How the step reads in messages, e.g. "mosaic user create alice" (never a secret). */
  label: string;
  /** Arguments after `mosaic`; `--json` is added. */
  args: string[];
  /** Written to the command's stdin (e.g. an enrollment URL for `peer add -`, kept off the process list). */
  input?: string;
}

export interface CliStepContext {
  invocation: MosaicInvocation;
  /** Environment naming the gateway (MOSAIC_ENDPOINT, MOSAIC_DATA_DIR for its local admin token). */
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Which gateway, for messages: "B (127.0.0.3)". */
  gateway: string;
  /** Aborts the command (Ctrl-C during setup). */
  signal?: AbortSignal;
  timeoutMs?: number;
}

/**
 * Runs the step and returns its `--json` output. A failure becomes a DevError naming the step, its
 * exit code and the command's own message (which carries its remedy); no token is ever repeated.
 */
export async function runCliStep<T>(step: CliStep, context: CliStepContext): Promise<T> {
  const timeoutMs = context.timeoutMs ?? 60_000;
  const { code, stdout, stderr, failure } = await new Promise<{
    code: number | null;
    stdout: string;
    stderr: string;
    failure?: string;
  }>((resolve) => {
    const child = spawn(context.invocation.command, [...context.invocation.args, ...step.args, '--json'], {
      cwd: context.cwd,
      env: context.env,
      stdio: [step.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      ...(context.signal ? { signal: context.signal } : {}),
      timeout: timeoutMs,
    });
    let out = '';
    let err = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      err += chunk;
    });
    if (step.input !== undefined) child.stdin!.end(`${step.input}\n`);
    child.once('error', (error) => {
      // An abort is reported by the caller; a spawn failure is reported here.
      if (error.name !== 'AbortError')
        resolve({ code: null, stdout: out, stderr: err, failure: error.message });
    });
    child.once('close', (exitCode, signal) =>
      resolve({
        code: exitCode,
        stdout: out,
        stderr: err,
        ...(signal ? { failure: stopReason(signal, timeoutMs, context.signal) } : {}),
      }),
    );
  });
  if (code === 0) {
    try {
      return JSON.parse(stdout) as T;
    } catch {
      throw new DevError({
        message: `\`${step.label}\` on gateway ${context.gateway} printed no JSON object:\n${indent(stdout || stderr)}`,
        remedy: 'run the command by hand with --json to see what it prints; this is a bug of the CLI.',
      });
    }
  }
  const reason = failure ?? cliErrorMessage(stdout, stderr);
  throw new DevError({
    message: redactEnrollmentTokens(
      `\`${step.label}\` failed on gateway ${context.gateway}${code === null ? '' : ` (exit code ${code})`}:\n${indent(reason)}`,
    ),
    remedy:
      'follow the remedy the command gives above; the gateways’ logs are in the logs folder of the demo dir. Then run `mosaic dev` again (with the same --dir it picks up where it stopped).',
  });
}

function stopReason(signal: NodeJS.Signals, timeoutMs: number, abort: AbortSignal | undefined): string {
  if (abort?.aborted) return 'interrupted';
  return signal === 'SIGTERM' ? `no answer within ${timeoutMs / 1000} s; stopped` : `killed by ${signal}`;
}

/** The message of a `--json` error object (`{"error": {"message": …}}`), else the raw output. */
function cliErrorMessage(stdout: string, stderr: string): string {
  try {
    const parsed = JSON.parse(stdout) as { error?: { message?: unknown } };
    if (typeof parsed.error?.message === 'string') return parsed.error.message;
  } catch {
    // Not the JSON error object: fall back to what the command wrote.
  }
  const text = `${stderr.trim()}\n${stdout.trim()}`.trim();
  return text === '' ? 'no output' : text.split('\n').slice(-20).join('\n');
}

function indent(text: string): string {
  return text
    .trim()
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}
