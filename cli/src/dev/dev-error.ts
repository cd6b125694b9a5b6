import { exitCodes } from '../base-command.js';

/**
 * A failure of `mosaic dev` the operator can act on: what went wrong, what to do about it, and the
 * exit code (1 a step failed, 2 bad input, 3 an address or a dependency is not available).
 */
export class DevError extends Error {
  override readonly name = 'DevError';
  readonly remedy: string;
  readonly exit: number;

  constructor(options: { message: string; remedy: string; exit?: number }) {
    super(options.message);
    this.remedy = options.remedy;
    this.exit = options.exit ?? exitCodes.failure;
  }

  /** The message, then the remedy on its own line. */
  describe(): string {
    return `${this.message}\nRemedy: ${this.remedy}`;
  }
}

export function isDevError(value: unknown): value is DevError {
  return value instanceof DevError;
}

/** Setup was interrupted by Ctrl-C or SIGTERM: not a failure of any step. */
export class DevInterrupted extends Error {
  override readonly name = 'DevInterrupted';
  constructor(readonly signal: NodeJS.Signals) {
    super(`interrupted by ${signal}`);
  }
}

export function isDevInterrupted(value: unknown): value is DevInterrupted {
  return value instanceof DevInterrupted;
}
