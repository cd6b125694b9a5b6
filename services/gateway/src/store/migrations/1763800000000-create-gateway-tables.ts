import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The local directory (users, teams, memberships) and, on the requesting side, the peers. */
export class CreateGatewayTables1763800000000 implements MigrationInterface {
  name = 'CreateGatewayTables1763800000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY,
        username text NOT NULL UNIQUE,
        display_name text NOT NULL DEFAULT '',
        email text NOT NULL DEFAULT '',
        role text NOT NULL DEFAULT 'member' CHECK (role IN ('member', 'admin')),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await runner.query(`
      CREATE TABLE teams (
        id uuid PRIMARY KEY,
        name text NOT NULL UNIQUE,
        description text NOT NULL DEFAULT '',
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await runner.query(`
      CREATE TABLE memberships (
        team_id uuid NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (team_id, user_id)
      )`);
    await runner.query('CREATE INDEX memberships_user_idx ON memberships (user_id)');
    await runner.query(`
      CREATE TABLE peers (
        id uuid PRIMARY KEY,
        peer_hostname text NOT NULL,
        peer_ca_fingerprint text NOT NULL,
        grant_id uuid NOT NULL UNIQUE,
        local_user_id uuid REFERENCES users (id) ON DELETE SET NULL,
        remote_user_id uuid,
        federation_endpoint text NOT NULL DEFAULT '',
        trust_bundle_pem text NOT NULL DEFAULT '',
        trust_bundle_sequence bigint NOT NULL DEFAULT 0,
        client_cert_pem text,
        client_key_sealed bytea,
        cert_serial text,
        cert_expires_at timestamptz,
        status text NOT NULL CHECK (status IN ('pending', 'active', 'degraded', 'revoked')),
        last_success_at timestamptz,
        last_failure_at timestamptz,
        last_failure_reason text,
        notes text NOT NULL DEFAULT '',
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE peers');
    await runner.query('DROP TABLE memberships');
    await runner.query('DROP TABLE teams');
    await runner.query('DROP TABLE users');
  }
}
