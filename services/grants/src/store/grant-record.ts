import type { GrantStatusName, NormalizedScope } from '../domain/index.js';

/** A grant as stored (SPEC §4), in the grants schema. */
export interface GrantRecord {
  id: string;
  subjectUserId: string;
  requestingServer: string;
  requestingCaFingerprint: string | null;
  activeCertFingerprint: string | null;
  activeCertSerial: string | null;
  activeCertExpiresAt: Date | null;
  previousCertFingerprint: string | null;
  previousCertValidUntil: Date | null;
  scope: NormalizedScope;
  rateLimitRpm: number;
  status: GrantStatusName;
  suspendedAt: Date | null;
  suspendedUntil: Date | null;
  suspendReason: string;
  createdAt: Date;
  updatedAt: Date;
  activatedAt: Date | null;
  revokedAt: Date | null;
  revokeReason: string | null;
  lastUsedAt: Date | null;
  notes: string;
}

export function grantFromRow(row: Record<string, unknown>): GrantRecord {
  return {
    id: row.id as string,
    subjectUserId: row.subject_user_id as string,
    requestingServer: row.requesting_server as string,
    requestingCaFingerprint: (row.requesting_ca_fingerprint as string | null) ?? null,
    activeCertFingerprint: (row.active_cert_fingerprint as string | null) ?? null,
    activeCertSerial: (row.active_cert_serial as string | null) ?? null,
    activeCertExpiresAt: (row.active_cert_expires_at as Date | null) ?? null,
    previousCertFingerprint: (row.previous_cert_fingerprint as string | null) ?? null,
    previousCertValidUntil: (row.previous_cert_valid_until as Date | null) ?? null,
    scope: row.scope as NormalizedScope,
    rateLimitRpm: row.rate_limit_rpm as number,
    status: row.status as GrantStatusName,
    suspendedAt: (row.suspended_at as Date | null) ?? null,
    suspendedUntil: (row.suspended_until as Date | null) ?? null,
    suspendReason: row.suspend_reason as string,
    createdAt: row.created_at as Date,
    updatedAt: row.updated_at as Date,
    activatedAt: (row.activated_at as Date | null) ?? null,
    revokedAt: (row.revoked_at as Date | null) ?? null,
    revokeReason: (row.revoke_reason as string | null) ?? null,
    lastUsedAt: (row.last_used_at as Date | null) ?? null,
    notes: row.notes as string,
  };
}
