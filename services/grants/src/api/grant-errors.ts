import { MosaicError } from '@mosaic/platform';

export function grantNotFound(grantId: string): MosaicError {
  return new MosaicError({
    kind: 'not_found',
    reason: 'grant_unknown',
    message: `grant ${grantId} does not exist.`,
    remedy: 'List grants with `mosaic federation grant list` and use an id from there.',
  });
}

/** A token that is unknown, used, expired or being redeemed: one answer for all, so nothing leaks. */
export function enrollmentTokenGone(why: string): MosaicError {
  return new MosaicError({
    kind: 'failed_precondition',
    reason: 'enrollment_token_invalid',
    message: `the enrollment token is not valid (${why}); enrollment URLs work once and expire after 15 minutes.`,
    remedy:
      "Ask the peer's admin for a new enrollment URL (`mosaic federation grant enrollment-url <grant-id>`).",
  });
}
