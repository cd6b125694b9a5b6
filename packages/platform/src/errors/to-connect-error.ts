import { create } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
import {
  ErrorDetailSchema,
  type ErrorReason,
  RateLimitDetailSchema,
  ErrorReason as Reasons,
} from '@mosaic/contracts/v1/common_pb';
import type { ErrorReasonName } from './error-reason.js';
import { type ErrorKind, isMosaicError, isRateLimitedError } from './mosaic-error.js';

const codeByKind: Record<ErrorKind, Code> = {
  invalid_argument: Code.InvalidArgument,
  not_found: Code.NotFound,
  already_exists: Code.AlreadyExists,
  permission_denied: Code.PermissionDenied,
  unauthenticated: Code.Unauthenticated,
  failed_precondition: Code.FailedPrecondition,
  resource_exhausted: Code.ResourceExhausted,
  unavailable: Code.Unavailable,
  unimplemented: Code.Unimplemented,
  internal: Code.Internal,
};

/**
 * The single place where errors become wire errors. A MosaicError keeps its public message and
 * remedy; anything else is an internal error whose details stay in the log.
 */
export function toConnectError(error: unknown): ConnectError {
  if (error instanceof ConnectError) return error;
  if (isRateLimitedError(error)) {
    const retryAfter = create(RateLimitDetailSchema, {
      retryAfter: { seconds: BigInt(error.retryAfterSeconds) },
    });
    return new ConnectError(
      error.describe(),
      Code.ResourceExhausted,
      new Headers({ 'retry-after': String(error.retryAfterSeconds) }),
      [
        {
          desc: ErrorDetailSchema,
          value: create(ErrorDetailSchema, { reason: Reasons.RATE_LIMITED, remedy: error.remedy }),
        },
        { desc: RateLimitDetailSchema, value: retryAfter },
      ],
    );
  }
  if (isMosaicError(error)) {
    const details = error.reason
      ? [
          {
            desc: ErrorDetailSchema,
            value: create(ErrorDetailSchema, { reason: reasonOf(error.reason), remedy: error.remedy }),
          },
        ]
      : [];
    return new ConnectError(error.describe(), codeByKind[error.kind], undefined, details);
  }
  return new ConnectError('internal error; the server log has the details', Code.Internal);
}

function reasonOf(name: ErrorReasonName): ErrorReason {
  return Reasons[name.toUpperCase() as keyof typeof Reasons] as ErrorReason;
}

/** The reason a ConnectError carries in its ErrorDetail, if any. */
export function reasonOfConnectError(error: ConnectError): ErrorReasonName | undefined {
  const detail = error.findDetails(ErrorDetailSchema)[0];
  if (!detail || detail.reason === Reasons.UNSPECIFIED) return undefined;
  return Reasons[detail.reason]?.toLowerCase() as ErrorReasonName | undefined;
}
