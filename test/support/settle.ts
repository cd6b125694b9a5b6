/**
 * How a promise settles (its value's place taken by 'answered', or the error it rejects with) and
 * after how many ms. A guard ends the wait for one that would never settle, so a test can assert
 * that a call fails instead of hanging until mocha's timeout.
 */
export async function settle(
  call: Promise<unknown>,
  guardMs = 10_000,
): Promise<{ outcome: unknown; ms: number }> {
  const startedAt = performance.now();
  let guard: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    call.then(
      () => 'answered',
      (error: unknown) => error,
    ),
    new Promise<string>((resolve) => {
      guard = setTimeout(() => resolve(`still waiting after ${guardMs} ms`), guardMs);
    }),
  ]).finally(() => clearTimeout(guard));
  return { outcome, ms: performance.now() - startedAt };
}
