import { Code, ConnectError } from '@connectrpc/connect';
import { type ErrorKind, isMosaicError } from './mosaic-error.js';

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
  if (isMosaicError(error)) {
    return new ConnectError(error.describe(), codeByKind[error.kind]);
  }
  return new ConnectError('internal error; the server log has the details', Code.Internal);
}
