import { createInterface } from 'node:readline/promises';
import { Code, ConnectError } from '@connectrpc/connect';
import { ErrorDetailSchema } from '@mosaic/contracts/v1/common_pb';
import { isMosaicError } from '@mosaic/platform';
import { type Command, Errors, ux } from '@oclif/core';
import { exitCodes, MosaicCommand } from './base-command.js';
import { redactEnrollmentTokens } from './enrollment-url.js';

/** Codes that mean "the request is wrong for the gateway's current state": the operator can fix it. */
const usageCodes = new Set([
  Code.InvalidArgument,
  Code.NotFound,
  Code.AlreadyExists,
  Code.FailedPrecondition,
  Code.OutOfRange,
  Code.Unauthenticated,
  Code.PermissionDenied,
]);

const defaultRemedies: Partial<Record<Code, string>> = {
  [Code.Unauthenticated]:
    'give an admin token: on the gateway host run `mosaic admin token create` and export it as MOSAIC_TOKEN (or pass --token).',
  [Code.PermissionDenied]: 'use a token with role ADMIN (`mosaic admin token create` on the gateway host).',
  [Code.NotFound]: 'check the id with the matching list command.',
};

/**
 * How an admin API refusal reads on the terminal: the gateway's message line by line as sent (the
 * scope validator sends one problem per line, each with its JSON path), then the remedy on its
 * own line, taken from the message's "Remedy:" or the ErrorDetail. Null for failures the base
 * command handles (unreachable gateway) or that are not the operator's to fix.
 */
export function describeRpcRefusal(
  error: ConnectError,
  context?: string,
): { message: string; exit: number } | null {
  if (!usageCodes.has(error.code)) return null;
  const raw = error.rawMessage.trim();
  const at = raw.lastIndexOf('Remedy:');
  const body = at === -1 ? raw : raw.slice(0, at).trimEnd();
  const detailRemedy = error
    .findDetails(ErrorDetailSchema)
    .map((detail) => detail.remedy)
    .find((remedy) => remedy !== '');
  const remedy =
    (at === -1 ? undefined : raw.slice(at + 'Remedy:'.length).trim()) ??
    detailRemedy ??
    defaultRemedies[error.code];
  const lines = body
    .split(/\r?\n/)
    .map((line) => line.trimEnd())
    .filter((line) => line.trim() !== '');
  const about = context && error.code === Code.InvalidArgument ? ` (${context})` : '';
  const head = `the gateway refused the request${about} [${Code[error.code]}]`;
  const text =
    lines.length <= 1
      ? [`${head}: ${lines[0]?.trim() ?? 'no reason given.'}`]
      : [`${head}:`, ...lines.map((line) => `  ${line}`)];
  return { message: [...text, ...(remedy ? [`Remedy: ${remedy}`] : [])].join('\n'), exit: exitCodes.usage };
}

/**
 * What the admin commands (`federation grant|peer …`, `user …`, `team …`) share on top of
 * MosaicCommand: refusals of the admin API as exit-2 errors with a remedy, JSON errors under
 * --json with the right exit code, no enrollment token in any error, spinners, confirmation,
 * paging.
 */
export abstract class AdminCommand<T extends typeof Command> extends MosaicCommand<T> {
  /** Named in the headline of an INVALID_ARGUMENT refusal, e.g. "scope from ./scope.json". */
  protected refusalContext: string | undefined;

  protected override async catch(error: Error & { exitCode?: number; oclif?: { exit?: number } }) {
    if (error instanceof Errors.ExitError) return super.catch(error);
    let failure: Error & { oclif?: { exit?: number } };
    if (error instanceof ConnectError) {
      const refusal = describeRpcRefusal(error, this.refusalContext);
      // Unreachable gateway and other transport failures: the base command's message and exit
      // code (3 when unreachable).
      failure = refusal
        ? new Errors.CLIError(refusal.message, { exit: refusal.exit })
        : this.failureOf(error);
    } else if (isMosaicError(error)) {
      failure = this.failureOf(error);
    } else if (error instanceof Errors.CLIError) {
      failure = error; // oclif's own parse errors keep their help hints
    } else {
      failure = new Errors.CLIError(error.message, { exit: exitCodes.failure });
    }
    failure.message = redactEnrollmentTokens(failure.message);
    // Under --json oclif prints the error as JSON and exits with process.exitCode.
    if (this.jsonEnabled()) process.exitCode = failure.oclif?.exit ?? exitCodes.failure;
    return super.catch(failure);
  }

  /** Runs a wait behind a spinner, only when a person watches stderr and no JSON is asked for. */
  protected async withSpinner<R>(text: string, work: () => Promise<R>): Promise<R> {
    const spin = !this.jsonEnabled() && process.stderr.isTTY === true;
    if (spin) ux.action.start(text);
    try {
      const result = await work();
      if (spin) ux.action.stop();
      return result;
    } catch (error) {
      if (spin) ux.action.stop('failed');
      throw error;
    }
  }

  /** Asks y/N on the terminal (prompt on stderr); anything but y/yes is no. */
  protected async confirm(question: string): Promise<boolean> {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      const answer = await rl.question(`${question} [y/N] `);
      return /^y(es)?$/i.test(answer.trim());
    } finally {
      rl.close();
    }
  }

  /** Reads every page of a list RPC (pages of 100, as the proto defaults). */
  protected async allPages<I>(
    fetch: (pageToken: string) => Promise<{ items: I[]; nextPageToken: string }>,
  ): Promise<I[]> {
    const items: I[] = [];
    const seen = new Set<string>();
    let token = '';
    for (;;) {
      const page = await fetch(token);
      items.push(...page.items);
      if (page.nextPageToken === '') return items;
      if (seen.has(page.nextPageToken)) {
        throw new Error('the gateway returned the same page token twice; stopping (check the gateway log).');
      }
      seen.add(page.nextPageToken);
      token = page.nextPageToken;
    }
  }
}
