import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The federation audit log: a hot table queried by time, and a cold table for rows past retention.
 * verb, resource and outcome hold the contract's enum numbers (AuditVerb, Resource, AuditOutcome).
 */
export class CreateAuditTables1763800000000 implements MigrationInterface {
  name = 'CreateAuditTables1763800000000';

  async up(runner: QueryRunner): Promise<void> {
    for (const table of ['events', 'events_cold']) {
      await runner.query(`
        CREATE TABLE ${table} (
          id uuid PRIMARY KEY,
          grant_id uuid,
          occurred_at timestamptz NOT NULL,
          verb smallint NOT NULL,
          resource smallint NOT NULL DEFAULT 0,
          query_hash text NOT NULL DEFAULT '',
          outcome smallint NOT NULL,
          bytes_out bigint NOT NULL DEFAULT 0,
          latency_ms integer NOT NULL DEFAULT 0,
          peer text NOT NULL DEFAULT '',
          trace_id text NOT NULL DEFAULT '',
          actor text NOT NULL DEFAULT '',
          reason text NOT NULL DEFAULT '',
          recorded_at timestamptz NOT NULL DEFAULT now()
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
