import { ConnectError } from '@connectrpc/connect';
import { expect } from 'chai';

/** The ConnectError a call fails with; fails the test when the call succeeds. */
export async function connectError(promise: Promise<unknown>): Promise<ConnectError> {
  return promise.then(
    () => expect.fail('the call succeeded'),
    (reason: unknown) => ConnectError.from(reason),
  );
}
