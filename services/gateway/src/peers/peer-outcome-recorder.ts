import type { DataSource } from 'typeorm';
import { recordPeerOutcome } from './peer-store.js';

/**
 * Records how calls to each peer go (what `mosaic federation status` shows) without a database
 * write on every successful federated query: a success is written at most once per
 * `minIntervalMs` per peer while the peer keeps answering, so `last_success_at` may lag by up
 * to that; a failure, and the first success after one, are written at once.
 */
export class PeerOutcomeRecorder {
  private readonly lastSuccessWrite = new Map<string, number>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly minIntervalMs = 1_000,
  ) {}

  async record(peerId: string, outcome: { ok: true } | { ok: false; reason: string }): Promise<void> {
    if (outcome.ok) {
      const last = this.lastSuccessWrite.get(peerId);
      const now = Date.now();
      if (last !== undefined && now - last < this.minIntervalMs) return;
      this.lastSuccessWrite.set(peerId, now);
    } else {
      this.lastSuccessWrite.delete(peerId);
    }
    await recordPeerOutcome(this.dataSource, peerId, outcome);
  }
}
