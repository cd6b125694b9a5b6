import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { type PeerSchema, PeerStatus } from '@mosaic/contracts/v1/admin_pb';
import { type TeamSchema, UserRole, type UserSchema } from '@mosaic/contracts/v1/directory_pb';
import type { TeamRecord, UserRecord } from '../directory/directory-store.js';
import type { PeerRecord } from '../peers/peer-store.js';

const ts = (date: Date | null) => (date ? timestampFromDate(date) : undefined);

export function userToProto(user: UserRecord): MessageInitShape<typeof UserSchema> {
  return {
    id: user.id,
    username: user.username,
    displayName: user.displayName,
    email: user.email,
    role: user.role === 'admin' ? UserRole.ADMIN : UserRole.MEMBER,
    teamIds: user.teamIds,
    createdAt: ts(user.createdAt),
  };
}

export function teamToProto(team: TeamRecord): MessageInitShape<typeof TeamSchema> {
  return {
    id: team.id,
    name: team.name,
    description: team.description,
    memberCount: team.memberCount,
    createdAt: ts(team.createdAt),
  };
}

const peerStatus = {
  pending: PeerStatus.PENDING,
  active: PeerStatus.ACTIVE,
  degraded: PeerStatus.DEGRADED,
  revoked: PeerStatus.REVOKED,
} as const;

/** A peer for the admin API: the certificate (public) yes, the sealed key never. */
export function peerToProto(peer: PeerRecord): MessageInitShape<typeof PeerSchema> {
  return {
    id: peer.id,
    peerHostname: peer.peerHostname,
    peerCaFingerprint: peer.peerCaFingerprint,
    grantId: peer.grantId,
    localUserId: peer.localUserId ?? '',
    remoteUserId: peer.remoteUserId ?? '',
    clientCertPem: peer.clientCertPem ?? '',
    certSerial: peer.certSerial ?? '',
    certExpiresAt: ts(peer.certExpiresAt),
    status: peerStatus[peer.status],
    lastSuccessAt: ts(peer.lastSuccessAt),
    lastFailureAt: ts(peer.lastFailureAt),
    lastFailureReason: peer.lastFailureReason ?? '',
    notes: peer.notes,
    federationEndpoint: peer.federationEndpoint,
    createdAt: ts(peer.createdAt),
  };
}
