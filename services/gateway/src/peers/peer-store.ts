import { queryRows } from '@mosaic/platform';
import type { DataSource } from 'typeorm';

export type PeerStatusName = 'pending' | 'active' | 'degraded' | 'revoked';

/** A peer as stored on the requesting side. The sealed key never leaves this module's callers. */
export interface PeerRecord {
  id: string;
  peerHostname: string;
  peerCaFingerprint: string;
  grantId: string;
  localUserId: string | null;
  remoteUserId: string | null;
  federationEndpoint: string;
  trustBundlePem: string;
  trustBundleSequence: number;
  clientCertPem: string | null;
  clientKeySealed: Buffer | null;
  certSerial: string | null;
  certExpiresAt: Date | null;
  status: PeerStatusName;
  lastSuccessAt: Date | null;
  lastFailureAt: Date | null;
  lastFailureReason: string | null;
  notes: string;
  createdAt: Date;
}

function fromRow(row: Record<string, unknown>): PeerRecord {
  return {
    id: row.id as string,
    peerHostname: row.peer_hostname as string,
    peerCaFingerprint: row.peer_ca_fingerprint as string,
    grantId: row.grant_id as string,
    localUserId: (row.local_user_id as string | null) ?? null,
    remoteUserId: (row.remote_user_id as string | null) ?? null,
    federationEndpoint: row.federation_endpoint as string,
    trustBundlePem: row.trust_bundle_pem as string,
    trustBundleSequence: Number(row.trust_bundle_sequence),
    clientCertPem: (row.client_cert_pem as string | null) ?? null,
    clientKeySealed: (row.client_key_sealed as Buffer | null) ?? null,
    certSerial: (row.cert_serial as string | null) ?? null,
    certExpiresAt: (row.cert_expires_at as Date | null) ?? null,
    status: row.status as PeerStatusName,
    lastSuccessAt: (row.last_success_at as Date | null) ?? null,
    lastFailureAt: (row.last_failure_at as Date | null) ?? null,
    lastFailureReason: (row.last_failure_reason as string | null) ?? null,
    notes: row.notes as string,
    createdAt: row.created_at as Date,
  };
}

export class PeerStore {
  constructor(private readonly dataSource: DataSource) {}

  /** Inserts an enrolled peer; returns null when this grant is already a peer here. */
  async insert(
    peer: Omit<PeerRecord, 'lastSuccessAt' | 'lastFailureAt' | 'lastFailureReason' | 'createdAt'>,
  ) {
    const rows = await queryRows(
      this.dataSource,
      `INSERT INTO peers (id, peer_hostname, peer_ca_fingerprint, grant_id, local_user_id, remote_user_id,
         federation_endpoint, trust_bundle_pem, trust_bundle_sequence, client_cert_pem, client_key_sealed, cert_serial,
         cert_expires_at, status, notes)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
       ON CONFLICT (grant_id) DO NOTHING RETURNING *`,
      [
        peer.id,
        peer.peerHostname,
        peer.peerCaFingerprint,
        peer.grantId,
        peer.localUserId,
        peer.remoteUserId,
        peer.federationEndpoint,
        peer.trustBundlePem,
        peer.trustBundleSequence,
        peer.clientCertPem,
        peer.clientKeySealed,
        peer.certSerial,
        peer.certExpiresAt,
        peer.status,
        peer.notes,
      ],
    );
    return rows[0] ? fromRow(rows[0]) : null;
  }

  async get(id: string): Promise<PeerRecord | null> {
    const rows = await queryRows(this.dataSource, 'SELECT * FROM peers WHERE id = $1', [id]);
    return rows[0] ? fromRow(rows[0]) : null;
  }

  async byGrant(grantId: string): Promise<PeerRecord | null> {
    const rows = await queryRows(this.dataSource, 'SELECT * FROM peers WHERE grant_id = $1', [grantId]);
    return rows[0] ? fromRow(rows[0]) : null;
  }

  async list(options: { status?: PeerStatusName; limit: number; after?: { createdAt: Date; id: string } }) {
    const rows = await queryRows(
      this.dataSource,
      `SELECT * FROM peers WHERE ($1::text IS NULL OR status = $1)
         AND ($2::timestamptz IS NULL OR (created_at, id) > ($2, $3::uuid))
       ORDER BY created_at, id LIMIT $4`,
      [options.status ?? null, options.after?.createdAt ?? null, options.after?.id ?? null, options.limit],
    );
    return rows.map(fromRow);
  }

  async delete(id: string): Promise<boolean> {
    const rows = await queryRows(this.dataSource, 'DELETE FROM peers WHERE id = $1 RETURNING id', [id]);
    return rows.length === 1;
  }
}

/** Active peers a local user may query: the ones enrolled for them, and the ones for no one in particular. */
export async function peersOfUser(
  dataSource: DataSource,
  userId: string,
  hostname?: string,
): Promise<PeerRecord[]> {
  const rows = await queryRows(
    dataSource,
    `SELECT * FROM peers WHERE status IN ('active', 'degraded') AND (local_user_id = $1 OR local_user_id IS NULL)
       AND ($2::text IS NULL OR peer_hostname = $2) ORDER BY peer_hostname, created_at`,
    [userId, hostname ?? null],
  );
  return rows.map(fromRow);
}

/** Remembers how the last call to a peer went (what `federation status` shows). */
export async function recordPeerOutcome(
  dataSource: DataSource,
  peerId: string,
  outcome: { ok: true } | { ok: false; reason: string },
): Promise<void> {
  await queryRows(
    dataSource,
    outcome.ok
      ? 'UPDATE peers SET last_success_at = now() WHERE id = $1'
      : 'UPDATE peers SET last_failure_at = now(), last_failure_reason = $2 WHERE id = $1',
    outcome.ok ? [peerId] : [peerId, outcome.reason.slice(0, 500)],
  );
}
