import type { TokenBucketResult } from './job-queue.js';

export interface BucketState {
  tokens: number;
  updatedAtMs: number;
}

/**
 * One step of the token bucket, the same arithmetic as token-bucket-2.lua: refill by elapsed time,
 * then take one token if there is one.
 */
export function takeToken(
  state: BucketState | undefined,
  options: { capacity: number; refillPeriodMs: number; nowMs: number },
): { state: BucketState; result: TokenBucketResult } {
  const { capacity, refillPeriodMs, nowMs } = options;
  const ratePerMs = capacity / refillPeriodMs;
  const previous = state ?? { tokens: capacity, updatedAtMs: nowMs };
  const elapsed = Math.max(0, nowMs - previous.updatedAtMs);
  const tokens = Math.min(capacity, previous.tokens + elapsed * ratePerMs);
  if (tokens >= 1) {
    return {
      state: { tokens: tokens - 1, updatedAtMs: nowMs },
      result: { allowed: true, remaining: Math.floor(tokens - 1), retryAfterMs: 0 },
    };
  }
  return {
    state: { tokens, updatedAtMs: nowMs },
    result: { allowed: false, remaining: 0, retryAfterMs: Math.ceil((1 - tokens) / ratePerMs) },
  };
}
