/**
 * Machine-readable reasons, the names of the contract's ErrorReason enum (lowercase). A client
 * branches on these, never on message text.
 */
export type ErrorReasonName =
  | 'identity_invalid'
  | 'grant_unknown'
  | 'grant_pending'
  | 'grant_suspended'
  | 'grant_revoked'
  | 'certificate_not_current'
  | 'certificate_expired'
  | 'subject_mismatch'
  | 'resource_not_in_scope'
  | 'rate_limited'
  | 'overloaded'
  | 'csr_rejected'
  | 'enrollment_token_invalid'
  | 'renewal_window_closed'
  | 'ca_unavailable'
  | 'invalid_transition';
