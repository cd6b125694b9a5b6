import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { GrantSchema } from '@mosaic/contracts/v1/common_pb';
import { scopeToProto, statusToProto } from '../domain/index.js';
import type { GrantRecord } from '../store/grant-record.js';

const ts = (date: Date | null) => (date ? timestampFromDate(date) : undefined);

/** A stored grant as the contract's Grant message. */
export function grantToProto(grant: GrantRecord): MessageInitShape<typeof GrantSchema> {
  return {
    id: grant.id,
    subjectUserId: grant.subjectUserId,
    requestingServer: grant.requestingServer,
    requestingCaFingerprint: grant.requestingCaFingerprint ?? '',
    activeCertFingerprint: grant.activeCertFingerprint ?? '',
    activeCertSerial: grant.activeCertSerial ?? '',
    activeCertExpiresAt: ts(grant.activeCertExpiresAt),
    previousCertFingerprint: grant.previousCertFingerprint ?? '',
    previousCertValidUntil: ts(grant.previousCertValidUntil),
    scope: scopeToProto(grant.scope),
    rateLimitRpm: grant.rateLimitRpm,
    status: statusToProto(grant.status),
    createdAt: ts(grant.createdAt),
    updatedAt: ts(grant.updatedAt),
    activatedAt: ts(grant.activatedAt),
    revokedAt: ts(grant.revokedAt),
    revokeReason: grant.revokeReason ?? '',
    lastUsedAt: ts(grant.lastUsedAt),
    suspendedAt: ts(grant.suspendedAt),
    suspendedUntil: ts(grant.suspendedUntil),
    suspendReason: grant.suspendReason,
    notes: grant.notes,
  };
}
