// The format is shared with the gateway, which builds and redeems these URLs.
export {
  EnrollmentUrlError,
  type EnrollmentUrlParts,
  enrollmentAuthority,
  isEnrollmentUrlError,
  parseEnrollmentUrl,
  redactEnrollmentTokens,
} from '@mosaic/platform';
