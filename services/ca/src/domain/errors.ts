import { MosaicError } from '@mosaic/platform';

export type CsrRejectionReason =
  | 'unparseable'
  | 'bad_signature'
  | 'weak_key'
  | 'unsupported_key'
  | 'forbidden_extension'
  | 'ca_requested';

/**
 * The CSR a caller sent breaks the CA's policy; the message names the problem, the remedy what to
 * send. `reason` (inherited, sent on the wire) is always `csr_rejected`; `csrReason` says which rule.
 */
export class CsrRejectedError extends MosaicError {
  override readonly name = 'CsrRejectedError';
  readonly csrReason: CsrRejectionReason;

  constructor(options: { reason: CsrRejectionReason; message: string; remedy: string; cause?: unknown }) {
    super({
      kind: 'invalid_argument',
      reason: 'csr_rejected',
      message: options.message,
      remedy: options.remedy,
      cause: options.cause,
    });
    this.csrReason = options.reason;
  }
}

export function isCsrRejectedError(value: unknown): value is CsrRejectedError {
  return value instanceof CsrRejectedError;
}

/** A field of an issuance request (grant id, hostname, lifetime, URL, serial...) is not usable as given. */
export class IssuanceRequestError extends MosaicError {
  override readonly name = 'IssuanceRequestError';
  readonly field: string;

  constructor(options: { field: string; message: string; remedy: string }) {
    super({ kind: 'invalid_argument', message: options.message, remedy: options.remedy });
    this.field = options.field;
  }
}

export function isIssuanceRequestError(value: unknown): value is IssuanceRequestError {
  return value instanceof IssuanceRequestError;
}

/**
 * A certificate the CA (or its step-ca backend) produced does not match what was asked for.
 * It is a fault of the CA, never of the caller: the certificate is discarded, the problems are
 * logged, and the caller sees an internal error.
 */
export class IssuanceValidationError extends MosaicError {
  override readonly name = 'IssuanceValidationError';
  readonly problems: readonly string[];

  constructor(problems: readonly string[], cause?: unknown) {
    super({
      kind: 'internal',
      reason: 'ca_unavailable',
      message: `The issued certificate failed validation and was discarded: ${problems.join('; ')}.`,
      remedy:
        'This is a fault of the signing backend, not of the request: check the built-in CA key, or the step-ca X.509 template in infra/step-ca/ that must write both Mosaic OID extensions.',
      cause,
    });
    this.problems = problems;
  }
}

export function isIssuanceValidationError(value: unknown): value is IssuanceValidationError {
  return value instanceof IssuanceValidationError;
}

/** A stored CA certificate and key cannot be used as an authority (mismatch, not a CA, not RSA...). */
export class AuthorityError extends MosaicError {
  override readonly name = 'AuthorityError';
  readonly authorityId: string;

  constructor(options: { authorityId: string; message: string; remedy: string; cause?: unknown }) {
    super({
      kind: 'failed_precondition',
      reason: 'ca_unavailable',
      message: options.message,
      remedy: options.remedy,
      cause: options.cause,
    });
    this.authorityId = options.authorityId;
  }
}

export function isAuthorityError(value: unknown): value is AuthorityError {
  return value instanceof AuthorityError;
}
