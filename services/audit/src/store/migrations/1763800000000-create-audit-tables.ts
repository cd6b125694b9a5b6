import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The federation audit log: a hot table queried by time, and a cold table for rows past retention. */
export class CreateAuditTables1763800000000 implements MigrationInterface {
  name = 'CreateAuditTables1763800000000';

  async up(runner: QueryRunner): Promise<void> {
    for (const table of ['events', 'events_cold']) {
      await runner.query(`
        CREATE TABLE ${table} (
          id uuid PRIMARY KEY,
          grant_id uuid,
          occurred_at timestamptz NOT NULL,
          verb text NOT NULL,
          resource text NOT NULL DEFAULT '',
          query_hash text NOT NULL DEFAULT '',
          outcome text NOT NULL CHECK (outcome IN ('ok', 'denied', 'rate_limited', 'error')),
          bytes_out bigint NOT NULL DEFAULT 0,
          latency_ms integer NOT NULL DEFAULT 0,
          peer text NOT NULL DEFAULT '',
          trace_id text NOT NULL DEFAULT '',
          detail text NOT NULL DEFAULT ''
        )`);
      await runner.query(`CREATE INDEX ${table}_occurred_at_idx ON ${table} (occurred_at)`);
      await runner.query(`CREATE INDEX ${table}_grant_idx ON ${table} (grant_id, occurred_at)`);
    }
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE events_cold');
    await runner.query('DROP TABLE events');
  }
}
