import type { ErrorReasonName } from './error-reason.js';

/**
 * The one error family of Mosaic. Every failure a person can act on is a MosaicError with a
 * `kind` (what class of failure, mapped to a wire code in one place), a public message and a remedy.
 * The cause is kept for the log and never sent over the wire.
 */
export type ErrorKind =
  | 'invalid_argument'
  | 'not_found'
  | 'already_exists'
  | 'permission_denied'
  | 'unauthenticated'
  | 'failed_precondition'
  | 'resource_exhausted'
  | 'unavailable'
  | 'unimplemented'
  | 'internal';

export interface MosaicErrorOptions {
  kind: ErrorKind;
  message: string;
  remedy: string;
  /** Machine-readable reason, sent as an ErrorDetail so clients never parse messages. */
  reason?: ErrorReasonName;
  cause?: unknown;
}

export class MosaicError extends Error {
  override readonly name: string = 'MosaicError';
  readonly kind: ErrorKind;
  readonly remedy: string;
  readonly reason: ErrorReasonName | undefined;

  constructor(options: MosaicErrorOptions) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = options.kind;
    this.remedy = options.remedy;
    this.reason = options.reason;
  }

  /** The message and remedy as one line a person can act on. */
  describe(): string {
    return `${this.message} Remedy: ${this.remedy}`;
  }
}

export function isMosaicError(value: unknown): value is MosaicError {
  return value instanceof MosaicError;
}

/** Configuration that cannot be used as given: refused before anything starts. */
export class ConfigError extends MosaicError {
  override readonly name = 'ConfigError';
  constructor(message: string, remedy: string) {
    super({ kind: 'invalid_argument', message, remedy });
  }
}

export function isConfigError(value: unknown): value is ConfigError {
  return value instanceof ConfigError;
}

/** A dependency the tier requires is missing or unhealthy: the service refuses to start. */
export class DependencyUnavailableError extends MosaicError {
  override readonly name = 'DependencyUnavailableError';
  readonly dependency: string;
  constructor(options: { dependency: string; message: string; remedy: string; cause?: unknown }) {
    super({ kind: 'unavailable', message: options.message, remedy: options.remedy, cause: options.cause });
    this.dependency = options.dependency;
  }
}

export function isDependencyUnavailableError(value: unknown): value is DependencyUnavailableError {
  return value instanceof DependencyUnavailableError;
}

/** An RPC that is part of the published contract but not built yet. */
export class NotImplementedError extends MosaicError {
  override readonly name = 'NotImplementedError';
  constructor(method: string) {
    super({
      kind: 'unimplemented',
      message: `${method} is not implemented in this release.`,
      remedy: 'Upgrade the service to a release that implements it.',
    });
  }
}

/** Too many requests: refused until `retryAfterSeconds` have passed (HTTP 429 with Retry-After). */
export class RateLimitedError extends MosaicError {
  override readonly name = 'RateLimitedError';
  readonly retryAfterSeconds: number;
  constructor(options: { message: string; retryAfterSeconds: number }) {
    super({
      kind: 'resource_exhausted',
      reason: 'rate_limited',
      message: options.message,
      remedy: `Wait ${options.retryAfterSeconds} s before trying again.`,
    });
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export function isRateLimitedError(value: unknown): value is RateLimitedError {
  return value instanceof RateLimitedError;
}
