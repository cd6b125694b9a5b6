import { errorForLog } from '../log/error-for-log.js';
import type { Logger } from '../log/logger.js';

/** EX_SOFTWARE (sysexits.h): the process stopped on a fault of its own, for its supervisor to restart. */
export const uncaughtErrorExitCode = 70;

/**
 * What a server process does with an error nothing caught (an uncaught exception or an unhandled
 * rejection): one fatal line in its own log, in the log's format and through its redaction, then
 * it closes what it opened (the closer's deadline bounds that) and exits with code 70. Left to
 * Node, the error would be printed to stderr with every property it carries (a failed
 * statement's bound values among them) and the process would end without closing anything.
 * Returns a function that removes the handlers again.
 */
export function exitOnUncaughtErrors(options: {
  logger: Logger;
  close: () => Promise<void>;
  exit?: (code: number) => void;
}): () => void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let stopping = false;
  const fatal = (error: unknown, origin: 'uncaughtException' | 'unhandledRejection') => {
    try {
      options.logger.fatal({ err: errorForLog(error), origin }, 'uncaught error: stopping the process');
    } catch {
      // A throw here would end the process at once (exit 7), unclosed: whatever cannot be
      // described is logged without its description.
      options.logger.fatal({ origin }, 'uncaught error: stopping the process');
    }
    // A second fault while closing: the first one's close is already under way (and bounded).
    if (stopping) return;
    stopping = true;
    options.close().then(
      () => exit(uncaughtErrorExitCode),
      () => exit(uncaughtErrorExitCode),
    );
  };
  const onException = (error: Error) => fatal(error, 'uncaughtException');
  const onRejection = (reason: unknown) => fatal(reason, 'unhandledRejection');
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  return () => {
    process.off('uncaughtException', onException);
    process.off('unhandledRejection', onRejection);
  };
}
