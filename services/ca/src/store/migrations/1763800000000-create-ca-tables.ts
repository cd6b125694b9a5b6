import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Authorities (sealed keys) and the registry of every certificate the CA issued. */
export class CreateCaTables1763800000000 implements MigrationInterface {
  name = 'CreateCaTables1763800000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE authorities (
        id uuid PRIMARY KEY,
        sequence integer NOT NULL UNIQUE,
        certificate_pem text NOT NULL,
        fingerprint_sha256 text NOT NULL UNIQUE,
        key_sealed bytea NOT NULL,
        state text NOT NULL CHECK (state IN ('next', 'active', 'retired')),
        not_after timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await runner.query(`
      CREATE TABLE certificates (
        serial text PRIMARY KEY,
        fingerprint_sha256 text NOT NULL UNIQUE,
        authority_id uuid NOT NULL REFERENCES authorities (id),
        kind text NOT NULL CHECK (kind IN ('server', 'client')),
        grant_id uuid,
        subject_user_id uuid,
        subject text NOT NULL,
        not_before timestamptz NOT NULL,
        not_after timestamptz NOT NULL,
        certificate_pem text NOT NULL,
        revoked_at timestamptz,
        revoke_reason smallint,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await runner.query('CREATE INDEX certificates_grant_idx ON certificates (grant_id)');
    await runner.query(
      'CREATE INDEX certificates_revoked_idx ON certificates (revoked_at) WHERE revoked_at IS NOT NULL',
    );
    await runner.query(`
      CREATE TABLE crl_state (
        authority_id uuid PRIMARY KEY REFERENCES authorities (id),
        crl_number bigint NOT NULL,
        this_update timestamptz NOT NULL,
        next_update timestamptz NOT NULL,
        crl_der bytea NOT NULL,
        revoked_count integer NOT NULL DEFAULT 0
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE crl_state');
    await runner.query('DROP TABLE certificates');
    await runner.query('DROP TABLE authorities');
  }
}
