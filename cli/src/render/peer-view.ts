import { type Peer, PeerStatus } from '@mosaic/contracts/v1/admin_pb';
import { isoOrNull, tableDate, textOrNull } from './format.js';
import { lifecycleMark, renderKeyValues, renderTable } from './table.js';

export type PeerStatusName = 'pending' | 'active' | 'degraded' | 'revoked' | 'unknown';

/**
 * A peer as the CLI prints it in --json. Deliberately built field by field: the client certificate
 * PEM stays out (its serial and expiry say what an operator needs), and a sealed
 * key is not on the message at all.
 */
export interface PeerJson {
  id: string;
  peerHostname: string;
  peerCaFingerprint: string;
  federationEndpoint: string | null;
  grantId: string;
  localUserId: string;
  remoteUserId: string | null;
  status: PeerStatusName;
  certSerial: string | null;
  certExpiresAt: string | null;
  lastSuccessAt: string | null;
  lastFailureAt: string | null;
  lastFailureReason: string | null;
  notes: string | null;
  createdAt: string | null;
}

export interface PeerListJson {
  version: 1;
  peers: PeerJson[];
}

export interface PeerAddedJson {
  version: 1;
  peer: PeerJson;
}

export interface PeerRemovedJson {
  version: 1;
  peerId: string;
  peerHostname: string;
  grantId: string;
}

const peerStatusNames: Record<number, PeerStatusName> = {
  [PeerStatus.PENDING]: 'pending',
  [PeerStatus.ACTIVE]: 'active',
  [PeerStatus.DEGRADED]: 'degraded',
  [PeerStatus.REVOKED]: 'revoked',
};

export const peerStatusByName: Record<Exclude<PeerStatusName, 'unknown'>, PeerStatus> = {
  pending: PeerStatus.PENDING,
  active: PeerStatus.ACTIVE,
  degraded: PeerStatus.DEGRADED,
  revoked: PeerStatus.REVOKED,
};

export function peerJson(peer: Peer): PeerJson {
  return {
    id: peer.id,
    peerHostname: peer.peerHostname,
    peerCaFingerprint: peer.peerCaFingerprint,
    federationEndpoint: textOrNull(peer.federationEndpoint),
    grantId: peer.grantId,
    localUserId: peer.localUserId,
    remoteUserId: textOrNull(peer.remoteUserId),
    status: peerStatusNames[peer.status] ?? 'unknown',
    certSerial: textOrNull(peer.certSerial),
    certExpiresAt: isoOrNull(peer.certExpiresAt),
    lastSuccessAt: isoOrNull(peer.lastSuccessAt),
    lastFailureAt: isoOrNull(peer.lastFailureAt),
    lastFailureReason: textOrNull(peer.lastFailureReason),
    notes: textOrNull(peer.notes),
    createdAt: isoOrNull(peer.createdAt),
  };
}

export const peerListHeaders = [
  'ID',
  'PEER',
  'STATUS',
  'GRANT',
  'CERT EXPIRES',
  'LAST SUCCESS',
  'LAST FAILURE',
] as const;

export function peerRow(peer: PeerJson): string[] {
  return [
    peer.id,
    peer.peerHostname,
    lifecycleMark(peer.status),
    peer.grantId,
    tableDate(peer.certExpiresAt),
    tableDate(peer.lastSuccessAt),
    tableDate(peer.lastFailureAt),
  ];
}

export function renderPeerList(view: PeerListJson): string {
  if (view.peers.length === 0) {
    return 'No peers. Enroll with a serving gateway with `mosaic federation peer add <enrollment-url>`.';
  }
  const failures = view.peers
    .filter((peer) => peer.lastFailureReason !== null && peer.status !== 'active')
    .map((peer) => `  ${peer.peerHostname}: ${peer.lastFailureReason}`);
  return [
    renderTable(peerListHeaders, view.peers.map(peerRow)),
    ...(failures.length > 0 ? ['', 'Last failures:', ...failures] : []),
  ].join('\n');
}

export function renderPeerAdded(view: PeerAddedJson): string {
  const peer = view.peer;
  return [
    `Enrolled with ${peer.peerHostname} (grant ${peer.grantId}).`,
    renderKeyValues([
      ['peer id', peer.id],
      ['status', lifecycleMark(peer.status)],
      ['endpoint', peer.federationEndpoint ?? '-'],
      ['CA pinned', `sha256:${peer.peerCaFingerprint}`],
      ['certificate', `serial ${peer.certSerial ?? '-'}, expires ${tableDate(peer.certExpiresAt)}`],
      ['local user', peer.localUserId || '(every local user of this gateway)'],
      ['remote user', peer.remoteUserId ?? '-'],
    ]),
    '',
    peer.localUserId
      ? `Agents of the local user can now query it with source "federated:${peer.peerHostname}".`
      : `Agents of every local user can now query it with source "federated:${peer.peerHostname}" ` +
        '(it reads the remote user’s data): on a gateway with several users, remove it and add it again with --user.',
  ].join('\n');
}

export function renderPeerRemoved(view: PeerRemovedJson): string {
  return [
    `Removed peer ${view.peerId} (${view.peerHostname}): its key and certificate are deleted and its cache flushed.`,
    `Grant ${view.grantId} on ${view.peerHostname} is NOT revoked by this; ask that gateway's admin to run \`mosaic federation grant revoke ${view.grantId}\`.`,
  ].join('\n');
}
