import { Code, ConnectError } from '@connectrpc/connect';

export interface LoggedError {
  type: string;
  message: string;
  code?: string;
  stack?: string;
  cause?: LoggedError;
}

/**
 * A compact, bounded form of an error for the log: type, message, code, stack and the cause chain,
 * without the protobuf descriptors and metadata a ConnectError drags along.
 */
export function errorForLog(error: unknown, depth = 0): LoggedError {
  // Duck-typed: the CommonJS and ESM builds of connect each have their own ConnectError class.
  if (error instanceof ConnectError || isConnectErrorLike(error)) {
    return {
      type: 'ConnectError',
      code: Code[error.code],
      message: error.rawMessage,
      ...(error.cause !== undefined && depth < 3 ? { cause: errorForLog(error.cause, depth + 1) } : {}),
    };
  }
  if (error instanceof Error) {
    return {
      type: error.name,
      message: error.message,
      ...(typeof error.stack === 'string' ? { stack: error.stack.split('\n').slice(0, 8).join('\n') } : {}),
      ...(error.cause !== undefined && depth < 3 ? { cause: errorForLog(error.cause, depth + 1) } : {}),
    };
  }
  return { type: typeof error, message: describe(error) };
}

/** `String(value)`, or the object's tag when it has no usable `toString` (no prototype, one that throws). */
function describe(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

function isConnectErrorLike(error: unknown): error is ConnectError {
  return (
    error instanceof Error &&
    typeof (error as ConnectError).code === 'number' &&
    typeof (error as ConnectError).rawMessage === 'string'
  );
}
